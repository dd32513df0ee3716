#include "report/metrics.h"

#include <map>
#include <tuple>

#include "runtime/bench_record.h"
#include "runtime/kinds.h"

namespace paramscale::report {

std::optional<double> Point::accuracy_per_mb() const {
  if (!accuracy || runtime_memory_bytes <= 0) return std::nullopt;
  return *accuracy / runtime_memory_mb();
}

std::optional<double> Point::accuracy_per_ms() const {
  if (!accuracy || latency_median_ms <= 0) return std::nullopt;
  return *accuracy / latency_median_ms;
}

std::optional<double> Comparison::accuracy_per_mb_ratio() const {
  auto n = neuralscale.accuracy_per_mb(), u = uniform.accuracy_per_mb();
  if (!n || !u || *u == 0) return std::nullopt;
  return *n / *u;
}
double Comparison::memory_per_param_ratio() const {
  return neuralscale.memory_per_param() / uniform.memory_per_param();
}
double Comparison::latency_ratio() const {
  return neuralscale.latency_median_ms / uniform.latency_median_ms;
}
double Comparison::macs_ratio() const { return neuralscale.macs / uniform.macs; }
double Comparison::peak_activation_ratio() const {
  return neuralscale.peak_activation_bytes / uniform.peak_activation_bytes;
}

std::optional<double> PrecisionComparison::file_ratio() const {
  if (!int8.file_bytes || !fp32.file_bytes || *fp32.file_bytes <= 0) return std::nullopt;
  return *int8.file_bytes / *fp32.file_bytes;
}
double PrecisionComparison::memory_ratio() const {
  return int8.runtime_memory_bytes / fp32.runtime_memory_bytes;
}
double PrecisionComparison::latency_ratio() const {
  return int8.latency_median_ms / fp32.latency_median_ms;
}
std::optional<double> PrecisionComparison::accuracy_delta() const {
  if (!int8.deployed_accuracy || !fp32.deployed_accuracy) return std::nullopt;
  return *int8.deployed_accuracy - *fp32.deployed_accuracy;
}

namespace {
std::optional<double> number(const nlohmann::json& j, const char* a, const char* b) {
  if (!j.contains(a) || !j[a].is_object() || !j[a].contains(b) || !j[a][b].is_number())
    return std::nullopt;
  return j[a][b].get<double>();
}

// What the device is, in a person's words: the board (device tree) or else the CPU.
std::string hardware(const nlohmann::json& r) {
  const nlohmann::json env = r.value("environment", nlohmann::json::object());
  if (!env.is_object()) return "";
  if (env.contains("board_model") && env["board_model"].is_string())
    return env["board_model"].get<std::string>();
  return env.contains("cpu_model") && env["cpu_model"].is_string()
             ? env["cpu_model"].get<std::string>()
             : "";
}

// Mean of the seeds' points (the first point's identity and widths are kept).
Point average(const std::vector<Point>& ps) {
  Point m = ps.front();
  const double n = static_cast<double>(ps.size());
  m.seeds = static_cast<int>(ps.size());
  m.latency_median_ms = m.latency_p90_ms = m.latency_p99_ms = m.runtime_memory_bytes = 0;
  // Optional values average only when every seed has them.
  const auto mean = [&](std::optional<double> Point::*field) -> std::optional<double> {
    double sum = 0;
    for (const Point& p : ps) {
      if (!(p.*field)) return std::nullopt;
      sum += *(p.*field) / n;
    }
    return sum;
  };
  for (const Point& p : ps) {
    m.latency_median_ms += p.latency_median_ms / n;
    m.latency_p90_ms += p.latency_p90_ms / n;
    m.latency_p99_ms += p.latency_p99_ms / n;
    m.runtime_memory_bytes += p.runtime_memory_bytes / n;
  }
  m.accuracy = mean(&Point::accuracy);
  m.final_accuracy = mean(&Point::final_accuracy);
  m.file_bytes = mean(&Point::file_bytes);
  m.deployed_accuracy = mean(&Point::deployed_accuracy);
  return m;
}
}  // namespace

namespace {

// One record as a point; false (with a problem line) when it lacks a measurement.
bool point_from(const nlohmann::json& r, Point* out, std::vector<std::string>* problems) {
  const auto& c = r["cell"];
  Point p;
  p.model = c.value("model", "");
  p.method = c.value("method", "");
  // Aligned networks are their own series ("neuralscale align 8"); NS÷U compares unaligned ones.
  if (const int k = c.value("align", 1); k > 1) p.method += " align " + std::to_string(k);
  p.budget = c.value("budget", "");
  p.runtime = c.value("runtime", "");
  p.threads = c.value("threads", 0);
  p.opt_level = c.value("opt_level", "");
  p.dataset = c.value("dataset", "");
  p.device = c.value("device", std::string("local"));
  p.precision = c.value("precision", std::string("fp32"));
  p.hardware = hardware(r);
  // The record's copies of its bench record's blocks, read as the bench record reads them.
  if (r.contains("validity")) {
    if (const auto v = runtime::parse_validity(r["validity"]); v.ok() && !v->timings_valid) {
      p.timings_valid = false;
      p.invalid_reason = v->reasons.empty() ? "timings not valid" : v->reasons[0];
    }
  }
  if (r.contains("bench") && r["bench"].is_object() && r["bench"].contains("layout")) {
    if (const auto l = runtime::parse_layout(r["bench"]["layout"]); l.ok()) {
      p.nchwc_fraction = l->nchwc_fraction;
      p.int8_convs = l->int8_convs;
      p.convs = l->convs;
    }
  }
  if (r.contains("model_file_bytes") && r["model_file_bytes"].is_number())
    p.file_bytes = r["model_file_bytes"].get<double>();
  p.widths = r.value("widths", std::vector<int>{});
  if (r.contains("explain") && r["explain"].is_object()) p.explain = r["explain"];
  const auto params = number(r, "analysis", "params");
  const auto latency = runtime::parse_latency(r.value("latency_ms", nlohmann::json()));
  const auto memory = number(r, "memory", "runtime_bytes");
  if (!params || !latency.ok() || !memory || *params <= 0) {
    problems->push_back(r.value("key", "?") +
                        ": lacks params, latency_ms.median or memory.runtime_bytes; left out");
    return false;
  }
  p.params = *params;
  p.macs = number(r, "analysis", "macs").value_or(0);
  p.peak_activation_bytes = number(r, "analysis", "peak_activation_bytes").value_or(0);
  p.latency_median_ms = latency->stats.median;
  p.latency_p90_ms = latency->stats.p90;
  p.latency_p99_ms = latency->stats.p99;
  p.runtime_memory_bytes = *memory;
  // Summaries store accuracy as a fraction or a percentage; report percent.
  auto pct = [](std::optional<double> v) -> std::optional<double> {
    if (!v) return v;
    return *v <= 1.0 ? *v * 100.0 : *v;
  };
  if (r.contains("accuracy") && r["accuracy"].is_object()) {
    p.accuracy = pct(number(r, "accuracy", "best_test"));
    p.final_accuracy = pct(number(r, "accuracy", "final_test"));
  }
  p.deployed_accuracy = pct(number(r, "deployed_accuracy", "top1"));
  if (p.precision != "fp32") {  // the training accuracy is the float network's
    p.accuracy = p.deployed_accuracy;
    p.final_accuracy.reset();
  }
  *out = p;
  return true;
}

bool same_setting(const Point& a, const Point& b) {
  return a.device == b.device && a.model == b.model && a.budget == b.budget &&
         a.runtime == b.runtime && a.threads == b.threads && a.opt_level == b.opt_level;
}

void add_comparisons(Metrics& out) {
  std::map<std::tuple<std::string, std::string, std::string, int, std::string, std::string>,
           std::vector<Comparison>>
      by_model;  // (device, model, runtime, threads, opt, precision)
  for (const Point& u : out.points) {
    if (u.method != "uniform" || !u.timings_valid) continue;
    for (const Point& n : out.points) {
      if (n.method != "neuralscale" || !n.timings_valid || !same_setting(u, n) ||
          n.precision != u.precision)
        continue;
      Comparison c{u.model,   u.budget, u.runtime, u.opt_level, u.precision, u.device,
                   u.threads, u,        n};
      out.comparisons.push_back(c);
      by_model[{u.device, u.model, u.runtime, u.threads, u.opt_level, u.precision}].push_back(c);
      by_model[{u.device, "all", u.runtime, u.threads, u.opt_level, u.precision}].push_back(c);
    }
  }
  for (const auto& [k, cs] : by_model) {
    Headline h;
    std::tie(h.device, h.model, h.runtime, h.threads, h.opt_level, h.precision) = k;
    h.hardware = cs.front().uniform.hardware;
    h.comparisons = static_cast<int>(cs.size());
    double apm = 0;
    bool all_apm = true;
    for (const auto& c : cs) {
      h.memory_per_param_ratio += c.memory_per_param_ratio() / cs.size();
      h.latency_ratio += c.latency_ratio() / cs.size();
      auto r = c.accuracy_per_mb_ratio();
      all_apm = all_apm && r.has_value();
      if (r) apm += *r / cs.size();
    }
    if (all_apm) h.accuracy_per_mb_ratio = apm;
    out.headlines.push_back(h);
  }
}

void add_precision_comparisons(Metrics& out) {
  for (const Point& f : out.points) {
    if (f.precision != "fp32" || !f.timings_valid) continue;
    for (const Point& q : out.points)
      if (q.precision == "int8" && q.timings_valid && q.method == f.method && same_setting(f, q))
        out.precision_comparisons.push_back(
            {f.model, f.method, f.budget, f.runtime, f.opt_level, f.device, f.threads, f, q});
  }
}

}  // namespace

bool shows_opt_level(const std::string& runtime) {
  const auto kind = runtime::runtime_named(runtime);
  return kind && runtime::has_ort_options(*kind);
}

Metrics compute_metrics(const std::vector<nlohmann::json>& records) {
  Metrics out;
  // (device, model, budget, method, runtime, threads, opt, precision)
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string, int,
                         std::string, std::string>;
  std::map<Key, std::vector<Point>> groups;
  for (const auto& r : records) {
    Point p;
    if (!point_from(r, &p, &out.problems)) continue;
    groups[{p.device, p.model, p.budget, p.method, p.runtime, p.threads, p.opt_level, p.precision}]
        .push_back(p);
  }
  for (auto& [k, ps] : groups) out.points.push_back(average(ps));
  add_comparisons(out);
  add_precision_comparisons(out);
  return out;
}

}  // namespace paramscale::report
