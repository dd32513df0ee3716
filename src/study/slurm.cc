#include "study/slurm.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "device/registry.h"
#include "study/process.h"
#include "study/progress.h"
#include "study/slurm_cluster.h"
#include "study/slurm_submissions.h"
#include "study/stages.h"
#include "util/atomic_file.h"
#include "util/cores.h"
#include "util/subprocess.h"

namespace paramscale::study {

namespace {

// The newest measure task of a cell: which array and index.
struct TaskRef {
  std::string job;  // "" when its array was never accepted
  int index = 0;
};

std::map<std::string, TaskRef> newest_tasks(const Submissions& subs) {
  std::map<std::string, TaskRef> out;
  for (const Submission& s : subs.list) {
    const auto w = s.waves.find("measure");
    if (w == s.waves.end()) continue;
    for (size_t i = 0; i < w->second.tasks.size(); ++i)
      if (auto cell = cell_from_json(w->second.tasks[i]); cell.ok())
        out[cell->key()] = {w->second.job, static_cast<int>(i)};
  }
  return out;
}

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

// A cell whose newest task is no longer pending or running, and left no record.
CellState failed_state(const std::string& dir, const std::string& key, const TaskRef& t,
                       const TaskState* q) {
  const std::string id = t.job + "_" + std::to_string(t.index);
  std::string reason = !q ? "ended without a record (Slurm no longer lists the task)"
                       : q->state == "COMPLETED" ? "COMPLETED without a record"
                                                 : q->state;
  if (q && !q->reason.empty() && q->reason != "None") reason += " (" + q->reason + ")";
  const std::string log = last_line(dir + "/logs/slurm-measure-" + id + ".out");
  if (!log.empty()) reason += "; log: " + log;
  return {key, "failed", id, reason};
}

// Each cell's state. Queue states are read before the records are looked at again: a task writes
// its record before it ends, so a finished task without a record really left none.
Result<std::vector<CellState>> cell_states(const std::string& dir, const Submissions& subs,
                                           const std::vector<Cell>& cells) {
  const Store store(dir);
  const std::map<std::string, TaskRef> newest = newest_tasks(subs);
  std::map<std::string, std::map<int, TaskState>> queue;
  for (const Cell& c : cells) {
    const auto t = newest.find(c.key());
    if (t == newest.end() || t->second.job.empty() || queue.count(t->second.job) ||
        store.has_record(c.key()))
      continue;
    if (queue.empty())
      if (Status s = check_slurm(); !s.ok()) return s.error();
    auto states = array_states(t->second.job);
    if (!states.ok()) return states.error();
    queue[t->second.job] = *states;
  }
  std::vector<CellState> out;
  for (const Cell& c : cells) {
    const auto t = newest.find(c.key());
    if (store.has_record(c.key())) {
      out.push_back({c.key(), "done",
                     t == newest.end() ? "" : t->second.job + "_" + std::to_string(t->second.index),
                     ""});
    } else if (t == newest.end() || t->second.job.empty()) {
      out.push_back({c.key(), "not submitted", "", ""});
    } else {
      const auto& tasks = queue[t->second.job];
      const auto q = tasks.find(t->second.index);
      const TaskState* qs = q == tasks.end() ? nullptr : &q->second;
      if (qs && !qs->finished())
        out.push_back({c.key(),
                       qs->state == "RUNNING" || qs->state == "COMPLETING" ? "running" : "pending",
                       t->second.job + "_" + std::to_string(t->second.index), qs->reason});
      else
        out.push_back(failed_state(dir, c.key(), t->second, qs));
    }
  }
  return out;
}

// The study's cells: as the first submission expanded them (thread counts resolved there), else
// expanded here.
std::vector<Cell> study_cells(const StudyConfig& config, const Submissions& subs) {
  std::vector<Cell> cells;
  for (const nlohmann::json& j : subs.cells)
    if (auto c = cell_from_json(j); c.ok()) cells.push_back(*c);
  if (cells.empty() || subs.cells.size() != cells.size()) cells = expand(config, usable_cores());
  return cells;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

ArraySpec wave_spec(const StudyConfig& config, const std::string& dir, int id,
                    const std::string& wave, int tasks) {
  const bool measure = wave == "measure";
  // The study's own search trains: it runs with the make settings.
  const SlurmStage& s = measure ? config.slurm.measure : config.slurm.make;
  ArraySpec a;
  a.name = "paramscale-" + wave;
  a.script = dir + "/slurm/" + std::to_string(id) + "-" + wave + ".sh";
  a.tasks = tasks;
  a.max_concurrent = s.max_concurrent;
  a.time = s.time;
  a.partition = s.partition;
  a.gres = s.gres;
  a.constraint = s.constraint;
  a.exclusive = measure && config.slurm.measure_exclusive;
  a.output = dir + "/logs/slurm-" + wave + "-%A_%a.out";
  a.extra = s.extra_args;
  return a;
}

// Writes the wave's batch script: one `paramscale study-task` per array index.
Status write_script(const std::string& path, const std::string& exe, const std::string& dir, int id,
                    const std::string& wave) {
  const std::string text = "#!/bin/sh\n# paramscale study " + dir + ": submission " +
                           std::to_string(id) + ", wave " + wave + " (study/slurm.h)\nexec " +
                           shell_quote(exe) + " study-task " + shell_quote(dir) + " --submission " +
                           std::to_string(id) + " --wave " + wave +
                           " --index \"$SLURM_ARRAY_TASK_ID\"\n";
  if (Status s = write_file_atomic(path, text); !s.ok()) return s;
  ::chmod(path.c_str(), 0755);
  return {};
}

// Lists the submission, then submits its arrays in wave order, each depending (afterany) on the
// one before. If sbatch refuses one, the arrays already accepted are cancelled and the entry
// dropped, so nothing half-submitted stays behind.
Result<Submission> submit_waves(const StudyConfig& config, const std::string& dir,
                                const std::string& exe, Submissions& subs,
                                const std::map<std::string, std::vector<nlohmann::json>>& tasks) {
  Submission sub;
  sub.id = subs.list.empty() ? 1 : subs.list.back().id + 1;
  sub.submitted = utc_now();
  for (const auto& [wave, t] : tasks)
    if (!t.empty()) sub.waves[wave] = Wave{"", t};
  subs.list.push_back(sub);
  if (Status s = write_submissions(dir, subs); !s.ok()) return s.error();  // before any task runs
  std::string previous;
  for (const std::string& wave : kWaves) {
    const auto w = sub.waves.find(wave);
    if (w == sub.waves.end()) continue;
    ArraySpec spec = wave_spec(config, dir, sub.id, wave, static_cast<int>(w->second.tasks.size()));
    if (!previous.empty()) spec.dependency = "afterany:" + previous;
    Status script = write_script(spec.script, exe, dir, sub.id, wave);
    Result<std::string> job =
        script.ok() ? submit_array(spec) : Result<std::string>(script.error());
    if (!job.ok()) {
      for (const auto& [name, x] : sub.waves)
        if (!x.job.empty()) (void)cancel_job(x.job);
      subs.list.pop_back();
      (void)write_submissions(dir, subs);
      return job.error();
    }
    w->second.job = previous = *job;
    subs.list.back() = sub;
    if (Status s = write_submissions(dir, subs); !s.ok()) return s.error();
  }
  return sub;
}

// What a submission has to do: cells neither done nor pending/running, their models' making
// (unless made), and the study's own searches for their NeuralScale fits.
struct Plan {
  std::vector<std::string> search;
  std::vector<Cell> make, measure, active;
  std::set<std::string> unfit;
  int done = 0, unfit_cells = 0;
};

Plan plan_submission(const StageContext& ctx, const std::vector<Cell>& cells,
                     const std::vector<CellState>& states) {
  Plan p;
  std::set<std::string> models;
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cell& c = cells[i];
    const std::string& st = states[i].state;
    if (st == "done") {
      ++p.done;
      continue;
    }
    if (st == "pending" || st == "running") {
      p.active.push_back(c);
      continue;
    }
    if (c.method == "neuralscale" && !ctx.fits.count(c.model)) {
      if (!ctx.config.train.enabled || !ctx.config.search.enabled) {
        p.unfit.insert(c.model);
        ++p.unfit_cells;
        continue;
      }
      if (std::find(p.search.begin(), p.search.end(), c.model) == p.search.end())
        p.search.push_back(c.model);
    }
    p.measure.push_back(c);
    if (models.insert(c.model_key()).second && !made_model(ctx, c).ok()) p.make.push_back(c);
  }
  return p;
}

// Polls the queue until every watched cell is done or failed, one progress line per cell. A
// controller that stops answering is waited for up to 10 minutes (tasks go on without us).
Status wait_cells(const std::string& dir, const Submissions& subs, const std::vector<Cell>& watch,
                  double poll, RunSummary& sum) {
  Progress progress(sum, watch.size());
  std::map<std::string, Cell> open;
  for (const Cell& c : watch) open.emplace(c.key(), c);
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> unreachable;
  std::string counts;
  while (!open.empty()) {
    std::this_thread::sleep_for(std::chrono::duration<double>(poll));
    std::vector<Cell> left;
    for (const auto& [key, c] : open) left.push_back(c);
    auto states = cell_states(dir, subs, left);
    if (!states.ok()) {
      if (!unreachable) std::cerr << "study: " << states.error().message << " (still waiting)\n";
      if (!unreachable) unreachable = std::chrono::steady_clock::now();
      if (Progress::seconds_since(*unreachable) > 600) return states.error();
      continue;
    }
    unreachable.reset();
    int running = 0, pending = 0;
    for (const CellState& s : *states) {
      if (s.state == "running" || s.state == "pending") {
        (s.state == "running" ? running : pending)++;
        continue;
      }
      const Status outcome =
          s.state == "done" ? Status() : Status(failure(s.job + " " + s.state + ": " + s.reason));
      progress.done(open.at(s.key), outcome, Progress::seconds_since(start));
      open.erase(s.key);
    }
    const std::string now =
        std::to_string(running) + " running, " + std::to_string(pending) + " pending";
    if (!open.empty() && now != counts) std::cerr << "study: " << now << "\n";
    counts = now;
  }
  return {};
}

void say_unfit(const StudyConfig& config, const std::set<std::string>& unfit) {
  for (const std::string& m : unfit)
    std::cerr << "study: NeuralScale cells of " << m << " left out: no fit (give --fit " << m
              << "=FILE, e.g. from paramscale search or paramscale fit on a pruning trace"
              << (config.train.enabled ? "" : "; the study searches itself only when it trains")
              << ")\n";
}

}  // namespace

Result<RunSummary> run_study_slurm(const StudyConfig& config, const std::string& dir_arg,
                                   const SlurmRunOptions& opts) {
  // Nothing is created, nothing submitted, before Slurm answers.
  if (Status s = check_slurm(); !s.ok()) return s.error();
  const std::string devices_file =
      config.devices_file.empty() ? device::default_devices_path() : config.devices_file;
  if (Status s = check_devices(config, devices_file); !s.ok()) return s.error();
  // Tasks run elsewhere, in another working directory: every path they get is absolute.
  std::string dir = std::filesystem::absolute(dir_arg).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  for (const std::string sub :
       {"", "/cells", "/models", "/runs", "/logs", "/locks", "/search", "/slurm"})
    if (::mkdir((dir + sub).c_str(), 0755) != 0 && errno != EEXIST)
      return bad_input("cannot create study directory " + dir + sub);
  if (Status s = write_file_atomic(dir + "/config.json", to_json(config).dump(2) + "\n"); !s.ok())
    return s.error();
  // One submitter at a time decides what to submit; held until the arrays are submitted, not
  // while waiting, so another `study --resume` or a second submitter is not blocked by a wait.
  auto submitting = std::make_unique<FileLock>(dir + "/locks/slurm-submit.lock", /*wait=*/true);
  auto subs = read_submissions(dir);
  if (!subs.ok()) return subs.error();
  const std::vector<Cell> cells = study_cells(config, *subs);
  if (subs->cells.empty())
    for (const Cell& c : cells) subs->cells.push_back(cell_to_json(c));
  auto states = cell_states(dir, *subs, cells);
  if (!states.ok()) return states.error();
  const bool active = std::any_of(states->begin(), states->end(), [](const CellState& s) {
    return s.state == "pending" || s.state == "running";
  });
  // Temp files are judged stale by their writer's PID, which means nothing for a task on another
  // node: they are swept only while no task of this study is queued or running.
  if (!active) sweep_temp_files(dir);
  const std::string exe = opts.executable.empty() ? self_executable() : opts.executable;
  StageContext ctx{config, dir, exe, Store(dir), study_fits(config, dir), devices_file};
  if (Status s = ctx.store.reindex(); !s.ok()) return s.error();
  const Plan p = plan_submission(ctx, cells, *states);
  say_unfit(config, p.unfit);
  RunSummary sum;
  sum.cells = static_cast<int>(cells.size());
  sum.skipped = p.done;
  sum.unfit = p.unfit_cells;
  std::cerr << "study: " << sum.cells << " cells, " << p.done << " already done, "
            << p.active.size() << " pending or running, " << p.measure.size()
            << " to submit to Slurm (" << p.search.size() << " search(es), " << p.make.size()
            << " model(s) to make) in " << dir << "\n";
  if (!p.measure.empty()) {
    std::map<std::string, std::vector<nlohmann::json>> tasks;
    for (const std::string& m : p.search) tasks["search"].push_back({{"model", m}});
    for (const Cell& c : p.make) tasks["make"].push_back(cell_to_json(c));
    for (const Cell& c : p.measure) tasks["measure"].push_back(cell_to_json(c));
    auto sub = submit_waves(config, dir, exe, *subs, tasks);
    if (!sub.ok()) return sub.error();
    for (const auto& [wave, w] : sub->waves)
      std::cerr << "study: submitted " << wave << " array " << w.job << " (" << w.tasks.size()
                << " task(s)); logs " << dir << "/logs/slurm-" << wave << "-" << w.job
                << "_*.out\n";
  }
  submitting.reset();
  if (opts.detach) {
    std::cerr << "study: detached; `paramscale study status " << dir
              << "` shows each cell's state, `--resume` resubmits what failed\n";
    return sum;
  }
  std::vector<Cell> watch = p.active;
  watch.insert(watch.end(), p.measure.begin(), p.measure.end());
  if (Status s = wait_cells(dir, *subs, watch, config.slurm.poll_seconds, sum); !s.ok())
    return s.error();
  if (Status s = ctx.store.reindex(); !s.ok()) return s.error();
  return sum;
}

Result<std::vector<CellState>> study_status(const std::string& dir) {
  auto config = read_config(dir + "/config.json");
  if (!config.ok()) return bad_input(dir + " holds no study (" + config.error().message + ")");
  auto subs = read_submissions(dir);
  if (!subs.ok()) return subs.error();
  auto states = cell_states(dir, *subs, study_cells(*config, *subs));
  if (!states.ok()) return states.error();
  if (Status s = Store(dir).reindex(); !s.ok()) return s.error();
  return states;
}

}  // namespace paramscale::study
