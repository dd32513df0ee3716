// paramscale train, run as a user would: output files and one-line errors with exit code 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "nn/tiny_runs.h"

namespace {
const std::string kTiny =
    paramscale::test::kTinyTrain + "--threads 2 --batch-size 32 --subset 192 -q ";
}

TEST(CliTrain, WritesRunDirectory) {
  TempDir dir;
  const auto r = run_paramscale(kTiny + "--epochs 2 --val 32 --momentum 0.9 --schedule cosine -o " +
                                (dir / "run"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos);
  const auto arch = nlohmann::json::parse(slurp(dir / "run/arch.json"));
  EXPECT_EQ(arch["model"], "vgg11");
  EXPECT_EQ(arch["dataset"], "synthetic");
  EXPECT_EQ(arch["widths"], nlohmann::json({8, 8, 16, 16, 16, 16, 16, 16}));
  EXPECT_EQ(arch["method"], "uniform");
  EXPECT_EQ(arch["budget"], "widths");
  const auto sum = nlohmann::json::parse(slurp(dir / "run/summary.json"));
  for (const char* key : {"final_test_accuracy", "best_test_accuracy", "images_per_second",
                          "train_seconds", "total_seconds", "settings"})
    EXPECT_TRUE(sum.contains(key)) << key;
  EXPECT_EQ(sum["best_selected_by"], "validation");
  EXPECT_EQ(sum["settings"]["threads"], 2);
  EXPECT_EQ(sum["settings"]["val_images"], 32);
  EXPECT_EQ(sum["settings"]["train_images"], 192);
  EXPECT_TRUE(std::filesystem::exists(dir / "run/weights.psw"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/log.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/checkpoint.pt"));
}

TEST(CliTrain, StopAndResumeMatchesUninterrupted) {
  TempDir dir;
  ASSERT_EQ(run_paramscale(kTiny + "--epochs 2 -o " + (dir / "a")).exit_code, 0);
  const auto stop = run_paramscale(kTiny + "--epochs 2 --stop-after 1 -o " + (dir / "b"));
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_NE(stop.out.find("stopped after epoch 1 of 2"), std::string::npos);
  const auto resume = run_paramscale(kTiny + "--epochs 2 --resume -o " + (dir / "b"));
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(slurp(dir / "a/weights.psw"), slurp(dir / "b/weights.psw"));
}

struct BadInput {
  const char* args;
  const char* message_part;
};

class CliTrainBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliTrainBadInput, OneLineErrorExitCode2) {
  TempDir dir;
  const auto r = run_paramscale(std::string(GetParam().args) + " -o " + (dir / "run"));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
  EXPECT_NE(r.err.find(GetParam().message_part), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliTrainBadInput,
    ::testing::Values(
        BadInput{"train --model vgg11 --epochs 0", "--epochs must be positive"},
        BadInput{"train --model vgg11 --epochs -3", "--epochs must be positive"},
        BadInput{"train --model vgg11 --batch-size 0", "--batch-size must be at least 2"},
        BadInput{"train --model vgg11 --lr 0", "--lr must be a positive"},
        BadInput{"train --model vgg11 --schedule step", "unknown --schedule 'step'"},
        BadInput{"train --model vgg11 --augment maybe", "--augment must be auto, on or off"},
        BadInput{"train --model vgg11 --milestones 5,x", "'x' is not a positive"},
        BadInput{"train --model vgg11 --epochs 10 --milestones 10", "--milestones entries"},
        BadInput{"train --model vgg11 --subset -5", "--subset must be positive"},
        BadInput{"train --model vgg13", "unknown model 'vgg13'"},
        BadInput{"train --model vgg11 --budget params:2x", "not a number"},
        BadInput{"train --model vgg11 --method magic", "unknown --method 'magic'"},
        BadInput{"train --model vgg11 --data-dir /nonexistent",
                 "cannot open dataset file /nonexistent/"},
        BadInput{"train --model vgg11 --dataset cifar10", "--data-dir is required for cifar10"},
        BadInput{"train --model vgg11 --dataset tinyimagenet",
                 "--data-dir is required for tinyimagenet"},
        BadInput{"train --model vgg11 --dataset tinyimagenet --data-dir /nonexistent",
                 "cannot open dataset file /nonexistent/wnids.txt"},
        BadInput{"train --model vgg11 --dataset synthetic --widths 2,2,2,2,2,2,2,2 --device tpu",
                 "unknown --device 'tpu'"},
        BadInput{"train --model vgg11 --dataset synthetic --widths 2,2,2,2,2,2,2,2 --device cuda",
                 "no CUDA device"},
        BadInput{"train --model vgg11 --dataset synthetic --resume", "no checkpoint to resume"},
        BadInput{"train --model vgg11 --dataset synthetic --subset 100000", "larger than the"},
        BadInput{"train --model vgg11 --dataset synthetic --val 512",
                 "leaves no training images"}));
