#include "study/runner.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "arch/analysis.h"
#include "arch/families.h"
#include "scaling/uniform.h"
#include "study/cell.h"
#include "study/process.h"
#include "study/record.h"

namespace paramscale::study {

namespace {
bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

Result<nlohmann::json> read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return failure("cannot read " + path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return failure(path + " is not valid JSON");
  return j;
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

struct Context {
  const StudyConfig& config;
  std::string dir;
  std::string exe;
  Store store;
  std::map<std::string, std::string>
      fits;  // model -> NeuralScale fit: the config's or our search's
};

// A stage's child process; a failure names the log to read.
Status stage(const Context& ctx, const std::string& key, const std::string& name,
             std::vector<std::string> args, const std::string& stdout_path = "") {
  args.insert(args.begin(), ctx.exe);
  const std::string log = ctx.dir + "/logs/" + key + "." + name + ".log";
  const int rc = run_process(args, log, stdout_path);
  if (rc != 0)
    return failure(name + " failed for " + key + " (exit " + std::to_string(rc) + "; see " + log +
                   ")");
  return {};
}

// Widths for the cell's model (method, budget), computed once and kept in models/<key>.widths.json.
Result<std::vector<int>> widths_for(const Context& ctx, const Cell& cell) {
  const std::string path = ctx.dir + "/models/" + cell.model_key() + ".widths.json";
  if (!exists(path)) {
    if (cell.method == "uniform") {
      auto family = arch::family_from_name(cell.model);
      auto dataset = arch::dataset_preset(ctx.config.dataset);
      auto budget = scaling::parse_budget(cell.budget);
      auto count = scaling::parse_count_mode(ctx.config.count);
      if (!family.ok()) return family.error();
      if (!dataset.ok()) return dataset.error();
      if (!budget.ok()) return budget.error();
      if (!count.ok()) return count.error();
      auto s = scaling::scale_uniform(*family, *dataset, *budget, *count, cell.align);
      if (!s.ok()) return s.error();
      nlohmann::json j = {{"widths", s->widths},
                          {"params", s->params},
                          {"target_params", s->target_params},
                          {"relative_error", s->relative_error}};
      if (Status w = write_file_atomic(path, j.dump(2)); !w.ok()) return w.error();
    } else {
      const auto fit = ctx.fits.find(cell.model);
      if (fit == ctx.fits.end())
        return bad_input("no NeuralScale fit for " + cell.model + " (set fits." + cell.model +
                         " in the study config)");
      const std::string tmp = path + ".out";
      Status s = stage(ctx, cell.model_key(), "scale",
                       {"scale", "--model", cell.model, "--dataset", ctx.config.dataset, "--method",
                        "neuralscale", "--fit", fit->second, "--budget", cell.budget, "--count",
                        ctx.config.count, "--align", std::to_string(cell.align), "--json"},
                       tmp);
      if (!s.ok()) return s.error();
      std::rename(tmp.c_str(), path.c_str());
    }
  }
  auto j = read_json(path);
  if (!j.ok()) return j.error();
  return (*j)["widths"].get<std::vector<int>>();
}

std::string duration(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600,
                  (static_cast<int>(s) % 3600) / 60);
  return buf;
}

// The study's own NeuralScale search for a model without a given fit, in STUDY/search/<model>/
// (resumed when a killed study left it unfinished); returns its fit file.
Result<std::string> search_fit(const Context& ctx, const std::string& model) {
  const StudyConfig& c = ctx.config;
  const SearchSettings& z = c.search;
  const std::string out = ctx.dir + "/search/" + model;
  Result<nlohmann::json> done = read_json(out + "/search.json");
  if (done.ok() && done->value("finished", false)) return out + "/fit.json";
  std::vector<std::string> args = {"search",
                                   "--model",
                                   model,
                                   "--dataset",
                                   c.dataset,
                                   "--subset",
                                   std::to_string(z.subset),
                                   "--batch-size",
                                   std::to_string(z.batch_size),
                                   "--warmup",
                                   std::to_string(z.warmup),
                                   "--prune-fraction",
                                   std::to_string(z.prune_fraction),
                                   "--frequency",
                                   std::to_string(z.frequency),
                                   "--iterations",
                                   std::to_string(z.iterations),
                                   "--count",
                                   c.count,
                                   "-o",
                                   out};
  if (exists(out + "/checkpoint.pt")) args.push_back("--resume");
  if (!c.train.data_dir.empty()) args.insert(args.end(), {"--data-dir", c.train.data_dir});
  std::cerr << "study: NeuralScale search for " << model << " (" << z.iterations
            << " iteration(s), " << z.subset << " images, prune " << z.prune_fraction * 100
            << "% of live channels every " << z.frequency << " minibatches after " << z.warmup
            << " warm-up epoch(s)); progress in " << ctx.dir << "/logs/" << model
            << ".search.log\n";
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = stage(ctx, model, "search", args); !s.ok()) return s.error();
  std::cerr << "study: search for " << model << " done in "
            << duration(
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count())
            << "\n";
  return out + "/fit.json";
}

// Trains (when enabled) and exports the cell's model once; returns the ONNX path.
Result<std::string> model_for(const Context& ctx, const Cell& cell,
                              const std::vector<int>& widths) {
  const std::string mk = cell.model_key();
  const std::string onnx = ctx.dir + "/models/" + mk + ".onnx";
  if (exists(onnx)) return onnx;
  const std::string run = ctx.dir + "/runs/" + mk;
  if (ctx.config.train.enabled && !exists(run + "/summary.json")) {
    const TrainSettings& t = ctx.config.train;
    std::vector<std::string> args = {"train",
                                     "--model",
                                     cell.model,
                                     "--dataset",
                                     ctx.config.dataset,
                                     "--widths",
                                     join(widths),
                                     "--epochs",
                                     std::to_string(t.epochs),
                                     "--batch-size",
                                     std::to_string(t.batch_size),
                                     "--lr",
                                     std::to_string(t.lr),
                                     "--momentum",
                                     std::to_string(t.momentum),
                                     "--schedule",
                                     t.schedule,
                                     "--seed",
                                     std::to_string(cell.seed),
                                     "-o",
                                     run};
    // A study killed mid-training continues that training from its last checkpoint.
    if (exists(run + "/checkpoint.pt")) args.push_back("--resume");
    if (t.subset > 0) args.insert(args.end(), {"--subset", std::to_string(t.subset)});
    if (t.test_subset > 0)
      args.insert(args.end(), {"--test-subset", std::to_string(t.test_subset)});
    if (!t.data_dir.empty()) args.insert(args.end(), {"--data-dir", t.data_dir});
    if (Status s = stage(ctx, mk, "train", args); !s.ok()) return s.error();
  }
  std::vector<std::string> args = {"export", "-o", onnx};
  if (ctx.config.train.enabled)
    args.insert(args.end(), {"--run", run});
  else
    args.insert(args.end(), {"--model", cell.model, "--dataset", ctx.config.dataset, "--widths",
                             join(widths), "--seed", std::to_string(cell.seed)});
  if (Status s = stage(ctx, mk, "export", args); !s.ok()) return s.error();
  return onnx;
}

Status run_cell(const Context& ctx, const Cell& cell) {
  Result<std::vector<int>> widths = failure("");
  Result<std::string> onnx = failure("");
  {
    // Cells of one model (other runtimes, threads) share its widths, training and export.
    FileLock model_lock(ctx.dir + "/locks/" + cell.model_key() + ".lock", /*wait=*/true);
    widths = widths_for(ctx, cell);
    if (!widths.ok()) return widths.error();
    onnx = model_for(ctx, cell, *widths);
  }
  if (!onnx.ok()) return onnx.error();
  const std::string bench_json = ctx.dir + "/cells/" + cell.key() + ".bench.json";
  if (!exists(bench_json)) {
    FileLock bench_lock(ctx.dir + "/locks/bench.lock", /*wait=*/true);  // one measurement at a time
    const BenchSettings& b = ctx.config.bench;
    // libtorch runs the trained run directory itself (eager); the ONNX runtimes run the export.
    const std::string target =
        cell.runtime == "torch" ? ctx.dir + "/runs/" + cell.model_key() : *onnx;
    std::vector<std::string> args = {"bench",         target,
                                     "--runtime",     cell.runtime,
                                     "--threads",     std::to_string(cell.threads),
                                     "--batch",       std::to_string(b.batch),
                                     "--warmup-runs", std::to_string(b.warmup_runs),
                                     "--min-runs",    std::to_string(b.min_runs),
                                     "--min-seconds", std::to_string(b.min_seconds),
                                     "--json",        bench_json};
    if (cell.runtime == "ort") args.insert(args.end(), {"--opt-level", cell.opt_level});
    if (Status s = stage(ctx, cell.key(), "bench", args); !s.ok()) return s;
  }
  auto bench = read_json(bench_json);
  if (!bench.ok()) return bench.error();
  nlohmann::json train = nullptr;
  const std::string summary = ctx.dir + "/runs/" + cell.model_key() + "/summary.json";
  if (ctx.config.train.enabled) {
    auto t = read_json(summary);
    if (!t.ok()) return t.error();
    train = *t;
  }
  auto record = make_record(ctx.config, cell, *widths, train, *bench);
  if (!record.ok()) return record.error();
  if (Status s = ctx.store.write_record(cell.key(), *record); !s.ok()) return s;
  return ctx.store.index(*record);
}

}  // namespace

Result<RunSummary> run_study(const StudyConfig& config, const std::string& dir,
                             const RunOptions& opts) {
  for (const std::string sub : {"", "/cells", "/models", "/runs", "/logs", "/locks", "/search"})
    if (::mkdir((dir + sub).c_str(), 0755) != 0 && errno != EEXIST)
      return bad_input("cannot create study directory " + dir + sub);
  Context ctx{
      config, dir, opts.executable.empty() ? self_executable() : opts.executable, Store(dir), {}};
  // Tests substitute the stage executable (a scripted stand-in) to exercise scheduling and resume.
  if (const char* e = std::getenv("PARAMSCALE_STAGE_EXE"); e && *e && opts.executable.empty())
    ctx.exe = e;
  if (Status s = write_file_atomic(dir + "/config.json", to_json(config).dump(2) + "\n"); !s.ok())
    return s.error();
  if (Status s = ctx.store.reindex(); !s.ok()) return s.error();  // repair a killed run's index

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::vector<Cell> cells = expand(config, static_cast<int>(cores));
  RunSummary sum;
  sum.cells = static_cast<int>(cells.size());
  ctx.fits = config.fits;
  std::set<std::string> searched;
  for (const Cell& c : cells) {
    if (c.method != "neuralscale" || ctx.fits.count(c.model) || searched.count(c.model) ||
        !config.train.enabled || !config.search.enabled || ctx.store.has_record(c.key()))
      continue;
    searched.insert(c.model);
    Result<std::string> fit = search_fit(ctx, c.model);
    if (fit.ok())
      ctx.fits[c.model] = *fit;
    else
      std::cerr << "study: " << fit.error().message << "\n";
  }
  std::vector<const Cell*> todo;
  std::set<std::string> unfit;
  for (const Cell& c : cells) {
    if (ctx.store.has_record(c.key())) {
      ++sum.skipped;
    } else if (c.method == "neuralscale" && !ctx.fits.count(c.model)) {
      unfit.insert(c.model);
      ++sum.unfit;
    } else {
      todo.push_back(&c);
    }
  }
  for (const std::string& m : unfit)
    std::cerr << "study: NeuralScale cells of " << m << " left out: no fit (give --fit " << m
              << "=FILE, e.g. from paramscale search or paramscale fit on a pruning trace"
              << (config.train.enabled ? "" : "; the study searches itself only when it trains")
              << ")\n";
  std::cerr << "study: " << sum.cells << " cells, " << sum.skipped << " already done, "
            << todo.size() << " to run with " << opts.jobs << " job(s) in " << dir << "\n";

  std::atomic<size_t> next{0};
  std::mutex mu;
  const auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (size_t i; (i = next++) < todo.size();) {
      const Cell& cell = *todo[i];
      FileLock cell_lock(dir + "/locks/" + cell.key() + ".lock", /*wait=*/false);
      if (!cell_lock.held() || ctx.store.has_record(cell.key())) {  // another process has it
        std::lock_guard<std::mutex> g(mu);
        ++sum.skipped;
        continue;
      }
      const auto t0 = std::chrono::steady_clock::now();
      const Status s = run_cell(ctx, cell);
      const double took =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::lock_guard<std::mutex> g(mu);
      (s.ok() ? sum.finished : sum.failed)++;
      const int done = sum.finished + sum.failed;
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double eta = elapsed / done * (static_cast<double>(todo.size()) - done);
      std::cerr << "[" << done << "/" << todo.size() << "] " << cell.key() << ": "
                << (s.ok() ? "done" : "FAILED: " + s.error().message) << " in " << duration(took)
                << " (elapsed " << duration(elapsed) << ", ETA " << duration(eta) << ")\n";
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < std::max(1, opts.jobs); ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (Status s = ctx.store.reindex(); !s.ok()) return s.error();
  return sum;
}

}  // namespace paramscale::study
