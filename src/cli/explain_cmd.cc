// paramscale explain: where a model's time goes, layer by layer, measured with ONNX Runtime's
// profiler and judged against this machine's measured peak (paramscale peak).
//
// Prints per layer: median time and share, MACs, bytes moved, achieved GFLOP/s, the fraction of
// the peak, and how ORT ran it (NCHWc, int8, plain); nodes ORT added (layout reorders) are rows
// of their own. --compare OTHER puts a second network beside it and names the layers that account
// for the gap. Profiling slows every node a little: the overhead is measured and printed.
// --trace writes the profiler's Chrome trace (Perfetto, chrome://tracing).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "arch/families.h"
#include "arch/network.h"
#include "cli/command.h"
#include "cli/table.h"
#include "explain/compare.h"
#include "explain/peak.h"
#include "explain/run.h"
#include "export/onnx_export.h"
#include "rundir/run_dir.h"
#include "runtime/kinds.h"
#include "runtime/model_info.h"
#include "util/atomic_file.h"

namespace paramscale::cli {

namespace {

namespace ex = paramscale::explain;
namespace rt = paramscale::runtime;
using nlohmann::json;

struct ExplainArgs {
  std::string model, compare, runtime = "ort", opt_level = "all", json_path, trace_path;
  int threads = 0, runs = 20, warmup_runs = 5;
  bool no_peak = false, refresh_peak = false;
};

struct Subject {
  std::string label;  // what the user named
  std::string onnx;   // what runs (a run directory's export lives in a temp file)
  std::string temp;   // to remove
  std::optional<arch::Network> network;
};

Subject resolve(const std::string& path) {
  Subject s{path, path, "", std::nullopt};
  if (runtime::is_run_dir(path)) {
    auto run = unwrap(rundir::read_run_dir(path));
    char tmp[] = "/tmp/paramscale-explain-XXXXXX.onnx";
    const int fd = mkstemps(tmp, 5);
    if (fd < 0) throw CliError{failure("cannot create a temporary file for the export")};
    close(fd);
    s.onnx = s.temp = tmp;
    unwrap(onnx_export::write_onnx(s.onnx, run.network, run.weights));
    s.network = run.network;
    return s;
  }
  if (access(path.c_str(), R_OK) != 0) fail_usage("cannot read '" + path + "'");
  s.network = unwrap(onnx_export::network_of_model(path));
  return s;
}

std::string describe(const Subject& s) {
  if (!s.network) return s.label + " (no paramscale metadata: one row per profiled node)";
  std::string w;
  for (size_t i = 0; i < s.network->widths.size(); ++i)
    w += (i ? "," : "") + std::to_string(s.network->widths[i]);
  return s.label + ": " + arch::family_name(s.network->family) + " " + s.network->dataset.name +
         ", widths " + w;
}

std::string pct(double f) { return fixed(100.0 * f, 1) + "%"; }

void print_layers(const ex::ExplainResult& r) {
  Table t({"layer", "op", "ran as", "ms", "share", "MMAC", "MB moved", "GFLOP/s", "of peak"});
  for (const ex::LayerRow& row : r.explanation.rows)
    t.add({row.layer + (row.runtime_added ? " (added by ORT)" : ""), row.op, row.execution,
           fixed(row.median_us / 1000.0, 4), pct(row.share),
           row.macs ? fixed(row.macs / 1e6, 2) : "-", fixed(row.bytes / 1e6, 3),
           row.macs ? fixed(row.gflops, 1) : "-",
           row.peak_fraction ? pct(*row.peak_fraction) : "-"});
  t.print(std::cout);
}

void print_summary(const ex::ExplainResult& r) {
  const ex::Explanation& e = r.explanation;
  std::cout << "runs: " << e.runs << " profiled; median " << fixed(e.run_median_us / 1000.0, 3)
            << " ms (unprofiled " << fixed(r.unprofiled_median_us / 1000.0, 3)
            << " ms: profiling overhead " << pct(r.overhead()) << "); node times sum to "
            << fixed(e.node_sum_us / 1000.0, 3) << " ms ("
            << pct(e.run_median_us > 0 ? e.node_sum_us / e.run_median_us : 0) << " of the run)\n";
  if (!e.unmatched_ir_convs.empty())
    std::cout << "note: " << e.unmatched_ir_convs.size()
              << " convolution(s) of the network matched no profiled node\n";
}

void print_comparison(const ex::Comparison& c, const Subject& a, const Subject& b) {
  Table t({"layer", "A ms", "B ms", "B-A ms", "A GFLOP/s", "B GFLOP/s", "A ran as", "B ran as"});
  for (const ex::ComparedLayer& l : c.layers)
    t.add({l.layer, l.a ? fixed(l.a->median_us / 1000.0, 4) : "-",
           l.b ? fixed(l.b->median_us / 1000.0, 4) : "-", fixed(l.delta_us() / 1000.0, 4),
           l.a && l.a->macs ? fixed(l.a->gflops, 1) : "-",
           l.b && l.b->macs ? fixed(l.b->gflops, 1) : "-", l.a ? l.a->execution : "-",
           l.b ? l.b->execution : "-"});
  std::cout << "\nA = " << describe(a) << "\nB = " << describe(b) << "\n\n";
  t.print(std::cout);
  std::cout << "\nB takes " << fixed(c.gap_us / 1000.0, 3) << " ms "
            << (c.gap_us >= 0 ? "more" : "less") << " than A (summed node time). "
            << c.accounting.size() << " layer(s) account for " << pct(c.accounted_fraction)
            << " of it:\n";
  for (size_t i : c.accounting) std::cout << "  " << ex::describe_delta(c.layers[i]) << '\n';
}

int run_explain(const ExplainArgs& a) {
  if (a.threads < 0 || a.threads > 1024) fail_usage("--threads must be 1..1024 (0: every core)");
  const int threads = resolve_threads(a.threads);
  if (a.runs < 3) fail_usage("--runs must be at least 3");
  if (a.warmup_runs < 0) fail_usage("--warmup-runs must be >= 0");
  // Only ONNX Runtime has a per-node profiler; any other name, known or not, gets this one line.
  const auto kind = rt::parse_runtime(a.runtime);
  if (!kind.ok() || *kind != rt::RuntimeKind::kOrt)
    fail_usage("runtime " + a.runtime + " has no per-layer profiler here (explain runs ort)");
  std::optional<ex::Peak> peak;
  if (!a.no_peak) peak = unwrap(ex::machine_peak(threads, a.refresh_peak));
  std::vector<Subject> subjects = {resolve(a.model)};
  if (!a.compare.empty()) subjects.push_back(resolve(a.compare));
  std::vector<ex::ExplainResult> results;
  for (const Subject& s : subjects) {
    ex::ExplainRequest req{s.onnx,
                           *kind,
                           threads,
                           unwrap(rt::parse_opt_level(a.opt_level)),
                           a.warmup_runs,
                           a.runs,
                           s.network ? ex::ir_layers(*s.network) : std::vector<ex::IrLayer>{},
                           peak ? peak->fp32_gflops : 0};
    std::cerr << "explain: profiling " << s.label << " (" << a.runs << " runs, " << threads
              << " thread(s))\n";
    auto r = ex::explain_model(req);
    if (!s.temp.empty()) std::remove(s.temp.c_str());
    results.push_back(unwrap(std::move(r)));
  }
  json out = {{"threads", threads}, {"runtime", a.runtime}, {"opt_level", a.opt_level}};
  if (peak) out["peak"] = ex::to_json(*peak);
  out["models"] = json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    out["models"].push_back({{"model", subjects[i].label},
                             {"runtime_version", r.runtime_version},
                             {"unprofiled_median_us", r.unprofiled_median_us},
                             {"profiling_overhead", r.overhead()},
                             {"explanation", ex::to_json(r.explanation)}});
    std::cout << (i ? "\n" : "") << describe(subjects[i]) << "\n";
    print_summary(r);
    print_layers(r);
  }
  if (peak)
    std::cout << "\npeak (" << threads << " thread(s), measured " << peak->measured_utc
              << "): FP32 " << fixed(peak->fp32_gflops, 1) << " GFLOP/s"
              << (peak->int8_gops ? ", INT8 " + fixed(*peak->int8_gops, 1) + " GOP/s" : "")
              << ", copy bandwidth " << fixed(peak->bandwidth_gbs, 1) << " GB/s\n";
  if (results.size() == 2) {
    const ex::Comparison c = ex::compare(results[0].explanation, results[1].explanation);
    print_comparison(c, subjects[0], subjects[1]);
    out["comparison"] = ex::to_json(c);
  }
  if (!a.trace_path.empty()) {
    std::ifstream in(results.back().trace_path);
    std::stringstream bytes;
    bytes << in.rdbuf();
    unwrap(write_file_atomic(a.trace_path, bytes.str()));
  }
  for (const auto& r : results) std::remove(r.trace_path.c_str());
  if (!a.json_path.empty()) unwrap(write_file_atomic(a.json_path, out.dump(1) + "\n"));
  return 0;
}

}  // namespace

void add_explain_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "Per-layer time, throughput and layout of a model, measured with ORT's profiler");
  cmd->add_option("model", a->model, "ONNX model or training run directory")->required();
  cmd->add_option("--compare", a->compare, "A second model, side by side layer by layer");
  cmd->add_option("--runtime", a->runtime, "Runtime (ort: the one with a profiler)")
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "Intra-op threads (default: every core)");
  cmd->add_option("--opt-level", a->opt_level, "ORT graph optimisation level")
      ->check(CLI::IsMember(rt::opt_level_names()))
      ->capture_default_str();
  cmd->add_option("--runs", a->runs, "Profiled runs (median per layer)")->capture_default_str();
  cmd->add_option("--warmup-runs", a->warmup_runs, "Runs before the profiled ones")
      ->capture_default_str();
  cmd->add_flag("--no-peak", a->no_peak, "Do not measure or use this machine's peak");
  cmd->add_flag("--refresh-peak", a->refresh_peak, "Measure the peak again (not from the cache)");
  cmd->add_option("--json", a->json_path, "Write everything as JSON to this file");
  cmd->add_option("--trace", a->trace_path,
                  "Write the profiler's Chrome trace (of the last model) to this file");
  cmd->callback([action, a] { *action = [a] { return run_explain(*a); }; });
}

}  // namespace paramscale::cli
