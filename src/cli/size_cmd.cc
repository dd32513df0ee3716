// paramscale size: the largest network of a family and method that meets a device's latency (and
// memory) limit, found by measuring (sizing/search.h): bracket, then bisect on the budget P,
// exporting each candidate with seeded weights and benching it with the study's protocol, every
// point at least twice. Measurements are cached by (model sha256, device, runtime settings,
// protocol), so a rerun or a neighbouring search reuses them. Prints the probed points, the answer
// and its widths; --json writes everything.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "arch/analysis.h"
#include "arch/weights.h"
#include "cli/bench_targets.h"
#include "cli/command.h"
#include "cli/network_args.h"
#include "cli/quantize_noise.h"
#include "cli/table.h"
#include "export/onnx_export.h"
#include "runtime/bench_record.h"
#include "runtime/measure.h"
#include "sizing/cache.h"
#include "sizing/search.h"
#include "util/atomic_file.h"
#include "util/sha256.h"

namespace paramscale::cli {

namespace {

using nlohmann::json;

struct SizeArgs {
  NetworkArgs net;
  std::string device = device::kLocal, devices_path = device::default_devices_path(), bundle;
  std::string runtime = "ort", opt_level = "all", metric = "median", json_path;
  std::string precision = "fp32";  // int8: each candidate quantized on noise (cli/quantize_noise)
  std::string cache_path = sizing::MeasurementCache::default_path();
  int threads = 0, repeats = 2;
  double max_latency_ms = 0, max_memory_mb = 0, lo = 0.02, hi = 2.0, tolerance = 0.02;
  double timeout = 600;
  uint64_t seed = 0;
  runtime::Protocol protocol;  // bench's and the study's protocol, so sizes agree with them
  bool no_cache = false;
};

std::string budget_text(double p) {
  char b[32];
  std::snprintf(b, sizeof b, "params:%.6g", p);
  return b;
}

double statistic(const runtime::LatencyStats& s, const std::string& metric) {
  return metric == "p90" ? s.p90 : metric == "p95" ? s.p95 : metric == "p99" ? s.p99 : s.median;
}

class Prober {
 public:
  Prober(const SizeArgs& a, arch::Family family, const std::string& work)
      : a_(a),
        family_(family),
        work_(work),
        targets_(devices(a), a.bundle, a.timeout, false),
        cache_(a.no_cache ? "" : a.cache_path) {}

  Result<sizing::Probe> operator()(double p, int repeats) {
    NetworkArgs args = a_.net;
    args.budget = budget_text(p);
    sizing::Probe probe;
    std::string path;
    try {
      const ResolvedNetwork rn = resolve_network(args, family_);
      const arch::Network net = unwrap(arch::build_network(family_, rn.dataset, rn.widths));
      const arch::Analysis an = arch::analyze(net);
      probe = {an.params, an.macs, rn.widths, {}};
      path = work_ + "/" + budget_text(p).substr(7) + ".onnx";
      if (a_.precision == "int8") {
        onnx_export::Options o;
        o.fold_batchnorm = true;  // as quantize exports a run directory
        const auto m = unwrap(onnx_export::export_onnx(net, arch::random_weights(net, a_.seed), o));
        unwrap(write_file_atomic(path, quantize_on_noise(m.bytes, a_.seed, a_.threads)));
      } else {
        unwrap(onnx_export::write_onnx(path, net, arch::random_weights(net, a_.seed)));
      }
    } catch (const CliError& e) {
      return Error{budget_text(p) + ": " + e.error.message, e.error.exit_code};
    }
    const std::string key = unwrap(sha256_file(path)) + "|" + a_.device + "|" + a_.runtime + "|t" +
                            std::to_string(a_.threads) + "|" + a_.opt_level + "|w" +
                            std::to_string(a_.protocol.warmup_runs) + "|r" +
                            std::to_string(a_.protocol.min_runs) + "|s" +
                            std::to_string(a_.protocol.min_seconds) + "|c" +
                            std::to_string(a_.protocol.target_ci) + "|m" +
                            std::to_string(a_.protocol.max_seconds) + "|" + a_.metric;
    probe.runs = cache_.lookup(key);
    const size_t cached = probe.runs.size();
    while (static_cast<int>(probe.runs.size()) < repeats) {
      auto m = measure_once(path);
      if (!m.ok()) return Error{budget_text(p) + ": " + m.error().message, m.error().exit_code};
      probe.runs.push_back(*m);
      cache_.add(key, *m);
    }
    probe.runs.resize(static_cast<size_t>(repeats));
    std::cerr << "size: " << budget_text(p) << " (" << with_commas(probe.params)
              << " params): " << a_.metric;
    for (const auto& m : probe.runs) std::cerr << " " << fixed(m.latency_ms, 3);
    std::cerr << " ms, " << fixed(probe.runs.front().memory_mb, 1) << " MB"
              << (cached ? " (" + std::to_string(std::min<size_t>(cached, repeats)) + " cached)"
                         : "")
              << "\n";
    std::remove(path.c_str());
    return probe;
  }

  Status save() const { return cache_.save(); }

 private:
  static std::map<std::string, device::Device> devices(const SizeArgs& a) {
    std::map<std::string, device::Device> out;
    if (a.device == device::kLocal) return out;
    out[a.device] = unwrap(device::find_device(unwrap(device::read_devices(a.devices_path)),
                                               a.device, a.devices_path));
    return out;
  }

  Result<sizing::Measurement> measure_once(const std::string& path) {
    runtime::MeasureRequest r;
    r.model_path = path;
    r.backend.runtime = a_.runtime;
    r.backend.threads = a_.threads;
    r.backend.opt_level = a_.opt_level;
    r.protocol = a_.protocol;
    r.protocol.layout = false;
    auto raw = targets_.measure(r, a_.device);
    if (!raw.ok()) return raw.error();
    auto rec = runtime::BenchRecord::parse(*raw);
    if (!rec.ok()) return rec.error();
    if (!rec->validity.timings_valid)
      return failure("timings not valid (" +
                     (rec->validity.reasons.empty() ? "" : rec->validity.reasons[0]) +
                     "): size needs the device's own timings");
    return sizing::Measurement{statistic(rec->latency.stats, a_.metric),
                               static_cast<double>(rec->memory.runtime_bytes()) / 1e6};
  }

  const SizeArgs& a_;
  arch::Family family_;
  std::string work_;
  BenchTargets targets_;
  sizing::MeasurementCache cache_;
};

json point_json(const sizing::Point& p) {
  json runs = json::array();
  for (const auto& m : p.runs)
    runs.push_back({{"latency_ms", m.latency_ms}, {"memory_mb", m.memory_mb}});
  return {{"budget", budget_text(p.budget)},
          {"params", p.params},
          {"macs", p.macs},
          {"widths", p.widths},
          {"runs", runs},
          {"feasible", p.feasible},
          {"within_noise", p.within_noise},
          {"judgement", p.broken}};
}

void print(const SizeArgs& a, const sizing::SizeResult& r) {
  Table t({"P", "params", "MACs (M)", a.metric + " ms (runs)", "runtime MB", "meets limits"});
  std::vector<size_t> order(r.points.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return r.points[x].budget < r.points[y].budget; });
  for (size_t i : order) {
    const sizing::Point& p = r.points[i];
    std::string ms;
    for (const auto& m : p.runs) ms += (ms.empty() ? "" : " / ") + fixed(m.latency_ms, 3);
    t.add({fixed(p.budget, 4), with_commas(p.params), fixed(p.macs / 1e6, 1), ms,
           fixed(p.runs.front().memory_mb, 1),
           p.within_noise ? "noise" : (p.feasible ? "yes" : "no")});
  }
  t.print(std::cout);
  std::cout << '\n' << r.summary << '\n';
  for (const auto& n : r.non_monotone) std::cout << "not monotone: " << n << '\n';
  if (r.best) {
    std::string w;
    for (int x : r.points[*r.best].widths) w += (w.empty() ? "" : ",") + std::to_string(x);
    std::cout << "widths: " << w << '\n';
  }
  std::cout << "measurements: " << r.points.size() << " budgets x " << a.repeats << " runs\n";
}

int run_size(const SizeArgs& a) {
  const sizing::Limits limits{a.max_latency_ms, a.max_memory_mb > 0
                                                    ? std::optional<double>(a.max_memory_mb)
                                                    : std::nullopt};
  if (a.max_memory_mb < 0) fail_usage("--max-memory-mb must be a positive number of megabytes");
  unwrap(sizing::check_limits(limits));
  if (a.threads < 0 || a.threads > 1024) fail_usage("--threads must be 1..1024 (0: every core)");
  if (a.repeats < 2 || a.repeats > 100) fail_usage("--repeats must be 2..100");
  unwrap(runtime::check_protocol(a.protocol));
  const bool ort = runtime::runtime_named(a.runtime) == runtime::RuntimeKind::kOrt;
  if (a.device != device::kLocal && !ort)
    fail_usage("runtime " + a.runtime + " is not in the device bundle (devices measure ort)");
  if (a.precision == "int8" && !ort)
    fail_usage("--precision int8 needs --runtime ort (QDQ models are ONNX Runtime's format)");
  const auto families = resolve_families(a.net);
  if (families.size() != 1) fail_usage("size needs one --model");
  char work[] = "/tmp/paramscale-size-XXXXXX";
  if (!mkdtemp(work)) throw CliError{failure("cannot create a temporary directory")};
  Prober prober(a, families.front(), work);
  sizing::SearchOptions o;
  o.lo = a.lo;
  o.hi = a.hi;
  o.tolerance = a.tolerance;
  o.repeats = a.repeats;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = sizing::size_to_limits(limits, std::ref(prober), o);
  rmdir(work);
  const Status saved = prober.save();
  if (!saved.ok())
    std::cerr << "size: could not keep the measurement cache: " << saved.error().message << '\n';
  const sizing::SizeResult res = unwrap(std::move(r));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print(a, res);
  std::cout << "wall time: " << fixed(seconds, 1) << " s\n";
  if (!a.json_path.empty()) {
    json points = json::array();
    for (const auto& p : res.points) points.push_back(point_json(p));
    json out = {{"model", a.net.model},
                {"dataset", a.net.dataset},
                {"method", a.net.method},
                {"align", a.net.align},
                {"device", a.device},
                {"runtime", a.runtime},
                {"precision", a.precision},
                {"threads", a.threads},
                {"metric", a.metric},
                {"max_latency_ms", a.max_latency_ms},
                {"max_memory_mb", limits.max_memory_mb ? json(*limits.max_memory_mb) : json()},
                {"points", points},
                {"summary", res.summary},
                {"non_monotone", res.non_monotone},
                {"noise_warning", res.noise_warning},
                {"best", res.best ? point_json(res.points[*res.best]) : json()},
                {"seconds", seconds}};
    unwrap(write_file_atomic(a.json_path, out.dump(1) + "\n"));
  }
  return 0;
}

}  // namespace

void add_size_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<SizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "size", "The largest network that meets a latency (and memory) limit, found by measuring");
  add_network_options(cmd, a->net);
  add_method_options(cmd, a->net);
  cmd->remove_option(cmd->get_option("--budget"));
  cmd->remove_option(cmd->get_option("--widths"));
  cmd->add_option("--max-latency-ms", a->max_latency_ms, "Latency limit (ms)")->required();
  cmd->add_option("--max-memory-mb", a->max_memory_mb, "Runtime memory limit (MB)");
  cmd->add_option("--metric", a->metric, "Latency statistic the limit is on")
      ->check(CLI::IsMember({"median", "p90", "p95", "p99"}))
      ->capture_default_str();
  cmd->add_option("--device", a->device, "Where to measure: local or a device name")
      ->capture_default_str();
  cmd->add_option("--devices", a->devices_path, "Devices file")->capture_default_str();
  cmd->add_option("--bundle", a->bundle, "Device bundle tarball");
  cmd->add_option("--runtime", a->runtime, "Runtime")
      ->check(CLI::IsMember({"ort", "opencv"}))
      ->capture_default_str();
  cmd->add_option("--precision", a->precision,
                  "fp32, or int8: every candidate quantized (QDQ) on seeded noise")
      ->check(CLI::IsMember({"fp32", "int8"}))
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "Intra-op threads (0: every core of the device)")
      ->capture_default_str();
  cmd->add_option("--opt-level", a->opt_level, "ORT graph optimisation")
      ->check(CLI::IsMember(runtime::opt_level_names()))
      ->capture_default_str();
  cmd->add_option("--repeats", a->repeats, "Measurements per budget (at least 2)")
      ->capture_default_str();
  cmd->add_option("--lo", a->lo, "Smallest budget P")->capture_default_str();
  cmd->add_option("--hi", a->hi, "Largest budget P")->capture_default_str();
  cmd->add_option("--tolerance", a->tolerance, "Stop when the bracket is within this of P")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the random weights")->capture_default_str();
  cmd->add_option("--warmup-runs", a->protocol.warmup_runs, "Bench warm-up runs")
      ->capture_default_str();
  cmd->add_option("--min-runs", a->protocol.min_runs, "Bench timed runs (at least)")
      ->capture_default_str();
  cmd->add_option("--min-seconds", a->protocol.min_seconds, "Bench timed seconds (at least)")
      ->capture_default_str();
  cmd->add_option("--target-ci", a->protocol.target_ci, "Bench: median 95% interval target")
      ->capture_default_str();
  cmd->add_option("--max-seconds", a->protocol.max_seconds, "Bench: time cap per measurement")
      ->capture_default_str();
  cmd->add_option("--timeout", a->timeout, "Kill a measurement after this many seconds")
      ->capture_default_str();
  cmd->add_option("--cache", a->cache_path, "Measurement cache file")->capture_default_str();
  cmd->add_flag("--no-cache", a->no_cache, "Measure everything again");
  cmd->add_option("--json", a->json_path, "Write the search as JSON to this file");
  cmd->callback([action, a] { *action = [a] { return run_size(*a); }; });
}

}  // namespace paramscale::cli
