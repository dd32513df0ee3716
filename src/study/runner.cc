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
#include "runtime/bench_record.h"
#include "scaling/budget.h"
#include "study/cell.h"
#include "study/process.h"
#include "study/progress.h"
#include "study/record.h"
#include "study/stages.h"
#include "util/cores.h"
#include "util/files.h"
#include "util/limits.h"
#include "util/subprocess.h"

namespace paramscale::study {

namespace {
// A cell's model size relative to its family's 1.0x network, from its budget alone.
double relative_size(const Cell& cell) {
  const Result<scaling::Budget> b = scaling::parse_budget(cell.budget);
  if (!b.ok()) return 0;
  return b->kind == scaling::BudgetKind::Width ? b->value * b->value : b->value;
}

// Puts the cells in the order their models are made and measured: largest first, so that with
// --jobs N the last model to finish is a small one rather than the largest training alone on
// cores / N threads while the other workers idle (the quick preset's training with two workers
// took 14 min 39 s in cell order, 11 min 58 s largest first). Size is the budget in parameters
// (width:w counts as w^2); at equal budgets NeuralScale's first (its widths put more channels in
// the high-resolution layers: more MACs). INT8 models after every FP32 one: each needs its float
// twin's training, which a worker handed it early would wait for. Stable: ties keep cell order.
void order_largest_first(std::vector<const Cell*>& cells) {
  std::stable_sort(cells.begin(), cells.end(), [](const Cell* a, const Cell* b) {
    const bool a_int8 = a->precision == "int8", b_int8 = b->precision == "int8";
    if (a_int8 != b_int8) return b_int8;
    const double sa = relative_size(*a), sb = relative_size(*b);
    if (sa != sb) return sa > sb;
    return a->method == "neuralscale" && b->method != "neuralscale";
  });
}

// Models the cells need, each made once (widths, training, export) by the make workers, in the
// order cells need them; the measuring threads wait for theirs. The study's own NeuralScale
// searches are jobs of the same workers, queued first: a worker runs a search while the others
// train uniform models, and a NeuralScale model is handed out only once its family's search is
// done (on 2 cores this overlaps the search with the first training instead of running it alone).
class Models {
 public:
  void add_search(const std::string& model) {
    if (searches_.emplace(model, Search{}).second) jobs_.push_back({nullptr, model});
  }
  void add(const Cell& cell) {
    if (slots_.emplace(cell.model_key(), Slot{}).second) jobs_.push_back({&cell, ""});
  }
  // Runs jobs until none is left: searches, and models whose search (if any) is done.
  void work(const StageContext& ctx) {
    while (std::optional<Job> job = next()) {
      if (job->cell == nullptr) {
        finish_search(job->search, search(ctx, job->search));
      } else if (Status s = search_status(*job->cell); !s.ok()) {
        finish(job->cell->model_key(), s.error());
      } else {
        finish(job->cell->model_key(), make_model(ctx, *job->cell));
      }
    }
  }
  // Blocks until the model is made; its widths and ONNX file, or why it could not be made.
  Result<MadeModel> wait(const std::string& key) {
    std::unique_lock<std::mutex> g(mu_);
    changed_.wait(g, [&] { return slots_.at(key).done; });
    return slots_.at(key).made;
  }

 private:
  struct Job {
    const Cell* cell;    // the model to make, or nullptr for:
    std::string search;  // the family whose NeuralScale search to run
  };
  struct Slot {
    bool done = false;
    Result<MadeModel> made = failure("not made");
  };
  struct Search {
    bool done = false;
    Status status;
  };

  static Status search(const StageContext& ctx, const std::string& model) {
    try {  // an exception on a worker thread would abort the study: it fails the search instead
      const Result<std::string> fit = search_fit(ctx, model);
      return fit.ok() ? Status() : Status(fit.error());
    } catch (const std::exception& e) {
      return failure(std::string("cannot search ") + model + ": " + e.what());
    }
  }
  bool ready(const Job& job) const {
    if (job.cell == nullptr || job.cell->method != "neuralscale") return true;
    const auto s = searches_.find(job.cell->model);
    return s == searches_.end() || s->second.done;
  }
  // The first job not yet taken that can start; blocks while all that remain wait for a search.
  std::optional<Job> next() {
    std::unique_lock<std::mutex> g(mu_);
    for (;;) {
      bool pending = false;
      for (size_t i = 0; i < jobs_.size(); ++i) {
        if (taken_.count(i)) continue;
        pending = true;
        if (!ready(jobs_[i])) continue;
        taken_.insert(i);
        return jobs_[i];
      }
      if (!pending) return std::nullopt;
      changed_.wait(g);
    }
  }
  Status search_status(const Cell& cell) {
    std::lock_guard<std::mutex> g(mu_);
    const auto s = searches_.find(cell.model);
    if (s == searches_.end() || cell.method != "neuralscale" || s->second.status.ok()) return {};
    return failure("no NeuralScale fit for " + cell.model + ": " +
                   s->second.status.error().message);
  }
  void finish_search(const std::string& model, Status status) {
    {
      std::lock_guard<std::mutex> g(mu_);
      searches_.at(model) = {true, std::move(status)};
    }
    changed_.notify_all();
  }
  void finish(const std::string& key, Result<MadeModel> made) {
    {
      std::lock_guard<std::mutex> g(mu_);
      slots_.at(key) = {true, std::move(made)};
    }
    changed_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Slot> slots_;
  std::map<std::string, Search> searches_;
  std::vector<Job> jobs_;
  std::set<size_t> taken_;
};

// Is the device there, and does it take its bundle? Checked once before its cells, so an
// unreachable device fails its cells with one reason instead of one timeout each.
Status device_ready(const StageContext& ctx, const std::string& name) {
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
void measure_on_device(const StageContext& ctx, const std::string& device,
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
      if (!ready->ok()) {
        s = failure(ready->error().message + " (not retried in this run; --resume retries)");
      } else {
        const Result<MadeModel> made = models.wait(cell->model_key());
        s = made.ok() ? measure_model(ctx, *cell, *made) : Status(made.error());
      }
    } catch (const std::exception& e) {
      s = failure(std::string("cannot measure ") + cell->key() + ": " + e.what());
    }
    progress.done(*cell, s, Progress::seconds_since(t0));
  }
}

}  // namespace

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

// Removes the record (and raw bench output) of every cell measured on a board that throttled, so
// the run below measures it again; the index is rebuilt afterwards as always.
void forget_throttled(const StageContext& ctx, const std::vector<Cell>& cells) {
  int n = 0;
  for (const Cell& c : cells) {
    auto r = read_study_file(ctx.store.record_path(c.key()));
    if (!r.ok() || !r->is_object() || !r->contains("bench")) continue;
    const auto bench = runtime::BenchRecord::parse((*r)["bench"]);
    if (!bench.ok() || !bench->throttling.throttled) continue;
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
  StageContext ctx{config,     dir, opts.executable.empty() ? self_executable() : opts.executable,
                   Store(dir), {},  devices_file};
  // Tests substitute the stage executable (a scripted stand-in) to exercise scheduling and resume.
  if (const char* e = std::getenv("PARAMSCALE_STAGE_EXE"); e && *e && opts.executable.empty())
    ctx.exe = e;
  const int cores = usable_cores();
  if (opts.jobs > 1) ctx.training_threads = std::max(1, cores / opts.jobs);
  if (Status s = write_file_atomic(dir + "/config.json", to_json(config).dump(2) + "\n"); !s.ok())
    return s.error();
  if (Status s = ctx.store.reindex(); !s.ok()) return s.error();  // repair a killed run's index
  sweep_temp_files(dir);

  const std::vector<Cell> cells = expand(config, cores);
  if (opts.rerun_throttled) forget_throttled(ctx, cells);
  RunSummary sum;
  sum.cells = static_cast<int>(cells.size());
  // NeuralScale cells of a family with no given fit scale with the study's own search of it
  // (only when the study trains: the search trains). It runs as the pool's first job(s).
  ctx.fits = config.fits;
  std::set<std::string> searches;
  for (const Cell& c : cells)
    if (c.method == "neuralscale" && !ctx.fits.count(c.model) && config.train.enabled &&
        config.search.enabled && !ctx.store.has_record(c.key()))
      searches.insert(c.model);
  for (const std::string& m : searches) ctx.fits[m] = search_fit_file(dir, m);
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
            << todo.size() << " to run with " << opts.jobs << " job(s) making models"
            << (ctx.training_threads > 0
                    ? " (training on " + std::to_string(ctx.training_threads) + " thread(s) each)"
                    : "")
            << " and " << config.devices.size() << " device(s) measuring in " << dir << "\n";

  order_largest_first(todo);
  Models models;
  for (const std::string& m : searches) models.add_search(m);
  for (const Cell* c : todo) models.add(*c);
  Progress progress(sum, todo.size());
  std::vector<std::thread> pool;
  for (int j = 0; j < std::max(1, opts.jobs); ++j) pool.emplace_back([&] { models.work(ctx); });
  for (const std::string& device : config.devices)
    pool.emplace_back([&, device] { measure_on_device(ctx, device, todo, models, progress); });
  for (auto& t : pool) t.join();
  if (Status s = ctx.store.reindex(); !s.ok()) return s.error();
  return sum;
}

}  // namespace paramscale::study
