// The study's metrics on hand-made records: exact values, ratios, seed averaging, bad records.
#include <gtest/gtest.h>
#include <set>

#include "report/metrics.h"

using nlohmann::json;
using paramscale::report::compute_metrics;

namespace {
json record(const std::string& method, const std::string& budget, int seed, double params,
            double median_ms, double memory_bytes, json accuracy) {
  return {
      {"schema_version", 1},
      {"key", method + budget + std::to_string(seed)},
      {"cell",
       {{"model", "vgg11"},
        {"method", method},
        {"budget", budget},
        {"seed", seed},
        {"runtime", "ort"},
        {"threads", 2},
        {"opt_level", "all"}}},
      {"widths", {1, 2}},
      {"analysis", {{"params", params}, {"macs", 10 * params}, {"peak_activation_bytes", 4000}}},
      {"accuracy", accuracy},
      {"latency_ms", {{"median", median_ms}, {"p90", median_ms * 1.5}}},
      {"memory", {{"runtime_bytes", memory_bytes}}}};
}
}  // namespace

TEST(Metrics, PerPointAndRatiosAreExact) {
  // uniform: 90% at 10 MB, 1,000,000 params, 2 ms; NeuralScale: 92% at 20 MB, same params, 5 ms.
  const auto m = compute_metrics({record("uniform", "params:0.5", 0, 1e6, 2.0, 10e6,
                                         {{"best_test", 0.90}, {"final_test", 0.89}}),
                                  record("neuralscale", "params:0.5", 0, 1e6, 5.0, 20e6,
                                         {{"best_test", 92.0}, {"final_test", 91.0}})});
  ASSERT_EQ(m.points.size(), 2u);
  ASSERT_EQ(m.comparisons.size(), 1u);
  const auto& c = m.comparisons[0];
  EXPECT_DOUBLE_EQ(*c.uniform.accuracy, 90.0);  // fractions become percent
  EXPECT_DOUBLE_EQ(*c.uniform.accuracy_per_mb(), 9.0);
  EXPECT_DOUBLE_EQ(*c.neuralscale.accuracy_per_mb(), 4.6);
  EXPECT_DOUBLE_EQ(c.uniform.memory_per_param(), 10.0);
  EXPECT_DOUBLE_EQ(*c.uniform.accuracy_per_ms(), 45.0);
  EXPECT_NEAR(*c.accuracy_per_mb_ratio(), 4.6 / 9.0, 1e-12);
  EXPECT_DOUBLE_EQ(c.memory_per_param_ratio(), 2.0);
  EXPECT_DOUBLE_EQ(c.latency_ratio(), 2.5);
  ASSERT_EQ(m.headlines.size(), 2u);  // per model and "all"
  EXPECT_DOUBLE_EQ(m.headlines[0].latency_ratio, 2.5);
}

TEST(Metrics, SeedsAreAveragedAndHeadlineAveragesBudgets) {
  const json acc = {{"best_test", 0.5}, {"final_test", 0.5}};
  const auto m = compute_metrics({record("uniform", "params:0.25", 0, 1e6, 1.0, 1e6, acc),
                                  record("uniform", "params:0.25", 1, 1e6, 3.0, 3e6, acc),
                                  record("neuralscale", "params:0.25", 0, 1e6, 4.0, 2e6, acc),
                                  record("uniform", "params:1", 0, 4e6, 2.0, 4e6, acc),
                                  record("neuralscale", "params:1", 0, 4e6, 8.0, 4e6, acc)});
  ASSERT_EQ(m.comparisons.size(), 2u);
  EXPECT_EQ(m.comparisons[0].uniform.seeds, 2);
  EXPECT_DOUBLE_EQ(m.comparisons[0].uniform.latency_median_ms, 2.0);
  EXPECT_DOUBLE_EQ(m.comparisons[0].latency_ratio(), 2.0);
  EXPECT_DOUBLE_EQ(m.comparisons[1].latency_ratio(), 4.0);
  EXPECT_DOUBLE_EQ(m.headlines[0].latency_ratio, 3.0);
  EXPECT_DOUBLE_EQ(m.headlines[0].memory_per_param_ratio, (1.0 + 1.0) / 2);
}

TEST(Metrics, UntrainedRecordsHaveNoAccuracyMetrics) {
  const auto m = compute_metrics({record("uniform", "width:1", 0, 1e6, 2.0, 10e6, nullptr),
                                  record("neuralscale", "width:1", 0, 1e6, 6.0, 30e6, nullptr)});
  ASSERT_EQ(m.comparisons.size(), 1u);
  EXPECT_FALSE(m.comparisons[0].accuracy_per_mb_ratio().has_value());
  EXPECT_FALSE(m.headlines[0].accuracy_per_mb_ratio.has_value());
  EXPECT_DOUBLE_EQ(m.comparisons[0].memory_per_param_ratio(), 3.0);
}

TEST(Metrics, RecordWithoutMeasurementsIsReportedNotFatal) {
  json bad = record("uniform", "width:1", 0, 1e6, 2.0, 10e6, nullptr);
  bad.erase("latency_ms");
  const auto m = compute_metrics({bad, record("uniform", "width:0.5", 0, 1e6, 2.0, 10e6, nullptr)});
  EXPECT_EQ(m.points.size(), 1u);
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_NE(m.problems[0].find("latency_ms"), std::string::npos);
}

TEST(Metrics, BlockedLayoutFractionComesFromTheBenchRecord) {
  json with = record("uniform", "params:0.5", 0, 1e6, 2.0, 10e6, nullptr);
  with["bench"] = {{"layout", {{"convs", 8}, {"nchwc_convs", 1}, {"nchwc_fraction", 0.125}}}};
  const auto m =
      compute_metrics({with, record("neuralscale", "params:0.5", 0, 1e6, 5.0, 20e6, nullptr)});
  ASSERT_EQ(m.points.size(), 2u);
  for (const auto& p : m.points) {
    if (p.method == "uniform") {
      ASSERT_TRUE(p.nchwc_fraction.has_value());
      EXPECT_EQ(*p.nchwc_fraction, 0.125);
    } else {
      EXPECT_FALSE(p.nchwc_fraction.has_value());  // no layout probe recorded: shown as "-"
    }
  }
}

TEST(Metrics, AlignedNetworksAreTheirOwnSeriesAndStayOutOfNsOverU) {
  json aligned = record("neuralscale", "params:0.5", 0, 1e6, 3.0, 20e6, nullptr);
  aligned["cell"]["align"] = 8;
  const auto m =
      compute_metrics({record("uniform", "params:0.5", 0, 1e6, 2.0, 10e6, nullptr),
                       record("neuralscale", "params:0.5", 0, 1e6, 5.0, 20e6, nullptr), aligned});
  ASSERT_EQ(m.points.size(), 3u);
  std::set<std::string> methods;
  for (const auto& p : m.points) methods.insert(p.method);
  EXPECT_EQ(methods, (std::set<std::string>{"uniform", "neuralscale", "neuralscale align 8"}));
  ASSERT_EQ(m.comparisons.size(), 1u);
  EXPECT_DOUBLE_EQ(m.comparisons[0].latency_ratio(), 2.5);  // 5.0 / 2.0, the unaligned pair
}

namespace {
json int8_twin(json r, double median_ms, double memory_bytes, double file_bytes, double top1) {
  r["key"] = r["key"].get<std::string>() + ".int8";
  r["cell"]["precision"] = "int8";
  r["latency_ms"] = {{"median", median_ms}, {"p90", median_ms}};
  r["memory"] = {{"runtime_bytes", memory_bytes}};
  r["model_file_bytes"] = file_bytes;
  r["deployed_accuracy"] = {{"top1", top1}};
  r["bench"] = {{"layout", {{"convs", 8}, {"int8_convs", 8}}}};
  return r;
}
}  // namespace

TEST(Metrics, Int8PointsPairWithTheirFp32TwinsAndCompareWithinTheirPrecision) {
  json u = record("uniform", "params:0.5", 0, 1e6, 2.0, 10e6, {{"best_test", 0.91}});
  u["model_file_bytes"] = 4e6;
  u["deployed_accuracy"] = {{"top1", 0.90}};
  json n = record("neuralscale", "params:0.5", 0, 1e6, 4.0, 20e6, {{"best_test", 0.91}});
  n["model_file_bytes"] = 4e6;
  n["deployed_accuracy"] = {{"top1", 0.90}};
  const auto m =
      compute_metrics({u, n, int8_twin(u, 1.0, 5e6, 1e6, 0.88), int8_twin(n, 3.0, 8e6, 1e6, 0.89)});
  ASSERT_EQ(m.points.size(), 4u);
  ASSERT_EQ(m.precision_comparisons.size(), 2u);
  for (const auto& c : m.precision_comparisons) {
    if (c.method != "uniform") continue;
    EXPECT_DOUBLE_EQ(c.latency_ratio(), 0.5);
    EXPECT_DOUBLE_EQ(c.memory_ratio(), 0.5);
    EXPECT_DOUBLE_EQ(*c.file_ratio(), 0.25);
    EXPECT_NEAR(*c.accuracy_delta(), -2.0, 1e-12);  // deployed 88% vs 90%
    // An INT8 point's accuracy is what the INT8 model delivers, not the float training's.
    EXPECT_NEAR(*c.int8.accuracy, 88.0, 1e-12);
    EXPECT_NEAR(*c.fp32.accuracy, 91.0, 1e-12);
    EXPECT_EQ(*c.int8.int8_convs, 8);
  }
  // NeuralScale ÷ uniform within each precision: 2x in FP32, 3x in INT8.
  ASSERT_EQ(m.comparisons.size(), 2u);
  for (const auto& c : m.comparisons)
    EXPECT_DOUBLE_EQ(c.latency_ratio(), c.precision == "int8" ? 3.0 : 2.0);
  ASSERT_EQ(m.headlines.size(), 4u);  // (vgg11, all) x (fp32, int8)
}
