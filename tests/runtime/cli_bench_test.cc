// paramscale bench, run as a user would: the table, the JSON file, and one-line errors with exit 2.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "support/run_command.h"

using paramscale::test::run_paramscale;
using paramscale::test::slurp;

namespace {
const std::string kModel =
    "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx";
const std::string kFast = " --warmup-runs 1 --warmup-ms 0 --min-runs 5 --min-seconds 0 ";
bool have_testdata() { return std::ifstream(kModel).good(); }
}  // namespace

TEST(CliBench, CrossProductTableAndJsonFile) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const std::string json_path = ::testing::TempDir() + "/bench.json";
  std::remove(json_path.c_str());
  const auto r =
      run_paramscale("bench " + kModel + " --runtime ort,opencv --threads 1,2 --batch 2" + kFast +
                     "--json " + json_path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| model"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("median ms"), std::string::npos);
  EXPECT_NE(r.out.find("runtime MB"), std::string::npos);
  const auto j = nlohmann::json::parse(slurp(json_path));
  ASSERT_EQ(j.size(), 4u);  // 2 runtimes x 2 thread counts
  EXPECT_EQ(j[0]["request"]["backend"]["runtime"], "ort");
  EXPECT_EQ(j[1]["request"]["backend"]["threads"], 2);
  EXPECT_EQ(j[2]["runtime"]["name"], "opencv-dnn");
  for (const auto& rec : j) EXPECT_GE(rec["latency_ms"]["runs"].get<int>(), 5);
}

TEST(CliBench, JsonlOnStdout) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const auto r =
      run_paramscale("bench " + kModel + " --batch 2 --opt-level basic,all --output jsonl" + kFast);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto rec = nlohmann::json::parse(line);
    EXPECT_EQ(rec["schema"], "paramscale.bench/1");
    ++n;
  }
  EXPECT_EQ(n, 2);
}

// --in-process: the measurement runs in the bench process itself (the device bundle under qemu, or
// a caller that starts one process per measurement), one cell only.
TEST(CliBench, InProcessMeasuresOneCellInTheBenchProcess) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const std::string json_path = ::testing::TempDir() + "/bench-in-process.json";
  std::remove(json_path.c_str());
  const auto r =
      run_paramscale("bench " + kModel + " --batch 2 --in-process --json " + json_path + kFast);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(json_path));
  std::remove(json_path.c_str());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["in_process"], true);
  EXPECT_GE(j[0]["latency_ms"]["runs"].get<int>(), 5);
  EXPECT_FALSE(j[0]["environment"]["glibc"].get<std::string>().empty());
}

TEST(CliBench, BadModelAmongGoodStillMeasuresTheRest) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const auto r = run_paramscale("bench /nonexistent.onnx " + kModel + " --batch 2" + kFast);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("model.onnx"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("cannot read '/nonexistent.onnx'"), std::string::npos) << r.err;
}

struct BadInput {
  std::string args;
  const char* message_part;
};

class CliBenchBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliBenchBadInput, OneLineErrorExitCode2NoJson) {
  const std::string json_path = ::testing::TempDir() + "/bad-bench.json";
  std::remove(json_path.c_str());
  const auto r = run_paramscale("bench " + GetParam().args + " --json " + json_path);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
  EXPECT_NE(r.err.find(GetParam().message_part), std::string::npos) << r.err;
  EXPECT_FALSE(std::ifstream(json_path).good()) << "a JSON file was written";
}

namespace {
std::string garbage_model() {
  const std::string p = ::testing::TempDir() + "/garbage.onnx";
  std::ofstream(p) << "not an onnx model at all \xff\xfe";
  return p;
}
std::string truncated_model() {
  const std::string p = ::testing::TempDir() + "/truncated.onnx";
  const std::string full = slurp(kModel);
  std::ofstream(p, std::ios::binary) << full.substr(0, full.size() / 2);
  return p;
}
const std::string kData = "/usr/share/libonnx-testdata/data/pytorch-converted/";
}  // namespace

INSTANTIATE_TEST_SUITE_P(
    Cases, CliBenchBadInput,
    ::testing::Values(BadInput{"/nonexistent/model.onnx", "cannot read '/nonexistent/model.onnx'"},
                      BadInput{garbage_model(), "garbage.onnx"},
                      BadInput{truncated_model(), "truncated.onnx"},
                      BadInput{kData + "test_Conv1d/model.onnx", "4-D"},
                      BadInput{kModel + " --batch 3", "fixed batch of 2"},
                      BadInput{kModel + " --runtime tensorrt", "unknown value 'tensorrt'"},
                      BadInput{kModel + " --runtime ort,", "empty entry"},
                      BadInput{kModel + " --threads 1,x", "'x' is not a positive integer"},
                      BadInput{kModel + " --threads 0", "'0' is not a positive integer"},
                      BadInput{kModel + " --batch 0", "'0' is not a positive integer"},
                      BadInput{kModel + " --opt-level max", "unknown value 'max'"},
                      BadInput{kModel + " --arena maybe", "unknown value 'maybe'"},
                      BadInput{kModel + " --min-runs 0", "--min-runs must be at least 1"},
                      BadInput{kModel + " --min-seconds -1", "--min-seconds"},
                      BadInput{kModel + " --warmup-runs -2", "--warmup-runs"},
                      BadInput{kModel + " --output xml", "--output"}, BadInput{"", "models"},
                      BadInput{kModel + " --batch 2 --threads 1,2 --in-process",
                               "--in-process measures one cell per process"}),
    [](const ::testing::TestParamInfo<BadInput>& p) { return "case" + std::to_string(p.index); });

// Without --batch, a model with a fixed batch dimension runs that batch; --batch overrides.
TEST(CliBench, FixedBatchIsTheDefault) {
  const std::string model =
      "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx";
  auto r = paramscale::test::run_paramscale(
      "bench " + model + " --threads 1 --min-seconds 0 --min-runs 3 --output json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)[0]["request"]["protocol"]["batch"], 2);
}
