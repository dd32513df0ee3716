// paramscale recommend: from measured study records, the networks that meet a device's latency
// and memory limits, ranked (by accuracy, or by latency where the study did not train), each with
// its binding constraint and margin; the Pareto front over accuracy, latency and memory; and, for
// every network that fails, which limit it breaks and by how much (sizing/recommend.h). Records
// whose timings are not valid (emulated, throttled) are left out and counted.
#include <iostream>

#include "cli/command.h"
#include "cli/table.h"
#include "report/metrics.h"
#include "sizing/recommend.h"
#include "study/store.h"

namespace paramscale::cli {

namespace {

using nlohmann::json;

struct RecommendArgs {
  std::vector<std::string> dirs;
  std::string device, runtime, precision, metric = "median";
  int threads = 0;
  double max_latency_ms = 0, max_memory_mb = 0, min_accuracy = -1;
  bool as_json = false;
};

std::string name_of(const report::Point& p) {
  return p.model + " " + p.method + " " + p.budget + (p.precision == "fp32" ? "" : " INT8") + " (" +
         (p.device == "local" ? "" : p.device + ": ") + p.runtime + " t" +
         std::to_string(p.threads) + (report::shows_opt_level(p.runtime) ? " " + p.opt_level : "") +
         ")";
}

double latency(const report::Point& p, const std::string& metric) {
  return metric == "p90"   ? p.latency_p90_ms
         : metric == "p99" ? p.latency_p99_ms
                           : p.latency_median_ms;
}

// The measured networks of the study directories that match the filters (timings valid only);
// `invalid` counts those left out for their timings.
std::vector<sizing::Candidate> gather_candidates(const RecommendArgs& a, int* invalid) {
  std::vector<json> records;
  for (const auto& d : a.dirs) {
    const study::LoadedRecords l = study::Store(d).load();
    if (l.records.empty() && !l.problems.empty()) fail_usage(d + ": " + l.problems.front());
    records.insert(records.end(), l.records.begin(), l.records.end());
  }
  if (records.empty()) fail_usage("no study records in " + a.dirs.front() + "/cells");
  const report::Metrics metrics = report::compute_metrics(records);
  std::vector<sizing::Candidate> candidates;
  for (const report::Point& p : metrics.points) {
    if ((!a.device.empty() && p.device != a.device) ||
        (!a.runtime.empty() && p.runtime != a.runtime) ||
        (a.threads > 0 && p.threads != a.threads) ||
        (!a.precision.empty() && p.precision != a.precision))
      continue;
    if (!p.timings_valid) {
      ++*invalid;
      continue;
    }
    candidates.push_back(
        {name_of(p), p.accuracy, latency(p, a.metric), p.runtime_memory_mb(), p.params});
  }
  if (candidates.empty())
    fail_usage(
        "no measured network matches --device/--runtime/--threads/--precision in these "
        "records");
  return candidates;
}

void print_json(const RecommendArgs& a, const std::vector<sizing::Candidate>& candidates,
                const sizing::Recommendation& r, int invalid) {
  auto verdicts = [&](const std::vector<sizing::Verdict>& vs) {
    json out = json::array();
    for (const auto& v : vs) {
      const auto& c = candidates[v.candidate];
      out.push_back({{"network", c.name},
                     {"accuracy", c.accuracy ? json(*c.accuracy) : json()},
                     {"latency_ms", c.latency_ms},
                     {"memory_mb", c.memory_mb},
                     {"params", c.params},
                     {"pareto", v.pareto},
                     {"binding", v.binding},
                     {"margin", v.margin},
                     {"breaks", v.broken}});
    }
    return out;
  };
  json front = json::array();
  for (size_t i : r.pareto) front.push_back(candidates[i].name);
  std::cout << json{{"metric", a.metric},
                    {"ranked_by", r.by_accuracy ? "accuracy" : "latency"},
                    {"fits", verdicts(r.ranked)},
                    {"fails", verdicts(r.failing)},
                    {"pareto_front", front},
                    {"left_out_invalid_timings", invalid},
                    {"nothing_fits", r.nothing_fits}}
                   .dump(2)
            << '\n';
}

std::string accuracy_text(const sizing::Candidate& c) {
  return c.accuracy ? fixed(*c.accuracy, 2) : "not trained";
}

void print_tables(const RecommendArgs& a, const std::vector<sizing::Candidate>& candidates,
                  const sizing::Recommendation& r) {
  if (r.ranked.empty()) {
    std::cout << r.nothing_fits << "\n";
  } else {
    std::cout << "Meets every limit, ranked by " << (r.by_accuracy ? "accuracy" : "latency")
              << ":\n\n";
    Table t({"#", "network", "acc %", a.metric + " ms", "runtime MB", "params", "binding", "margin",
             "Pareto"});
    for (size_t i = 0; i < r.ranked.size(); ++i) {
      const auto& v = r.ranked[i];
      const auto& c = candidates[v.candidate];
      t.add({std::to_string(i + 1), c.name, accuracy_text(c), fixed(c.latency_ms, 3),
             fixed(c.memory_mb, 1), with_commas(static_cast<int64_t>(c.params)), v.binding,
             v.margin_text, v.pareto ? "yes" : ""});
    }
    t.print(std::cout);
  }
  if (!r.failing.empty()) {
    std::cout << "\nDoes not fit:\n\n";
    Table t({"network", "acc %", a.metric + " ms", "runtime MB", "breaks"});
    for (const auto& v : r.failing) {
      const auto& c = candidates[v.candidate];
      std::string breaks;
      for (const auto& b : v.broken) breaks += (breaks.empty() ? "" : "; ") + b;
      t.add({c.name, accuracy_text(c), fixed(c.latency_ms, 3), fixed(c.memory_mb, 1), breaks});
    }
    t.print(std::cout);
  }
  std::cout << "\nPareto front (accuracy up, latency and memory down), fastest first:\n";
  for (size_t i : r.pareto) std::cout << "  " << candidates[i].name << '\n';
}

int run_recommend(const RecommendArgs& a) {
  sizing::RecommendLimits limits{
      a.max_latency_ms, a.max_memory_mb,
      a.min_accuracy >= 0 ? std::optional<double>(a.min_accuracy) : std::nullopt};
  if (a.min_accuracy < 0 && a.min_accuracy != -1)
    fail_usage("--min-accuracy is a percentage between 0 and 100");
  unwrap(sizing::check_recommend_limits(limits));
  int invalid = 0;
  const std::vector<sizing::Candidate> candidates = gather_candidates(a, &invalid);
  const sizing::Recommendation r = unwrap(sizing::recommend(candidates, limits));
  if (a.as_json) {
    print_json(a, candidates, r, invalid);
    return 0;
  }
  std::cout << "limits: " << a.metric << " latency <= " << a.max_latency_ms
            << " ms, runtime memory <= " << a.max_memory_mb << " MB"
            << (limits.min_accuracy ? ", accuracy >= " + fixed(*limits.min_accuracy, 2) + "%" : "")
            << "; " << candidates.size() << " measured networks"
            << (invalid ? " (" + std::to_string(invalid) + " left out: timings not valid)" : "")
            << "\n\n";
  print_tables(a, candidates, r);
  return 0;
}

}  // namespace

void add_recommend_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<RecommendArgs>();
  CLI::App* cmd = app.add_subcommand(
      "recommend", "Networks from study records that meet a device's latency and memory limits");
  cmd->add_option("studies", a->dirs, "Study directories")->required();
  cmd->add_option("--max-latency-ms", a->max_latency_ms, "Latency limit (ms)")->required();
  cmd->add_option("--max-memory-mb", a->max_memory_mb, "Runtime memory limit (MB)")->required();
  cmd->add_option("--min-accuracy", a->min_accuracy, "Accuracy floor (%)");
  cmd->add_option("--metric", a->metric, "Latency statistic the limit is on")
      ->check(CLI::IsMember({"median", "p90", "p99"}))
      ->capture_default_str();
  cmd->add_option("--device", a->device, "Only records measured on this device");
  cmd->add_option("--runtime", a->runtime, "Only records of this runtime");
  cmd->add_option("--threads", a->threads, "Only records with this many threads");
  cmd->add_option("--precision", a->precision, "Only models deployed in this precision")
      ->check(CLI::IsMember({"fp32", "int8"}));
  cmd->add_flag("--json", a->as_json, "JSON instead of tables");
  cmd->callback([action, a] { *action = [a] { return run_recommend(*a); }; });
}

}  // namespace paramscale::cli
