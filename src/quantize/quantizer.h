// quantize/quantizer: post-training static quantization end to end — the float model prepared
// (batch-norm folded, pairs planned: qdq.h), its activations calibrated on images run by a caller-
// supplied runner, and the QDQ model written with a record of every choice.
//
// What it promises:
// - The runner is called once per pass (one for min/max, two for percentile and entropy: the
//   second fills histograms bounded by the first) with the calibration model and the outputs to
//   return; it must feed the same images, in the same order, every time. Nothing here runs a
//   runtime or reads images, so the module stays torch- and ONNX-Runtime-free.
// - The record (JSON) names the calibration method (and percentile), the activation type, the
//   weight range and why (from QuantizeOptions::provenance), counts (folded batch-norms, Convs,
//   quantized Convs and ops, absorbed activations, Q/DQ tensors), weight bytes before and after,
//   and every tensor's range, scale and zero point. The model's metadata_props carry the same
//   record without the per-tensor list, so the file says how it was made.
// - Errors: the runner's, and bad input for an activation whose values were NaN or Inf.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quantize/calibration.h"
#include "quantize/qdq.h"
#include "util/result.h"

namespace paramscale::quantize {

inline constexpr const char* kRecordSchema = "paramscale.quantize/1";

struct QuantizeOptions {
  Calibration calibration = Calibration::MinMax;
  double percentile = kDefaultPercentile;
  QdqOptions qdq;
  nlohmann::json provenance = nlohmann::json::object();  // merged into the record as given
};

// Called with the values of output `output` (an index into the requested names) for one batch.
using TensorSink = std::function<void(size_t output, const float* values, size_t count)>;
using CalibrationRunner =
    std::function<Status(const std::string& model_bytes, const std::vector<std::string>& outputs,
                         const TensorSink& sink)>;

struct QuantizedModel {
  std::string bytes;
  nlohmann::json record;
  QdqSummary summary;
};

Result<QuantizedModel> quantize_model(const QdqModel& model, const QuantizeOptions& options,
                                      const CalibrationRunner& run);

}  // namespace paramscale::quantize
