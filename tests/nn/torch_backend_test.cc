// The libtorch bench backend (runtime/torch_backend.cc) runs a training run directory eagerly: its
// logits equal ONNX Runtime's on the exported model, measure() records the directory by its
// weights, the wrong kind of model for a runtime is a one-line bad-input error, and `paramscale
// bench` on a run directory measures it on libtorch and (through an export) on ONNX Runtime side by
// side.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "arch/families.h"
#include "arch/weights.h"
#include "export/onnx_export.h"
#include "runtime/backend.h"
#include "runtime/measure.h"
#include "scaling/budget.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "util/sha256.h"

using namespace paramscale;

namespace {

// A run directory as training leaves it (arch.json + weights.psw), with seeded random weights, and
// the same network exported to model.onnx beside it.
std::string make_run_dir(const test::TempDir& tmp, arch::Family family, const std::string& name) {
  const auto dataset = *arch::dataset_preset("cifar10");
  const auto widths = scaling::uniform_widths(arch::base_widths(family), 0.25);
  const arch::Network net = *arch::build_network(family, dataset, widths);
  const arch::Weights w = arch::random_weights(net, 11);
  const std::string dir = tmp / name;
  EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
  EXPECT_TRUE(arch::write_weights(dir + "/weights.psw", w).ok());
  std::ofstream(dir + "/arch.json") << nlohmann::json{
      {"model", arch::family_name(family)},
      {"dataset", "cifar10"},
      {"widths", widths}}.dump();
  EXPECT_TRUE(onnx_export::write_onnx(tmp / (name + ".onnx"), net, w).ok());
  return dir;
}

std::vector<float> run_backend(const std::string& runtime, const std::string& path,
                               std::vector<int64_t>* shape_out) {
  runtime::BackendOptions o;
  o.runtime = runtime;
  auto b = runtime::make_backend(o);
  EXPECT_TRUE(b.ok());
  const std::vector<int64_t> shape = {2, 3, 32, 32};
  const Status loaded = (*b)->load(path, shape);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE((*b)->set_input(runtime::seeded_input(2 * 3 * 32 * 32, 5)).ok());
  const Status ran = (*b)->run();
  EXPECT_TRUE(ran.ok()) << ran.error().message;
  *shape_out = (*b)->output_shape();
  return (*b)->output();
}

runtime::MeasureRequest quick_request(const std::string& path, const std::string& runtime) {
  runtime::MeasureRequest r;
  r.model_path = path;
  r.backend.runtime = runtime;
  r.protocol.warmup_runs = 1;
  r.protocol.warmup_ms = 0;
  r.protocol.min_runs = 3;
  r.protocol.min_seconds = 0;
  return r;
}

}  // namespace

class TorchBackendParity : public ::testing::TestWithParam<arch::Family> {};

TEST_P(TorchBackendParity, LogitsEqualOrtOnTheExport) {
  test::TempDir tmp;
  const std::string dir = make_run_dir(tmp, GetParam(), "run");
  std::vector<int64_t> torch_shape, ort_shape;
  const auto torch_out = run_backend("torch", dir, &torch_shape);
  const auto ort_out = run_backend("ort", tmp / "run.onnx", &ort_shape);
  ASSERT_EQ(torch_shape, (std::vector<int64_t>{2, 10}));
  ASSERT_EQ(ort_shape, torch_shape);
  ASSERT_EQ(torch_out.size(), ort_out.size());
  double max_diff = 0, max_abs = 0;
  for (size_t i = 0; i < torch_out.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(double(torch_out[i]) - ort_out[i]));
    max_abs = std::max(max_abs, std::fabs(double(torch_out[i])));
  }
  // float32 through two kernel libraries: agree to 1e-4 relative to the logits' scale (seeded
  // ResNet-50 logits can be large; 1e-4 absolute would then be a few float ulps).
  EXPECT_LE(max_diff, 1e-4 * std::max(1.0, max_abs))
      << arch::family_name(GetParam()) << ": max |logit| " << max_abs;
  EXPECT_GT(max_abs, 1e-3);  // not a vacuous comparison of zeros
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, TorchBackendParity,
                         ::testing::ValuesIn(arch::all_families()));

TEST(TorchBackend, MeasureRecordsTheRunDirectoryByItsWeights) {
  test::TempDir tmp;
  const std::string dir = make_run_dir(tmp, arch::Family::VGG11, "run");
  auto rec = runtime::measure(quick_request(dir, "torch"));
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  const auto& r = *rec;
  EXPECT_EQ(r["model"]["format"], "run directory");
  EXPECT_EQ(r["model"]["sha256"], *sha256_file(dir + "/weights.psw"));
  EXPECT_EQ(r["model"]["input_shape"], (std::vector<int64_t>{1, 3, 32, 32}));
  const auto net =
      *arch::build_network(arch::Family::VGG11, *arch::dataset_preset("cifar10"),
                           scaling::uniform_widths(arch::base_widths(arch::Family::VGG11), 0.25));
  int64_t floats = 0;
  for (const auto& [name, t] : arch::weight_shapes(net)) floats += t.elements();
  EXPECT_EQ(r["model"]["weight_bytes"], floats * 4);
  EXPECT_EQ(r["runtime"]["name"], "libtorch");
  EXPECT_EQ(r["runtime"]["options"]["threads"], 1);
  EXPECT_EQ(r["runtime"]["options"]["mode"], "eager");
  EXPECT_GE(r["latency_ms"]["runs"].get<int>(), 3);
  EXPECT_EQ(r["output"]["shape"], (std::vector<int64_t>{1, 10}));
  EXPECT_FALSE(r.contains("layout"));  // the NCHWc probe is ORT's
}

TEST(TorchBackend, WrongModelKindForTheRuntimeIsBadInput) {
  test::TempDir tmp;
  const std::string dir = make_run_dir(tmp, arch::Family::VGG11, "run");
  auto torch_onnx = runtime::measure(quick_request(tmp / "run.onnx", "torch"));
  ASSERT_FALSE(torch_onnx.ok());
  EXPECT_EQ(torch_onnx.error().exit_code, 2);
  EXPECT_NE(torch_onnx.error().message.find("runs a training run directory"), std::string::npos)
      << torch_onnx.error().message;
  auto ort_dir = runtime::measure(quick_request(dir, "ort"));
  ASSERT_FALSE(ort_dir.ok());
  EXPECT_NE(ort_dir.error().message.find("needs an .onnx file"), std::string::npos);

  ASSERT_EQ(std::remove((dir + "/weights.psw").c_str()), 0);
  auto no_weights = runtime::measure(quick_request(dir, "torch"));
  ASSERT_FALSE(no_weights.ok());
  EXPECT_NE(no_weights.error().message.find("weights.psw"), std::string::npos)
      << no_weights.error().message;
  EXPECT_EQ(no_weights.error().message.find('\n'), std::string::npos);
}

TEST(TorchBackend, BenchMeasuresARunDirectoryOnTorchAndThroughItsExportOnOrt) {
  test::TempDir tmp;
  const std::string dir = make_run_dir(tmp, arch::Family::MobileNetV2, "run");
  const auto r = test::run_command(std::string(PARAMSCALE_BINARY) + " bench " + dir +
                                   " --runtime torch,ort --threads 1 --warmup-runs 1 --warmup-ms 0"
                                   " --min-runs 3 --min-seconds 0 --output json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = nlohmann::json::parse(r.out);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["runtime"]["name"], "libtorch");
  EXPECT_EQ(records[0]["model"]["path"], dir);
  EXPECT_EQ(records[1]["runtime"]["name"], "onnxruntime");
  EXPECT_EQ(records[1]["model"]["exported_from"], dir);
  EXPECT_EQ(records[1]["model"]["format"], "onnx");
  // The export is what `paramscale export --run` writes: the same bytes as the one beside the run.
  EXPECT_EQ(records[1]["model"]["sha256"], *sha256_file(tmp / "run.onnx"));
  const auto net = *arch::build_network(
      arch::Family::MobileNetV2, *arch::dataset_preset("cifar10"),
      scaling::uniform_widths(arch::base_widths(arch::Family::MobileNetV2), 0.25));
  int convs = 0;
  for (const auto& l : net.layers) convs += l.op == arch::Op::Conv;
  EXPECT_EQ(records[1]["layout"]["convs"], convs);
}
