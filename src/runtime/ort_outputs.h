// runtime/ort_outputs: run an ONNX model (bytes) on ONNX Runtime over float batches and hand the
// values of named outputs to the caller, batch by batch — how quantization sees the activations of
// its calibration images.
//
// CPU execution provider, graph optimisation disabled: the requested tensors are intermediate
// ones exposed as outputs, and no fusion may change what they hold. Batches are fed in order; for
// each batch, every requested output's float values go to `sink` (index into `outputs`, values,
// count) before the next batch runs. Errors are one line: a model ONNX Runtime cannot load or an
// unknown output name is bad input, an inference failure or a non-float output a failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::runtime {

struct FloatBatch {
  std::vector<float> data;
  std::vector<int64_t> shape;  // NCHW
};

using OutputSink = std::function<void(size_t output, const float* values, size_t count)>;

Status run_ort_outputs(const std::string& model_bytes, const std::vector<std::string>& outputs,
                       const std::vector<FloatBatch>& batches, int threads, const OutputSink& sink);

}  // namespace paramscale::runtime
