// FP32 vs INT8 tables and the slower-than-FP32 list; see precision.h.
#include "report/precision.h"
#include "util/text.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>

namespace paramscale::report {

namespace {

std::string opt(const std::optional<double>& v, int decimals, const char* none = "-") {
  return v ? fixed(*v, decimals) : none;
}
std::string pair(const std::optional<double>& a, const std::optional<double>& b, int decimals) {
  return opt(a, decimals) + " / " + opt(b, decimals);
}
std::string setting(const PrecisionComparison& c) {
  return (c.device == "local" ? "" : "on " + c.device + ": ") + c.runtime + ", " +
         std::to_string(c.threads) + " thread(s)" +
         (shows_opt_level(c.runtime) ? ", opt " + c.opt_level : "");
}
std::optional<double> mb(const std::optional<double>& bytes) {
  if (!bytes) return bytes;
  return *bytes / 1e6;
}

void family_table(Document& doc, const Metrics& m, const std::string& model) {
  std::vector<std::vector<std::string>> rows = {
      {"budget", "method", "setting", "file MB FP32 / INT8", "runtime MB FP32 / INT8",
       "median ms FP32 / INT8", "acc % FP32 / INT8", "file INT8÷FP32", "memory INT8÷FP32",
       "latency INT8÷FP32", "acc Δ (points)", "int8 convs"}};
  for (const PrecisionComparison& c : m.precision_comparisons) {
    if (c.model != model) continue;
    const std::string convs =
        c.int8.int8_convs && c.int8.convs
            ? std::to_string(*c.int8.int8_convs) + "/" + std::to_string(*c.int8.convs)
            : "-";
    rows.push_back(
        {c.budget, c.method, setting(c), pair(mb(c.fp32.file_bytes), mb(c.int8.file_bytes), 2),
         fixed(c.fp32.runtime_memory_mb(), 1) + " / " + fixed(c.int8.runtime_memory_mb(), 1),
         fixed(c.fp32.latency_median_ms, 3) + " / " + fixed(c.int8.latency_median_ms, 3),
         pair(c.fp32.deployed_accuracy, c.int8.deployed_accuracy, 2), opt(c.file_ratio(), 3),
         fixed(c.memory_ratio(), 3), fixed(c.latency_ratio(), 3),
         c.accuracy_delta() ? fixed(*c.accuracy_delta(), 2) : "-", convs});
  }
  doc.table(rows);
}

// NeuralScale ÷ uniform latency and memory per parameter, FP32 next to INT8.
void ratio_table(Document& doc, const Metrics& m, const std::string& model) {
  std::map<std::string, std::pair<const Comparison*, const Comparison*>> rows_by;
  for (const Comparison& c : m.comparisons) {
    if (c.model != model) continue;
    const std::string k = c.budget + "|" + (c.device == "local" ? "" : "on " + c.device + ": ") +
                          c.runtime + ", " + std::to_string(c.threads) + " thread(s)" +
                          (shows_opt_level(c.runtime) ? ", opt " + c.opt_level : "");
    (c.precision == "int8" ? rows_by[k].second : rows_by[k].first) = &c;
  }
  std::vector<std::vector<std::string>> rows = {{"budget", "setting", "latency NS÷U FP32",
                                                 "latency NS÷U INT8", "bytes/param NS÷U FP32",
                                                 "bytes/param NS÷U INT8"}};
  for (const auto& [k, p] : rows_by) {
    if (!p.second) continue;
    const auto lat = [](const Comparison* c) { return c ? fixed(c->latency_ratio(), 3) : "-"; };
    const auto mem = [](const Comparison* c) {
      return c ? fixed(c->memory_per_param_ratio(), 3) : "-";
    };
    rows.push_back({k.substr(0, k.find('|')), k.substr(k.find('|') + 1), lat(p.first),
                    lat(p.second), mem(p.first), mem(p.second)});
  }
  if (rows.size() > 1) {
    doc.paragraph("NeuralScale ÷ uniform within each precision:");
    doc.table(rows);
  }
}

// Every pair where INT8 took longer than FP32, named; or that there was none.
void slower_paragraph(Document& doc, const Metrics& m) {
  std::string list;
  int slower = 0;
  for (const PrecisionComparison& c : m.precision_comparisons) {
    if (c.latency_ratio() <= 1.0) continue;
    ++slower;
    list += std::string(list.empty() ? "" : "; ") + c.model + " " + c.method + " " + c.budget +
            " (" + setting(c) + "): " + fixed(c.fp32.latency_median_ms, 3) + " ms FP32, " +
            fixed(c.int8.latency_median_ms, 3) + " ms INT8 (" + fixed(c.latency_ratio(), 2) + "x)";
  }
  const std::string of = std::to_string(m.precision_comparisons.size());
  doc.paragraph(slower == 0 ? "INT8 was faster than FP32 in all " + of + " pairs measured."
                            : "INT8 was SLOWER than FP32 in " + std::to_string(slower) + " of " +
                                  of + " pairs: " + list +
                                  ". Where ONNX Runtime runs fewer int8 convolutions than the "
                                  "model has (the \"int8 convs\" column), the rest run in float "
                                  "between conversions; depthwise and small convolutions gain "
                                  "little from int8 on some x86 CPUs.");
}

}  // namespace

void precision_section(Document& doc, const Metrics& m) {
  if (m.precision_comparisons.empty()) return;
  doc.heading("FP32 vs INT8");
  // Averages per setting: what INT8 buys on this runtime and machine.
  std::map<std::string, std::vector<const PrecisionComparison*>> by_setting;
  for (const auto& c : m.precision_comparisons) by_setting[setting(c)].push_back(&c);
  for (const auto& [s, cs] : by_setting) {
    double lat = 0, mem = 0, file = 0;
    int files = 0;
    for (const auto* c : cs) {
      lat += c->latency_ratio() / cs.size();
      mem += c->memory_ratio() / cs.size();
      if (auto f = c->file_ratio()) file += *f, ++files;
    }
    doc.paragraph("With " + s + ", averaged over " + std::to_string(cs.size()) +
                  " networks: INT8 ÷ FP32 latency " + fixed(lat, 2) + "x, runtime memory " +
                  fixed(mem, 2) + "x" +
                  (files ? ", model file " + fixed(file / files, 2) + "x" : "") + ".");
  }
  doc.paragraph(
      "INT8 models are the same networks quantized after training (paramscale quantize: "
      "batch-norm folded, int8 per-channel weights, activations calibrated on training images, "
      "QDQ format that ONNX Runtime fuses into int8 kernels). Accuracy here is top-1 on the test "
      "images through ONNX Runtime (paramscale eval) for both precisions; \"-\" where the study "
      "did not train.");
  slower_paragraph(doc, m);
  std::set<std::string> models;
  for (const auto& c : m.precision_comparisons) models.insert(c.model);
  for (const std::string& model : models) {
    doc.heading(model + ": FP32 vs INT8", 3);
    family_table(doc, m, model);
    ratio_table(doc, m, model);
  }
}

nlohmann::json precision_json(const Metrics& m) {
  const auto j = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  };
  nlohmann::json out = nlohmann::json::array();
  for (const PrecisionComparison& c : m.precision_comparisons)
    out.push_back({{"device", c.device},
                   {"model", c.model},
                   {"method", c.method},
                   {"budget", c.budget},
                   {"runtime", c.runtime},
                   {"threads", c.threads},
                   {"opt_level", c.opt_level},
                   {"file_ratio", j(c.file_ratio())},
                   {"memory_ratio", c.memory_ratio()},
                   {"latency_ratio", c.latency_ratio()},
                   {"accuracy_delta", j(c.accuracy_delta())},
                   {"int8_convs",
                    c.int8.int8_convs ? nlohmann::json(*c.int8.int8_convs) : nlohmann::json()}});
  return out;
}

}  // namespace paramscale::report
