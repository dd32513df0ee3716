// export/onnx_validate: the checks every exported model passes before anyone sees its bytes.
//
// validate_model runs onnx::checker::check_model and strict shape inference (on a copy; the model
// itself is not changed) and compares every inferred tensor shape with the IR's. Any disagreement
// is an export bug, reported as a one-line failure Error naming the tensor. check_model (the
// checker and strict inference alone) is also what quantize/ checks its output with.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace paramscale::onnx_export {

// onnx::checker plus strict shape inference; a failure is "<what>: <the checker's message>" on one
// line. `inferred`, when given, receives the model with the inferred shapes.
Status check_model(const onnx::ModelProto& model, const std::string& what,
                   onnx::ModelProto* inferred = nullptr);

// expected: tensor name -> per-sample dims (batch excluded); batch 0 = the symbolic "batch".
Status validate_model(const onnx::ModelProto& model,
                      const std::vector<std::pair<std::string, std::vector<int64_t>>>& expected,
                      int64_t batch);

}  // namespace paramscale::onnx_export
