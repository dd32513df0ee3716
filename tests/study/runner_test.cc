// The study runner's promises, with a scripted stand-in for the stage commands (so these tests
// exercise scheduling, locking and resume, not training or ONNX Runtime): a study killed with
// SIGKILL resumes losing and duplicating nothing, and two study processes share one directory.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "study/store.h"
#include "support/run_command.h"

namespace fs = std::filesystem;
using paramscale::test::run_command;

namespace {
const char* kFakeStages = R"(#!/bin/bash
# Stand-in for paramscale's stage commands: writes what each stage writes, atomically.
cmd=$1; shift
out=""; json=""; model=""; fit=""; align=""
while [ $# -gt 0 ]; do
  case "$1" in -o) out=$2; shift;; --json) json=$2;; --fit) fit=$2; shift;; --align) align=$2; shift;; esac
  [ "$cmd" = bench ] && [ -z "$model" ] && model=$1
  shift
done
case "$cmd" in
  scale) echo "$fit" >> "$FAKE_COUNTER.fits"; echo "$align" >> "$FAKE_COUNTER.aligns"
    echo '{"widths":[9,9,9,9,9,9,9,9]}';;
  search)
    echo "$out" >> "$FAKE_COUNTER.searches"
    mkdir -p "$out" && echo '{}' > "$out/fit.json" && echo '{"finished":true,"iterations":[]}' > "$out/search.json";;
  train) mkdir -p "$out" && echo '{"final_test_accuracy":0.5,"best_test_accuracy":0.6}' > "$out/summary.json";;
  export) echo onnx > "$out.tmp" && mv "$out.tmp" "$out";;
  bench)
    echo "$json" >> "$FAKE_COUNTER"
    echo "$model" >> "$FAKE_COUNTER.bench_targets"
    sleep 0.15
    # bench --json's real shape: an array of records, memory in stages.
    echo '[{"latency_ms":{"median":1.5,"p90":2},"memory":{"baseline":{"vm_rss":1000000},"peak_inference_rss":3000000},"environment":{"cpu":"fake"}}]' > "$json.tmp"
    mv "$json.tmp" "$json";;
  explain) echo '{"threads":2,"models":[{"explanation":{"layers":[]}}]}' > "$json.tmp" && mv "$json.tmp" "$json";;
  *) exit 3;;
esac
)";

struct FakeStudy {
  fs::path root;
  explicit FakeStudy(nlohmann::json config = {{"models", {"vgg11"}},
                                              {"methods", {"uniform", "neuralscale"}},
                                              {"fits", {{"vgg11", "fit.json"}}},
                                              {"threads", {1, 2}},
                                              {"train", {{"enabled", false}}}}) {
    root = fs::temp_directory_path() /
           ("paramscale-study-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root);
    std::ofstream(root / "stages.sh") << kFakeStages;
    fs::permissions(root / "stages.sh", fs::perms::owner_all);
    std::ofstream(root / "config.json") << config.dump();
  }
  ~FakeStudy() { fs::remove_all(root); }
  std::string study_command(const std::string& extra) const {
    return "PARAMSCALE_STAGE_EXE=" + (root / "stages.sh").string() +
           " FAKE_COUNTER=" + (root / "counter").string() + " " + PARAMSCALE_BINARY +
           " study --config " + (root / "config.json").string() + " -o " +
           (root / "study").string() + " --no-report " + extra;
  }
  std::map<std::string, int> bench_runs(const std::string& suffix = "") const {
    std::map<std::string, int> n;
    std::ifstream in((root / "counter").string() + suffix);
    for (std::string line; std::getline(in, line);) ++n[line];
    return n;
  }
  int records() const {
    int n = 0;
    for (const auto& e : fs::directory_iterator(root / "study" / "cells"))
      if (e.path().string().size() > 5 &&
          e.path().string().find(".bench.json") == std::string::npos &&
          e.path().string().find(".explain.json") == std::string::npos &&
          e.path().extension() == ".json")
        ++n;
    return n;
  }
  int indexed() const {
    sqlite3* db = nullptr;
    sqlite3_open((root / "study" / "index.sqlite").c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT COUNT(DISTINCT key), COUNT(*) FROM cells", -1, &st, nullptr);
    int distinct = -1, all = -2;
    if (sqlite3_step(st) == SQLITE_ROW) {
      distinct = sqlite3_column_int(st, 0);
      all = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return distinct == all ? all : -1;
  }
};
}  // namespace

constexpr int kCells = 16;  // vgg11 x 2 methods x 4 budgets x 2 thread counts

TEST(StudyRunner, RunsEveryCellOnce) {
  FakeStudy s;
  const auto r = run_command(s.study_command("--jobs 2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.records(), kCells);
  EXPECT_EQ(s.indexed(), kCells);
  const auto runs = s.bench_runs();
  EXPECT_EQ(runs.size(), static_cast<size_t>(kCells));
  for (const auto& [cell, n] : runs) EXPECT_EQ(n, 1) << cell;
  // The store reads the records (not the raw .bench.json beside them) and every record's headline
  // memory is the bench's peak during inference minus its baseline.
  const auto loaded = paramscale::study::Store((s.root / "study").string()).load();
  EXPECT_TRUE(loaded.problems.empty()) << loaded.problems.front();
  ASSERT_EQ(loaded.records.size(), static_cast<size_t>(kCells));
  for (const auto& rec : loaded.records) EXPECT_EQ(rec["memory"]["runtime_bytes"], 2000000);
  // A second run without --resume refuses; with --resume it redoes nothing.
  EXPECT_EQ(run_command(s.study_command("")).exit_code, 2);
  ASSERT_EQ(run_command(s.study_command("--resume")).exit_code, 0);
  for (const auto& [cell, n] : s.bench_runs()) EXPECT_EQ(n, 1) << cell;
}

TEST(StudyRunner, KilledStudyResumesWithoutLossOrDuplicates) {
  FakeStudy s;
  // SIGKILL mid-study, after some cells finished and while one is being measured.
  // Waits for the first record rather than a fixed time, so a loaded machine cannot make the kill
  // land before the study has started.
  const std::string cells = (s.root / "study" / "cells").string();
  run_command(
      "(" + s.study_command("") + " & pid=$!; for i in $(seq 600); do ls " + cells +
      "/*.json >/dev/null 2>&1 && break; sleep 0.05; done; sleep 0.3; kill -9 $pid; wait $pid) "
      ">/dev/null 2>&1");
  const int before = s.records();
  EXPECT_GT(before, 0);
  EXPECT_LT(before, kCells);
  const auto r = run_command(s.study_command("--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(std::to_string(before) + " already done"), std::string::npos) << r.err;
  EXPECT_EQ(s.records(), kCells);
  EXPECT_EQ(s.indexed(), kCells);
  int repeated = 0;
  for (const auto& [cell, n] : s.bench_runs()) {
    EXPECT_LE(n, 2) << cell;
    repeated += n - 1;
  }
  EXPECT_LE(repeated, 1);  // only the measurement the kill interrupted is taken again
}

TEST(StudyRunner, TwoConcurrentStudiesShareOneDirectory) {
  FakeStudy s;
  const auto r = run_command("(" + s.study_command("--resume --jobs 2") + " & " +
                             s.study_command("--resume --jobs 2") + " & wait) 2>&1");
  EXPECT_EQ(s.records(), kCells) << r.out;
  EXPECT_EQ(s.indexed(), kCells);
  for (const auto& [cell, n] : s.bench_runs()) EXPECT_EQ(n, 1) << cell;
}

TEST(StudyRunner, BadConfigIsOneLineExit2) {
  FakeStudy s;
  std::ofstream(s.root / "config.json") << "{\"models\": [\"vgg11\"], \"budgets\": 7}";
  const auto r = run_command(s.study_command(""));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("config field 'budgets' has the wrong type"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1);
}

// A trained study with NeuralScale cells and no fit searches once per model, scales every
// NeuralScale cell with that search's fit, and reuses it on --resume.
TEST(StudyRunner, SearchesItsOwnFitOnceAndReusesIt) {
  FakeStudy s({{"models", {"vgg11"}},
               {"methods", {"uniform", "neuralscale"}},
               {"budgets", {"params:0.5", "params:1"}},
               {"train", {{"enabled", true}, {"epochs", 1}}}});
  const auto r = run_command(s.study_command("--jobs 2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("NeuralScale search for vgg11"), std::string::npos) << r.err;
  EXPECT_EQ(s.records(), 4);
  const std::string search_dir = (s.root / "study" / "search" / "vgg11").string();
  EXPECT_EQ(s.bench_runs(".searches"), (std::map<std::string, int>{{search_dir, 1}}));
  EXPECT_EQ(s.bench_runs(".fits"), (std::map<std::string, int>{{search_dir + "/fit.json", 2}}));
  fs::remove_all(s.root / "study" / "cells");
  ASSERT_EQ(run_command(s.study_command("--resume")).exit_code, 0);
  EXPECT_EQ(s.bench_runs(".searches").at(search_dir), 1);  // the finished search is reused
}

TEST(StudyRunner, TorchCellsMeasureTheRunDirectoryOrtCellsTheExport) {
  FakeStudy s({{"models", {"vgg11"}},
               {"methods", {"uniform"}},
               {"budgets", {"params:0.5"}},
               {"runtimes", {"ort", "torch"}},
               {"train", {{"enabled", true}, {"epochs", 1}}}});
  const auto r = run_command(s.study_command(""));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.records(), 2);
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(s.root / "study" / "runs")) runs.push_back(e.path());
  ASSERT_EQ(runs.size(), 1u);  // both cells share one trained model
  const fs::path onnx = s.root / "study" / "models" / (runs[0].filename().string() + ".onnx");
  EXPECT_EQ(s.bench_runs(".bench_targets"),
            (std::map<std::string, int>{{runs[0].string(), 1}, {onnx.string(), 1}}));
}

TEST(StudyRunner, AlignmentIsADimensionWithItsOwnModels) {
  FakeStudy s({{"models", {"vgg11"}},
               {"methods", {"uniform", "neuralscale"}},
               {"budgets", {"params:0.5"}},
               {"aligns", {1, 8}},
               {"fits", {{"vgg11", "fit.json"}}},
               {"train", {{"enabled", false}}}});
  const auto r = run_command(s.study_command(""));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.records(), 4);  // 2 methods x 2 alignments
  // NeuralScale widths are solved by `paramscale scale` with the cell's K; uniform in process.
  EXPECT_EQ(s.bench_runs(".aligns"), (std::map<std::string, int>{{"1", 1}, {"8", 1}}));
  std::set<std::string> keys;
  for (const auto& rec : paramscale::study::Store((s.root / "study").string()).load().records) {
    keys.insert(rec["key"].get<std::string>());
    EXPECT_EQ(rec["cell"]["align"],
              rec["key"].get<std::string>().find(".a8.") != std::string::npos ? 8 : 1);
  }
  EXPECT_EQ(keys.size(), 4u);
  EXPECT_TRUE(
      fs::exists(s.root / "study" / "models" / "vgg11.uniform.params-0.5.a8.s0.widths.json"));
  EXPECT_TRUE(fs::exists(s.root / "study" / "models" / "vgg11.uniform.params-0.5.s0.widths.json"));
  const auto aligned = nlohmann::json::parse(paramscale::test::slurp(
      (s.root / "study/models/vgg11.uniform.params-0.5.a8.s0.widths.json").string()));
  for (int w : aligned["widths"].get<std::vector<int>>()) EXPECT_EQ(w % 8, 0) << w;
}

// A cell measured while the board throttled is measured again with --rerun-throttled; cells
// measured cleanly are not.
TEST(StudyRunner, RerunThrottledMeasuresOnlyThrottledCellsAgain) {
  FakeStudy s;
  ASSERT_EQ(run_command(s.study_command("")).exit_code, 0);
  const fs::path cells = s.root / "study" / "cells";
  std::string throttled_key;
  for (const auto& e : fs::directory_iterator(cells)) {
    const std::string name = e.path().filename().string();
    if (name.find(".bench.json") != std::string::npos ||
        name.find(".explain.json") != std::string::npos)
      continue;
    std::ifstream in(e.path());
    nlohmann::json rec = nlohmann::json::parse(in);
    rec["bench"]["board"] = {{"throttling", {{"throttled", true}, {"method", "vcgencmd"}}}};
    std::ofstream(e.path()) << rec.dump();
    throttled_key = name.substr(0, name.size() - 5);
    break;
  }
  ASSERT_FALSE(throttled_key.empty());
  const auto r = run_command(s.study_command("--resume --rerun-throttled"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("1 cell(s) measured on a throttled board"), std::string::npos) << r.err;
  int twice = 0;
  for (const auto& [json_path, n] : s.bench_runs()) {
    const bool is_it = json_path.find(throttled_key + ".bench.json") != std::string::npos;
    EXPECT_EQ(n, is_it ? 2 : 1) << json_path;
    twice += is_it;
  }
  EXPECT_EQ(twice, 1);
  EXPECT_EQ(s.records(), kCells);
  EXPECT_EQ(s.indexed(), kCells);
}
