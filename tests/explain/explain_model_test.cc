// explain on real ONNX Runtime profiles: for all four families, uniform and NeuralScale, unaligned
// and aligned to 8, every convolution of the network is matched to exactly one profiled kernel and
// the per-layer times add up to the run (within the executor's own overhead). The CLI's bad input.
#include <gtest/gtest.h>

#include <fstream>

#include "explain/run.h"
#include "export/onnx_export.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace paramscale::test {
namespace {

struct Case {
  std::string model, dataset, fit;  // fit: under the reference fits, or "data:" for ours
};

// The NeuralScale fits: the authors' published ones (../shared/reference) and ResNet-50's own
// (data/fits in this repository, wherever it is cloned).
std::string fit_path(const Case& c) {
  if (c.fit.rfind("data:", 0) == 0)
    return std::string(PARAMSCALE_SOURCE_DIR) + "/data/fits/" + c.fit.substr(5);
  return reference_dir().empty() ? "" : reference_dir() + "/neuralscale/fits/" + c.fit;
}

class ExplainModel : public ::testing::TestWithParam<Case> {};

TEST_P(ExplainModel, EveryConvolutionMatchedOnceAndTimesAddUp) {
  const Case& c = GetParam();
  TempDir dir;
  std::vector<std::string> variants = {"--budget params:0.25", "--budget params:0.25 --align 8"};
  const std::string fit = fit_path(c);
  if (!fit.empty())
    for (const char* align : {"", " --align 8"})
      variants.push_back("--method neuralscale --fit " + fit + " --budget params:0.25" + align);
  else
    std::cerr << "NeuralScale variants skipped: reference fits not found\n";
  for (size_t v = 0; v < variants.size(); ++v) {
    const std::string path = dir / (std::to_string(v) + ".onnx");
    const auto r = run_paramscale("export --model " + c.model + " --dataset " + c.dataset + " " +
                                  variants[v] + " --seed 1 -o " + path);
    ASSERT_EQ(r.exit_code, 0) << variants[v] << ": " << r.err;
    const auto net = onnx_export::network_of_model(path);
    ASSERT_TRUE(net.ok() && net->has_value()) << "exported model has no network metadata";
    explain::ExplainRequest req;
    req.model = path;
    req.threads = 1;
    req.warmup_runs = 2;
    req.runs = 10;
    req.layers = explain::ir_layers(**net);
    const auto res = explain::explain_model(req);
    ASSERT_TRUE(res.ok()) << res.error().message;
    const explain::Explanation& e = res->explanation;
    EXPECT_TRUE(e.unmatched_ir_convs.empty())
        << variants[v] << ": " << e.unmatched_ir_convs.size() << " unmatched, first "
        << e.unmatched_ir_convs.front();
    // Every convolution/linear layer of the network has its row with exactly one kernel.
    for (const auto& l : req.layers) {
      if (!l.conv) continue;
      int kernels = -1;
      for (const auto& row : e.rows)
        if (row.layer == l.name) kernels = row.conv_nodes;
      EXPECT_EQ(kernels, 1) << variants[v] << ": " << l.name;
    }
    // Every node's time is in one row once: in every run the nodes add up to no more than the
    // run (2% for timer granularity). And the rows hold the run's work: in the least disturbed
    // run (the machine may be busy; ctest runs tests side by side) the nodes make at least half
    // of it, the rest being the executor between nodes — the stated tolerance.
    double best = 0;
    for (const auto& [nodes, run] : e.run_sums) {
      EXPECT_LE(nodes, 1.02 * run) << variants[v];
      best = std::max(best, nodes / run);
    }
    EXPECT_GE(best, 0.5) << variants[v];
    std::remove(res->trace_path.c_str());
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllFamilies, ExplainModel,
    ::testing::Values(Case{"vgg11", "cifar10", "vgg11_cifar10.json"},
                      Case{"mobilenetv2", "cifar100", "mobilenetv2_cifar100.json"},
                      Case{"preact_resnet18", "cifar100", "preact_resnet18_cifar100.json"},
                      Case{"resnet50", "fashion-mnist", "data:resnet50_fashion-mnist.json"}),
    [](const auto& info) { return info.param.model; });

TEST(ExplainCli, ForeignModelGetsAPerNodeTable) {
  const std::string model =
      "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx";
  const auto r = run_paramscale("explain " + model + " --runs 3 --no-peak --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no paramscale metadata"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| Conv"), std::string::npos) << r.out;
}

TEST(ExplainCli, BadInput) {
  expect_one_line_error(run_paramscale("explain /nonexistent.onnx --no-peak"), "cannot read");
  TempDir dir;
  ASSERT_EQ(run_paramscale("export --model vgg11 --dataset cifar10 --budget width:0.125 -o " +
                           (dir / "m.onnx"))
                .exit_code,
            0);
  expect_one_line_error(
      run_paramscale("explain " + (dir / "m.onnx") + " --runtime opencv --no-peak"),
      "no per-layer profiler");
  expect_one_line_error(run_paramscale("explain " + (dir / "m.onnx") + " --runs 1 --no-peak"),
                        "--runs must be at least 3");
  std::ofstream(dir / "garbage.onnx") << "not a model";
  expect_one_line_error(run_paramscale("explain " + (dir / "garbage.onnx") + " --no-peak"),
                        "not an ONNX model");
}

}  // namespace
}  // namespace paramscale::test
