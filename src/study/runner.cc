#include "study/runner.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "arch/analysis.h"
#include "arch/families.h"
#include "device/registry.h"
#include "device/session.h"
#include "scaling/uniform.h"
#include "study/cell.h"
#include "study/process.h"
#include "study/record.h"
#include "util/files.h"
#include "util/limits.h"

namespace paramscale::study {

namespace {
bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

Result<nlohmann::json> read_json(const std::string& path) {
  auto text = read_regular_file(path, "study file", kMaxTextFileBytes);
  if (!text.ok()) return failure(text.error().message);
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
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
      fits;                  // model -> NeuralScale fit: the config's or our search's
  std::string devices_file;  // the config's, or the default devices file
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

// The widths in a widths file, or an error when it is damaged (not JSON, no "widths" array of
// positive integers of the family's length).
Result<std::vector<int>> read_widths(const std::string& path, const std::string& model) {
  auto j = read_json(path);
  if (!j.ok()) return j.error();
  auto family = arch::family_from_name(model);
  if (!family.ok()) return family.error();
  const size_t n = arch::base_widths(*family).size();
  const nlohmann::json* w = j->is_object() && j->contains("widths") ? &(*j)["widths"] : nullptr;
  bool ok = w && w->is_array() && w->size() == n;
  for (size_t i = 0; ok && i < n; ++i)
    ok = (*w)[i].is_number_integer() && (*w)[i].get<int64_t>() >= 1 &&
         (*w)[i].get<int64_t>() <= kMaxWidth;
  if (!ok) return failure(path + " is damaged (no list of " + std::to_string(n) + " widths)");
  return w->get<std::vector<int>>();
}

// Widths for the cell's model (method, budget), computed once and kept in models/<key>.widths.json;
// a damaged widths file is computed again.
Result<std::vector<int>> widths_for(const Context& ctx, const Cell& cell) {
  const std::string path = ctx.dir + "/models/" + cell.model_key() + ".widths.json";
  if (exists(path) && !read_widths(path, cell.model).ok()) std::remove(path.c_str());
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
      // Named like write_file_atomic's temp files, so a killed study's leftover is swept.
      const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + ".scale";
      Status s = stage(ctx, cell.model_key(), "scale",
                       {"scale", "--model", cell.model, "--dataset", ctx.config.dataset, "--method",
                        "neuralscale", "--fit", fit->second, "--budget", cell.budget, "--count",
                        ctx.config.count, "--align", std::to_string(cell.align), "--json"},
                       tmp);
      if (!s.ok()) {
        std::remove(tmp.c_str());
        return s.error();
      }
      std::rename(tmp.c_str(), path.c_str());
    }
  }
  return read_widths(path, cell.model);
}

// An ONNX model our export wrote: a regular, non-empty file starting with ModelProto's first field
// (ir_version, tag 0x08). A 0-byte or overwritten shared model is made again.
bool plausible_onnx(const std::string& path) {
  if (!is_regular_file(path)) return false;
  std::ifstream in(path, std::ios::binary);
  char first = 0;
  return in.get(first) && first == 0x08;
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
  // A damaged search.json (not an object) is an unfinished search: it is resumed.
  if (done.ok() && done->is_object() && done->contains("finished") && (*done)["finished"] == true)
    return out + "/fit.json";
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
  if (exists(onnx) && plausible_onnx(onnx)) return onnx;
  std::remove(onnx.c_str());
  const std::string run = ctx.dir + "/runs/" + mk;
  // A damaged summary is written again by resuming the run (its checkpoint is at the last epoch).
  if (auto summary = read_json(run + "/summary.json"); !summary.ok() || !summary->is_object())
    std::remove((run + "/summary.json").c_str());
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

// Models the cells need, each made once (widths, training, export) by the make workers, in the
// order cells need them; the measuring threads wait for theirs.
class Models {
 public:
  void add(const Cell& cell) {
    if (slots_.emplace(cell.model_key(), Slot{}).second) order_.push_back(&cell);
  }
  const Cell* next() {
    std::lock_guard<std::mutex> g(mu_);
    return next_ < order_.size() ? order_[next_++] : nullptr;
  }
  void finish(const std::string& key, Result<std::vector<int>> widths, Result<std::string> onnx) {
    {
      std::lock_guard<std::mutex> g(mu_);
      Slot& s = slots_.at(key);
      s.widths = std::move(widths);
      s.onnx = std::move(onnx);
      s.done = true;
    }
    ready_.notify_all();
  }
  // Blocks until the model is made; the widths and ONNX path, or why it could not be made.
  std::pair<Result<std::vector<int>>, Result<std::string>> wait(const std::string& key) {
    std::unique_lock<std::mutex> g(mu_);
    ready_.wait(g, [&] { return slots_.at(key).done; });
    return {slots_.at(key).widths, slots_.at(key).onnx};
  }

 private:
  struct Slot {
    bool done = false;
    Result<std::vector<int>> widths = failure("not made");
    Result<std::string> onnx = failure("not made");
  };
  std::mutex mu_;
  std::condition_variable ready_;
  std::map<std::string, Slot> slots_;
  std::vector<const Cell*> order_;
  size_t next_ = 0;
};

// Making models takes this machine's lock shared, so a local measurement (exclusive) never runs
// while a model trains or exports; devices measure on their own hardware and need only their own
// lock (one measurement at a time per device).
std::string machine_lock(const Context& ctx) { return ctx.dir + "/locks/bench.lock"; }
std::string device_lock(const Context& ctx, const std::string& device) {
  return device == device::kLocal ? machine_lock(ctx)
                                  : ctx.dir + "/locks/bench.on-" + device + ".lock";
}

void make_models(const Context& ctx, Models& models) {
  while (const Cell* cell = models.next()) {
    FileLock machine(machine_lock(ctx), /*wait=*/true, /*shared=*/true);
    // Other study processes on this directory make the same models: one at a time per model.
    FileLock model_lock(ctx.dir + "/locks/" + cell->model_key() + ".lock", /*wait=*/true);
    Result<std::vector<int>> widths = failure("not made");
    Result<std::string> onnx = failure("not made");
    try {  // an exception on a worker thread would abort the study: it fails this model instead
      widths = widths_for(ctx, *cell);
      onnx = widths.ok() ? model_for(ctx, *cell, *widths) : Result<std::string>(widths.error());
    } catch (const std::exception& e) {
      const Error err = failure(std::string("cannot make ") + cell->model_key() + ": " + e.what());
      widths = err;
      onnx = err;
    }
    models.finish(cell->model_key(), std::move(widths), std::move(onnx));
  }
}

std::vector<std::string> bench_args(const Context& ctx, const Cell& cell, const std::string& onnx,
                                    const std::string& out) {
  const BenchSettings& b = ctx.config.bench;
  // libtorch runs the trained run directory itself (eager); the ONNX runtimes run the export.
  const std::string target = cell.runtime == "torch" ? ctx.dir + "/runs/" + cell.model_key() : onnx;
  std::vector<std::string> args = {
      "bench",         target,
      "--runtime",     cell.runtime,
      "--threads",     cell.threads > 0 ? std::to_string(cell.threads) : "all",
      "--batch",       std::to_string(b.batch),
      "--warmup-runs", std::to_string(b.warmup_runs),
      "--min-runs",    std::to_string(b.min_runs),
      "--min-seconds", std::to_string(b.min_seconds),
      "--warmup-ms",   std::to_string(b.warmup_ms),
      "--target-ci",   std::to_string(b.target_ci),
      "--max-seconds", std::to_string(b.max_seconds),
      "--json",        out};
  if (cell.runtime == "ort") args.insert(args.end(), {"--opt-level", cell.opt_level});
  if (cell.device != device::kLocal)
    args.insert(args.end(), {"--device", cell.device, "--devices", ctx.devices_file});
  return args;
}

// The cells whose per-layer explanation the study measures (ExplainSettings): ONNX Runtime here,
// optimisation "all", the study's largest thread count.
bool explains(const Context& ctx, const Cell& cell) {
  if (!ctx.config.explain.enabled || cell.runtime != "ort" || cell.device != device::kLocal ||
      cell.opt_level != "all")
    return false;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  int most = 0;
  for (int t : ctx.config.threads) most = std::max(most, t > 0 ? t : cores);
  return cell.threads == most;
}

Status measure_cell(const Context& ctx, const Cell& cell, Models& models) {
  auto [widths, onnx] = models.wait(cell.model_key());
  if (!widths.ok()) return widths.error();
  if (!onnx.ok()) return onnx.error();
  const std::string bench_json = ctx.dir + "/cells/" + cell.key() + ".bench.json";
  // A bench file that holds no measurement (damaged, truncated) is measured again.
  if (exists(bench_json)) {
    auto old = read_json(bench_json);
    if (!old.ok() || !bench_result(*old).ok()) std::remove(bench_json.c_str());
  }
  if (!exists(bench_json)) {
    FileLock lock(device_lock(ctx, cell.device), /*wait=*/true);
    if (Status s = stage(ctx, cell.key(), "bench", bench_args(ctx, cell, *onnx, bench_json));
        !s.ok())
      return s;
  }
  const std::string explain_json = ctx.dir + "/cells/" + cell.key() + ".explain.json";
  nlohmann::json explained = nullptr;
  if (explains(ctx, cell)) {
    if (!exists(explain_json)) {
      FileLock lock(machine_lock(ctx), /*wait=*/true);  // it measures: nothing else may run
      if (Status s = stage(ctx, cell.key(), "explain",
                           {"explain", *onnx, "--threads", std::to_string(cell.threads), "--runs",
                            std::to_string(ctx.config.explain.runs), "--json", explain_json});
          !s.ok())
        return s;
    }
    auto e = read_json(explain_json);
    if (!e.ok()) return e.error();
    explained = *e;
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
  auto record = make_record(ctx.config, cell, *widths, train, *bench, explained);
  if (!record.ok()) return record.error();
  if (Status s = check_record(*record, cell.key()); !s.ok())
    return failure("the record of " + cell.key() + " would be malformed: " + s.error().message);
  if (Status s = ctx.store.write_record(cell.key(), *record); !s.ok()) return s;
  return ctx.store.index(*record);
}

// Counts finished and failed cells and prints one progress line per cell, with the ETA.
class Progress {
 public:
  Progress(RunSummary& sum, size_t total) : sum_(sum), total_(total) {}
  void skipped() {
    std::lock_guard<std::mutex> g(mu_);
    ++sum_.skipped;
  }
  void done(const Cell& cell, const Status& s, double took) {
    std::lock_guard<std::mutex> g(mu_);
    (s.ok() ? sum_.finished : sum_.failed)++;
    const int done = sum_.finished + sum_.failed;
    const double elapsed = seconds_since(start_);
    const double eta = elapsed / done * (static_cast<double>(total_) - done);
    std::cerr << "[" << done << "/" << total_ << "] " << cell.key() << ": "
              << (s.ok() ? "done" : "FAILED: " + s.error().message) << " in " << duration(took)
              << " (elapsed " << duration(elapsed) << ", ETA " << duration(eta) << ")\n";
  }
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }

 private:
  std::mutex mu_;
  RunSummary& sum_;
  size_t total_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Is the device there, and does it take its bundle? Checked once before its cells, so an
// unreachable device fails its cells with one reason instead of one timeout each.
Status device_ready(const Context& ctx, const std::string& name) {
  if (name == device::kLocal) return {};
  auto devices = device::read_devices(ctx.devices_file);
  if (!devices.ok()) return devices.error();
  auto d = device::find_device(*devices, name, ctx.devices_file);
  if (!d.ok()) return d.error();
  device::Session session(*d);
  auto bin = session.install();
  if (!bin.ok()) return bin.error();
  return {};
}

// One thread per device: its cells in order, one measurement at a time.
void measure_on_device(const Context& ctx, const std::string& device,
                       const std::vector<const Cell*>& cells, Models& models, Progress& progress) {
  std::optional<Status> ready;
  for (const Cell* cell : cells) {
    if (cell->device != device) continue;
    FileLock cell_lock(ctx.dir + "/locks/" + cell->key() + ".lock", /*wait=*/false);
    if (!cell_lock.held() || ctx.store.has_record(cell->key())) {  // another process has it
      progress.skipped();
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (!ready) ready = device_ready(ctx, device);
    Status s;
    try {  // an exception on a measuring thread would abort the study: it fails this cell instead
      s = ready->ok() ? measure_cell(ctx, *cell, models)
                      : Status(failure(ready->error().message +
                                       " (not retried in this run; --resume retries)"));
    } catch (const std::exception& e) {
      s = failure(std::string("cannot measure ") + cell->key() + ": " + e.what());
    }
    progress.done(*cell, s, Progress::seconds_since(t0));
  }
}

// What killed study processes (and their stages) left half-written: temp files whose writer is
// gone. Live writers' files (another study process on this directory) are kept.
void sweep_temp_files(const std::string& dir) {
  for (const std::string sub : {"", "/cells", "/models", "/logs"})
    remove_stale_temp_files(dir + sub);
  for (const std::string sub : {"/runs", "/search"})
    if (DIR* d = ::opendir((dir + sub).c_str())) {
      while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') remove_stale_temp_files(dir + sub + "/" + e->d_name);
      ::closedir(d);
    }
}

}  // namespace

// Removes the record (and raw bench output) of every cell measured on a board that throttled, so
// the run below measures it again; the index is rebuilt afterwards as always.
void forget_throttled(const Context& ctx, const std::vector<Cell>& cells) {
  int n = 0;
  for (const Cell& c : cells) {
    auto r = read_json(ctx.store.record_path(c.key()));
    if (!r.ok() || !r->is_object()) continue;
    const nlohmann::json& b = r->value("bench", nlohmann::json::object());
    if (!b.is_object() || !b.contains("board") || !b["board"].is_object() ||
        !b["board"].value("throttling", nlohmann::json::object()).value("throttled", false))
      continue;
    std::remove((ctx.dir + "/cells/" + c.key() + ".bench.json").c_str());
    std::remove(ctx.store.record_path(c.key()).c_str());
    ++n;
  }
  std::cerr << "study: " << n << " cell(s) measured on a throttled board will be measured again\n";
}

Status check_devices(const StudyConfig& config, const std::string& devices_file) {
  std::vector<device::Device> known;
  bool loaded = false;
  for (const std::string& name : config.devices) {
    if (name == device::kLocal) continue;
    if (!loaded) {
      auto d = device::read_devices(devices_file);
      if (!d.ok()) return d.error();
      known = *d;
      loaded = true;
    }
    if (auto d = device::find_device(known, name, devices_file); !d.ok()) return d.error();
  }
  return {};
}

Result<RunSummary> run_study(const StudyConfig& config, const std::string& dir,
                             const RunOptions& opts) {
  const std::string devices_file =
      config.devices_file.empty() ? device::default_devices_path() : config.devices_file;
  if (Status s = check_devices(config, devices_file); !s.ok()) return s.error();
  for (const std::string sub : {"", "/cells", "/models", "/runs", "/logs", "/locks", "/search"})
    if (::mkdir((dir + sub).c_str(), 0755) != 0 && errno != EEXIST)
      return bad_input("cannot create study directory " + dir + sub);
  Context ctx{config,     dir, opts.executable.empty() ? self_executable() : opts.executable,
              Store(dir), {},  devices_file};
  // Tests substitute the stage executable (a scripted stand-in) to exercise scheduling and resume.
  if (const char* e = std::getenv("PARAMSCALE_STAGE_EXE"); e && *e && opts.executable.empty())
    ctx.exe = e;
  if (Status s = write_file_atomic(dir + "/config.json", to_json(config).dump(2) + "\n"); !s.ok())
    return s.error();
  if (Status s = ctx.store.reindex(); !s.ok()) return s.error();  // repair a killed run's index
  sweep_temp_files(dir);

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::vector<Cell> cells = expand(config, static_cast<int>(cores));
  if (opts.rerun_throttled) forget_throttled(ctx, cells);
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
            << todo.size() << " to run with " << opts.jobs << " job(s) making models and "
            << config.devices.size() << " device(s) measuring in " << dir << "\n";

  Models models;
  for (const Cell* c : todo) models.add(*c);
  Progress progress(sum, todo.size());
  std::vector<std::thread> pool;
  for (int j = 0; j < std::max(1, opts.jobs); ++j)
    pool.emplace_back([&] { make_models(ctx, models); });
  for (const std::string& device : config.devices)
    pool.emplace_back([&, device] { measure_on_device(ctx, device, todo, models, progress); });
  for (auto& t : pool) t.join();
  if (Status s = ctx.store.reindex(); !s.ok()) return s.error();
  return sum;
}

}  // namespace paramscale::study
