#include "cli/quantize_noise.h"

#include <algorithm>

#include "cli/command.h"
#include "quantize/quantizer.h"
#include "quantize/reduce_range.h"
#include "runtime/measure.h"

namespace paramscale::cli {

std::vector<runtime::FloatBatch> noise_batches(const std::vector<int64_t>& input, int images,
                                               int64_t per, uint64_t seed) {
  const int64_t sample = input[1] * input[2] * input[3];
  const std::vector<float> noise = runtime::seeded_input(size_t(images) * size_t(sample), seed);
  std::vector<runtime::FloatBatch> batches;
  for (int64_t first = 0; first < images; first += per) {
    const int64_t n = std::min<int64_t>(per, images - first);
    batches.push_back(
        {std::vector<float>(noise.begin() + first * sample, noise.begin() + (first + n) * sample),
         {n, input[1], input[2], input[3]}});
  }
  return batches;
}

std::string quantize_on_noise(const std::string& float_bytes, uint64_t seed, int threads) {
  namespace q = paramscale::quantize;
  constexpr int kImages = 64;
  const q::QdqModel model = unwrap(q::QdqModel::prepare(float_bytes));
  const std::vector<int64_t> input = model.input_shape();
  const int64_t per = input[0] > 0 ? input[0] : 32;
  const auto batches = noise_batches(input, kImages, per, seed);
  q::QuantizeOptions o;
  o.qdq.reduce_range = q::decide_reduce_range(q::ReduceRange::Auto, q::detect_cpu()).reduce;
  o.provenance = {
      {"calibration_data", {{"source", "random"}, {"images", kImages}, {"seed", seed}}}};
  auto out = unwrap(q::quantize_model(
      model, o,
      [&](const std::string& m, const std::vector<std::string>& outputs, const q::TensorSink& s) {
        return runtime::run_ort_outputs(m, outputs, batches, threads, s);
      }));
  return out.bytes;
}

}  // namespace paramscale::cli
