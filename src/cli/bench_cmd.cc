// paramscale bench: latency and runtime memory of ONNX models (and of training run directories,
// which libtorch runs eagerly and the ONNX runtimes run through an export), llama-bench style.
//
// Every list flag (--runtime, --threads, --batch, --opt-level, --arena, --mem-pattern) takes comma-
// separated values and bench measures the cross product, each cell in a fresh child process (the
// hidden `bench-child` command, runtime/child.h) — or, with --in-process, one single cell in the
// bench process itself, for callers that start a fresh process per measurement anyway (the device
// layer over ssh) and for emulators that cannot re-execute the binary (qemu-user). Progress on
// stderr (when it is a terminal, or with --progress); results on stdout as a markdown table (or
// CSV/JSON/JSONL); all records, raw timings included, to --json FILE, written atomically. A cell
// that fails is reported on stderr as one line and the others still run; the exit status is 2 if
// any failed on bad input, else 1 if any failed.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/bench_targets.h"
#include "cli/command.h"
#include "cli/table.h"
#include "device/registry.h"
#include "runtime/bench_record.h"
#include "runtime/child.h"
#include "runtime/model_info.h"
#include "util/atomic_file.h"
#include "util/files.h"
#include "util/limits.h"

namespace paramscale::cli {

namespace {

namespace rt = paramscale::runtime;
using nlohmann::json;

struct BenchArgs {
  std::vector<std::string> models;
  std::string runtimes = "ort", threads, batches, opt_levels = "all", arenas = "on",
              mem_patterns = "on";
  rt::Protocol protocol;  // warm-up, stopping rule, seed: runtime/measure.h's defaults
  // 5 s of timed runs: consecutive runs then agree within 5% here (bench/README.md); 1 s did not.
  double timeout = 600;
  bool no_layout = false, progress = false, in_process = false;
  std::string json_path, output = "md";
  std::string devices = device::kLocal;  // comma list: "local" and names from the devices file
  std::string devices_path = device::default_devices_path();
  std::string bundle;       // device bundle tarball (default: the one for each device's arch)
  int retry_throttled = 0;  // re-measure a cell whose board throttled, up to this many times
};

// One measurement: what to run, and where.
struct BenchCell {
  rt::MeasureRequest request;
  std::string device;  // "local" or a device name
};

std::vector<std::string> split_list(const std::string& text, const std::string& flag,
                                    const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) fail_usage(flag + ": empty entry in '" + text + "'");
    bool ok = allowed.empty();
    std::string list;
    for (const auto& a : allowed) {
      ok = ok || a == item;
      list += (list.empty() ? "" : ", ") + a;
    }
    if (!ok) fail_usage(flag + ": unknown value '" + item + "' (one of: " + list + ")");
    out.push_back(item);
  }
  if (out.empty() || text.back() == ',') fail_usage(flag + ": empty entry in '" + text + "'");
  return out;
}

// Shortest trailing path suffix that tells the models apart (".../test_Conv2d/model.onnx").
std::vector<std::string> short_names(const std::vector<std::string>& paths) {
  auto suffix = [](const std::string& p, int parts) {
    size_t pos = p.size();
    for (int i = 0; i < parts && pos != std::string::npos && pos > 0; ++i)
      pos = p.rfind('/', pos - 1);
    return pos == std::string::npos ? p : p.substr(pos + 1);
  };
  for (int parts = 1; parts < 16; ++parts) {
    std::vector<std::string> names;
    for (const auto& p : paths) names.push_back(suffix(p, parts));
    bool unique = true;
    for (size_t i = 0; i < names.size(); ++i)
      for (size_t j = i + 1; j < names.size(); ++j)
        unique = unique && (names[i] != names[j] || paths[i] == paths[j]);
    if (unique) return names;
  }
  return paths;
}

// The devices named by --device, checked before anything is measured: each must be "local" or in
// the devices file, and a device runs only what its bundle has (ONNX Runtime).
std::map<std::string, device::Device> resolve_devices(
    const BenchArgs& a, const std::vector<std::string>& names,
    const std::vector<rt::RuntimeKind>& runtimes) {
  std::map<std::string, device::Device> out;
  std::vector<device::Device> registry;
  bool loaded = false;
  for (const auto& n : names) {
    if (n == device::kLocal || out.count(n)) continue;
    if (!loaded) registry = unwrap(device::read_devices(a.devices_path));
    loaded = true;
    out[n] = unwrap(device::find_device(registry, n, a.devices_path));
    for (const auto r : runtimes)
      if (r != rt::RuntimeKind::kOrt)
        fail_usage("runtime " + std::string(rt::to_string(r)) +
                   " is not in the device bundle (device '" + n + "' measures ort)");
  }
  return out;
}

// Without --batch, a model with a fixed batch dimension runs that batch (as onnxruntime_perf_test
// and trtexec do); a dynamic batch, a run directory or an unreadable file runs 1 (the
// measurement then reports any problem with the file).
std::vector<int> default_batch(const std::string& model) {
  if (rt::is_run_dir(model)) return {1};
  auto info = rt::read_model_info(model);
  if (info.ok() && !info->input_shape.empty() && info->input_shape[0] > 0 &&
      info->input_shape[0] <= (1 << 16))
    return {static_cast<int>(info->input_shape[0])};
  return {1};
}

std::vector<BenchCell> plan(const BenchArgs& a) {
  std::vector<rt::RuntimeKind> runtimes;
  for (const auto& r : split_list(a.runtimes, "--runtime", rt::known_runtimes()))
    runtimes.push_back(unwrap(rt::parse_runtime(r)));
  const auto devices = split_list(a.devices, "--device", {});
  // "all" (0) is resolved where the measurement runs: every core of this machine or the device.
  std::vector<int> threads;
  for (const auto& t : split_list(a.threads.empty() ? "all" : a.threads, "--threads", {}))
    threads.push_back(t == "all" ? 0 : unwrap(parse_int_list(t, "--threads")).front());
  for (int t : threads)
    if (t > kMaxThreads)
      fail_usage("--threads: " + std::to_string(t) + " is more than the " +
                 std::to_string(kMaxThreads) + " threads bench runs");
  if (!(a.timeout > 0)) fail_usage("--timeout must be a positive number of seconds");
  const auto given_batches =
      a.batches.empty() ? std::vector<int>{} : unwrap(parse_int_list(a.batches, "--batch"));
  for (int b : given_batches)
    if (b > kMaxBatch) fail_usage("--batch: " + std::to_string(b) + " is more than the limit");
  std::vector<rt::OptLevel> levels;
  for (const auto& l : split_list(a.opt_levels, "--opt-level", rt::opt_level_names()))
    levels.push_back(unwrap(rt::parse_opt_level(l)));
  const auto arenas = split_list(a.arenas, "--arena", {"on", "off"});
  const auto patterns = split_list(a.mem_patterns, "--mem-pattern", {"on", "off"});
  rt::Protocol p;
  p = a.protocol;
  p.layout = !a.no_layout;
  // The flags by name first (what the user typed), then the protocol's own checks.
  if (p.warmup_runs < 0) fail_usage("--warmup-runs must be >= 0");
  if (!(p.warmup_ms >= 0)) fail_usage("--warmup-ms must be >= 0");
  if (p.min_runs < 1)
    fail_usage("--min-runs must be at least 1, got " + std::to_string(p.min_runs));
  if (!(p.min_seconds >= 0)) fail_usage("--min-seconds must be >= 0");
  if (!(p.target_ci >= 0 && p.target_ci < 1)) fail_usage("--target-ci must be in [0, 1)");
  if (!(p.max_seconds >= 0) || !std::isfinite(p.max_seconds))
    fail_usage("--max-seconds must be >= 0");
  unwrap(rt::check_protocol(p));
  if (a.retry_throttled < 0 || a.retry_throttled > 100)
    fail_usage("--retry-throttled must be 0..100");
  resolve_devices(a, devices, runtimes);
  std::vector<BenchCell> cells;
  for (const auto& dev : devices)
    for (const auto& m : a.models) {
      const std::vector<int> batches = given_batches.empty() ? default_batch(m) : given_batches;
      for (const auto r : runtimes)
        for (int t : threads)
          for (int b : batches)
            // ORT-only options collapse to their first value on other runtimes.
            for (size_t l = 0; l < (rt::has_ort_options(r) ? levels.size() : 1); ++l)
              for (size_t e = 0; e < (rt::has_ort_options(r) ? arenas.size() : 1); ++e)
                for (size_t q = 0; q < (rt::has_ort_options(r) ? patterns.size() : 1); ++q) {
                  rt::MeasureRequest c{m, {}, p};
                  c.backend.runtime = rt::to_string(r);
                  c.backend.threads = t;
                  c.backend.opt_level = rt::to_string(levels[l]);
                  c.backend.arena = arenas[e] == "on";
                  c.backend.mem_pattern = patterns[q] == "on";
                  c.protocol.batch = b;
                  cells.push_back({c, dev});
                }
    }
  return cells;
}

std::string describe(const BenchCell& cell) {
  const rt::MeasureRequest& c = cell.request;
  std::string s =
      (cell.device == device::kLocal ? "" : "on " + cell.device + ", ") + c.backend.runtime + ", " +
      (c.backend.threads == 0
           ? std::string("all cores")
           : std::to_string(c.backend.threads) + " thread" + (c.backend.threads == 1 ? "" : "s")) +
      ", batch " + std::to_string(c.protocol.batch);
  if (c.backend.runtime_kind() == rt::RuntimeKind::kOrt)
    s += ", opt " + c.backend.opt_level + ", arena " + (c.backend.arena ? "on" : "off") +
         ", mem-pattern " + (c.backend.mem_pattern ? "on" : "off");
  return s;
}

// One measurement: the record as it came (what --json and --output json write) and its fields.
struct Measured {
  json raw;
  rt::BenchRecord record;
};

// Latency as a table shows it: invalid timings (emulated device, throttled board) are named, not
// printed as numbers.
std::string latency_text(const rt::BenchRecord& r, double ms) {
  if (!r.validity.timings_valid) {
    const std::string reason = r.validity.reasons.empty() ? "invalid" : r.validity.reasons[0];
    return reason.substr(0, reason.find(':'));
  }
  return fixed(ms, 4);
}

// The median's 95% interval as +-% of it; "(cap)" when the time cap stopped the runs first.
std::string interval_text(const rt::LatencyRecord& l) {
  if (!l.median_ci95) return "-";
  return fixed(100.0 * l.median_ci95->relative, 2) + "%" +
         (l.converged.value_or(true) ? "" : " (cap)");
}

// "n/convs" for one of the layout probe's counts, "-" when the record has none.
std::string of_convs(const std::optional<rt::LayoutRecord>& layout,
                     std::optional<int> rt::LayoutRecord::*count) {
  if (!layout || !(*layout.*count)) return "-";
  return std::to_string(*(*layout.*count)) + "/" + std::to_string(layout->convs.value_or(0));
}

std::vector<std::string> row(const rt::BenchRecord& r, const std::string& name, bool with_device) {
  // Settings come from the record's request; a record without one (an old or foreign file) shows
  // "-" rather than defaults nothing measured.
  const rt::BackendOptions* o = r.request ? &r.request->backend : nullptr;
  const bool ort = o && o->runtime_kind() == rt::RuntimeKind::kOrt;
  const rt::LatencyStats& l = r.latency.stats;
  std::vector<std::string> cols;
  if (with_device) cols.push_back(r.device_name());
  std::vector<std::string> rest = {name,
                                   o ? o->runtime : r.runtime_name,
                                   o ? std::to_string(o->threads) : "-",
                                   o ? std::to_string(r.request->protocol.batch) : "-",
                                   ort ? o->opt_level : "-",
                                   ort ? (o->arena ? "on" : "off") : "-",
                                   latency_text(r, l.median),
                                   interval_text(r.latency),
                                   latency_text(r, l.p90),
                                   fixed(100.0 * l.cv, 1) + "%",
                                   std::to_string(l.runs),
                                   megabytes(r.memory.runtime_bytes()),
                                   of_convs(r.layout, &rt::LayoutRecord::nchwc_convs),
                                   of_convs(r.layout, &rt::LayoutRecord::int8_convs)};
  cols.insert(cols.end(), rest.begin(), rest.end());
  return cols;
}

// The record of a measurement, checked once; a record that is not one fails its cell.
Result<Measured> checked(Result<json> r) {
  if (!r.ok()) return r.error();
  auto record = rt::BenchRecord::parse(*r);
  if (!record.ok()) return record.error();
  return Measured{std::move(r).value(), std::move(record).value()};
}

// --json's target, checked before measuring (the atomic write refuses it too, but only after the
// measurements).
void check_json_path(const std::string& path) {
  if (path.empty()) return;
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
  if (access(dir.c_str(), W_OK) != 0) fail_usage("--json: directory '" + dir + "' is not writable");
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    fail_usage("--json: " + path + " exists and is not a regular file");
}

// One cell measured (again while the board throttled, up to --retry-throttled), with its warnings
// on stderr.
Result<Measured> measure_cell(const BenchArgs& a, BenchTargets& targets, const BenchCell& cell) {
  const auto& c = cell.request;
  // A FIFO or a device as the model would block the measurement child until its timeout.
  auto r = access(c.model_path.c_str(), R_OK) != 0
               ? Result<Measured>(bad_input("cannot read '" + c.model_path + "'"))
           : !is_regular_file(c.model_path) && !rt::is_run_dir(c.model_path)
               ? Result<Measured>(bad_input("'" + c.model_path +
                                            "' is neither a regular file nor a run directory"))
               : checked(targets.measure(cell.request, cell.device));
  for (int retry = 0; r.ok() && r->record.throttling.throttled && retry < a.retry_throttled;
       ++retry) {
    std::cerr << "bench: [" << describe(cell) << "] the board throttled ("
              << r->record.throttling.detail << "); measuring again\n";
    r = checked(targets.measure(cell.request, cell.device));
  }
  if (!r.ok()) return r;
  const rt::BenchRecord& rec = r->record;
  if (!rec.latency.converged.value_or(true))
    std::cerr << "bench: [" << describe(cell) << "] the median's 95% interval is still +-"
              << fixed(100.0 * (rec.latency.median_ci95 ? rec.latency.median_ci95->relative : 0), 2)
              << "% after the " << fixed(c.protocol.max_seconds, 0)
              << " s cap (a noisy machine?); the record says it did not converge\n";
  if (!rec.validity.timings_valid)
    std::cerr << "bench: [" << describe(cell) << "] timings not valid: "
              << (rec.validity.reasons.empty() ? "" : rec.validity.reasons[0]) << '\n';
  return r;
}

void print_records(const BenchArgs& a, const std::vector<Measured>& records,
                   const std::vector<std::string>& names, bool any_device) {
  if (a.output == "json") {
    json all = json::array();
    for (const auto& r : records) all.push_back(r.raw);
    std::cout << all.dump(1) << '\n';
    return;
  }
  if (a.output == "jsonl") {
    for (const auto& r : records) std::cout << r.raw.dump() << '\n';
    return;
  }
  std::vector<std::string> header = {"model", "runtime",    "threads",     "batch",     "opt",
                                     "arena", "median ms",  "±95%",        "p90 ms",    "cv",
                                     "runs",  "runtime MB", "nchwc convs", "int8 convs"};
  if (any_device) header.insert(header.begin(), "device");
  Table table(header);
  for (size_t i = 0; i < records.size(); ++i)
    table.add(row(records[i].record, names[i], any_device));
  if (a.output == "md")
    table.print(std::cout);
  else
    table.print_csv(std::cout);
}

int run_bench(const BenchArgs& a) {
  const auto cells = plan(a);
  if (a.in_process && cells.size() != 1)
    fail_usage("--in-process measures one cell per process; these flags give " +
               std::to_string(cells.size()) + " (one model and one value per list)");
  check_json_path(a.json_path);
  const bool progress = a.progress || isatty(2);
  const auto names = short_names(a.models);
  BenchTargets targets(resolve_devices(a, split_list(a.devices, "--device", {}), {}), a.bundle,
                       a.timeout, a.in_process);
  bool any_device = false;
  for (const auto& c : cells) any_device = any_device || c.device != device::kLocal;
  std::vector<Measured> records;
  std::vector<std::string> record_names;
  int exit_code = 0;
  json all = json::array();
  for (size_t i = 0; i < cells.size(); ++i) {
    const BenchCell& cell = cells[i];
    const auto& c = cell.request;
    const size_t m = std::find(a.models.begin(), a.models.end(), c.model_path) - a.models.begin();
    if (progress)
      std::cerr << "bench: [" << i + 1 << "/" << cells.size() << "] " << names[m] << " ("
                << describe(cell) << ")\n";
    auto r = measure_cell(a, targets, cell);
    if (!r.ok()) {
      const std::string& msg = r.error().message;
      const bool named = msg.find(c.model_path) != std::string::npos;
      std::cerr << "paramscale: error: [" << describe(cell) << "] "
                << (named ? "" : "'" + c.model_path + "': ") << msg << '\n';
      exit_code = std::max(exit_code, r.error().exit_code == 2 ? 2 : 1);
      json failed = rt::error_record(c, r.error());
      failed["device"] = {{"name", cell.device}};
      all.push_back(std::move(failed));
      continue;
    }
    all.push_back(r->raw);
    records.push_back(std::move(r).value());
    record_names.push_back(names[m]);
  }
  if (records.empty()) return exit_code;
  if (!a.json_path.empty()) unwrap(write_file_atomic(a.json_path, all.dump(1) + "\n"));
  print_records(a, records, record_names, any_device);
  return exit_code;
}

}  // namespace

void add_bench_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Latency and runtime memory of ONNX models (cross product of lists)");
  cmd->add_option("models", a->models,
                  "ONNX model files, or training run directories (exported for ort and opencv; "
                  "run as they are by torch)")
      ->required();
  cmd->add_option("--runtime", a->runtimes, "Runtimes, comma list: " + rt::known_runtimes_text())
      ->capture_default_str();
  cmd->add_option("--threads", a->threads,
                  "Intra-op threads, comma list; 'all' = every core of the machine measuring "
                  "(default: all, " +
                      std::to_string(resolve_threads(0)) + " here)");
  cmd->add_option("--batch", a->batches,
                  "Batch sizes, comma list (default: the model's fixed batch, else 1)");
  cmd->add_option("--opt-level", a->opt_levels,
                  "ORT graph optimisation: disable,basic,extended,all")
      ->capture_default_str();
  cmd->add_option("--arena", a->arenas, "ORT CPU memory arena: on,off")->capture_default_str();
  cmd->add_option("--mem-pattern", a->mem_patterns, "ORT memory pattern: on,off")
      ->capture_default_str();
  cmd->add_option("--warmup-runs", a->protocol.warmup_runs, "Warm-up: at least this many runs")
      ->capture_default_str();
  cmd->add_option("--warmup-ms", a->protocol.warmup_ms, "Warm-up: at least this many ms")
      ->capture_default_str();
  cmd->add_option("--min-runs", a->protocol.min_runs, "Timed: at least this many runs")
      ->capture_default_str();
  cmd->add_option("--min-seconds", a->protocol.min_seconds, "Timed: at least this many seconds")
      ->capture_default_str();
  cmd->add_option("--target-ci", a->protocol.target_ci,
                  "Timed: on until the median's 95% interval is within +-this fraction of it "
                  "(0: off)")
      ->capture_default_str();
  cmd->add_option("--max-seconds", a->protocol.max_seconds,
                  "Timed: stop here even if the interval is wider (the record says not converged)")
      ->capture_default_str();
  non_negative_seed(cmd->add_option("--seed", a->protocol.seed, "Seed of the random input")
                        ->capture_default_str());
  cmd->add_option(
         "--timeout", a->timeout,
         "Kill a measurement still running after this many seconds (it fails, the rest go on)")
      ->capture_default_str();
  cmd->add_flag("--no-layout", a->no_layout, "Skip counting ORT's NCHWc convolutions");
  cmd->add_option("--device", a->devices,
                  "Where to measure, comma list: local and devices from the devices file "
                  "(paramscale device add)")
      ->capture_default_str();
  cmd->add_option("--devices", a->devices_path, "Devices file")->capture_default_str();
  cmd->add_option("--bundle", a->bundle,
                  "Device bundle tarball (default: build/bundles/ for each device's arch)");
  cmd->add_option("--retry-throttled", a->retry_throttled,
                  "Measure a cell again (up to N times) when the board throttled during it")
      ->capture_default_str();
  cmd->add_flag("--progress", a->progress, "Progress on stderr even when it is not a terminal");
  cmd->add_flag("--in-process", a->in_process,
                "Measure in this process, not a fresh child (one cell only): for callers that "
                "start a process per measurement, and emulators that cannot re-execute the binary");
  cmd->add_option("--json", a->json_path, "Write every record (raw timings included) to this file");
  cmd->add_option("--output", a->output, "stdout format")
      ->check(CLI::IsMember({"md", "csv", "json", "jsonl"}))
      ->capture_default_str();
  cmd->callback([action, a] { *action = [a] { return run_bench(*a); }; });

  auto child = std::make_shared<std::pair<std::string, int>>();
  CLI::App* hidden = app.add_subcommand(rt::kChildCommand, "");
  hidden->group("");  // internal: one measurement in a fresh process (runtime/child.h)
  hidden->add_option("--request", child->first)->required();
  hidden->add_option("--result-fd", child->second)->required();
  hidden->callback([action, child] {
    *action = [child] { return rt::child_main(child->first, child->second); };
  });
}

}  // namespace paramscale::cli
