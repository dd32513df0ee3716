// Calibration passes and the quantization record; see quantizer.h.
#include "quantize/quantizer.h"

namespace paramscale::quantize {

namespace {

// Pass 1 (extremes) and, for percentile and entropy, pass 2 (histograms).
Result<std::map<std::string, Range>> calibrate(const QdqModel& model, const QuantizeOptions& o,
                                               const CalibrationRunner& run, int* passes) {
  const auto& tensors = model.calibration_tensors();
  auto bytes = model.calibration_model();
  if (!bytes.ok()) return bytes.error();
  std::vector<TensorStats> stats(tensors.size());
  if (Status s = run(*bytes, model.calibration_outputs(),
                     [&](size_t i, const float* v, size_t n) { stats.at(i).observe(v, n); });
      !s.ok())
    return s.error();
  *passes = 1;
  bool second = false;
  for (size_t i = 0; i < stats.size(); ++i) {
    // A NaN/Inf tensor is refused now, before a second pass could hide it.
    if (!stats[i].finite() || stats[i].count() == 0) {
      auto r = stats[i].range(o.calibration, o.percentile, tensors[i]);
      return r.error();
    }
    second = stats[i].begin_histogram(o.calibration) || second;
  }
  if (second) {
    if (Status s =
            run(*bytes, model.calibration_outputs(),
                [&](size_t i, const float* v, size_t n) { stats.at(i).observe_histogram(v, n); });
        !s.ok())
      return s.error();
    *passes = 2;
  }
  std::map<std::string, Range> ranges;
  for (size_t i = 0; i < stats.size(); ++i) {
    auto r = stats[i].range(o.calibration, o.percentile, tensors[i]);
    if (!r.ok()) return r.error();
    ranges[tensors[i]] = *r;
  }
  return ranges;
}

}  // namespace

Result<QuantizedModel> quantize_model(const QdqModel& model, const QuantizeOptions& o,
                                      const CalibrationRunner& run) {
  if (o.calibration == Calibration::Percentile && !(o.percentile > 0 && o.percentile <= 100))
    return bad_input("percentile must be in (0, 100], got " + std::to_string(o.percentile));
  int passes = 0;
  auto ranges = calibrate(model, o, run, &passes);
  if (!ranges.ok()) return ranges.error();
  nlohmann::json record = {
      {"schema", kRecordSchema},
      {"format", "QDQ"},
      {"calibration",
       {{"method", calibration_name(o.calibration)},
        {"passes", passes},
        {"tensors", model.calibration_tensors().size()}}},
      {"activations", activations_name(o.qdq.activations)},
      {"weights", "int8 per-channel symmetric (zero point 0)"},
      {"weight_qmax", weight_qmax(o.qdq.reduce_range)},
      {"placement", o.qdq.conv_outputs ? "conv inputs and outputs" : "operator inputs only"},
      {"folded_batchnorms", model.folded_batchnorms()}};
  if (o.calibration == Calibration::Percentile) record["calibration"]["percentile"] = o.percentile;
  for (auto it = o.provenance.begin(); it != o.provenance.end(); ++it) record[it.key()] = *it;
  QuantizedModel out;
  auto bytes = model.quantize(*ranges, o.qdq, record.dump(), &out.summary);
  if (!bytes.ok()) return bytes.error();
  const QdqSummary& s = out.summary;
  record["convs"] = s.convs;
  record["quantized_convs"] = s.quantized_convs;
  record["quantized_ops"] = s.quantized_ops;
  record["absorbed_activations"] = s.absorbed_activations;
  record["qdq_tensors"] = s.qdq_tensors;
  record["float_weight_bytes"] = s.float_weight_bytes;
  record["int8_weight_bytes"] = s.int8_weight_bytes;
  record["tensors"] = s.tensors;
  out.bytes = std::move(bytes).value();
  out.record = std::move(record);
  return out;
}

}  // namespace paramscale::quantize
