// Issue 17's kill stress: a tiny train, search and study are each SIGKILLed at 20 random moments
// (uniform over an uninterrupted run's duration, from a fixed seed) and resumed the way the study
// resumes its stages (--resume when a checkpoint or study exists). Every resumed run must end with
// the uninterrupted run's results byte for byte and leave no temp file behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using paramscale::test::slurp;
using paramscale::test::TempDir;

namespace {

constexpr int kKills = 20;

// Runs `paramscale ARGS` (stdout and stderr to /dev/null); kills it after `delay` seconds when
// `delay` >= 0. Returns the exit code, or 128 + signal.
int run(const std::string& args, double delay = -1) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cmd =
        std::string("exec ") + PARAMSCALE_BINARY + " " + args + " >/dev/null 2>&1 </dev/null";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (delay >= 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// No file named like a temp file (write_file_atomic's NAME.tmp.PID.N, or the old NAME.tmp).
void expect_no_temp_files(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    EXPECT_TRUE(n.find(".tmp.") == std::string::npos &&
                (n.size() < 4 || n.compare(n.size() - 4, 4, ".tmp") != 0))
        << e.path();
  }
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

struct Stressed {
  std::string name;
  // The command for output directory OUT (without --resume).
  std::function<std::string(const std::string& out)> command;
  // When a rerun continues instead of starting over.
  std::function<bool(const fs::path& out)> resumable;
  // Files that must equal the uninterrupted run's, byte for byte (the run's own directory name
  // replaced, as fit files name their traces).
  std::vector<std::string> same;
  std::function<void(const fs::path& out)> check = [](const fs::path&) {};
};

void stress(const Stressed& s) {
  TempDir dir;
  const fs::path ref = dir / "ref";
  const double full = seconds_of([&] { ASSERT_EQ(run(s.command(ref.string())), 0); });
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> when(0, full);
  for (int k = 0; k < kKills; ++k) {
    const fs::path out = dir / ("k" + std::to_string(k));
    const double at = when(rng);
    run(s.command(out.string()), at);
    int code = -1;
    for (int attempt = 0; attempt < 3 && code != 0; ++attempt)
      code = run(s.command(out.string()) + (s.resumable(out) ? " --resume" : ""));
    ASSERT_EQ(code, 0) << s.name << " killed after " << at << " s did not resume";
    for (const std::string& f : s.same)
      EXPECT_EQ(replace_all(slurp((out / f).string()), out.string(), ref.string()),
                slurp((ref / f).string()))
          << s.name << " killed after " << at << " s: " << f << " differs";
    expect_no_temp_files(out);
    s.check(out);
    fs::remove_all(out);
  }
}

bool has(const fs::path& p) { return fs::exists(p); }

}  // namespace

TEST(KillStress, TrainResumesToTheSameWeights) {
  stress({"train",
          [](const std::string& out) {
            return "train --model vgg11 --dataset synthetic --widths 4,4,8,8,8,8,8,8 --threads 1 "
                   "--batch-size 32 --subset 128 --epochs 3 -q -o " +
                   out;
          },
          [](const fs::path& out) { return has(out / "checkpoint.pt"); },
          {"weights.psw", "arch.json"}});
}

TEST(KillStress, SearchResumesToTheSameFit) {
  stress({"search",
          [](const std::string& out) {
            return "search --model vgg11 --dataset synthetic --start-widths 8,8,8,8,8,8,8,8 "
                   "--subset 128 --batch-size 32 --warmup 1 --prune-fraction 0.1 --frequency 1 "
                   "--iterations 2 --threads 1 -q -o " +
                   out;
          },
          [](const fs::path& out) { return has(out / "checkpoint.pt"); },
          {"fit.json", "trace_1.csv", "trace_2.csv"}});
}

TEST(KillStress, StudyResumesToTheSameModelsAndOneRecordPerCell) {
  TempDir cfg;
  std::ofstream(cfg / "study.json") << R"({"models": ["vgg11"], "methods": ["uniform"],
      "budgets": ["params:0.05", "params:0.1"], "threads": [1], "train": {"enabled": false},
      "bench": {"warmup_runs": 0, "min_runs": 1, "min_seconds": 0}})";
  const std::string a = "vgg11.uniform.params-0.05.s0", b = "vgg11.uniform.params-0.1.s0";
  stress({"study",
          [&](const std::string& out) {
            return "study --config " + (cfg / "study.json") + " --no-report -o " + out;
          },
          [](const fs::path& out) { return has(out / "config.json"); },
          {"models/" + a + ".onnx", "models/" + a + ".widths.json", "models/" + b + ".onnx",
           "models/" + b + ".widths.json", "config.json"},
          [&](const fs::path& out) {
            // Exactly the two cells' records, each whole and its own.
            int records = 0;
            for (const auto& e : fs::directory_iterator(out / "cells")) {
              const std::string n = e.path().filename().string();
              // Beside each record: the raw bench output and (explained cells) the explanation.
              if (n.size() < 11 || n.compare(n.size() - 11, 11, ".bench.json") == 0 ||
                  n.find(".explain.json") != std::string::npos)
                continue;
              ++records;
              const auto j = nlohmann::json::parse(slurp(e.path().string()));
              EXPECT_EQ(j["key"].get<std::string>() + ".json", n);
              EXPECT_TRUE(j["latency_ms"]["median"].is_number()) << n;
            }
            EXPECT_EQ(records, 2);
          }});
}
