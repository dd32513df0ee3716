// paramscale arch, run as a user would: output, JSON, and one-line errors with exit code 2.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/run_command.h"

using paramscale::test::run_paramscale;

TEST(CliArch, JsonTotalsMatchAnalysis) {
  const auto r = run_paramscale("arch --model vgg11 --dataset cifar10 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["totals"]["params"], 9231114);
  EXPECT_EQ(j["totals"]["macs"], 152769536);
  EXPECT_EQ(j["widths"].size(), 8u);
  EXPECT_EQ(j["layers"][0]["name"], "input");
}

TEST(CliArch, WidthBudgetFloorsBaseWidths) {
  const auto r = run_paramscale("arch --model vgg11 --budget width:0.25 --json --totals");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["widths"], nlohmann::json({16, 32, 64, 64, 128, 128, 128, 128}));
  EXPECT_FALSE(j.contains("layers"));
}

TEST(CliArch, AllModelsPrintsEveryFamily) {
  const auto r = run_paramscale("arch --model all --dataset fashion-mnist --totals --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[2]["model"], "mobilenetv2");
  EXPECT_FALSE(j[0].contains("layers"));
}

TEST(CliArch, ExplicitWidthsAreUsed) {
  const auto r = run_paramscale("arch --model vgg11 --widths 1,2,3,4,5,6,7,8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["widths"], nlohmann::json({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(j["budget"], "widths");
}

TEST(CliArch, TextTableNamesPeakLayer) {
  const auto r = run_paramscale("arch --model preact_resnet18 --batch 8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("peak activation MB (batch 8)"), std::string::npos);
  EXPECT_NE(r.out.find("layer4.1.conv2"), std::string::npos);
}

struct BadInput {
  const char* args;
  const char* message_part;
};

class CliArchBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliArchBadInput, OneLineErrorExitCode2) {
  const auto r = run_paramscale(GetParam().args);
  paramscale::test::expect_one_line_error(r, GetParam().message_part);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliArchBadInput,
    ::testing::Values(BadInput{"arch --model vgg13", "unknown model 'vgg13'"},
                      BadInput{"arch --model vgg11 --dataset mnist", "unknown dataset 'mnist'"},
                      BadInput{"arch --model vgg11 --budget 0.5", "malformed budget"},
                      BadInput{"arch --model vgg11 --budget width:abc", "not a number"},
                      BadInput{"arch --model vgg11 --budget params:-1", "out of range"},
                      BadInput{"arch --model vgg11 --budget width:0", "out of range"},
                      BadInput{"arch --model vgg11 --budget params:nan", "not a number"},
                      BadInput{"arch --model vgg11 --widths 1,2,3", "takes 8 widths, got 3"},
                      BadInput{"arch --model vgg11 --widths 1,2,3,4,5,6,7,0", "'0' is not a positive"},
                      BadInput{"arch --model vgg11 --widths 1,2,3,4,5,6,7,x", "'x' is not a positive"},
                      BadInput{"arch --model vgg11 --widths 1,2,3,4,5,6,7,8,", "empty entry"},
                      BadInput{"arch --model vgg11 --batch 0", "--batch"},
                      BadInput{"arch --model vgg11 --frobnicate", "--frobnicate"},
                      BadInput{"arch --model vgg11 --count median", "unknown parameter count"},
                      BadInput{"arch --model vgg11 --budget width:0.5 --widths 1,2", "excludes"},
                      BadInput{"arch", "--model is required"},
                      BadInput{"nosuchcommand", "nosuchcommand"}));
