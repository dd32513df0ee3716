// The study runner's promises, with a scripted stand-in for the stage commands (so these tests
// exercise scheduling, locking and resume, not training or ONNX Runtime): a study killed with
// SIGKILL resumes losing and duplicating nothing, and two study processes share one directory.
#include <gtest/gtest.h>
#include <sched.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "study/store.h"
#include "support/run_command.h"
#include "util/cores.h"

namespace fs = std::filesystem;
using paramscale::test::run_command;

namespace {
const char* kFakeStages = R"sh(#!/bin/bash
# Stand-in for paramscale's stage commands: writes what each stage writes, atomically.
cmd=$1; shift
all="$*"
out=""; json=""; model=""; fit=""; align=""; threads=all
while [ $# -gt 0 ]; do
  case "$1" in -o) out=$2; shift;; --json) json=$2;; --fit) fit=$2; shift;; --align) align=$2; shift;;
    --threads) threads=$2; shift;; esac
  case "$cmd" in bench|quantize|eval) [ -z "$model" ] && model=$1;; esac
  shift
done
case "$cmd" in
  scale) echo "$fit" >> "$FAKE_COUNTER.fits"; echo "$align" >> "$FAKE_COUNTER.aligns"
    echo '{"widths":[9,9,9,9,9,9,9,9]}';;
  search)
    echo "$out" >> "$FAKE_COUNTER.searches"; echo "$threads" >> "$FAKE_COUNTER.training_threads"
    echo "search started" >> "$FAKE_COUNTER.events"
    # FAKE_SEARCH_WAITS_FOR: the search ends only once that event happened (or after 30 s).
    for i in $(seq 300); do
      [ -z "$FAKE_SEARCH_WAITS_FOR" ] || grep -qx "$FAKE_SEARCH_WAITS_FOR" "$FAKE_COUNTER.events" && break
      sleep 0.1
    done
    [ -n "$FAKE_SEARCH_FAILS" ] && exit 1
    mkdir -p "$out" && echo '{}' > "$out/fit.json" && echo '{"finished":true,"iterations":[]}' > "$out/search.json"
    echo "search finished" >> "$FAKE_COUNTER.events";;
  train) echo "$threads" >> "$FAKE_COUNTER.training_threads"; basename "$out" >> "$FAKE_COUNTER.trained"
    echo "train $(basename "$out")" >> "$FAKE_COUNTER.events"
    echo train >> "$FAKE_COUNTER.made"
    mkdir -p "$out" && echo '{"final_test_accuracy":0.5,"best_test_accuracy":0.6}' > "$out/summary.json";;
  export) printf '\010onnx' > "$out.tmp" && mv "$out.tmp" "$out";;  # ModelProto's first tag
  bench)
    echo "$json" >> "$FAKE_COUNTER"
    echo "$model" >> "$FAKE_COUNTER.bench_targets"
    sleep 0.15
    # bench --json's real shape: an array of records, memory in stages.
    echo '[{"latency_ms":{"median":1.5,"p90":2},"memory":{"baseline":{"vm_rss":1000000},"peak_inference_rss":3000000},"environment":{"cpu":"fake"}}]' > "$json.tmp"
    mv "$json.tmp" "$json";;
  quantize) echo "$model" >> "$FAKE_COUNTER.quantized"; echo "$all" >> "$FAKE_COUNTER.quantize_args"
    echo quantize >> "$FAKE_COUNTER.made"
    echo '{"schema":"paramscale.quantize/1","calibration":{"method":"minmax"},"tensors":[{"name":"x"}],"onnx_runtime":{"int8_convs":8}}' > "$json"
    printf '\010int8' > "$out.tmp" && mv "$out.tmp" "$out";;
  eval) echo "$model" >> "$FAKE_COUNTER.evaluated"
    echo '{"top1":0.9,"top5":null,"threads":2,"runtime":{"name":"onnxruntime"},"dataset":{"images":100}}' > "$json.tmp"
    mv "$json.tmp" "$json";;
  explain) echo '{"threads":2,"models":[{"explanation":{"layers":[]}}]}' > "$json.tmp" && mv "$json.tmp" "$json";;
  *) exit 3;;
esac
)sh";

// A valid VGG-11 fit: the study reads every given fit before it starts.
const char* kFit = R"({"model": "vgg11", "iterations": [{"alpha": [0.02, 0.04, 0.08, 0.08, 0.16,
  0.16, 0.16, 0.16], "beta": [0.49, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]}]})";

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
    if (config.contains("fits"))
      for (auto& [model, file] : config["fits"].items()) {
        if (file == "fit.json") std::ofstream(root / "fit.json") << kFit;
        file = (root / file.get<std::string>()).string();
      }
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

// --jobs N divides the cores among the N workers' trainings (the search is one): N trainings each
// on every core would oversubscribe them. Without --jobs everything runs on every core.
TEST(StudyRunner, JobsDivideTheCoresAmongTrainingsLargestFirst) {
  const nlohmann::json config = {{"models", {"vgg11"}},
                                 {"methods", {"uniform", "neuralscale"}},
                                 {"budgets", {"params:0.5", "params:1"}},
                                 {"train", {{"enabled", true}, {"epochs", 1}}}};
  const std::string each = std::to_string(std::max(1, paramscale::usable_cores() / 2));
  {
    FakeStudy s(config);
    const auto r = run_command(s.study_command("--jobs 2"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Four trainings (2 methods x 2 budgets) and one search, each on half the cores.
    EXPECT_EQ(s.bench_runs(".training_threads"), (std::map<std::string, int>{{each, 5}}));
  }
  FakeStudy s(config);
  const auto r = run_command(s.study_command(""));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.bench_runs(".training_threads"), (std::map<std::string, int>{{"all", 5}}));
  // Largest models first (so the last of N workers to finish trains a small one): the larger
  // budget first, NeuralScale's before uniform's at the same budget.
  std::vector<std::string> trained;
  std::ifstream in((s.root / "counter.trained").string());
  for (std::string line; std::getline(in, line);) trained.push_back(line);
  EXPECT_EQ(trained, (std::vector<std::string>{
                         "vgg11.neuralscale.params-1.s0", "vgg11.uniform.params-1.s0",
                         "vgg11.neuralscale.params-0.5.s0", "vgg11.uniform.params-0.5.s0"}));
}

// With --jobs 2 the study's own search is one worker's job while the other trains the largest
// uniform model; no NeuralScale model trains before the search that gives its widths is done.
TEST(StudyRunner, TheSearchRunsBesideUniformTrainings) {
  FakeStudy s({{"models", {"vgg11"}},
               {"methods", {"uniform", "neuralscale"}},
               {"budgets", {"params:0.5", "params:1"}},
               {"train", {{"enabled", true}, {"epochs", 1}}}});
  // The stand-in search ends only after the largest uniform model's training started (within
  // 30 s): with the search run alone first, that training comes after it and the test fails.
  const auto r = run_command("FAKE_SEARCH_WAITS_FOR='train vgg11.uniform.params-1.s0' " +
                             s.study_command("--jobs 2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> events;
  std::ifstream in((s.root / "counter.events").string());
  for (std::string line; std::getline(in, line);) events.push_back(line);
  ASSERT_EQ(events.size(), 6u);
  const auto at = [&](const std::string& e) {
    return std::find(events.begin(), events.end(), e) - events.begin();
  };
  EXPECT_LT(at("train vgg11.uniform.params-1.s0"), at("search finished"));
  EXPECT_LT(at("search finished"), at("train vgg11.neuralscale.params-1.s0"));
  EXPECT_LT(at("search finished"), at("train vgg11.neuralscale.params-0.5.s0"));
  EXPECT_LT(at("train vgg11.uniform.params-1.s0"), at("train vgg11.uniform.params-0.5.s0"));
}

// A failed search fails its family's NeuralScale cells with its reason (the study exits 1); the
// uniform cells are measured. --resume runs the search again.
TEST(StudyRunner, AFailedSearchFailsItsNeuralScaleCellsOnly) {
  FakeStudy s({{"models", {"vgg11"}},
               {"methods", {"uniform", "neuralscale"}},
               {"budgets", {"params:0.5"}},
               {"train", {{"enabled", true}, {"epochs", 1}}}});
  const auto r = run_command("FAKE_SEARCH_FAILS=1 " + s.study_command("--jobs 2"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no NeuralScale fit for vgg11: search failed for vgg11 (exit 1; see "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(s.records(), 1);
  EXPECT_EQ(s.bench_runs(".trained"),
            (std::map<std::string, int>{{"vgg11.uniform.params-0.5.s0", 1}}));
  const auto again = run_command(s.study_command("--resume"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(s.records(), 2);
  EXPECT_EQ(s.bench_runs(".searches").size(), 1u);
  EXPECT_EQ(s.bench_runs(".searches").begin()->second, 2);
}

// "All cores" (threads 0) is the CPUs the study may run on: under taskset to one CPU, threads 0
// and 1 are the same cell, measured once on 1 thread. (On a one-CPU machine this cannot tell the
// affinity mask from the machine's count.)
TEST(StudyRunner, AllCoresAreTheCoresTheStudyMayUse) {
  FakeStudy s({{"models", {"vgg11"}},
               {"methods", {"uniform"}},
               {"budgets", {"params:0.5"}},
               {"threads", {1, 0}},
               {"train", {{"enabled", false}}}});
  if (run_command("taskset -V").exit_code != 0) GTEST_SKIP() << "taskset (util-linux) is missing";
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  int cpu = 0;  // the first CPU this test may use (a cpuset need not start at 0)
  while (!CPU_ISSET(cpu, &mask)) ++cpu;
  const auto r = run_command("taskset -c " + std::to_string(cpu) + " env " + s.study_command(""));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.records(), 1);
  const auto records = paramscale::study::Store((s.root / "study").string()).load().records;
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["cell"]["threads"], 1);
}

TEST(StudyRunner, TorchCellsMeasureTheRunDirectoryOrtCellsTheExport) {
#ifndef PARAMSCALE_HAVE_TORCH
  // The study refuses runtimes the binary does not have before it starts (issue 17, class 7).
  GTEST_SKIP() << "paramscale is built without libtorch: it has no torch runtime";
#endif
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

// INT8 cells quantize their network's trained run once (calibrated on the study's dataset), and a
// trained study evaluates the FP32 and the INT8 model through ONNX Runtime, once each; records
// carry the precision, the deployed accuracy and how the INT8 model was made.
TEST(StudyRunner, Int8CellsQuantizeTheTrainedRunAndEvaluateBothPrecisions) {
  const nlohmann::json config = {{"models", {"vgg11"}},
                                 {"methods", {"uniform"}},
                                 {"budgets", {"params:0.5", "params:1"}},
                                 {"precisions", {"fp32", "int8"}},
                                 {"threads", {1}},
                                 {"train", {{"enabled", true}, {"epochs", 1}}}};
  FakeStudy s(config);
  const auto r = run_command(s.study_command("--jobs 2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.records(), 4);  // 2 budgets x 2 precisions
  const fs::path study = s.root / "study";
  std::map<std::string, int> quantized, evaluated, benched;
  for (const char* b : {"params-0.5", "params-1"}) {
    const std::string key = std::string("vgg11.uniform.") + b + ".s0";
    quantized[(study / "runs" / key).string()] = 1;
    for (const char* p : {"", ".int8"}) {
      evaluated[(study / "models" / (key + p + ".onnx")).string()] = 1;
      benched[(study / "models" / (key + p + ".onnx")).string()] = 1;
    }
  }
  EXPECT_EQ(s.bench_runs(".quantized"), quantized);
  EXPECT_EQ(s.bench_runs(".evaluated"), evaluated);
  EXPECT_EQ(s.bench_runs(".bench_targets"), benched);
  for (const auto& [args, n] : s.bench_runs(".quantize_args"))
    EXPECT_NE(args.find("--dataset fashion-mnist"), std::string::npos) << args;
  int int8 = 0;
  for (const auto& rec : paramscale::study::Store(study.string()).load().records) {
    const bool q = rec["cell"]["precision"] == "int8";
    int8 += q;
    EXPECT_EQ(q, rec["key"].get<std::string>().find(".int8.") != std::string::npos);
    EXPECT_EQ(rec["deployed_accuracy"]["top1"], 0.9);
    EXPECT_EQ(rec["quantization"].is_null(), !q);
    if (q) {
      EXPECT_EQ(rec["quantization"]["calibration"]["method"], "minmax");
      EXPECT_FALSE(rec["quantization"].contains("tensors"));  // kept in its quantize.json
    }
  }
  EXPECT_EQ(int8, 2);
  // Resumed: nothing is quantized or evaluated again.
  fs::remove_all(study / "cells");
  ASSERT_EQ(run_command(s.study_command("--resume")).exit_code, 0);
  EXPECT_EQ(s.bench_runs(".quantized"), quantized);
  EXPECT_EQ(s.bench_runs(".evaluated"), evaluated);
  // INT8 models are made after every FP32 one (each waits for its float twin's training); in cell
  // order they would alternate.
  FakeStudy one_worker(config);
  const auto again = run_command(one_worker.study_command(""));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  std::vector<std::string> made;
  std::ifstream in((one_worker.root / "counter.made").string());
  for (std::string line; std::getline(in, line);) made.push_back(line);
  EXPECT_EQ(made, (std::vector<std::string>{"train", "train", "quantize", "quantize"}));
}

// Deployment-only: the INT8 model is the FP32 export quantized on seeded noise (latency and memory
// only), nothing is evaluated, and INT8 cells are ONNX Runtime cells only.
TEST(StudyRunner, DeploymentOnlyInt8QuantizesTheExportOnNoise) {
  FakeStudy s({{"models", {"vgg11"}},
               {"methods", {"uniform"}},
               {"budgets", {"params:0.5"}},
               {"precisions", {"fp32", "int8"}},
               {"runtimes", {"ort", "opencv"}},
               {"threads", {1}},
               {"train", {{"enabled", false}}}});
  const auto r = run_command(s.study_command(""));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.records(), 3);  // fp32 on ort and opencv, int8 on ort
  const std::string onnx = (s.root / "study/models/vgg11.uniform.params-0.5.s0.onnx").string();
  EXPECT_EQ(s.bench_runs(".quantized"), (std::map<std::string, int>{{onnx, 1}}));
  for (const auto& [args, n] : s.bench_runs(".quantize_args"))
    EXPECT_NE(args.find("--random-calibration"), std::string::npos) << args;
  EXPECT_TRUE(s.bench_runs(".evaluated").empty());
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

// ---- Issue 17, class 7: study configs are validated whole, before anything is created ----------

struct BadStudyConfig {
  std::string name;
  nlohmann::json config;
  std::string message;
};

class StudyConfigUpFront : public ::testing::TestWithParam<BadStudyConfig> {};

TEST_P(StudyConfigUpFront, IsOneLineExit2AndCreatesNothing) {
  FakeStudy s(GetParam().config);
  std::ofstream(s.root / "garbage.json") << "{\"iterations\": [";
  const auto r = run_command(s.study_command(""));
  paramscale::test::expect_one_line_error(r, GetParam().message);
  EXPECT_FALSE(fs::exists(s.root / "study"));
  EXPECT_TRUE(s.bench_runs().empty());
  // The corrected config then runs in that directory.
  std::ofstream(s.root / "config.json") << nlohmann::json({{"models", {"vgg11"}},
                                                           {"methods", {"uniform"}},
                                                           {"budgets", {"params:0.5"}},
                                                           {"train", {{"enabled", false}}}})
                                               .dump();
  const auto fixed = run_command(s.study_command(""));
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
}

nlohmann::json with(nlohmann::json patch) {
  nlohmann::json c = {{"models", {"vgg11"}},
                      {"methods", {"uniform"}},
                      {"budgets", {"params:0.5"}},
                      {"train", {{"enabled", false}}}};
  c.update(patch);
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Class7, StudyConfigUpFront,
    ::testing::Values(
        BadStudyConfig{"UnknownModel", with({{"models", {"vgg11", "vgg13"}}}),
                       "unknown model 'vgg13'"},
        BadStudyConfig{"DotDotModel", with({{"models", {"../vgg11"}}}), "unknown model '../vgg11'"},
        BadStudyConfig{"UnknownMethod", with({{"methods", {"uniform", "magic"}}}),
                       "unknown value 'magic'"},
        BadStudyConfig{"UnknownDataset", with({{"dataset", "imagenet"}}), "config 'dataset'"},
        BadStudyConfig{"UnknownRuntime", with({{"runtimes", {"ort", "tvm"}}}),
                       "unknown value 'tvm'"},
        BadStudyConfig{"UnknownOptLevel", with({{"opt_levels", {"max"}}}), "unknown value 'max'"},
        BadStudyConfig{"BadBudget", with({{"budgets", {"params:0.5", "params:x"}}}),
                       "malformed budget"},
        BadStudyConfig{"MissingFit",
                       with({{"methods", {"neuralscale"}}, {"fits", {{"vgg11", "missing.json"}}}}),
                       "cannot open fit file"},
        BadStudyConfig{"GarbageFit", with({{"fits", {{"vgg11", "garbage.json"}}}}),
                       "is not valid JSON"},
        BadStudyConfig{"FitOfUnknownModel", with({{"fits", {{"resnet", "garbage.json"}}}}),
                       "unknown model 'resnet'"},
        // Class 5: bad values are not silently accepted.
        BadStudyConfig{"NegativeThreads", with({{"threads", {-1}}}), "config 'threads': -1"},
        BadStudyConfig{"HugeThreads", with({{"threads", {100000}}}), "config 'threads': 100000"},
        BadStudyConfig{"NegativeSeed", with({{"seeds", {-1}}}), "config 'seeds': -1 is negative"},
        // Class 3: a million cells are refused, not expanded.
        BadStudyConfig{
            "MillionCells",
            with({{"seeds", std::vector<int>(1000, 0)}, {"threads", std::vector<int>(1000, 1)}}),
            "more than 100000 cells"}),
    [](const ::testing::TestParamInfo<BadStudyConfig>& info) { return info.param.name; });

// ---- Issue 17, class 8: damaged study state is repaired on --resume, never fatal ---------------

std::string read_all(const fs::path& p) { return paramscale::test::slurp(p.string()); }

TEST(StudyDamagedState, ResumeRedoesDamagedCellsAndRebuildsTheIndex) {
  FakeStudy s(with(
      {{"budgets", {"params:0.25", "params:0.5", "params:0.75", "params:1"}}, {"threads", {1}}}));
  ASSERT_EQ(run_command(s.study_command("")).exit_code, 0);
  const fs::path cells = s.root / "study" / "cells", models = s.root / "study" / "models";
  const std::string a = "vgg11.uniform.params-0.25.s0.ort.t1.all";
  const std::string b = "vgg11.uniform.params-0.5.s0.ort.t1.all";
  const std::string c = "vgg11.uniform.params-0.75.s0.ort.t1.all";
  const std::string d = "vgg11.uniform.params-1.s0.ort.t1.all";
  // a: a truncated record (a full disk); b: a wrongly typed field; c: a garbage raw bench file
  // and no record; d: its shared model emptied and its widths file damaged, and no record.
  const std::string rec = read_all(cells / (a + ".json"));
  std::ofstream(cells / (a + ".json")) << rec.substr(0, rec.size() / 2);
  auto mistyped = nlohmann::json::parse(read_all(cells / (b + ".json")));
  mistyped["cell"]["threads"] = "one";
  std::ofstream(cells / (b + ".json")) << mistyped.dump();
  fs::remove(cells / (c + ".json"));
  std::ofstream(cells / (c + ".bench.json")) << "[{\"latency_ms\": 3";
  fs::remove(cells / (d + ".json"));
  std::ofstream(models / "vgg11.uniform.params-1.s0.onnx", std::ios::trunc).flush();
  std::ofstream(models / "vgg11.uniform.params-1.s0.widths.json") << "null";
  std::ofstream(s.root / "study" / "index.sqlite") << "this is not a database";
  // Temp files of a killed study (PID 999999999 cannot be running: above pid_max).
  std::ofstream(cells / (a + ".json.tmp.999999999.0")) << "{";
  std::ofstream(models / "x.onnx.tmp.999999999.3") << "";

  const auto r = run_command(s.study_command("--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("4 cells, 0 already done, 4 to run"), std::string::npos) << r.err;
  const auto runs = s.bench_runs();
  // Records are remade from the raw bench files; only the garbage one is measured again.
  for (const std::string& k : {a, b, c, d})
    EXPECT_EQ(runs.at((cells / (k + ".bench.json")).string()), k == c ? 2 : 1) << k;
  const auto loaded = paramscale::study::Store((s.root / "study").string()).load();
  EXPECT_TRUE(loaded.problems.empty()) << loaded.problems.front();
  EXPECT_EQ(loaded.records.size(), 4u);
  EXPECT_EQ(s.indexed(), 4);
  EXPECT_GT(fs::file_size(models / "vgg11.uniform.params-1.s0.onnx"), 0u);
  EXPECT_EQ(nlohmann::json::parse(read_all(models / "vgg11.uniform.params-1.s0.widths.json"))
                .at("widths")
                .size(),
            8u);
  for (const auto& e : fs::recursive_directory_iterator(s.root / "study"))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(StudyDamagedState, ReportListsAMistypedRecordAsAProblem) {
  FakeStudy s(with({{"budgets", {"params:0.5", "params:1"}}, {"threads", {1}}}));
  ASSERT_EQ(run_command(s.study_command("")).exit_code, 0);
  const fs::path rec = s.root / "study" / "cells" / "vgg11.uniform.params-0.5.s0.ort.t1.all.json";
  auto j = nlohmann::json::parse(read_all(rec));
  j["validity"] = {{"timings_valid", "yes"}};
  std::ofstream(rec) << j.dump();
  const auto r = run_command(std::string(PARAMSCALE_BINARY) + " report " +
                             (s.root / "study").string() + " -o " + (s.root / "rep").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("report: warning: " + rec.string() +
                       ": field 'validity' is missing or has the wrong type, skipped"),
            std::string::npos)
      << r.err;
  EXPECT_NE(read_all(s.root / "rep" / "report.md").find("## Problems"), std::string::npos);
}
