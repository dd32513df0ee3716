// `paramscale size` for real on this machine: VGG-11 (widths aligned to 8, so latency follows the
// budget rather than ONNX Runtime's channel blocks) with a latency limit taken from measuring the
// params:0.3 network, so the answer lies inside the range. Checked exactly against size's own
// measurements: the answer meets the limit in every run and no larger measured budget does, and
// the bracket above it is within --tolerance. Checked against the world: the answer is near 0.3.
// Only loosely — this VM's speed drifts by tens of percent between two measurements minutes apart
// (bench/README.md), which a re-measured "a budget 10% larger is slower" assertion cannot survive;
// the binary runs serially (CMakeLists.txt) so at least the other tests do not add to it. The
// search logic itself is tested exactly in search_test.cc. Bad input is one line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace paramscale::test {
namespace {

using nlohmann::json;

const char* kProtocol = " --threads 1 --warmup-runs 3 --min-runs 20 --min-seconds 0.3";

double median_of(const std::string& model, TempDir& dir, int i) {
  const std::string out = dir / ("m" + std::to_string(i) + ".json");
  const auto r = run_paramscale("bench " + model + kProtocol + " --no-layout --json " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(slurp(out))[0]["latency_ms"]["median"].get<double>();
}

double budget_of(const json& point) {
  return std::stod(point["budget"].get<std::string>().substr(7));  // "params:P"
}

TEST(CliSize, FindsABudgetThatMeetsTheLimitAndNoLarger) {
  TempDir dir;
  ASSERT_EQ(
      run_paramscale("export --model vgg11 --dataset cifar10 --align 8 --budget params:0.3 -o " +
                     (dir / "p03.onnx"))
          .exit_code,
      0);
  const double limit = median_of(dir / "p03.onnx", dir, 0);
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", limit);
  const double tolerance = 0.05;
  const auto r = run_paramscale(
      "size --model vgg11 --dataset cifar10 --method uniform --align 8 --max-latency-ms " +
      std::string(text) + kProtocol + " --tolerance 0.05 --no-cache --json " + (dir / "size.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json s = json::parse(slurp(dir / "size.json"));
  ASSERT_FALSE(s["best"].is_null()) << r.out;
  const double limit_ms = s["max_latency_ms"].get<double>();
  EXPECT_NEAR(limit_ms, std::stod(text), 1e-9);
  const double p = budget_of(s["best"]);
  // Exact, against size's own measurements: every point measured twice; the answer met the limit
  // in both runs; every larger measured budget broke it in at least one run; and the smallest of
  // those lies within the tolerance above the answer (the bracket closed).
  double smallest_above = 1e300;
  for (const auto& point : s["points"]) {
    ASSERT_EQ(point["runs"].size(), 2u);
    double worst = 0;
    for (const auto& run : point["runs"]) worst = std::max(worst, run["latency_ms"].get<double>());
    EXPECT_EQ(point["feasible"].get<bool>(), worst <= limit_ms) << point.dump();
    const double b = budget_of(point);
    if (b > p) {
      EXPECT_FALSE(point["feasible"].get<bool>())
          << "a larger budget met the limit: " << point.dump();
      smallest_above = std::min(smallest_above, b);
    }
  }
  EXPECT_TRUE(s["best"]["feasible"].get<bool>());
  // (A non-monotone step found above the bracket is the answer with scan points further above.)
  if (s["non_monotone"].empty()) {
    EXPECT_LE(smallest_above / p - 1, tolerance + 1e-4) << r.out;  // budgets have 6 digits
  }
  // Against the world: the limit is the params:0.3 network's latency, so the answer is near 0.3 —
  // within a factor 2, which allows for this machine's speed drifting between the limit's
  // measurement and size's (1.4x seen here, bench/README.md), for size judging a budget by the
  // worse of two runs against one median, and for the bisection stopping up to --tolerance below
  // the crossing; it still fails an answer at a range end (0.02, 2) or one that ignores the limit.
  EXPECT_GT(p, 0.3 / 2) << r.out;
  EXPECT_LT(p, 0.3 * 2) << r.out;
}

TEST(CliSize, BadInput) {
  expect_one_line_error(run_paramscale("size --model vgg11 --max-latency-ms -1"),
                        "--max-latency-ms must be a positive number");
  expect_one_line_error(run_paramscale("size --model vgg11 --max-latency-ms 5 --max-memory-mb -3"),
                        "--max-memory-mb must be a positive");
  expect_one_line_error(run_paramscale("size --model nosuch --max-latency-ms 5"), "nosuch");
  expect_one_line_error(run_paramscale("size --model vgg11 --max-latency-ms 5 --repeats 1"),
                        "--repeats must be 2..100");
  expect_one_line_error(run_paramscale("size --model vgg11 --max-latency-ms 5 --device nosuch "
                                       "--devices /nonexistent/devices.json"),
                        "unknown device 'nosuch'");
  expect_one_line_error(
      run_paramscale("size --model vgg11 --max-latency-ms 5 --precision int8 --runtime opencv"),
      "--precision int8 needs --runtime ort");
  expect_one_line_error(run_paramscale("size --model vgg11 --max-latency-ms 5 --precision int4"),
                        "--precision");
}

// INT8: every candidate is a QDQ model ONNX Runtime runs in int8 — a generous limit is met at the
// top of the range, whose INT8 network is measured (and recorded as such), not its float twin.
TEST(CliSize, Int8CandidatesAreQuantized) {
  TempDir dir;
  const auto r = run_paramscale(
      "size --model vgg11 --dataset cifar10 --method uniform --precision int8 --lo 0.05 --hi 0.1 "
      "--max-latency-ms 1000" +
      std::string(kProtocol) + " --no-cache --json " + (dir / "size.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json s = json::parse(slurp(dir / "size.json"));
  EXPECT_EQ(s["precision"], "int8");
  ASSERT_FALSE(s["best"].is_null()) << r.out;
  EXPECT_EQ(s["best"]["budget"], "params:0.1");
  // The same budget's FP32 model has 4x the weight bytes; the measured INT8 model's runtime
  // memory is below the FP32 one's (measured here side by side).
  const auto f = run_paramscale(
      "size --model vgg11 --dataset cifar10 --method uniform --lo 0.05 --hi 0.1 "
      "--max-latency-ms 1000" +
      std::string(kProtocol) + " --no-cache --json " + (dir / "fp32.json"));
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const json fp = json::parse(slurp(dir / "fp32.json"));
  EXPECT_EQ(fp["precision"], "fp32");
#if !defined(PARAMSCALE_SANITIZED)
  // (Not under AddressSanitizer: its allocator's quarantine and shadow, not the model, set the
  // runtime memory figure there.)
  EXPECT_LT(s["best"]["runs"][0]["memory_mb"].get<double>(),
            fp["best"]["runs"][0]["memory_mb"].get<double>());
#endif
}

}  // namespace
}  // namespace paramscale::test
