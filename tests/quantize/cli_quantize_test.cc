// paramscale quantize and paramscale eval, run as a user would: a small VGG-11 trained on a
// Fashion-MNIST subset is evaluated through libtorch and ONNX Runtime (equal within 0.1 point),
// quantized (ONNX Runtime runs every convolution as an int8 kernel) and evaluated again; every bad
// input of the issue is one line on stderr, exit code 2, and no output file.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "arch/families.h"
#include "arch/weights.h"
#include "export/onnx_export.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using nlohmann::json;
using paramscale::test::expect_one_line_error;
using paramscale::test::run_paramscale;
using paramscale::test::slurp;
using paramscale::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

// A VGG-11 small enough to train in seconds, trained once for every test of this file.
class TrainedRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kFashion)) return;
    dir_ = new TempDir();
    const auto r = run_paramscale(
        "train --model vgg11 --dataset fashion-mnist --widths 8,16,32,32,32,32,32,32 "
        "--epochs 1 --subset 3000 --test-subset 1000 --batch-size 64 --lr 0.05 --momentum 0.9 "
        "--threads 2 -q -o " +
        (*dir_ / "run"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!fs::exists(kFashion))
      GTEST_SKIP() << "Fashion-MNIST is not installed (dataset-fashion-mnist)";
  }
  static std::string run() { return *dir_ / "run"; }
  static std::string path(const std::string& name) { return *dir_ / name; }
  static json eval(const std::string& model, const std::string& runtime, const std::string& out) {
    const auto r = run_paramscale("eval " + model + " --dataset fashion-mnist --subset 1000 " +
                                  "--runtime " + runtime + " --threads 2 --json " + path(out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("top-1"), std::string::npos) << r.out;
    return json::parse(slurp(path(out)));
  }
  static TempDir* dir_;
};
TempDir* TrainedRun::dir_ = nullptr;

TEST_F(TrainedRun, OrtAccuracyEqualsLibtorchWithinATenthOfAPoint) {
  const json torch = eval(run(), "torch", "torch.json");
  const json ort = eval(run(), "ort", "ort.json");
  EXPECT_EQ(torch["dataset"]["images"], 1000);
  EXPECT_EQ(ort["dataset"]["images"], 1000);
  EXPECT_EQ(ort["runtime"]["name"], "onnxruntime");
  EXPECT_TRUE(ort["top5"].is_null());  // 10 classes: top-1 only
  EXPECT_LE(std::fabs(ort["top1"].get<double>() - torch["top1"].get<double>()), 0.001);
  // libtorch through eval is the trainer's own evaluation of the same 1,000 test images.
  const json summary = json::parse(slurp(run() + "/summary.json"));
  EXPECT_LE(std::fabs(torch["top1"].get<double>() - summary["final_test_accuracy"].get<double>()),
            0.001);
  EXPECT_GT(ort["top1"].get<double>(), 0.5);  // it learned something: the comparison means it
}

TEST_F(TrainedRun, QuantizedModelRunsInt8KernelsAndKeepsItsAccuracy) {
  const auto q = run_paramscale("quantize " + run() + " -o " + path("int8.onnx") +
                                " --dataset fashion-mnist --calibration-images 256 --threads 2 "
                                "--json " +
                                path("int8.json"));
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("ONNX Runtime runs 8/8 convolutions as int8 kernels"), std::string::npos)
      << q.out;
  const json rec = json::parse(slurp(path("int8.json")));
  EXPECT_EQ(rec["schema"], "paramscale.quantize/1");
  EXPECT_EQ(rec["folded_batchnorms"], 8);
  EXPECT_EQ(rec["quantized_convs"], 8);
  EXPECT_EQ(rec["onnx_runtime"]["int8_convs"], 8);
  EXPECT_EQ(rec["calibration_data"]["split"], "train");
  EXPECT_EQ(rec["calibration_data"]["images"], 256);
  EXPECT_TRUE(rec["reduce_range"]["reason"].get<std::string>().rfind("auto: ", 0) == 0);
  // The model carries how it was made.
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(slurp(path("int8.onnx"))));
  // (next to the export's own metadata, kept)
  int quantization = -1;
  for (int i = 0; i < m.metadata_props_size(); ++i)
    if (m.metadata_props(i).key() == "paramscale.quantization") quantization = i;
  ASSERT_GE(quantization, 0) << "no paramscale.quantization metadata";
  EXPECT_EQ(json::parse(m.metadata_props(quantization).value())["calibration"]["method"], "minmax");
  // INT8 through ONNX Runtime within 2 points of FP32 through ONNX Runtime on this small network.
  const json fp32 = eval(run(), "ort", "fp32-eval.json");
  const json int8 = eval(path("int8.onnx"), "ort", "int8-eval.json");
  EXPECT_LE(std::fabs(int8["top1"].get<double>() - fp32["top1"].get<double>()), 0.02)
      << "fp32 " << fp32["top1"] << " int8 " << int8["top1"];
  // Quantizing its output again is refused.
  expect_one_line_error(run_paramscale("quantize " + path("int8.onnx") + " -o " +
                                       path("again.onnx") + " --dataset fashion-mnist"),
                        "already quantized");
  EXPECT_FALSE(fs::exists(path("again.onnx")));
}

// A model file written by the test: an export of `net` (seeded weights), optionally spoiled.
std::string write_model(const TempDir& dir, const std::string& name, const std::string& dataset,
                        bool nan_weight = false) {
  using namespace paramscale;
  const auto net = *arch::build_network(arch::Family::VGG11, *arch::dataset_preset(dataset),
                                        {4, 4, 4, 4, 4, 4, 4, 4});
  arch::Weights w = arch::random_weights(net, 1);
  if (nan_weight) w.at("features.conv1.weight").data[0] = std::nanf("");
  const std::string path = dir / name;
  EXPECT_TRUE(onnx_export::write_onnx(path, net, w).ok());
  return path;
}

// A model with a 4-D input and no Conv, or a 2-D input.
std::string write_graph(const TempDir& dir, const std::string& name, std::vector<int64_t> input,
                        const std::string& op) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* in = g->add_input();
  in->set_name("input");
  in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : input)
    in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(d);
  auto* n = g->add_node();
  n->set_op_type(op);
  n->add_input("input");
  n->add_output("logits");
  auto* out = g->add_output();
  out->set_name("logits");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  const std::string path = dir / name;
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  return path;
}

TEST(CliQuantizeBadInput, OneLineErrorExitCode2AndNothingWritten) {
  TempDir dir;
  const std::string cifar = write_model(dir, "cifar.onnx", "cifar10");
  const std::string fashion = write_model(dir, "fashion.onnx", "fashion-mnist");
  const std::string nan = write_model(dir, "nan.onnx", "fashion-mnist", true);
  const std::string no_conv = write_graph(dir, "pool.onnx", {1, 3, 8, 8}, "GlobalAveragePool");
  const std::string flat = write_graph(dir, "flat.onnx", {1, 16}, "Relu");
  const std::string out = dir / "out.onnx";
  const bool fashion_installed = fs::exists(kFashion);
  struct Case {
    std::string args, message;
    bool needs_fashion;
  };
  const std::vector<Case> cases = {
      {no_conv + " --random-calibration", "no Conv", false},
      {flat + " --random-calibration", "4-D", false},
      {cifar + " --dataset fashion-mnist", "channel count differs", true},
      {fashion + " --dataset synthetic", "channel count differs", false},
      {cifar + " --dataset synthetic --calibration-images 8", "at least 16", false},
      {cifar + " --dataset synthetic --calibration-images 600", "more than the 512", false},
      {cifar + " --dataset cifar10", "--data-dir is required", false},
      {fashion + " --dataset fashion-mnist --data-dir " + (dir / "none"), "cannot open dataset",
       false},
      {nan + " --dataset fashion-mnist", "NaN or Inf", true},
      {cifar, "--dataset D", false},
      {cifar + " --dataset synthetic --calibration entropic", "'entropic'", false},
      {cifar + " --dataset synthetic --activations u4", "'u4'", false},
      {cifar + " --dataset synthetic --reduce-range maybe", "'maybe'", false},
      {dir / "missing.onnx" + std::string(" --random-calibration"), "cannot read", false},
  };
  for (const Case& c : cases) {
    if (c.needs_fashion && !fashion_installed) continue;
    SCOPED_TRACE(c.args);
    expect_one_line_error(run_paramscale("quantize " + c.args + " -o " + out), c.message);
    EXPECT_FALSE(fs::exists(out));
  }
}

TEST(CliEvalBadInput, OneLineErrorExitCode2) {
  TempDir dir;
  const std::string cifar = write_model(dir, "cifar.onnx", "cifar10");
  const std::string fashion = write_model(dir, "fashion.onnx", "fashion-mnist");
  expect_one_line_error(run_paramscale("eval " + fashion + " --dataset synthetic"),
                        "channel count differs");
  expect_one_line_error(run_paramscale("eval " + cifar + " --dataset cifar10"),
                        "--data-dir is required");
  expect_one_line_error(run_paramscale("eval " + cifar + " --dataset synthetic --runtime torch"),
                        "training run directory");
  expect_one_line_error(run_paramscale("eval " + cifar + " --dataset synthetic --runtime tpu"),
                        "unknown runtime 'tpu'");
  expect_one_line_error(run_paramscale("eval " + (dir / "missing.onnx") + " --dataset synthetic"),
                        "cannot read");
  expect_one_line_error(run_paramscale("eval " + cifar + " --dataset synthetic --subset -1"),
                        "--subset");
}

TEST(CliEval, PaddedLastBatchCountsEveryImageOnce) {
  // 256 synthetic test images: batch 100 runs two full batches and one padded to 100; batch 64
  // divides them evenly. The padding's outputs must not count, so both agree exactly.
  TempDir dir;
  const std::string cifar = write_model(dir, "cifar.onnx", "cifar10");
  json e[2];
  for (int i = 0; i < 2; ++i) {
    const std::string out = dir / ("e" + std::to_string(i) + ".json");
    const auto r = run_paramscale("eval " + cifar + " --dataset synthetic --threads 1 --batch " +
                                  (i == 0 ? "100" : "64") + " --json " + out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    e[i] = json::parse(slurp(out));
  }
  EXPECT_EQ(e[0]["schema"], "paramscale.eval/1");
  EXPECT_EQ(e[0]["batch"], 100);
  EXPECT_EQ(e[0]["dataset"]["images"], 256);
  EXPECT_EQ(e[1]["dataset"]["images"], 256);
  EXPECT_EQ(e[0]["top1_correct"], e[1]["top1_correct"]);
}

}  // namespace
