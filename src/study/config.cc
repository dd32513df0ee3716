#include "study/config.h"

#include "arch/dataset.h"
#include "arch/families.h"
#include "runtime/kinds.h"
#include "scaling/budget.h"
#include "scaling/fit_file.h"
#include "util/files.h"
#include "util/limits.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <regex>
#include <set>

namespace paramscale::study {

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"quick", "paper"};
  return names;
}

Result<StudyConfig> preset(const std::string& name) {
  StudyConfig c;
  c.name = name;
  if (name == "quick") {
    // README main job: VGG-11 on Fashion-MNIST, NeuralScale widths from a short search of its
    // own, short training on a subset, ORT with all cores. Sized so every cell reaches 85%: one
    // pass over 15,000 images in minibatches of 64 does (10,000 gave 85.05-86.65%, two passes
    // over 3,000 in 128s 78-80%), in under 10 minutes on a 2-core VM, training most of it
    // (README, "What the main job shows": the time depends on the VM more than on this).
    c.train.epochs = 1;
    c.train.subset = 15000;
    c.train.batch_size = 64;
    c.train.test_subset = 2000;
    return c;
  }
  if (name == "paper") {
    // The seed study's four families and budgets in CIFAR-10 shapes; deployment-only unless the
    // config points at CIFAR-10 data.
    c.dataset = "cifar10";
    c.models = {"vgg11", "mobilenetv2", "preact_resnet18", "resnet50"};
    c.runtimes = {"ort", "opencv"};
    c.threads = {1, 0};
    // Beyond the study: every network also with widths aligned to 8 (ORT's NCHWc block on AVX2),
    // so the report separates NeuralScale's layout penalty from its MAC penalty.
    c.aligns = {1, 8};
    c.train.enabled = false;
    // ResNet-50 has no published fit: the one bundled here came from our own search
    // (data/fits/README.md says how); fits given with --fit take precedence.
    c.fits["resnet50"] = std::string(PARAMSCALE_DATA_DIR) + "/fits/resnet50_fashion-mnist.json";
    return c;
  }
  return bad_input("unknown study preset '" + name + "' (expected quick or paper)");
}

namespace {
// nlohmann converts any number to any number type: a float like 1e300 for an int field would be an
// out-of-range conversion (undefined behaviour). Integer fields take only integers that fit.
bool fits(const nlohmann::json& v, const int*) {
  return v.is_number_integer() && v.get<int64_t>() >= INT32_MIN && v.get<int64_t>() <= INT32_MAX;
}
bool fits(const nlohmann::json&, const void*) { return true; }  // checked by get<T>()
bool fits(const nlohmann::json& v, const std::vector<int>*) {
  if (!v.is_array()) return false;
  for (const auto& e : v)
    if (!fits(e, static_cast<const int*>(nullptr))) return false;
  return true;
}

template <typename T>
Status take(const nlohmann::json& j, const char* key, T& out) {
  if (!j.contains(key)) return {};
  if (!fits(j.at(key), &out))
    return bad_input(std::string("config field '") + key + "' has the wrong type");
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    return bad_input(std::string("config field '") + key + "' has the wrong type");
  }
  return {};
}

// "precisions" and "quantize": what each value may be.
Status quantize_settings(const nlohmann::json& j, StudyConfig& c) {
  if (j.contains("quantize")) {
    const auto& t = j["quantize"];
    if (!t.is_object()) return bad_input("config field 'quantize' must be an object");
    QuantizeSettings& q = c.quantize;
    for (Status s :
         {take(t, "calibration_images", q.calibration_images),
          take(t, "calibration", q.calibration), take(t, "percentile", q.percentile),
          take(t, "activations", q.activations), take(t, "reduce_range", q.reduce_range)})
      if (!s.ok()) return s;
    for (auto it = t.begin(); it != t.end(); ++it)
      if (!std::set<std::string>{"calibration_images", "calibration", "percentile", "activations",
                                 "reduce_range"}
               .count(it.key()))
        return bad_input("unknown config field 'quantize." + it.key() + "'");
  }
  const QuantizeSettings& q = c.quantize;
  if (q.calibration_images < 16 || !(q.percentile > 0 && q.percentile <= 100) ||
      !std::set<std::string>{"minmax", "percentile", "entropy"}.count(q.calibration) ||
      !std::set<std::string>{"u8", "s8"}.count(q.activations) ||
      !std::set<std::string>{"auto", "on", "off"}.count(q.reduce_range))
    return bad_input(
        "config 'quantize' needs calibration_images >= 16, calibration minmax|percentile|entropy, "
        "0 < percentile <= 100, activations u8|s8, reduce_range auto|on|off");
  std::set<std::string> seen;
  for (const std::string& p : c.precisions)
    if ((p != "fp32" && p != "int8") || !seen.insert(p).second)
      return bad_input("config 'precisions' takes fp32 and int8, each once; got '" + p + "'");
  if (c.precisions.empty()) return bad_input("config 'precisions' is empty");
  return {};
}
}  // namespace

// Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
bool slurm_time(const std::string& t) {
  static const std::regex format(R"(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2})");
  return std::regex_match(t, format);
}

// A per-stage-kind field: {"make": V, "measure": V}, or (extra_args, max_concurrent) one V for
// both.
template <typename T>
Status per_stage(const nlohmann::json& j, const char* key, T SlurmStage::*field, SlurmSettings& s,
                 bool shared_form) {
  if (!j.contains(key)) return {};
  const nlohmann::json& o = j[key];
  const std::string where = std::string("config 'slurm.") + key;
  if (!o.is_object()) {
    if (!shared_form) return bad_input(where + "' must be an object with make and/or measure");
    if (Status st = take(j, key, s.make.*field); !st.ok())
      return bad_input(where + "' has the wrong type");
    s.measure.*field = s.make.*field;
    return {};
  }
  for (auto it = o.begin(); it != o.end(); ++it) {
    SlurmStage* stage = it.key() == "make" ? &s.make : it.key() == "measure" ? &s.measure : nullptr;
    if (!stage) return bad_input(where + "." + it.key() + "': stage kinds are make and measure");
    if (Status st = take(o, it.key().c_str(), stage->*field); !st.ok())
      return bad_input(where + "." + it.key() + "' has the wrong type");
  }
  return {};
}

// "slurm": {"partitions", "time", "gres", "constraint", "extra_args", "max_concurrent" — each
// {"make": …, "measure": …} —, "exclusive_measure", "poll_seconds"}
Status slurm_from_json(const nlohmann::json& j, SlurmSettings& s) {
  if (!j.is_object()) return bad_input("config field 'slurm' must be an object");
  static const std::vector<std::string> known = {
      "partitions",        "time",           "gres",       "constraint",
      "exclusive_measure", "max_concurrent", "extra_args", "poll_seconds"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      return bad_input("unknown config field 'slurm." + it.key() + "'");
  for (Status st :
       {per_stage(j, "partitions", &SlurmStage::partition, s, false),
        per_stage(j, "time", &SlurmStage::time, s, false),
        per_stage(j, "gres", &SlurmStage::gres, s, false),
        per_stage(j, "constraint", &SlurmStage::constraint, s, false),
        per_stage(j, "extra_args", &SlurmStage::extra_args, s, true),
        per_stage(j, "max_concurrent", &SlurmStage::max_concurrent, s, true),
        take(j, "exclusive_measure", s.measure_exclusive), take(j, "poll_seconds", s.poll_seconds)})
    if (!st.ok()) return st.error();
  for (const SlurmStage* st : {&s.make, &s.measure}) {
    if (!slurm_time(st->time))
      return bad_input("config 'slurm.time': '" + st->time +
                       "' is not a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS); every job "
                       "needs one");
    if (st->max_concurrent < 0) return bad_input("config 'slurm.max_concurrent' must be >= 0");
  }
  if (!(s.poll_seconds >= 0.2) || s.poll_seconds > 3600)
    return bad_input("config 'slurm.poll_seconds' must be 0.2..3600");
  return {};
}

nlohmann::json slurm_to_json(const SlurmSettings& s) {
  auto both = [&](auto SlurmStage::*field) {
    return nlohmann::json{{"make", s.make.*field}, {"measure", s.measure.*field}};
  };
  return {{"partitions", both(&SlurmStage::partition)},
          {"time", both(&SlurmStage::time)},
          {"gres", both(&SlurmStage::gres)},
          {"constraint", both(&SlurmStage::constraint)},
          {"extra_args", both(&SlurmStage::extra_args)},
          {"max_concurrent", both(&SlurmStage::max_concurrent)},
          {"exclusive_measure", s.measure_exclusive},
          {"poll_seconds", s.poll_seconds}};
}

namespace {

Status train_settings(const nlohmann::json& j, TrainSettings& t) {
  if (!j.contains("train")) return {};
  const auto& x = j["train"];
  if (!x.is_object()) return bad_input("config field 'train' must be an object");
  for (Status s :
       {take(x, "enabled", t.enabled), take(x, "epochs", t.epochs), take(x, "subset", t.subset),
        take(x, "batch_size", t.batch_size), take(x, "lr", t.lr), take(x, "momentum", t.momentum),
        take(x, "schedule", t.schedule), take(x, "test_subset", t.test_subset),
        take(x, "data_dir", t.data_dir)})
    if (!s.ok()) return s;
  return {};
}

Status search_settings(const nlohmann::json& j, SearchSettings& z) {
  if (!j.contains("search")) return {};
  const auto& t = j["search"];
  if (!t.is_object()) return bad_input("config field 'search' must be an object");
  for (Status s : {take(t, "enabled", z.enabled), take(t, "subset", z.subset),
                   take(t, "batch_size", z.batch_size), take(t, "warmup", z.warmup),
                   take(t, "prune_fraction", z.prune_fraction), take(t, "frequency", z.frequency),
                   take(t, "iterations", z.iterations)})
    if (!s.ok()) return s;
  if (z.subset < 0 || z.batch_size < 2 || !(z.warmup >= 0) || !(z.prune_fraction >= 0) ||
      z.prune_fraction >= 1 || z.frequency < 1 || z.iterations < 1)
    return bad_input(
        "config 'search' needs subset >= 0, batch_size >= 2, warmup >= 0, "
        "0 <= prune_fraction < 1, frequency >= 1, iterations >= 1");
  return {};
}

Status executor_settings(const nlohmann::json& j, StudyConfig& c) {
  if (Status s = take(j, "executor", c.executor); !s.ok()) return s;
  if (c.executor != "local" && c.executor != "slurm")
    return bad_input("config 'executor' must be \"local\" or \"slurm\", got '" + c.executor + "'");
  if (j.contains("slurm")) return slurm_from_json(j["slurm"], c.slurm);
  return {};
}

Status explain_settings(const nlohmann::json& j, ExplainSettings& e) {
  if (!j.contains("explain")) return {};
  const auto& x = j["explain"];
  if (!x.is_object()) return bad_input("config field 'explain' must be an object");
  for (Status s : {take(x, "enabled", e.enabled), take(x, "runs", e.runs)})
    if (!s.ok()) return s;
  if (e.runs < 3 || e.runs > 10000)
    return bad_input("config 'explain' needs runs between 3 and 10000");
  return {};
}

Status bench_settings(const nlohmann::json& j, BenchSettings& b) {
  if (!j.contains("bench")) return {};
  const auto& x = j["bench"];
  if (!x.is_object()) return bad_input("config field 'bench' must be an object");
  for (Status s : {take(x, "warmup_runs", b.warmup_runs), take(x, "min_runs", b.min_runs),
                   take(x, "min_seconds", b.min_seconds), take(x, "batch", b.batch),
                   take(x, "warmup_ms", b.warmup_ms), take(x, "target_ci", b.target_ci),
                   take(x, "max_seconds", b.max_seconds)})
    if (!s.ok()) return s;
  return {};
}

// The checks that span fields, once everything is read.
Status check_whole(const StudyConfig& c) {
  for (const auto* list :
       {&c.models, &c.methods, &c.budgets, &c.runtimes, &c.opt_levels, &c.devices})
    if (list->empty())
      return bad_input(
          "config has an empty list (models, methods, budgets, runtimes, opt_levels or "
          "devices)");
  if (!c.train.enabled &&
      std::any_of(c.runtimes.begin(), c.runtimes.end(), [](const std::string& r) {
        return runtime::runtime_named(r) == runtime::RuntimeKind::kTorch;
      }))
    return bad_input(
        "runtime 'torch' measures trained run directories: it needs 'train': {'enabled': true}");
  if (c.aligns.empty() ||
      std::any_of(c.aligns.begin(), c.aligns.end(), [](int k) { return k < 1 || k > 64; }))
    return bad_input("config 'aligns' needs width multiples between 1 (none) and 64");
  if (c.threads.empty() || c.seeds.empty())
    return bad_input("config has an empty threads or seeds list");
  if (c.train.epochs < 1 || c.train.batch_size < 1 || c.train.subset < 0 || c.train.test_subset < 0)
    return bad_input(
        "config 'train' needs epochs >= 1, batch_size >= 1, subset >= 0, test_subset >= 0");
  if (Status s = runtime::check_protocol(c.bench); !s.ok())
    return bad_input("config 'bench': " + s.error().message);
  return {};
}

}  // namespace

Result<StudyConfig> config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return bad_input("study config must be a JSON object");
  StudyConfig c;
  if (j.contains("preset")) {
    if (!j["preset"].is_string()) return bad_input("config field 'preset' must be a string");
    auto p = preset(j["preset"].get<std::string>());
    if (!p.ok()) return p.error();
    c = *p;
  }
  static const std::vector<std::string> known = {
      "preset",     "name",     "dataset",    "models",   "methods", "budgets",
      "runtimes",   "threads",  "opt_levels", "seeds",    "fits",    "count",
      "train",      "search",   "bench",      "aligns",   "devices", "devices_file",
      "precisions", "quantize", "explain",    "executor", "slurm"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      return bad_input("unknown config field '" + it.key() + "'");
  for (Status s :
       {take(j, "name", c.name), take(j, "dataset", c.dataset), take(j, "models", c.models),
        take(j, "methods", c.methods), take(j, "budgets", c.budgets),
        take(j, "runtimes", c.runtimes), take(j, "threads", c.threads),
        take(j, "opt_levels", c.opt_levels), take(j, "seeds", c.seeds), take(j, "fits", c.fits),
        take(j, "count", c.count), take(j, "aligns", c.aligns), take(j, "devices", c.devices),
        take(j, "devices_file", c.devices_file), take(j, "precisions", c.precisions)})
    if (!s.ok()) return s.error();
  for (Status s : {quantize_settings(j, c), train_settings(j, c.train),
                   search_settings(j, c.search), executor_settings(j, c),
                   explain_settings(j, c.explain), bench_settings(j, c.bench), check_whole(c)})
    if (!s.ok()) return s.error();
  return c;
}

Result<StudyConfig> read_config(const std::string& path) {
  auto text = read_regular_file(path, "study config", kMaxTextFileBytes,
                                "cannot open study config " + path);
  if (!text.ok()) return text.error();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return bad_input("study config " + path + " is not valid JSON");
  auto c = config_from_json(j);
  if (!c.ok()) return bad_input(path + ": " + c.error().message);
  return c;
}

namespace {

Status check_member(const std::vector<std::string>& values, const std::vector<std::string>& known,
                    const std::string& field) {
  for (const std::string& v : values)
    if (std::find(known.begin(), known.end(), v) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return bad_input("config '" + field + "': unknown value '" + v + "' (one of: " + list + ")");
    }
  return {};
}

// Settings the stages would refuse (they are the same flags train and bench check).
Status check_settings(const StudyConfig& c) {
  const TrainSettings& t = c.train;
  if (!(t.lr > 0 && std::isfinite(t.lr)) || !(t.momentum >= 0 && t.momentum < 1))
    return bad_input("config 'train' needs a finite lr > 0 and 0 <= momentum < 1");
  if (t.schedule != "multistep" && t.schedule != "cosine")
    return bad_input("config 'train': unknown schedule '" + t.schedule +
                     "' (expected multistep or cosine)");
  if (t.batch_size < 2 || t.batch_size > kMaxBatch)
    return bad_input("config 'train' needs batch_size from 2 to " + std::to_string(kMaxBatch));
  if (!std::isfinite(c.search.warmup)) return bad_input("config 'search' needs a finite warmup");
  if (!std::isfinite(c.bench.min_seconds) || c.bench.batch > kMaxBatch)
    return bad_input("config 'bench' needs a finite min_seconds and batch up to " +
                     std::to_string(kMaxBatch));
  for (int t : c.threads)
    if (t < 0 || t > kMaxThreads)
      return bad_input("config 'threads': " + std::to_string(t) + " is not 0 (all cores) or 1.." +
                       std::to_string(kMaxThreads));
  for (int s : c.seeds)
    if (s < 0) return bad_input("config 'seeds': " + std::to_string(s) + " is negative");
  return {};
}

// Each given fit is read and must hold an iteration for its model.
Status check_fits(const StudyConfig& c) {
  for (const auto& [model, path] : c.fits) {
    auto family = arch::family_from_name(model);
    if (!family.ok()) return bad_input("config 'fits': " + family.error().message);
    auto fit = scaling::read_fit_file(path);
    if (!fit.ok()) return bad_input("fit for " + model + ": " + fit.error().message);
    if (auto laws = scaling::select_iteration(*fit, 0, *family, path); !laws.ok())
      return bad_input("fit for " + model + ": " + laws.error().message);
  }
  return {};
}

Status check_cell_count(const StudyConfig& c) {
  size_t cells = 1;
  for (size_t n :
       {c.models.size(), c.methods.size(), c.budgets.size(), c.aligns.size(), c.seeds.size(),
        c.runtimes.size(), c.threads.size(), c.opt_levels.size(), c.devices.size()}) {
    if (n != 0 && cells > kMaxStudyCells / n)
      return bad_input("config makes more than " + std::to_string(kMaxStudyCells) + " cells");
    cells *= n;
  }
  return {};
}

}  // namespace

Status validate_config(const StudyConfig& c, const std::vector<std::string>& runtimes) {
  if (Status s = check_cell_count(c); !s.ok()) return s;
  if (auto d = arch::dataset_preset(c.dataset); !d.ok())
    return bad_input("config 'dataset': " + d.error().message);
  for (const std::string& m : c.models)
    if (auto f = arch::family_from_name(m); !f.ok())
      return bad_input("config 'models': " + f.error().message);
  for (const std::string& b : c.budgets)
    if (auto p = scaling::parse_budget(b); !p.ok())
      return bad_input("config 'budgets': " + p.error().message);
  if (auto n = scaling::parse_count_mode(c.count); !n.ok())
    return bad_input("config 'count': " + n.error().message);
  for (Status s : {check_member(c.methods, {"uniform", "neuralscale"}, "methods"),
                   check_member(c.runtimes, runtimes, "runtimes"),
                   check_member(c.opt_levels, runtime::opt_level_names(), "opt_levels"),
                   check_settings(c), check_fits(c)})
    if (!s.ok()) return s;
  return {};
}

nlohmann::json to_json(const StudyConfig& c) {
  nlohmann::json j = {{"name", c.name},
                      {"dataset", c.dataset},
                      {"models", c.models},
                      {"methods", c.methods},
                      {"budgets", c.budgets},
                      {"runtimes", c.runtimes},
                      {"threads", c.threads},
                      {"opt_levels", c.opt_levels},
                      {"aligns", c.aligns},
                      {"seeds", c.seeds},
                      {"fits", c.fits},
                      {"count", c.count},
                      {"train",
                       {{"enabled", c.train.enabled},
                        {"epochs", c.train.epochs},
                        {"subset", c.train.subset},
                        {"batch_size", c.train.batch_size},
                        {"lr", c.train.lr},
                        {"momentum", c.train.momentum},
                        {"schedule", c.train.schedule},
                        {"test_subset", c.train.test_subset},
                        {"data_dir", c.train.data_dir}}},
                      {"search",
                       {{"enabled", c.search.enabled},
                        {"subset", c.search.subset},
                        {"batch_size", c.search.batch_size},
                        {"warmup", c.search.warmup},
                        {"prune_fraction", c.search.prune_fraction},
                        {"frequency", c.search.frequency},
                        {"iterations", c.search.iterations}}},
                      {"bench",
                       {{"warmup_runs", c.bench.warmup_runs},
                        {"min_runs", c.bench.min_runs},
                        {"min_seconds", c.bench.min_seconds},
                        {"warmup_ms", c.bench.warmup_ms},
                        {"target_ci", c.bench.target_ci},
                        {"max_seconds", c.bench.max_seconds},
                        {"batch", c.bench.batch}}}};
  // Written only when used, so studies saved before devices existed still match on --resume.
  if (c.devices != std::vector<std::string>{"local"}) j["devices"] = c.devices;
  if (!c.devices_file.empty()) j["devices_file"] = c.devices_file;
  // Likewise for precisions: FP32-only studies keep the config they had before INT8 existed.
  if (c.precisions != std::vector<std::string>{"fp32"}) {
    j["precisions"] = c.precisions;
    j["quantize"] = {{"calibration_images", c.quantize.calibration_images},
                     {"calibration", c.quantize.calibration},
                     {"percentile", c.quantize.percentile},
                     {"activations", c.quantize.activations},
                     {"reduce_range", c.quantize.reduce_range}};
  }
  if (c.executor != "local") {
    j["executor"] = c.executor;
    j["slurm"] = slurm_to_json(c.slurm);
  }
  // Written only when not the default, for the same reason.
  if (!c.explain.enabled || c.explain.runs != ExplainSettings{}.runs)
    j["explain"] = {{"enabled", c.explain.enabled}, {"runs", c.explain.runs}};
  return j;
}

}  // namespace paramscale::study
