// report/metrics: the seed study's efficiency metrics from study records, and NeuralScale /
// uniform.
//
// Per record: runtime memory MB (peak during inference - baseline), accuracy per MB, runtime memory
// bytes per parameter, accuracy per ms of median latency, MACs and peak activation bytes per
// parameter. Records of the same (model, budget, device, runtime, threads, opt level, precision)
// and method are averaged over seeds; a Comparison pairs uniform with NeuralScale measured the same
// way on the same device in the same precision and gives each ratio; a PrecisionComparison pairs a
// network's INT8 model with its FP32 one; points whose timings are not valid (emulated, throttled)
// are kept for their tables but compared with nothing. Accuracy metrics are absent (nullopt) for
// untrained (deployment-only) records. Nothing here is estimated.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace paramscale::report {

struct Point {
  std::string model, method, budget, runtime, opt_level;
  std::string device = "local";  // where it was measured (study config "devices")
  std::string hardware;          // the device's board or CPU, from its environment
  // Emulated or throttled measurements: kept, shown with the reason, left out of every ratio.
  bool timings_valid = true;
  std::string invalid_reason;
  std::string dataset;                   // the input shape's preset (cifar10, fashion-mnist, ...)
  std::optional<double> nchwc_fraction;  // convolutions ONNX Runtime ran in its blocked layout
  int threads = 0;
  int seeds = 0;
  std::vector<int> widths;
  double params = 0, macs = 0, peak_activation_bytes = 0;
  std::optional<double> accuracy;  // best-epoch test accuracy, %
  std::optional<double> final_accuracy;
  double latency_median_ms = 0, latency_p90_ms = 0, latency_p99_ms = 0;
  double runtime_memory_bytes = 0;
  // Precision of the deployed model: "fp32" (and records from before precisions) or "int8". An
  // INT8 point's `accuracy` is its deployed accuracy (the training accuracy is the float
  // network's), so its acc/MB and acc/ms say what the INT8 model delivers.
  std::string precision = "fp32";
  std::optional<double> file_bytes;         // the deployed model file
  std::optional<double> deployed_accuracy;  // top-1 %, through ONNX Runtime (paramscale eval)
  std::optional<int> int8_convs, convs;     // from the optimised graph (bench's layout probe)
  nlohmann::json explain;                   // the record's measured per-layer explanation, or null

  double runtime_memory_mb() const { return runtime_memory_bytes / 1e6; }
  double memory_per_param() const { return runtime_memory_bytes / params; }
  std::optional<double> accuracy_per_mb() const;
  std::optional<double> accuracy_per_ms() const;
};

struct Comparison {
  std::string model, budget, runtime, opt_level;
  std::string precision = "fp32";
  std::string device = "local";
  int threads = 0;
  Point uniform, neuralscale;
  std::optional<double> accuracy_per_mb_ratio() const;  // NeuralScale / uniform
  double memory_per_param_ratio() const;
  double latency_ratio() const;
  double macs_ratio() const;
  double peak_activation_ratio() const;
};

// The same network deployed in INT8 and in FP32, measured the same way: INT8 ÷ FP32.
struct PrecisionComparison {
  std::string model, method, budget, runtime, opt_level;
  std::string device = "local";
  int threads = 0;
  Point fp32, int8;
  std::optional<double> file_ratio() const;
  double memory_ratio() const;
  double latency_ratio() const;
  std::optional<double> accuracy_delta() const;  // INT8 - FP32 deployed top-1, points
};

// Headline ratios averaged over budgets (and models, when `model` is empty).
struct Headline {
  std::string model, runtime, opt_level;
  std::string precision = "fp32";
  std::string device = "local", hardware;
  int threads = 0;
  int comparisons = 0;
  std::optional<double> accuracy_per_mb_ratio;
  double memory_per_param_ratio = 0, latency_ratio = 0;
};

struct Metrics {
  std::vector<Point> points;
  std::vector<Comparison> comparisons;
  std::vector<Headline> headlines;  // per (model, runtime, threads, opt, precision) and overall
                                    // (model "all")
  std::vector<PrecisionComparison> precision_comparisons;
  std::vector<std::string> problems;  // records that could not be used, one line each
};

Metrics compute_metrics(const std::vector<nlohmann::json>& records);

// Whether a runtime (named as records name it) has ONNX Runtime's optimisation levels, so a
// setting's text shows its level; other runtimes ran with their one default.
bool shows_opt_level(const std::string& runtime);

}  // namespace paramscale::report
