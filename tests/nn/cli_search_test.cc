// paramscale search, run as a user would: trace and fit files, descent, stop-and-resume, bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nn/tiny_runs.h"

namespace {
// A small VGG-11 on the synthetic task: 192 images, 6 minibatches per epoch, a pruning step after
// every minibatch once warm-up is over. (Seeds 0-3 all give 18-28 trace rows and every beta >
// 0.13.)
const std::string kSettings = paramscale::test::kTinySearch +
                              "--prune-fraction 0.05 --frequency 1 --iterations 2 --threads 2 ";
const std::string kTinySearch = kSettings + "-q ";

std::vector<std::vector<int>> trace_rows(const std::string& path) {
  std::istringstream in(slurp(path));
  std::string line;
  std::getline(in, line);  // header
  EXPECT_EQ(line, "conv1,conv2,conv3,conv4,conv5,conv6,conv7,conv8,tau");
  std::vector<std::vector<int>> rows;
  while (std::getline(in, line)) {
    std::vector<int> row;
    std::istringstream cells(line);
    std::string cell;
    for (int i = 0; i < 8 && std::getline(cells, cell, ','); ++i) row.push_back(std::stoi(cell));
    rows.push_back(row);
  }
  return rows;
}
}  // namespace

TEST(CliSearch, WritesDecreasingTracesAndAFitThatScaleReads) {
  TempDir dir;
  const auto r = run_paramscale(kTinySearch + "-o " + (dir / "s"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 iterations"), std::string::npos) << r.out;
  for (int it = 1; it <= 2; ++it) {
    const auto rows = trace_rows(dir / ("s/trace_" + std::to_string(it) + ".csv"));
    ASSERT_GE(rows.size(), 2u);
    for (size_t i = 1; i < rows.size(); ++i) {
      int before = 0, after = 0;
      for (int l = 0; l < 8; ++l) {
        EXPECT_LE(rows[i][l], rows[i - 1][l]) << "row " << i << " width " << l;
        before += rows[i - 1][l], after += rows[i][l];
      }
      EXPECT_LT(after, before) << "row " << i;
    }
  }
  const auto fit = nlohmann::json::parse(slurp(dir / "s/fit.json"));
  ASSERT_EQ(fit["iterations"].size(), 2u);
  EXPECT_EQ(fit["model"], "vgg11");
  EXPECT_EQ(fit["count"], "true");
  EXPECT_EQ(fit["iterations"][1]["r2"].size(), 8u);
  const auto summary = nlohmann::json::parse(slurp(dir / "s/search.json"));
  EXPECT_EQ(summary["finished"], true);
  // Iteration 2 starts from iteration 1's fit at iteration 1's parameter count.
  EXPECT_NE(summary["iterations"][1]["start_widths"], summary["iterations"][0]["start_widths"]);
  const auto scaled = run_paramscale("scale --model vgg11 --method neuralscale --fit " +
                                     (dir / "s/fit.json") + " --budget width:0.5");
  EXPECT_EQ(scaled.exit_code, 0) << scaled.err;
}

TEST(CliSearch, StoppedAndResumedEqualsUninterrupted) {
  TempDir dir;
  ASSERT_EQ(run_paramscale(kTinySearch + "-o " + (dir / "a")).exit_code, 0);
  const auto stop = run_paramscale(kTinySearch + "--stop-after-steps 3 -o " + (dir / "b"));
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_NE(stop.out.find("stopped after 3 pruning steps"), std::string::npos) << stop.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "b/fit.json"));
  const auto resume = run_paramscale(kSettings + "--resume -o " + (dir / "b"));
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  // It continued from the third pruning step (6 warm-up minibatches + 3), not from the start.
  EXPECT_NE(resume.err.find("resuming iteration 1 at minibatch 9 (pruning step 3"),
            std::string::npos)
      << resume.err;
  // Warm-up ran once, for iteration 2: iteration 1's had finished before the stop.
  ASSERT_NE(resume.err.find("search iteration 2/2  warm-up epoch 1/1"), std::string::npos)
      << resume.err;
  EXPECT_EQ(resume.err.find("warm-up epoch"), resume.err.rfind("warm-up epoch")) << resume.err;
  for (const char* f : {"fit.json", "fit_1.json", "fit_2.json", "trace_1.csv", "trace_2.csv"})
    EXPECT_EQ(slurp(dir / (std::string("a/") + f)), slurp(dir / (std::string("b/") + f))) << f;
}

TEST(CliSearch, RefusesToOverwriteAndReportsACorruptCheckpoint) {
  TempDir dir;
  ASSERT_EQ(run_paramscale(kTinySearch + "--stop-after-steps 1 -o " + (dir / "s")).exit_code, 0);
  expect_one_line_error(run_paramscale(kTinySearch + "-o " + (dir / "s")), "already holds a search");
  expect_one_line_error(run_paramscale(kTinySearch + "--seed 7 --resume -o " + (dir / "s")),
                        "started with other settings");
  { std::ofstream(dir / "s/checkpoint.pt", std::ios::trunc) << "not a checkpoint"; }
  expect_one_line_error(run_paramscale(kTinySearch + "--resume -o " + (dir / "s")),
                        "corrupt or unreadable");
}

struct SearchBadInput {
  const char* args;
  const char* message_part;
};
class CliSearchBadInput : public ::testing::TestWithParam<SearchBadInput> {};

TEST_P(CliSearchBadInput, OneLineErrorExitCode2) {
  TempDir dir;
  expect_one_line_error(run_paramscale(std::string(GetParam().args) + " -o " + (dir / "s")),
                        GetParam().message_part);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliSearchBadInput,
    ::testing::Values(
        SearchBadInput{"search --model vgg13", "unknown model 'vgg13'"},
        SearchBadInput{"search --model vgg11 --iterations 0", "--iterations must be at least 1"},
        SearchBadInput{"search --model vgg11 --prune-fraction 1.5", "--prune-fraction must be in [0, 1)"},
        SearchBadInput{"search --model vgg11 --frequency 0", "--frequency must be at least 1"},
        SearchBadInput{"search --model vgg11 --stop-fraction 1", "--stop-fraction must be in (0, 1)"},
        SearchBadInput{"search --model vgg11 --count median", "unknown parameter count"},
        SearchBadInput{"search --model vgg11 --augment maybe", "--augment must be auto, on or off"},
        SearchBadInput{"search --model vgg11 --dataset synthetic --start-widths 8,8",
                 "vgg11 takes 8 widths, got 2"},
        SearchBadInput{"search --model vgg11 --dataset synthetic --start-widths 8,x,8,8,8,8,8,8", "'x'"},
        SearchBadInput{"search --model vgg11 --data-dir /nonexistent",
                 "cannot open dataset file /nonexistent/"},
        SearchBadInput{"search --model vgg11 --dataset synthetic --resume", "no search to resume"},
        SearchBadInput{"search --model vgg11 --dataset synthetic --subset 16 --batch-size 32",
                 "smaller than one batch"}));
