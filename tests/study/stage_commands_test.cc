// Every command line the study builds for its stages is accepted by the real CLI parser of the
// stage it calls (study/stage_commands.h): renaming a flag of scale, search, train, export,
// quantize, eval, bench or explain fails this test instead of every study. PARAMSCALE_PARSE_ONLY
// makes paramscale stop after parsing.
#include "study/stage_commands.h"

#include <gtest/gtest.h>

#include "device/registry.h"
#include "support/run_command.h"

namespace paramscale::study {
namespace {

std::string quoted(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += " '" + a + "'";
  return s;
}

test::CommandResult parse(const std::vector<std::string>& args) {
  return test::run_command(std::string("PARAMSCALE_PARSE_ONLY=1 ") + PARAMSCALE_BINARY +
                           quoted(args));
}

bool has_command(const std::string& name) {
  return test::run_command(std::string(PARAMSCALE_BINARY) + " " + name + " --help").exit_code == 0;
}

StudyConfig everything() {
  StudyConfig c;
  c.dataset = "cifar10";
  c.train.enabled = true;
  c.train.subset = 100;
  c.train.test_subset = 50;
  c.train.data_dir = "/data/cifar";
  c.bench.batch = 2;
  c.explain.runs = 7;
  return c;
}

TEST(StageCommands, TheParserAcceptsEveryOne) {
  const StudyConfig c = everything();
  const Cell ns{"vgg11", "neuralscale", "params:0.25", 3, "ort", 2, "all", 8, "local"};
  const Cell remote{"vgg11", "uniform", "params:0.5", 0, "ort", 0, "extended", 1, "pi4"};
  const Cell torch{"mobilenetv2", "uniform", "width:0.5", 0, "torch", 1, "default", 1, "local"};
  const std::vector<int> widths = {8, 16, 32, 32, 64, 64, 64, 64};
  std::vector<std::vector<std::string>> lines = {
      scale_args(c, ns, "fit.json"),
      export_args(c, ns, widths, "runs/x", "m.onnx"),
      bench_args(c, ns, "m.onnx", "b.json", "devices.json"),
      bench_args(c, remote, "m.onnx", "b.json", "devices.json"),
      bench_args(c, torch, "runs/x", "b.json", "devices.json"),
      explain_args(c, ns, "m.onnx", "e.json")};
  StudyConfig deployment = c;
  deployment.train.enabled = false;
  lines.push_back(export_args(deployment, ns, widths, "runs/x", "m.onnx"));
  if (has_command("train")) {  // builds with libtorch
    lines.push_back(train_args(c, ns, widths, "runs/x", false));
    lines.push_back(train_args(c, ns, widths, "runs/x", true));
    lines.push_back(search_args(c, "vgg11", "search/vgg11", true, 1));
    lines.push_back(train_args(c, ns, widths, "runs/x", true, 1));  // study --jobs N
    // quantize and eval are in the libtorch builds too (they read datasets through nn/).
    Cell int8 = ns;
    int8.precision = "int8";
    lines.push_back(quantize_args(c, int8, "runs/x", "q.onnx", "q.json"));
    lines.push_back(quantize_args(deployment, int8, "m.onnx", "q.onnx", "q.json"));
    lines.push_back(eval_args(c, "m.onnx", "e.json"));
  }
  for (const auto& args : lines) {
    const auto r = parse(args);
    EXPECT_EQ(r.exit_code, 0) << quoted(args) << ": " << r.err;
  }
  // The check is real: an unknown flag on the same line is refused.
  auto bad = lines.front();
  bad.push_back("--no-such-flag");
  EXPECT_EQ(parse(bad).exit_code, 2);
}

TEST(StageCommands, BenchOnADeviceNamesItAndAllCores) {
  const Cell remote{"vgg11", "uniform", "params:0.5", 0, "ort", 0, "all", 1, "pi4"};
  const auto args = bench_args(StudyConfig{}, remote, "m.onnx", "b.json", "d.json");
  const std::string line = quoted(args);
  EXPECT_NE(line.find("'--threads' 'all'"), std::string::npos) << line;
  EXPECT_NE(line.find("'--device' 'pi4' '--devices' 'd.json'"), std::string::npos) << line;
}

}  // namespace
}  // namespace paramscale::study
