// paramscale fit and scale, run as a user would: the published NeuralScale architectures, JSON
// fields, and one-line errors with exit code 2 for every kind of bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "support/run_command.h"

using paramscale::test::reference_dir;
using paramscale::test::run_paramscale;

namespace {

std::string fits() { return reference_dir() + "/neuralscale/fits/"; }
std::string traces() { return reference_dir() + "/neuralscale/traces/"; }

// A scratch directory with small (malformed or hand-made) input files for the bad-input cases.
const std::string& scratch() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/paramscale-cli-scale-XXXXXX";
    const std::string d = mkdtemp(tmpl);
    const auto put = [&](const char* name, const char* text) { std::ofstream(d + name) << text; };
    put("/malformed.json", "{\"iterations\": [");
    put("/seven.json", R"({"iterations": [{"alpha": [1,1,1,1,1,1,1], "beta": [1,1,1,1,1,1,1]}]})");
    put("/eight.json", R"({"model": "vgg11", "iterations": [{"iteration": 1,
        "alpha": [1,1,1,1,1,1,1,1], "beta": [0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]}]})");
    put("/negative_beta.json", R"({"iterations": [{"alpha": [1,1,1,1,1,1,1,1],
        "beta": [0.5,0.5,0.5,0.5,0.5,-0.1,0.5,0.5]}]})");
    put("/nan.csv", "1,2,3,4,5,6,7,8\n1,2,3,nan,5,6,7,8\n");
    put("/zero.csv", "1,2,3,4,5,6,7,8\n1,2,3,0,5,6,7,8\n");
    put("/ragged.csv", "1,2,3,4,5,6,7,8\n1,2,3\n");
    put("/seven.csv", "1,2,3,4,5,6,7\n2,3,4,5,6,7,8\n");
    put("/one_row.csv", "8,8,8,8,8,8,8,8\n");
    put("/good.csv", "8,8,8,8,8,8,8,8\n16,16,16,16,16,16,16,9\n");
    return d;
  }();
  return dir;
}

// "$T" in a case's arguments stands for the scratch directory.
std::string expand(std::string args) {
  for (size_t at; (at = args.find("$T")) != std::string::npos;) args.replace(at, 2, scratch());
  return args;
}

}  // namespace

TEST(CliFit, ReproducesThePublishedIteration15) {
  if (reference_dir().empty()) GTEST_SKIP() << "NeuralScale reference data not found";
  const auto r = run_paramscale("fit -m vgg11 -d cifar10 --count proxy --trace " + traces() +
                                "vgg_10_eff_c10_14.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = nlohmann::json::parse(r.out);
  std::ifstream in(fits() + "vgg11_cifar10.json");
  const auto want = nlohmann::json::parse(in)["iterations"][14];
  EXPECT_EQ(got["count"], "proxy");
  EXPECT_EQ(got["model"], "vgg11");
  ASSERT_EQ(got["iterations"].size(), 1u);
  const auto& it = got["iterations"][0];
  EXPECT_EQ(it["rows"], 237);
  ASSERT_EQ(it["r2"].size(), 8u);
  for (size_t l = 0; l < 8; ++l) {
    const double a = want["alpha"][l], b = want["beta"][l];
    EXPECT_NEAR(it["alpha"][l].get<double>(), a, 1e-9 * a);
    EXPECT_NEAR(it["beta"][l].get<double>(), b, 1e-9 * b);
  }
}

TEST(CliFit, WritesAFitFileThatScaleReads) {
  if (reference_dir().empty()) GTEST_SKIP() << "NeuralScale reference data not found";
  const std::string out = scratch() + "/mnv2_fit.json";
  const auto f = run_paramscale("fit -m mobilenetv2 -d cifar100 --count proxy -o " + out +
                                " --trace " + traces() + "mobilenetv2_10_eff_c100_0.csv " +
                                traces() + "mobilenetv2_10_eff_c100_14.csv");
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("iteration 2, 177 trace rows"), std::string::npos) << f.out;
  const auto s = run_paramscale("scale -m mobilenetv2 -d cifar100 --method neuralscale --fit " +
                                out + " --iteration 2 --count proxy --tau-rule paper --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(nlohmann::json::parse(s.out)["widths"],
            nlohmann::json({63, 69, 78, 87, 113, 120, 113, 132, 132, 122, 113, 100, 95, 90, 92, 89,
                            80, 84, 188}));
}

TEST(CliScale, PublishedVggWidthsAndJsonFields) {
  if (reference_dir().empty()) GTEST_SKIP() << "NeuralScale reference data not found";
  const auto r = run_paramscale("scale -m vgg11 -d cifar10 --method neuralscale --fit " + fits() +
                                "vgg11_cifar10.json --count proxy --budget width:1.0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["widths"], nlohmann::json({211, 392, 523, 615, 415, 278, 111, 120}));
  EXPECT_EQ(j["uniform_widths"], nlohmann::json({64, 128, 256, 256, 512, 512, 512, 512}));
  EXPECT_EQ(j["target_params"], 9231114);
  EXPECT_EQ(j["params"], 9232216);
  EXPECT_NEAR(j["relative_error"].get<double>(), (9232216.0 - 9231114) / 9231114, 1e-12);
  EXPECT_EQ(j["uniform"]["params"], 9231114);
  EXPECT_EQ(j["uniform"]["macs"], 152769536);
  EXPECT_GT(j["macs"].get<int64_t>(), 3 * j["uniform"]["macs"].get<int64_t>());
  EXPECT_GT(j["peak_activation_bytes"], j["uniform"]["peak_activation_bytes"]);
  EXPECT_EQ(j["fit"]["iteration"], 15);
  EXPECT_GT(j["tau"].get<double>(), 8747068.0);
  EXPECT_LT(j["tau"].get<double>(), 8765828.0);
  EXPECT_EQ(j["count"], "proxy");
}

TEST(CliScale, TextShowsBothMethodsSideBySide) {
  if (reference_dir().empty()) GTEST_SKIP() << "NeuralScale reference data not found";
  const auto r = run_paramscale("scale -m preact_resnet18 -d cifar100 --method neuralscale --fit " +
                                fits() + "preact_resnet18_cifar100.json --budget params:0.5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| neuralscale | uniform"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("layer4.1.out"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("peak activation MB (batch 1)"), std::string::npos) << r.out;
}

TEST(CliScale, UniformParamsBudget) {
  const auto r = run_paramscale("scale -m vgg11 --budget params:0.25 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["widths"], j["uniform_widths"]);
  EXPECT_EQ(j["target_params"], std::llround(0.25 * 9231114));
  EXPECT_LT(std::fabs(j["relative_error"].get<double>()), 0.01);
  EXPECT_FALSE(j.contains("tau"));
}

TEST(CliScale, AlignedNeuralScaleRecordsAlignment) {
  if (reference_dir().empty()) GTEST_SKIP() << "NeuralScale reference data not found";
  const auto r = run_paramscale("scale -m vgg11 -d cifar10 --method neuralscale --fit " + fits() +
                                "vgg11_cifar10.json --budget width:0.5 --align 8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["align"], 8);
  EXPECT_EQ(j["align_requested"], "8");
  EXPECT_LT(std::fabs(j["relative_error"].get<double>()), 0.01);
  for (int w : j["widths"]) EXPECT_EQ(w % 8, 0) << w;
  for (int w : j["uniform_widths"]) EXPECT_EQ(w % 8, 0) << w;
  EXPECT_EQ(j["params"], j["true_params"]);
}

TEST(CliScale, UniformAlignAndDefault) {
  // MobileNetV2 width:0.5 floors to 16, 8, 12, ... (not all multiples of 8); aligned they are.
  const auto a = run_paramscale("scale -m mobilenetv2 --budget width:0.5 --align 8 --json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto j = nlohmann::json::parse(a.out);
  for (int w : j["widths"]) EXPECT_EQ(w % 8, 0) << w;
  EXPECT_LT(std::fabs(j["relative_error"].get<double>()), 0.01);
  const auto d = run_paramscale("scale -m mobilenetv2 --budget width:0.5 --json");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const auto k = nlohmann::json::parse(d.out);
  EXPECT_EQ(k["align"], 1);
  EXPECT_EQ(k["relative_error"], 0.0);
  EXPECT_NE(k["widths"], j["widths"]);
}

TEST(CliScale, AlignAutoSaysWhichAndWhy) {
  const auto r = run_paramscale("scale -m vgg11 --budget width:0.5 --align auto");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("align: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(auto: "), std::string::npos) << r.out;
  const auto j = run_paramscale("arch -m vgg11 --budget width:0.3 --align auto --json --totals");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto a = nlohmann::json::parse(j.out);
  EXPECT_EQ(a["align_requested"], "auto");
  const int k = a["align"];
  EXPECT_TRUE(k == 1 || k == 4 || k == 8 || k == 16) << k;
  for (int w : a["widths"]) EXPECT_EQ(w % k, 0) << w;
}

struct ScaleBadInput {
  const char* args;
  const char* message_part;
};

class CliScaleBadInput : public ::testing::TestWithParam<ScaleBadInput> {};

TEST_P(CliScaleBadInput, OneLineErrorExitCode2) {
  const auto r = run_paramscale(expand(GetParam().args));
  paramscale::test::expect_one_line_error(r, GetParam().message_part);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliScaleBadInput,
    ::testing::Values(
        ScaleBadInput{"scale -m vgg11 --method neuralscale --fit $T/absent.json",
                 "cannot open fit file"},
        ScaleBadInput{"scale -m vgg11 --method neuralscale --fit $T/malformed.json", "not valid JSON"},
        ScaleBadInput{"scale -m vgg11 --method neuralscale --fit $T/seven.json", "7 widths, but vgg11"},
        ScaleBadInput{"scale -m vgg11 --method neuralscale --fit $T/eight.json --iteration 4",
                 "has no iteration 4"},
        ScaleBadInput{"scale -m mobilenetv2 --method neuralscale --fit $T/eight.json",
                 "is for model 'vgg11'"},
        ScaleBadInput{"scale -m vgg11 --method neuralscale --fit $T/negative_beta.json",
                 "layer 5 (conv6) has beta = -0.1 <= 0"},
        ScaleBadInput{"scale -m vgg11 --method neuralscale --fit $T/eight.json --budget params:1e-6",
                 "below the smallest network"},
        ScaleBadInput{"scale -m vgg11 --budget params:1e-6", "below the smallest network"},
        ScaleBadInput{"scale -m vgg11 --method neuralscale", "needs --fit FILE"},
        ScaleBadInput{"scale -m vgg11 --method magic", "unknown --method 'magic'"},
        ScaleBadInput{"scale -m vgg11 --fit $T/eight.json", "only used with --method neuralscale"},
        ScaleBadInput{"scale -m vgg11 --method neuralscale --fit $T/eight.json --tau-rule best",
                 "unknown tau rule 'best'"},
        ScaleBadInput{"scale -m vgg11 --method neuralscale --fit $T/eight.json --iteration -1",
                 "--iteration"},
        ScaleBadInput{"scale -m vgg11 --widths 1,2,3,4,5,6,7,8", "for explicit --widths"},
        ScaleBadInput{"scale -m vgg11 --budget width:nan", "not a number"},
        ScaleBadInput{"scale -m vgg11 --align 0", "--align must be in [1, 4096]"},
        ScaleBadInput{"scale -m vgg11 --align -3", "--align must be in [1, 4096]"},
        ScaleBadInput{"scale -m vgg11 --align x", "--align must be a positive integer or 'auto'"},
        ScaleBadInput{"arch -m vgg11 --align 0", "--align must be in"},
        ScaleBadInput{"export -m vgg11 --align x -o $T/x.onnx", "--align must be a positive integer"},
        ScaleBadInput{"arch -m vgg11 --widths 1,2,3,4,5,6,7,8 --align 8", "cannot be combined with"},
        ScaleBadInput{
            "scale -m vgg11 --method neuralscale --fit $T/eight.json --tau-rule paper --align 8",
            "cannot be combined with alignment"},
        ScaleBadInput{"fit -m vgg11 --trace $T/absent.csv", "cannot open trace file"},
        ScaleBadInput{"fit -m vgg11 --trace $T/nan.csv", "width 'nan' is not a positive integer"},
        ScaleBadInput{"fit -m vgg11 --trace $T/zero.csv", "line 2 column 4: width '0'"},
        ScaleBadInput{"fit -m vgg11 --trace $T/ragged.csv", "3 columns, expected 8"},
        ScaleBadInput{"fit -m vgg11 --trace $T/seven.csv", "7 widths per row, but vgg11 has 8"},
        ScaleBadInput{"fit -m vgg11 --trace $T/one_row.csv", "two or more rows"},
        ScaleBadInput{"fit -m vgg11 --trace $T/zero.csv --count median", "unknown parameter count"},
        ScaleBadInput{"fit -m vgg11", "--trace is required"},
        ScaleBadInput{"fit -m vgg11 --trace $T/good.csv -o /nonexistent/dir/fit.json",
                 "cannot write /nonexistent/dir/fit.json"}));
