#include "report/data_files.h"

#include <optional>

#include "report/precision.h"
#include "util/csv.h"
#include "util/text.h"

namespace paramscale::report {

namespace {
nlohmann::json or_null(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}
std::string or_empty(const std::optional<double>& v) { return v ? fixed(*v, 6) : std::string(); }

nlohmann::json point_json(const Point& p) {
  return {{"device", p.device},
          {"hardware", p.hardware},
          {"timings_valid", p.timings_valid},
          {"model", p.model},
          {"method", p.method},
          {"budget", p.budget},
          {"runtime", p.runtime},
          {"threads", p.threads},
          {"opt_level", p.opt_level},
          {"seeds", p.seeds},
          {"widths", p.widths},
          {"params", p.params},
          {"macs", p.macs},
          {"peak_activation_bytes", p.peak_activation_bytes},
          {"best_test_accuracy", or_null(p.accuracy)},
          {"final_test_accuracy", or_null(p.final_accuracy)},
          {"latency_median_ms", p.latency_median_ms},
          {"latency_p90_ms", p.latency_p90_ms},
          {"runtime_memory_bytes", p.runtime_memory_bytes},
          {"accuracy_per_mb", or_null(p.accuracy_per_mb())},
          {"bytes_per_param", p.memory_per_param()},
          {"accuracy_per_ms", or_null(p.accuracy_per_ms())},
          {"precision", p.precision},
          {"model_file_bytes", or_null(p.file_bytes)},
          {"deployed_top1_accuracy", or_null(p.deployed_accuracy)}};
}

std::string point_csv_line(const Point& p) {
  return csv_line({p.device,
                   p.model,
                   p.method,
                   p.budget,
                   p.runtime,
                   std::to_string(p.threads),
                   p.opt_level,
                   std::to_string(p.seeds),
                   fixed(p.params, 0),
                   fixed(p.macs, 0),
                   fixed(p.peak_activation_bytes, 0),
                   or_empty(p.accuracy),
                   or_empty(p.final_accuracy),
                   fixed(p.latency_median_ms, 6),
                   fixed(p.latency_p90_ms, 6),
                   fixed(p.runtime_memory_bytes, 0),
                   or_empty(p.accuracy_per_mb()),
                   fixed(p.memory_per_param(), 6),
                   or_empty(p.accuracy_per_ms()),
                   p.precision,
                   or_empty(p.file_bytes),
                   or_empty(p.deployed_accuracy)});
}

nlohmann::json comparison_json(const Comparison& c) {
  return {{"device", c.device},
          {"model", c.model},
          {"budget", c.budget},
          {"runtime", c.runtime},
          {"threads", c.threads},
          {"opt_level", c.opt_level},
          {"accuracy_per_mb_ratio", or_null(c.accuracy_per_mb_ratio())},
          {"memory_per_param_ratio", c.memory_per_param_ratio()},
          {"latency_ratio", c.latency_ratio()},
          {"macs_ratio", c.macs_ratio()},
          {"peak_activation_ratio", c.peak_activation_ratio()},
          {"precision", c.precision}};
}
}  // namespace

std::string points_csv(const Metrics& m) {
  std::string csv =
      "device,model,method,budget,runtime,threads,opt_level,seeds,params,macs,"
      "peak_activation_bytes,"
      "best_test_accuracy,final_test_accuracy,latency_median_ms,latency_p90_ms,"
      "runtime_memory_bytes,accuracy_per_mb,bytes_per_param,accuracy_per_ms,precision,"
      "model_file_bytes,deployed_top1_accuracy\n";
  for (const Point& p : m.points) csv += point_csv_line(p);
  return csv;
}

nlohmann::json report_json(const Metrics& m, const std::vector<std::string>& problems) {
  nlohmann::json j = {{"points", nlohmann::json::array()},
                      {"comparisons", nlohmann::json::array()}};
  for (const Point& p : m.points) j["points"].push_back(point_json(p));
  for (const Comparison& c : m.comparisons) j["comparisons"].push_back(comparison_json(c));
  j["precision_comparisons"] = precision_json(m);
  j["problems"] = problems;
  return j;
}

}  // namespace paramscale::report
