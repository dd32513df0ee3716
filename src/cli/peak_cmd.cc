// paramscale peak: this machine's attainable FP32 (and INT8) throughput and memory bandwidth per
// thread count, measured through ONNX Runtime (explain/peak.h) and cached per machine; explain
// judges every layer against it.
#include <algorithm>
#include <iostream>

#include "cli/command.h"
#include "cli/table.h"
#include "explain/peak.h"

namespace paramscale::cli {

namespace {

struct PeakArgs {
  std::string threads;
  bool refresh = false, as_json = false;
};

int run_peak(const PeakArgs& a) {
  const std::vector<int> threads = a.threads.empty()
                                       ? std::vector<int>{1, resolve_threads(0)}
                                       : unwrap(parse_int_list(a.threads, "--threads"));
  nlohmann::json all = nlohmann::json::array();
  Table t({"threads", "FP32 GFLOP/s", "conv", "matmul", "INT8 GOP/s", "copy GB/s", "measured"});
  std::vector<int> done;
  for (int n : threads) {
    if (std::find(done.begin(), done.end(), n) != done.end()) continue;
    done.push_back(n);
    if (n > 1024) fail_usage("--threads: " + std::to_string(n) + " is more than 1024");
    std::cerr << "peak: " << n << " thread(s)\n";
    const explain::Peak p = unwrap(explain::machine_peak(n, a.refresh));
    all.push_back(explain::to_json(p));
    t.add({std::to_string(n), fixed(p.fp32_gflops, 1), fixed(p.conv_gflops, 1),
           fixed(p.matmul_gflops, 1), p.int8_gops ? fixed(*p.int8_gops, 1) : "-",
           fixed(p.bandwidth_gbs, 1), p.measured_utc});
  }
  if (a.as_json) {
    std::cout << all.dump(2) << '\n';
    return 0;
  }
  t.print(std::cout);
  const auto dot = explain::int8_dot_product();
  std::cout << "CPU: " << all[0].value("cpu_model", "?")
            << "; int8 dot product: " << (dot ? *dot : std::string("none"))
            << "; cache: " << explain::peak_cache_path() << '\n';
  return 0;
}

}  // namespace

void add_peak_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<PeakArgs>();
  CLI::App* cmd = app.add_subcommand(
      "peak", "This machine's measured FP32/INT8 throughput and memory bandwidth (cached)");
  cmd->add_option("--threads", a->threads, "Thread counts, comma list (default: 1 and all)");
  cmd->add_flag("--refresh", a->refresh, "Measure again instead of using the cache");
  cmd->add_flag("--json", a->as_json, "JSON instead of a table");
  cmd->callback([action, a] { *action = [a] { return run_peak(*a); }; });
}

}  // namespace paramscale::cli
