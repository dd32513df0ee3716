// The Slurm executor on a real single-node Slurm cluster (munged, slurmctld, slurmd on loopback,
// tests/support/slurm-cluster.sh), one cluster per test in a private directory: a small
// deployment-only study gives the same cells, widths, params and MACs through Slurm as locally;
// a cancelled task is a failed cell with its job id and --resume resubmits only it; killing the
// submitter loses nothing; an unreachable Slurm is one line before anything is created; measure
// tasks on one node never overlap. Skipped (saying why) only where slurm-wlm is not installed —
// and failed instead when PARAMSCALE_REQUIRE_SLURM=1 (scripts/test.sh, so CI never skips them).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using nlohmann::json;
using paramscale::test::run_command;
using paramscale::test::slurp;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What is missing to run a cluster here ("" when nothing).
std::string slurm_missing() {
  for (const char* tool : {"/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd"})
    if (access(tool, X_OK) != 0) return std::string(tool) + " is not installed";
  if (run_command("command -v sbatch squeue scancel sinfo").exit_code != 0)
    return "Slurm's client tools (sbatch, squeue, scancel, sinfo) are not installed";
  if (geteuid() != 0) return "the test cluster's munged and slurmd need root";
  return "";
}

// Base widths of the two families in CIFAR-10 shapes; a fit w = (base / 1000) * tau^0.5 is a
// valid NeuralScale fit for each (its widths are the base network's at tau = 1e6 parameters).
const std::map<std::string, std::vector<int>> kBaseWidths = {
    {"vgg11", {64, 128, 256, 256, 512, 512, 512, 512}},
    {"mobilenetv2",
     {32, 16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320, 1280}}};

class SlurmStudy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = slurm_missing(); !missing.empty()) {
      const char* req = std::getenv("PARAMSCALE_REQUIRE_SLURM");
      if (req && std::string(req) == "1")
        FAIL() << "PARAMSCALE_REQUIRE_SLURM=1 but " << missing << " (scripts/install-deps.sh)";
      GTEST_SKIP() << "Slurm tests skipped: " << missing
                   << " (scripts/install-deps.sh installs slurm-wlm and munge)";
    }
    const double t0 = now_seconds();
    const auto r = run_command(std::string(PARAMSCALE_SOURCE_DIR) +
                               "/tests/support/slurm-cluster.sh start " + (dir_ / "cluster"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    started_ = true;
    conf_ = r.out.substr(0, r.out.find('\n'));
    ::setenv("SLURM_CONF", conf_.c_str(), 1);
    std::cout << "slurm cluster up in " << now_seconds() - t0 << " s\n";
    write_fits();
  }
  void TearDown() override {
    if (started_)
      run_command(std::string(PARAMSCALE_SOURCE_DIR) + "/tests/support/slurm-cluster.sh stop " +
                  (dir_ / "cluster"));
  }

  void write_fits() {
    for (const auto& [model, widths] : kBaseWidths) {
      json alpha = json::array(), beta = json::array();
      for (int w : widths) {
        alpha.push_back(w / 1000.0);
        beta.push_back(0.5);
      }
      std::ofstream(dir_ / (model + ".fit.json"))
          << json({{"model", model}, {"iterations", {{{"alpha", alpha}, {"beta", beta}}}}}).dump();
    }
  }
  // Two families x uniform and NeuralScale x one budget, deployment-only, ORT, short bench.
  std::string config(double min_seconds = 0.2) {
    const json c = {
        {"dataset", "cifar10"},
        {"models", {"vgg11", "mobilenetv2"}},
        {"methods", {"uniform", "neuralscale"}},
        {"budgets", {"params:0.25"}},
        {"runtimes", {"ort"}},
        {"threads", {1}},
        {"train", {{"enabled", false}}},
        {"explain", {{"enabled", false}}},
        {"bench", {{"warmup_runs", 2}, {"min_runs", 5}, {"min_seconds", min_seconds}}},
        {"fits",
         {{"vgg11", dir_ / "vgg11.fit.json"}, {"mobilenetv2", dir_ / "mobilenetv2.fit.json"}}},
        {"executor", "slurm"},
        {"slurm",
         {{"time", {{"make", "00:10:00"}, {"measure", "00:10:00"}}}, {"poll_seconds", 0.5}}}};
    std::ofstream(dir_ / "study.json") << c.dump(2);
    return dir_ / "study.json";
  }
  std::string study(const std::string& out, const std::string& extra = "") {
    return std::string(PARAMSCALE_BINARY) + " study --config " + (dir_ / "study.json") + " -o " +
           out + " --no-report " + extra;
  }
  paramscale::test::CommandResult status(const std::string& out) {
    return run_command(std::string(PARAMSCALE_BINARY) + " study status " + out);
  }
  // Polls `study status` until no cell is pending or running (at most `limit` seconds).
  paramscale::test::CommandResult settled(const std::string& out, double limit = 300) {
    const double t0 = now_seconds();
    paramscale::test::CommandResult r;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      r = status(out);
    } while ((r.exit_code != 0 || r.out.find("  pending") != std::string::npos ||
              r.out.find("  running") != std::string::npos) &&
             now_seconds() - t0 < limit);
    return r;
  }

  paramscale::test::TempDir dir_;
  std::string conf_;
  bool started_ = false;
};

// Records in cells/ (not the raw .bench.json beside them), by key.
std::map<std::string, json> records(const std::string& study) {
  std::map<std::string, json> out;
  for (const auto& e : fs::directory_iterator(study + "/cells")) {
    const std::string n = e.path().filename().string();
    if (n.find(".bench.") != std::string::npos || n.find(".explain.") != std::string::npos ||
        e.path().extension() != ".json")
      continue;
    const json j = json::parse(slurp(e.path().string()));
    out[j["key"].get<std::string>()] = j;
  }
  return out;
}

// Rows in the index, or -1 when a key is there twice.
int indexed(const std::string& study) {
  sqlite3* db = nullptr;
  sqlite3_open((study + "/index.sqlite").c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(DISTINCT key), COUNT(*) FROM cells", -1, &st, nullptr);
  int distinct = -1, all = -2;
  if (st && sqlite3_step(st) == SQLITE_ROW) {
    distinct = sqlite3_column_int(st, 0);
    all = sqlite3_column_int(st, 1);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return distinct == all ? all : -1;
}

// The [start, end] of every measure task in the study's Slurm logs (study-task writes both).
std::vector<std::pair<double, double>> measure_intervals(const std::string& study) {
  std::vector<std::pair<double, double>> out;
  for (const auto& e : fs::directory_iterator(study + "/logs")) {
    const std::string n = e.path().filename().string();
    if (n.rfind("slurm-measure-", 0) != 0) continue;
    const std::string log = slurp(e.path().string());
    const size_t s = log.find("started at "), t = log.find("ended at ");
    if (s == std::string::npos || t == std::string::npos) continue;  // cancelled: no end
    out.emplace_back(std::stod(log.substr(s + 11)), std::stod(log.substr(t + 9)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_no_overlap(const std::string& study, size_t at_least) {
  const auto spans = measure_intervals(study);
  EXPECT_GE(spans.size(), at_least);
  for (size_t i = 1; i < spans.size(); ++i)
    EXPECT_GE(spans[i].first, spans[i - 1].second)
        << "measure tasks overlap: " << spans[i - 1].first << "-" << spans[i - 1].second << " and "
        << spans[i].first << "-" << spans[i].second;
}

// Stand-in for paramscale's stage commands (as in runner_test.cc): writes what each stage writes;
// export fails for the model named by FAKE_FAIL_MODEL.
const char* kFakeStages = R"(#!/bin/bash
cmd=$1; shift
out=""; json=""
while [ $# -gt 0 ]; do
  case "$1" in -o) out=$2; shift;; --json) json=$2;; esac
  shift
done
case "$cmd" in
  scale) echo '{"widths":[9,9,9,9,9,9,9,9]}';;
  search) mkdir -p "$out" && echo '{}' > "$out/fit.json" &&
    echo '{"finished":true,"iterations":[]}' > "$out/search.json";;
  train) mkdir -p "$out" && echo '{"final_test_accuracy":0.5,"best_test_accuracy":0.6}' > "$out/summary.json";;
  export) case "$out" in *"$FAKE_FAIL_MODEL"*) echo "fake export failure" >&2; exit 1;; esac
    printf '\010onnx' > "$out.tmp" && mv "$out.tmp" "$out";;
  bench) echo '[{"latency_ms":{"median":1.5,"p90":2},"memory":{"baseline":{"vm_rss":1000000},"peak_inference_rss":3000000},"environment":{"cpu":"fake"}}]' > "$json.tmp"
    mv "$json.tmp" "$json";;
  explain) echo '{"threads":1,"models":[{"explanation":{"layers":[]}}]}' > "$json.tmp" && mv "$json.tmp" "$json";;
  *) exit 3;;
esac
)";

json submissions(const std::string& study) {
  return json::parse(slurp(study + "/slurm/submissions.json"));
}

// (1) The same cells, widths, params and MACs through Slurm as locally, and a report; (5) the
// measure tasks of the node never overlap.
TEST_F(SlurmStudy, SameCellsAsTheLocalExecutorAndAReport) {
  config();
  const std::string s = dir_ / "slurm", l = dir_ / "local";
  double t0 = now_seconds();
  auto r = run_command(study(s));
  const double slurm_wall = now_seconds() - t0;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("4 cells finished"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[4/4]"), std::string::npos) << r.err;  // progress lines with ETA
  t0 = now_seconds();
  r = run_command(study(l, "--executor local"));
  const double local_wall = now_seconds() - t0;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::cout << "test study wall time: slurm " << slurm_wall << " s, local " << local_wall << " s\n";
  const auto a = records(s), b = records(l);
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  for (const auto& [key, rec] : a) {
    ASSERT_TRUE(b.count(key)) << key;
    EXPECT_EQ(rec["widths"], b.at(key)["widths"]) << key;
    EXPECT_EQ(rec["analysis"]["params"], b.at(key)["analysis"]["params"]) << key;
    EXPECT_EQ(rec["analysis"]["macs"], b.at(key)["analysis"]["macs"]) << key;
    EXPECT_TRUE(rec["latency_ms"]["median"].is_number()) << key;
  }
  EXPECT_EQ(indexed(s), 4);
  r = run_command(std::string(PARAMSCALE_BINARY) + " report " + s + " -o " + (dir_ / "rep"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(slurp(dir_ / "rep/report.md").find("neuralscale"), std::string::npos);
  expect_no_overlap(s, 4);
}

// (2) A cancelled task is a failed cell with its job id and reason; --resume resubmits only it.
TEST_F(SlurmStudy, CancelledTaskFailsItsCellAndResumeResubmitsOnlyIt) {
  config(/*min_seconds=*/2);
  const std::string s = dir_ / "s";
  auto r = run_command(study(s, "--detach"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string job = submissions(s)["submissions"][0]["waves"]["measure"]["job"];
  std::string task;
  for (int i = 0; i < 600 && task.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    task = run_command("squeue -h -r -t running -j " + job + " -o %i | head -n1").out;
    task = task.substr(0, task.find('\n'));
  }
  ASSERT_FALSE(task.empty()) << "no measure task started";
  ASSERT_EQ(run_command("scancel " + task).exit_code, 0);
  r = settled(s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::cout << "study status after scancel " << task << ":\n" << r.out;
  std::string failed_key;
  int failed = 0;
  std::stringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (line.find("  failed") != std::string::npos) {
      ++failed;
      failed_key = line.substr(0, line.find(' '));
      EXPECT_NE(line.find("job " + task), std::string::npos) << line;
      EXPECT_NE(line.find("CANCELLED"), std::string::npos) << line;
    }
  ASSERT_EQ(failed, 1) << r.out;
  EXPECT_EQ(records(s).size(), 3u);
  r = run_command(study(s, "--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("3 already done, 0 pending or running, 1 to submit"), std::string::npos)
      << r.err;
  const json second = submissions(s)["submissions"][1]["waves"];
  EXPECT_FALSE(second.contains("make")) << second;  // its model was made
  ASSERT_EQ(second["measure"]["tasks"].size(), 1u);
  const auto recs = records(s);
  EXPECT_EQ(recs.size(), 4u);
  EXPECT_TRUE(recs.count(failed_key)) << failed_key;
  EXPECT_EQ(indexed(s), 4);
  EXPECT_EQ(status(s).out.find("failed"), std::string::npos);
  expect_no_overlap(s, 4);
}

// (3) SIGKILL of the waiting submitter while tasks run: the tasks finish, `study status`
// collects every cell and the index is complete.
TEST_F(SlurmStudy, KilledSubmitterLosesNothing) {
  config(/*min_seconds=*/1);
  const std::string s = dir_ / "s";
  run_command("(" + study(s) + " & pid=$!; for i in $(seq 600); do ls " + s +
              "/logs/slurm-measure-* >/dev/null 2>&1 && break; sleep 0.1; done; kill -9 $pid; "
              "wait $pid) >/dev/null 2>&1");
  EXPECT_LT(records(s).size(), 4u) << "the submitter was killed only after every cell finished";
  const auto r = settled(s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("4 done, 0 running, 0 pending, 0 failed"), std::string::npos)
      << r.err << r.out;
  EXPECT_EQ(records(s).size(), 4u);
  EXPECT_EQ(indexed(s), 4);
  expect_no_overlap(s, 4);
}

// (4) No sbatch, or a controller that does not answer: one line, non-zero, nothing created.
TEST_F(SlurmStudy, UnreachableSlurmIsOneLineBeforeAnythingIsCreated) {
  config();
  fs::create_directories(dir_ / "empty-bin");
  auto r = run_command("PATH=" + (dir_ / "empty-bin") + " " + study(dir_ / "a"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("sbatch is not installed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "a"));
  // The same cluster's config with the controller's port pointing where nothing listens.
  std::ifstream in(conf_);
  std::ofstream dead(dir_ / "dead.conf");
  for (std::string line; std::getline(in, line);)
    dead << (line.rfind("SlurmctldPort=", 0) == 0 ? "SlurmctldPort=9" : line) << "\n";
  dead.close();
  r = run_command("SLURM_CONF=" + (dir_ / "dead.conf") + " " + study(dir_ / "b"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("the Slurm controller does not answer"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "b"));
}

// A trained study without fits: one search task per model, then make and measure; a model whose
// export fails fails only its own cell, with the reason in one line; the others are done.
TEST_F(SlurmStudy, SearchMakeMeasureWavesAndAFailedModelFailsOnlyItsCells) {
  std::ofstream(dir_ / "stages.sh") << kFakeStages;
  fs::permissions(dir_ / "stages.sh", fs::perms::owner_all);
  std::ofstream(dir_ / "study.json") << json({{"models", {"vgg11"}},
                                              {"methods", {"uniform", "neuralscale"}},
                                              {"budgets", {"params:0.25", "params:0.5"}},
                                              {"threads", {1}},
                                              {"train", {{"enabled", true}, {"epochs", 1}}},
                                              {"executor", "slurm"},
                                              {"slurm", {{"poll_seconds", 0.5}}}})
                                            .dump();
  const std::string s = dir_ / "s";
  const auto r = run_command("PARAMSCALE_STAGE_EXE=" + (dir_ / "stages.sh") +
                             " FAKE_FAIL_MODEL=vgg11.neuralscale.params-0.5.s0 " + study(s));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("(1 search(es), 4 model(s) to make)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 cells finished, 0 skipped (done before), 1 failed"), std::string::npos)
      << r.err;
  const json waves = submissions(s)["submissions"][0]["waves"];
  EXPECT_EQ(waves["search"]["tasks"], json::array({{{"model", "vgg11"}}}));
  EXPECT_EQ(waves["make"]["tasks"].size(), 4u);
  EXPECT_EQ(waves["measure"]["tasks"].size(), 4u);
  EXPECT_TRUE(fs::exists(s + "/search/vgg11/fit.json"));
  const auto st = status(s);
  ASSERT_EQ(st.exit_code, 0) << st.err;
  const std::string key = "vgg11.neuralscale.params-0.5.s0.ort.t1.all";
  const size_t at = st.out.find(key + "  failed");
  ASSERT_NE(at, std::string::npos) << st.out;
  const std::string line = st.out.substr(at, st.out.find('\n', at) - at);
  EXPECT_NE(line.find("FAILED"), std::string::npos) << line;
  EXPECT_NE(line.find("the model vgg11.neuralscale.params-0.5.s0 was not made"), std::string::npos)
      << line;
  EXPECT_EQ(records(s).size(), 3u);
  EXPECT_EQ(indexed(s), 3);
}

}  // namespace
