// runtime/measure: the measurement protocol (docs/ARCHITECTURE.md) for one model on one backend.
//
// measure() runs in the calling process: baseline memory → runtime init → session creation →
// warm-up (at least `warmup_runs` runs AND `warmup_ms` ms) → VmHWM reset → timed runs (one query
// at a time, by the Protocol's stopping rule) → statistics, computed after the loop.
// The input is seeded uniform noise in [-1, 1), the same for every backend at the same seed.
// The result is one JSON record (schema kRecordSchema) with latency, raw timings, memory stages,
// allocator stats, the ORT blocked-layout fraction and int8-kernel count, model identity, the
// environment, the board's state before and after (temperatures, clock, throttling:
// runtime/board.h) and whether the timings are valid (not emulated, not throttled). For isolation,
// run it through measure_in_child() (runtime/child.h), never twice in one process.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/backend.h"
#include "runtime/board.h"
#include "runtime/model_info.h"
#include "util/result.h"

namespace paramscale::runtime {

inline constexpr const char* kRecordSchema = "paramscale.bench/1";

// The stopping rule: at least `min_runs` runs and `min_seconds`; then on until the median's 95%
// confidence interval (runtime/stats.h, order statistics) is within +-`target_ci` of the median,
// or max(`max_seconds`, `min_seconds`) have passed — a measurement stopped by the cap is recorded
// as not converged.
// target_ci 0: no interval rule (min runs and seconds only).
struct Protocol {
  int batch = 1;
  int warmup_runs = 10;
  double warmup_ms = 500;
  int min_runs = 30;
  double min_seconds = 1.0;
  double target_ci = 0.01;
  double max_seconds = 30.0;
  uint64_t seed = 42;
  bool layout =
      true;  // ORT: also count NCHWc convolutions in the optimised graph (after measuring)
};
Status check_protocol(const Protocol& p);

struct MeasureRequest {
  std::string model_path;
  BackendOptions backend;
  Protocol protocol;
};
nlohmann::json request_to_json(const MeasureRequest& r);
Result<MeasureRequest> request_from_json(const nlohmann::json& j);

// n floats, uniform in [-1, 1), from a 64-bit Mersenne Twister seeded with `seed` (portable).
std::vector<float> seeded_input(size_t n, uint64_t seed);

Result<nlohmann::json> measure(const MeasureRequest& request);

// ORT only: loads the model with these options, saves the graph ONNX Runtime optimised it into (a
// temporary file, removed) and counts its convolutions by layout and precision (model_info.h).
Result<ConvLayout> probe_ort_layout(const std::string& model_path, const BackendOptions& options,
                                    const std::vector<int64_t>& shape);

// Records keep the output values when there are at most this many (a classifier's logits).
inline constexpr size_t kMaxRecordedOutputs = 4096;

// {"timings_valid": bool, "reasons": [...]}: timings from an emulated binary or a board that
// throttled during the runs are kept in the record but must not be reported as the device's.
nlohmann::json timing_validity(const nlohmann::json& environment, const ThrottleVerdict& throttle);

// A record for a cell that could not be measured (same identity fields, plus "error").
nlohmann::json error_record(const MeasureRequest& request, const Error& error);

}  // namespace paramscale::runtime
