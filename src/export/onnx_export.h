// export/onnx_export: an ONNX model (opset 13, IR version 8) from an arch::Network and its weights.
//
// Promises:
// - The graph has one input "input" [N, C, H, W] (N the symbolic dimension "batch", or fixed) and
// one
//   output "logits" [N, classes]; initializers carry the arch/weights.h names
//   ("<layer>.weight|bias|running_mean|running_var"; a folded conv's are "<conv>.weight|bias");
//   node and intermediate tensor names are the IR layer names.
// - Ops: Conv (depthwise through `group`), BatchNormalization (epsilon 1e-5, PyTorch's default) or,
//   with fold_batchnorm, a BN folded into the Conv that feeds it when that Conv feeds nothing else
//   (other BNs, e.g. pre-activation ones after an Add, stay BatchNormalization), Relu, MaxPool,
//   GlobalAveragePool, Add, Flatten (axis 1), Gemm (transB) for Linear. Gate layers are identities
//   and emit nothing: pruned channels are physically absent from the IR.
// - ReLU6 is HardSigmoid(alpha 1/6, beta 0), i.e. relu6(x)/6, and the Conv or Gemm that consumes it
//   has its weight initializer multiplied by 6 (so ReLU6 outputs are 1/6 of the IR's, the logits
//   equal). Why: OpenCV 4.6's importer rejects opset-13 Clip (min/max as inputs) and ignores a
//   constant operand of Min, while ONNX Runtime fuses HardSigmoid into the Conv as it did Clip, so
//   the encoding adds no node. Any other consumer of a ReLU6 output (an identity shortcut's Add
//   when a MobileNetV2 block keeps its width) reads it through a Mul by the initializer
//   "const.six".
// - Before bytes are returned the model passes onnx::checker::check_model and strict shape
//   inference, and every inferred tensor shape equals the IR's; weights are checked against the
//   network first (arch::check_weights). Bad weights or options: bad-input Error; a model the
//   checker rejects (an export bug): failure Error. Messages are one line.
// - Same network, weights and options: byte-identical output (so the bytes can be hashed).
// - write_onnx writes a temp file beside the target and renames it: no half-written file is ever
//   visible, and on any error no file is left behind.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "arch/network.h"
#include "arch/weights.h"
#include "util/result.h"

namespace paramscale::onnx_export {

struct Options {
  int64_t batch = 0;            // 0: dynamic batch dimension "batch"; > 0: fixed
  bool fold_batchnorm = false;  // fold BN into the preceding Conv where that is exact
};

struct ExportedModel {
  std::string bytes;   // serialized ModelProto
  int64_t params = 0;  // elements of all .weight/.bias initializers
  int nodes = 0;
  int initializers = 0;
  int folded_batchnorms = 0;
};

// Metadata every exported model carries (ModelProto.metadata_props): the family, the dataset
// preset and the scalable widths, from which network_of_model() rebuilds the IR.
constexpr const char* kMetaModel = "paramscale.model";
constexpr const char* kMetaDataset = "paramscale.dataset";
constexpr const char* kMetaWidths = "paramscale.widths";

constexpr int kOpset = 13;
constexpr int kIrVersion = 8;
constexpr float kBatchNormEpsilon = 1e-5f;

Result<ExportedModel> export_onnx(const arch::Network& net, const arch::Weights& weights,
                                  const Options& options = {});

// export_onnx, then write_file_atomic.
Result<ExportedModel> write_onnx(const std::string& path, const arch::Network& net,
                                 const arch::Weights& weights, const Options& options = {});

// The network an ONNX file exported by paramscale describes (from its metadata); nullopt for a
// model without paramscale metadata (a foreign model). Unreadable files and metadata naming an
// unknown family, dataset or invalid widths are one-line bad-input Errors.
Result<std::optional<arch::Network>> network_of_model(const std::string& path);

}  // namespace paramscale::onnx_export
