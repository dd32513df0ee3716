// cli/quantize_noise: a float ONNX model quantized into QDQ int8 on seeded noise — the INT8 model
// of a deployment-only network (`size --precision int8`, `quantize --random-calibration`).
//
// Why noise is enough there: int8 kernels take the same time and memory whatever the scales, so
// latency and memory do not depend on the calibration data (accuracy does: calibrate on images).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/ort_outputs.h"

namespace paramscale::cli {

// `images` images of seeded uniform noise in [-1, 1) shaped like the model's input [N, C, H, W],
// in batches of `per`.
std::vector<runtime::FloatBatch> noise_batches(const std::vector<int64_t>& input, int images,
                                               int64_t per, uint64_t seed);

// The QDQ model of `float_bytes` (min/max calibration on 64 noise images, u8 activations, weight
// range as `quantize --reduce-range auto` decides for this CPU). Errors throw CliError.
std::string quantize_on_noise(const std::string& float_bytes, uint64_t seed, int threads);

}  // namespace paramscale::cli
