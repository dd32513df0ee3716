#include "study/stages.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "arch/families.h"
#include "device/registry.h"
#include "rundir/run_dir.h"
#include "scaling/uniform.h"
#include "study/process.h"
#include "study/record.h"
#include "study/stage_commands.h"
#include "util/cores.h"
#include "util/files.h"
#include "util/json_file.h"
#include "util/limits.h"

namespace paramscale::study {

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// A stage's child process; a failure names the log to read.
Status stage(const StageContext& ctx, const std::string& key, const std::string& name,
             std::vector<std::string> args, const std::string& stdout_path = "") {
  args.insert(args.begin(), ctx.exe);
  const std::string log = ctx.dir + "/logs/" + key + "." + name + ".log";
  const int rc = run_process(args, log, stdout_path);
  if (rc != 0)
    return failure(name + " failed for " + key + " (exit " + std::to_string(rc) + "; see " + log +
                   ")");
  return {};
}

// Making models takes this machine's lock shared, so a local measurement (exclusive) never runs
// while a model trains or exports; devices measure on their own hardware and need only their own
// lock (one measurement at a time per device). The lock is per host name, so Slurm tasks on
// different nodes of a shared study directory do not serialise each other.
std::string machine_lock(const StageContext& ctx) {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  return ctx.dir + "/locks/bench." + std::string(host) + ".lock";
}
std::string device_lock(const StageContext& ctx, const std::string& device) {
  return device == device::kLocal ? machine_lock(ctx)
                                  : ctx.dir + "/locks/bench.on-" + device + ".lock";
}

// The widths in a widths file, or an error when it is damaged (not JSON, no "widths" array of
// positive integers of the family's length).
Result<std::vector<int>> read_widths(const std::string& path, const std::string& model) {
  auto j = read_study_file(path);
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
Result<std::vector<int>> widths_for(const StageContext& ctx, const Cell& cell) {
  // One network for all precisions: an INT8 model has its float twin's widths.
  const std::string path = ctx.dir + "/models/" + cell.network_key() + ".widths.json";
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
      Status s =
          stage(ctx, cell.network_key(), "scale", scale_args(ctx.config, cell, fit->second), tmp);
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

// Trains (when enabled) and exports the cell's float model once; returns the ONNX path.
Result<std::string> float_model_for(const StageContext& ctx, const Cell& cell,
                                    const std::vector<int>& widths) {
  const std::string mk = cell.network_key();
  const std::string onnx = ctx.dir + "/models/" + mk + ".onnx";
  if (exists(onnx) && plausible_onnx(onnx)) return onnx;
  std::remove(onnx.c_str());
  const std::string run = ctx.dir + "/runs/" + mk;
  // A damaged summary is written again by resuming the run (its checkpoint is at the last epoch).
  const std::string summary = rundir::file_in(run, rundir::kSummaryFile);
  if (!rundir::read_summary(run).ok()) std::remove(summary.c_str());
  if (ctx.config.train.enabled && !exists(summary)) {
    const bool resume = exists(rundir::file_in(run, rundir::kCheckpointFile));
    const auto args = train_args(ctx.config, cell, widths, run, resume, ctx.training_threads);
    if (Status s = stage(ctx, mk, "train", args); !s.ok()) return s.error();
  }
  const auto args = export_args(ctx.config, cell, widths, run, onnx);
  if (Status s = stage(ctx, mk, "export", args); !s.ok()) return s.error();
  return onnx;
}

// The INT8 model: its float twin's training run (or, deployment-only, its export on seeded noise)
// through paramscale quantize, once; the record of the quantization beside it.
Result<std::string> int8_model_for(const StageContext& ctx, const Cell& cell,
                                   const std::string& float_onnx) {
  const std::string mk = cell.model_key();
  const std::string onnx = ctx.dir + "/models/" + mk + ".onnx";
  const std::string record = ctx.dir + "/models/" + mk + ".quantize.json";
  // quantize writes the model, then its record: a study killed in between quantizes again.
  if (plausible_onnx(onnx) && read_study_file(record).ok()) return onnx;
  const std::string source =
      ctx.config.train.enabled ? ctx.dir + "/runs/" + cell.network_key() : float_onnx;
  if (Status s = stage(ctx, mk, "quantize", quantize_args(ctx.config, cell, source, onnx, record));
      !s.ok())
    return s.error();
  return onnx;
}

// With INT8 in a trained study, every model's accuracy through ONNX Runtime (paramscale eval on
// the training's test images), so FP32 and INT8 are compared as deployed. Once per model.
Status eval_model(const StageContext& ctx, const Cell& cell, const std::string& onnx) {
  const auto& p = ctx.config.precisions;
  if (!ctx.config.train.enabled || std::find(p.begin(), p.end(), "int8") == p.end()) return {};
  const std::string out = ctx.dir + "/models/" + cell.model_key() + ".eval.json";
  if (read_study_file(out).ok()) return {};
  return stage(ctx, cell.model_key(), "eval", eval_args(ctx.config, onnx, out));
}

// What quantize and eval wrote for the cell's model (absent: not made for this study).
Result<nlohmann::json> deployment_of(const StageContext& ctx, const Cell& cell) {
  nlohmann::json deployment = nlohmann::json::object();
  for (const char* what : {"quantize", "eval"}) {
    const std::string path = ctx.dir + "/models/" + cell.model_key() + "." + what + ".json";
    if (!exists(path)) continue;
    auto j = read_study_file(path);
    if (!j.ok()) return j.error();
    deployment[what] = *j;
  }
  return deployment;
}

}  // namespace

Result<nlohmann::json> read_study_file(const std::string& path) {
  auto j = read_json_file(path, "study file");
  if (!j.ok()) return failure(j.error().message);
  return j;
}

std::string duration_text(double s) {
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

namespace {
// STUDY/search/<model>/: the study's own search for a model, its fit and its search.json.
std::string search_dir(const std::string& dir, const std::string& model) {
  return dir + "/search/" + model;
}
}  // namespace

std::string search_fit_file(const std::string& dir, const std::string& model) {
  return search_dir(dir, model) + "/fit.json";
}

std::string searched_fit(const std::string& dir, const std::string& model) {
  Result<nlohmann::json> done = read_study_file(search_dir(dir, model) + "/search.json");
  // A damaged search.json (not an object) is an unfinished search: it is resumed.
  if (done.ok() && done->is_object() && done->contains("finished") && (*done)["finished"] == true)
    return search_fit_file(dir, model);
  return "";
}

std::map<std::string, std::string> study_fits(const StudyConfig& config, const std::string& dir) {
  std::map<std::string, std::string> fits = config.fits;
  for (const std::string& m : config.models)
    if (!fits.count(m))
      if (std::string fit = searched_fit(dir, m); !fit.empty()) fits[m] = fit;
  return fits;
}

// The study's own NeuralScale search for a model without a given fit, in STUDY/search/<model>/
// (resumed when a killed study left it unfinished); returns its fit file. It trains, so it holds
// this machine's lock shared like model making; and one study process at a time runs it.
Result<std::string> search_fit(const StageContext& ctx, const std::string& model) {
  const StudyConfig& c = ctx.config;
  const SearchSettings& z = c.search;
  const std::string out = search_dir(ctx.dir, model);
  FileLock machine(machine_lock(ctx), /*wait=*/true, /*shared=*/true);
  FileLock lock(ctx.dir + "/locks/search." + model + ".lock", /*wait=*/true);
  if (const std::string fit = searched_fit(ctx.dir, model); !fit.empty()) return fit;
  const auto args = search_args(
      c, model, out, exists(rundir::file_in(out, rundir::kCheckpointFile)), ctx.training_threads);
  std::cerr << "study: NeuralScale search for " << model << " (" << z.iterations
            << " iteration(s), " << z.subset << " images, prune " << z.prune_fraction * 100
            << "% of live channels every " << z.frequency << " minibatches after " << z.warmup
            << " warm-up epoch(s), on "
            << (ctx.training_threads > 0 ? std::to_string(ctx.training_threads) + " thread(s)"
                                         : "every core")
            << "); progress in " << ctx.dir << "/logs/" << model << ".search.log\n";
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = stage(ctx, model, "search", args); !s.ok()) return s.error();
  std::cerr << "study: search for " << model << " done in "
            << duration_text(
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count())
            << "\n";
  return search_fit_file(ctx.dir, model);
}

Result<MadeModel> make_model(const StageContext& ctx, const Cell& cell) {
  FileLock machine(machine_lock(ctx), /*wait=*/true, /*shared=*/true);
  try {  // an exception on a worker thread would abort the study: it fails this model instead
    Result<std::vector<int>> widths = failure("not made");
    Result<std::string> onnx = failure("not made");
    {
      // Other workers and study processes make the same float network: one at a time per network.
      FileLock lock(ctx.dir + "/locks/" + cell.network_key() + ".lock", /*wait=*/true);
      widths = widths_for(ctx, cell);
      if (!widths.ok()) return widths.error();
      onnx = float_model_for(ctx, cell, *widths);
      if (!onnx.ok()) return onnx.error();
    }
    if (cell.precision != "fp32") {
      FileLock lock(ctx.dir + "/locks/" + cell.model_key() + ".lock", /*wait=*/true);
      onnx = int8_model_for(ctx, cell, *onnx);
      if (!onnx.ok()) return onnx.error();
    }
    FileLock lock(ctx.dir + "/locks/" + cell.model_key() + ".eval.lock", /*wait=*/true);
    if (Status s = eval_model(ctx, cell, *onnx); !s.ok()) return s.error();
    return MadeModel{*widths, *onnx};
  } catch (const std::exception& e) {
    return failure(std::string("cannot make ") + cell.model_key() + ": " + e.what());
  }
}

Result<MadeModel> made_model(const StageContext& ctx, const Cell& cell) {
  const std::string base = ctx.dir + "/models/" + cell.model_key();
  auto widths = read_widths(ctx.dir + "/models/" + cell.network_key() + ".widths.json", cell.model);
  const bool quantized = cell.precision == "fp32" || read_study_file(base + ".quantize.json").ok();
  if (!widths.ok() || !plausible_onnx(base + ".onnx") || !quantized)
    return failure("the model " + cell.model_key() + " was not made (see its logs in " + ctx.dir +
                   "/logs/)");
  return MadeModel{*widths, base + ".onnx"};
}

bool explains(const StudyConfig& config, const Cell& cell) {
  // FP32 only: explain reads float graphs (Conv, Gemm), not QDQ ones.
  if (!config.explain.enabled || cell.runtime_kind() != runtime::RuntimeKind::kOrt ||
      cell.device != device::kLocal || cell.level() != runtime::OptLevel::kAll ||
      cell.precision != "fp32")
    return false;
  const int cores = usable_cores();
  int most = 0;
  for (int t : config.threads) most = std::max(most, t > 0 ? t : cores);
  return cell.threads == most;
}

Status measure_model(const StageContext& ctx, const Cell& cell, const MadeModel& model) {
  const std::string bench_json = ctx.dir + "/cells/" + cell.key() + ".bench.json";
  // A bench file that holds no measurement (damaged, truncated) is measured again.
  if (exists(bench_json)) {
    auto old = read_study_file(bench_json);
    if (!old.ok() || !bench_result(*old).ok()) std::remove(bench_json.c_str());
  }
  if (!exists(bench_json)) {
    FileLock lock(device_lock(ctx, cell.device), /*wait=*/true);
    // libtorch runs the trained run directory itself (eager); the ONNX runtimes run the export.
    const std::string target = cell.runtime_kind() == runtime::RuntimeKind::kTorch
                                   ? ctx.dir + "/runs/" + cell.network_key()
                                   : model.onnx;
    if (Status s = stage(ctx, cell.key(), "bench",
                         bench_args(ctx.config, cell, target, bench_json, ctx.devices_file));
        !s.ok())
      return s;
  }
  const std::string explain_json = ctx.dir + "/cells/" + cell.key() + ".explain.json";
  nlohmann::json explained = nullptr;
  if (explains(ctx.config, cell)) {
    if (!exists(explain_json)) {
      FileLock lock(machine_lock(ctx), /*wait=*/true);  // it measures: nothing else may run
      if (Status s = stage(ctx, cell.key(), "explain",
                           explain_args(ctx.config, cell, model.onnx, explain_json));
          !s.ok())
        return s;
    }
    auto e = read_study_file(explain_json);
    if (!e.ok()) return e.error();
    explained = *e;
  }
  auto bench = read_study_file(bench_json);
  if (!bench.ok()) return bench.error();
  nlohmann::json train = nullptr;
  if (ctx.config.train.enabled) {
    auto t = rundir::read_summary(ctx.dir + "/runs/" + cell.network_key());
    if (!t.ok()) return failure(t.error().message);
    train = *t;
  }
  auto deployment = deployment_of(ctx, cell);
  if (!deployment.ok()) return deployment.error();
  auto record = make_record(ctx.config, cell, model.widths, train, *bench, explained, *deployment);
  if (!record.ok()) return record.error();
  if (Status s = check_record(*record, cell.key()); !s.ok())
    return failure("the record of " + cell.key() + " would be malformed: " + s.error().message);
  if (Status s = ctx.store.write_record(cell.key(), *record); !s.ok()) return s;
  return ctx.index_records ? ctx.store.index(*record) : Status();
}

}  // namespace paramscale::study
