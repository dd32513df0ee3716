// `paramscale size` for real on this machine: VGG-11 (widths aligned to 8, so latency follows the
// budget rather than ONNX Runtime's channel blocks) with a latency limit taken from a first
// measurement, so the answer lies inside the range. The answer meets the limit when measured
// again and a budget 10% larger does not — unless size said the limit lies within the noise.
// Bad input is one line. (The search logic itself is tested exactly in search_test.cc.)
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
  const auto r = run_paramscale(
      "size --model vgg11 --dataset cifar10 --method uniform --align 8 --max-latency-ms " +
      std::string(text) + kProtocol + " --tolerance 0.05 --no-cache --json " + (dir / "size.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json s = json::parse(slurp(dir / "size.json"));
  ASSERT_FALSE(s["best"].is_null()) << r.out;
  for (const auto& p : s["points"]) EXPECT_EQ(p["runs"].size(), 2u);  // every point twice
  const std::string best = s["best"]["budget"];
  const double p = std::stod(best.substr(7));
  EXPECT_GT(p, 0.02);
  EXPECT_LT(p, 2.0);
  if (s["noise_warning"].get<bool>()) return;  // the limit lies within the noise: said so
  // Re-measured: the answer meets the limit (best of two), a budget 10% larger does not (worst of
  // two meets it only inside the noise, which size would have reported).
  char bigger[32];
  std::snprintf(bigger, sizeof bigger, "params:%.4f", p * 1.1);
  const auto exported = [&](const std::string& budget, const std::string& file) {
    const auto e = run_paramscale("export --model vgg11 --dataset cifar10 --align 8 --budget " +
                                  budget + " -o " + (dir / file));
    EXPECT_EQ(e.exit_code, 0) << e.err;
    return std::stoll(e.out.substr(e.out.find("params=") + 7));
  };
  const long long best_params = exported(best, "best.onnx");
  EXPECT_GT(exported(bigger, "bigger.onnx"), best_params);  // a different, larger network
  // Each re-measured next to the network that set the limit, so a change in this (shared, noisy)
  // machine's speed between the size run and now hits both alike: the answer is no slower than the
  // limit's network at its fastest, the larger budget slower than it at its slowest.
  double best_fastest = 1e300, bigger_slowest = 0, limit_fastest = 1e300, limit_slowest = 0;
  for (int i = 1; i <= 3; ++i) {
    const double l = median_of(dir / "p03.onnx", dir, 3 * i);
    limit_fastest = std::min(limit_fastest, l);
    limit_slowest = std::max(limit_slowest, l);
    best_fastest = std::min(best_fastest, median_of(dir / "best.onnx", dir, 3 * i + 1));
    bigger_slowest = std::max(bigger_slowest, median_of(dir / "bigger.onnx", dir, 3 * i + 2));
  }
  EXPECT_LE(best_fastest, limit_slowest * 1.05);  // size's --tolerance
  EXPECT_GT(bigger_slowest, limit_fastest);
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
#if !defined(__SANITIZE_ADDRESS__)
  // (Not under AddressSanitizer: its allocator's quarantine and shadow, not the model, set the
  // runtime memory figure there.)
  EXPECT_LT(s["best"]["runs"][0]["memory_mb"].get<double>(),
            fp["best"]["runs"][0]["memory_mb"].get<double>());
#endif
}

}  // namespace
}  // namespace paramscale::test
