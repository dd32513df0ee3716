// paramscale export, run as a user would: the summary line, the file it names, and bad input.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>

#include <fstream>

#include "arch/analysis.h"
#include "arch/families.h"
#include "arch/weights.h"
#include "support/run_command.h"

namespace paramscale {
namespace {

using test::run_command;
using test::run_paramscale;

class ExportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/paramscale-cli-export-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { run_command("rm -rf " + dir_); }
  std::string dir_;
};

std::string field(const std::string& line, const std::string& key) {
  const size_t at = line.find(" " + key + "=");
  if (at == std::string::npos) return "";
  const size_t from = at + key.size() + 2;
  return line.substr(from, line.find_first_of(" \n", from) - from);
}

arch::Network vgg_quarter() {
  return *arch::build_network(arch::Family::VGG11, *arch::dataset_preset("cifar10"),
                              {16, 32, 64, 64, 128, 128, 128, 128});
}

TEST_F(ExportCli, SummaryLineNamesFileParamsAndItsSha256) {
  const std::string out = dir_ + "/m.onnx";
  const auto r = run_paramscale("export --model vgg11 --budget width:0.25 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;
  EXPECT_EQ(r.out.rfind(out + ": vgg11 cifar10 width:0.25 uniform ", 0), 0u) << r.out;
  EXPECT_EQ(field(r.out, "params"), std::to_string(arch::param_count(vgg_quarter())));
  EXPECT_EQ(field(r.out, "weights"), "random:0");
  EXPECT_EQ(field(r.out, "batch"), "dynamic");
  EXPECT_EQ(field(r.out, "bn"), "kept");
  EXPECT_EQ(run_command("sha256sum " + out + " | cut -c1-64").out, field(r.out, "sha256") + "\n");
}

TEST_F(ExportCli, FoldedFixedBatchFromWeightsFileAndRunDirAgree) {
  const arch::Network net = vgg_quarter();
  ASSERT_TRUE(arch::write_weights(dir_ + "/w.psw", arch::random_weights(net, 42)).ok());
  const auto a = run_paramscale("export -m vgg11 -b width:0.25 --weights " + dir_ +
                                "/w.psw --fold-bn --batch 4 -o " + dir_ + "/a.onnx");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(field(a.out, "bn"), "folded:8");
  EXPECT_EQ(field(a.out, "batch"), "4");
  EXPECT_EQ(field(a.out, "weights"), "file:" + dir_ + "/w.psw");
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(test::slurp(dir_ + "/a.onnx")));
  EXPECT_EQ(model.graph().input(0).type().tensor_type().shape().dim(0).dim_value(), 4);

  const std::string run = dir_ + "/run";
  ASSERT_EQ(::mkdir(run.c_str(), 0755), 0);
  ASSERT_TRUE(arch::write_weights(run + "/weights.psw", arch::random_weights(net, 42)).ok());
  std::ofstream(run + "/arch.json")
      << R"({"model": "vgg11", "dataset": "cifar10", "widths": [16,32,64,64,128,128,128,128]})";
  const auto b =
      run_paramscale("export --run " + run + " --fold-bn --batch 4 -o " + dir_ + "/b.onnx");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(field(b.out, "weights"), "run:" + run);
  EXPECT_EQ(field(a.out, "sha256"), field(b.out, "sha256"));  // same network and weights
  const auto c = run_paramscale("export -m vgg11 -b width:0.25 --seed 42 --fold-bn --batch 4 -o " +
                                dir_ + "/c.onnx");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(field(a.out, "sha256"), field(c.out, "sha256"));
}

struct BadInput {
  const char* name;
  const char* args;  // {d} is replaced by the test's temp directory
  const char* message_part;
};

class ExportCliBadInput : public ExportCli, public ::testing::WithParamInterface<BadInput> {};

std::string expand(std::string s, const std::string& dir) {
  for (size_t at; (at = s.find("{d}")) != std::string::npos;) s.replace(at, 3, dir);
  return s;
}

TEST_P(ExportCliBadInput, OneLineErrorExitCode2NoFileLeft) {
  const arch::Network net = vgg_quarter();
  arch::Weights w = arch::random_weights(net, 0);
  ASSERT_TRUE(arch::write_weights(dir_ + "/good.psw", w).ok());
  w["features.conv2.weight"].shape = {32, 15, 3, 3};
  w["features.conv2.weight"].data.resize(32 * 15 * 9);
  ASSERT_TRUE(arch::write_weights(dir_ + "/wrong_shape.psw", w).ok());
  const std::string good = test::slurp(dir_ + "/good.psw");
  std::ofstream(dir_ + "/truncated.psw", std::ios::binary) << good.substr(0, good.size() - 10);
  std::ofstream(dir_ + "/bad_magic.psw", std::ios::binary) << "PSWEIGHX" << good.substr(8);
  ASSERT_EQ(::mkdir((dir_ + "/run").c_str(), 0755), 0);
  std::ofstream(dir_ + "/run/arch.json") << R"({"model": "vgg11", "dataset": "cifar10"})";

  const auto r = run_paramscale(expand(GetParam().args, dir_));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
  EXPECT_NE(r.err.find(expand(GetParam().message_part, dir_)), std::string::npos) << r.err;
  EXPECT_EQ(run_command("ls " + dir_ + " | grep -c onnx").out, "0\n") << "an output file was left";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ExportCliBadInput,
    ::testing::Values(
        BadInput{"WrongShapeWeights",
                 "export -m vgg11 -b width:0.25 --weights {d}/wrong_shape.psw -o {d}/m.onnx",
                 "'features.conv2.weight' has shape [32,15,3,3], the network needs [32,16,3,3]"},
        BadInput{"TruncatedWeights",
                 "export -m vgg11 -b width:0.25 --weights {d}/truncated.psw -o {d}/m.onnx",
                 "truncated"},
        BadInput{"BadMagic",
                 "export -m vgg11 -b width:0.25 --weights {d}/bad_magic.psw -o {d}/m.onnx",
                 "bad magic"},
        BadInput{"WeightsOfOtherBudget", "export -m vgg11 --weights {d}/good.psw -o {d}/m.onnx",
                 "the network needs"},
        BadInput{"MissingWeightsFile",
                 "export -m vgg11 -b width:0.25 --weights {d}/none.psw -o {d}/m.onnx",
                 "cannot open"},
        BadInput{"UnknownModel", "export -m vgg13 -o {d}/m.onnx", "unknown model 'vgg13'"},
        BadInput{"MissingRunDir", "export --run {d}/missing -o {d}/m.onnx",
                 "run directory {d}/missing does not exist"},
        BadInput{"RunDirArchJsonLacksWidths", "export --run {d}/run -o {d}/m.onnx",
                 "field 'widths'"},
        BadInput{"RunDirWithoutArchJson", "export --run {d} -o {d}/m.onnx",
                 "cannot open {d}/arch.json"},
        BadInput{"OutputDirMissing", "export -m vgg11 -b width:0.25 -o {d}/nodir/m.onnx",
                 "cannot write {d}/nodir/m.onnx"},
        BadInput{"OutputIsADirectory", "export -m vgg11 -b width:0.25 -o {d}", "cannot write"},
        BadInput{"BatchZero", "export -m vgg11 --batch 0 -o {d}/m.onnx", "--batch must be"},
        BadInput{"BatchNotANumber", "export -m vgg11 --batch two -o {d}/m.onnx", "--batch must be"},
        BadInput{"NoModelNoRun", "export -o {d}/m.onnx", "--model or --run is required"},
        BadInput{"RunAndModel", "export -m vgg11 --run {d}/run -o {d}/m.onnx", "excludes"},
        BadInput{"WeightsAndSeed", "export -m vgg11 --weights {d}/good.psw --seed 3 -o {d}/m.onnx",
                 "excludes"},
        BadInput{"UnknownMethod", "export -m vgg11 --method magic -o {d}/m.onnx", "--method"},
        BadInput{"NoOutput", "export -m vgg11", "--output is required"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace paramscale
