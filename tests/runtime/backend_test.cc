// runtime backends: ONNX Runtime and OpenCV DNN reproduce libonnx-testdata's expected outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "runtime/backend.h"
#include "runtime/model_info.h"

using namespace paramscale::runtime;

namespace {

const std::string kData = "/usr/share/libonnx-testdata/data/pytorch-converted/";

bool have_testdata() { return std::ifstream(kData + "test_Conv2d/model.onnx").good(); }

struct Case {
  const char* runtime;
  const char* model;
};
std::string case_name(const ::testing::TestParamInfo<Case>& p) {
  return std::string(p.param.runtime) + "_" + std::string(p.param.model).substr(5);
}

class BackendMatchesTestdata : public ::testing::TestWithParam<Case> {};

TEST_P(BackendMatchesTestdata, OutputWithin1e4) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const std::string dir = kData + GetParam().model + "/";
  const auto input = read_tensor_pb(dir + "test_data_set_0/input_0.pb");
  const auto expected = read_tensor_pb(dir + "test_data_set_0/output_0.pb");
  ASSERT_TRUE(input.ok() && expected.ok());
  const auto info = read_model_info(dir + "model.onnx");
  ASSERT_TRUE(info.ok()) << info.error().message;
  const auto shape = feed_shape(*info, static_cast<int>(input->dims[0]));
  ASSERT_TRUE(shape.ok()) << shape.error().message;
  EXPECT_EQ(*shape, input->dims);

  BackendOptions o;
  o.runtime = GetParam().runtime;
  o.threads = 2;
  auto b = make_backend(o);
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_TRUE((*b)->load(dir + "model.onnx", *shape).ok());
  ASSERT_TRUE((*b)->set_input(input->values).ok());
  for (int rep = 0; rep < 2; ++rep) {  // a second run must not disturb the result
    const paramscale::Status s = (*b)->run();
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  const auto out = (*b)->output();
  ASSERT_EQ(out.size(), expected->values.size());
  EXPECT_EQ((*b)->output_shape(), expected->dims);
  double worst = 0;
  for (size_t i = 0; i < out.size(); ++i)
    worst = std::max(worst, double(std::fabs(out[i] - expected->values[i])));
  EXPECT_LE(worst, 1e-4);
  EXPECT_FALSE((*b)->version().empty());
  EXPECT_TRUE((*b)->allocator_stats().contains("available"));
}

INSTANTIATE_TEST_SUITE_P(Testdata, BackendMatchesTestdata,
                         ::testing::Values(Case{"ort", "test_Conv2d"},
                                           Case{"ort", "test_Conv2d_groups"},
                                           Case{"ort", "test_Conv2d_depthwise_strided"},
                                           Case{"ort", "test_Conv2d_dilated"},
                                           Case{"opencv", "test_Conv2d"},
                                           Case{"opencv", "test_Conv2d_groups"},
                                           Case{"opencv", "test_Conv2d_depthwise_strided"},
                                           Case{"opencv", "test_Conv2d_dilated"}),
                         case_name);

TEST(ModelInfo, RejectsNon4DInput) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const auto info = read_model_info(kData + "test_Conv1d/model.onnx");
  ASSERT_TRUE(info.ok()) << info.error().message;
  const auto shape = feed_shape(*info, 1);
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.error().message.find("4-D"), std::string::npos) << shape.error().message;
}

TEST(ModelInfo, FixedBatchMismatchIsBadInput) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const auto info = read_model_info(kData + "test_Conv2d/model.onnx");
  ASSERT_TRUE(info.ok());
  ASSERT_GT(info->input_shape[0], 0);
  const auto shape = feed_shape(*info, static_cast<int>(info->input_shape[0]) + 1);
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.error().exit_code, 2);
  EXPECT_GT(info->weight_bytes, 0);
}

TEST(ModelInfo, GarbageAndMissingFilesAreBadInput) {
  const std::string path = ::testing::TempDir() + "/garbage.onnx";
  std::ofstream(path) << "this is not a protobuf \xff\xff\xff\xff";
  auto g = read_model_info(path);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().exit_code, 2);
  auto m = read_model_info("/nonexistent/model.onnx");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("cannot read"), std::string::npos);
}

TEST(Backends, UnknownRuntimeAndOptionsAreBadInput) {
  BackendOptions o;
  o.runtime = "tensorrt";
  auto b = make_backend(o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("unknown runtime 'tensorrt'"), std::string::npos);
  o.runtime = "ort";
  o.opt_level = "max";
  EXPECT_FALSE(make_backend(o).ok());
}

}  // namespace
