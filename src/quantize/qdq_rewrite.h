// quantize/qdq_rewrite: the rewrite of a planned float graph into its QDQ form — per-channel
// int8 weights and int32 biases behind DequantizeLinear, a QuantizeLinear -> DequantizeLinear
// pair per planned activation tensor with the parameters its calibrated range gives, absorbed
// activations folded into their anchor. Internal to quantize/ (qdq.cc).
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>

#include "quantize/qdq.h"
#include "quantize/qdq_plan.h"
#include "util/result.h"

namespace paramscale::quantize::detail {

// Rewrites `g` (planned by `plan`) in place; the quantized tensors' ranges and parameters and the
// count of absorbed activations go into `summary`. Fails when a planned tensor has no range.
Status rewrite_qdq(onnx::GraphProto* g, const Plan& plan, const QdqOptions& options,
                   const std::map<std::string, Range>& ranges, QdqSummary* summary);

}  // namespace paramscale::quantize::detail
