// runtime/model_info: what bench needs to know about an ONNX file before and after a runtime loads
// it.
//
// Reads the file with runtime/onnx_wire (no runtime, no libonnx or protobuf involved): the graph's
// one real input (inputs that are also initializers are weights, not inputs), its element type and
// shape, the bytes of all initializers (the analytic weight bytes of any model), and the opset.
// Also counts the convolutions of an ONNX Runtime *optimized* model (optimized_model_filepath) by
// layout: NCHWc (blocked, domain com.microsoft.nchwc) vs plain, and by precision: int8 kernels
// (QLinearConv, which ONNX Runtime fuses from DequantizeLinear -> Conv -> QuantizeLinear) vs
// float. Errors are bad_input with a one-line message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::runtime {

struct ModelInfo {
  std::string input_name;
  int32_t input_elem_type = 0;       // onnx.TensorProto.DataType (1 = float; onnx_wire::DataType)
  std::vector<int64_t> input_shape;  // -1 for a symbolic or missing dimension
  int num_inputs = 0;                // real (non-initializer) inputs
  int num_outputs = 0;
  int64_t weight_bytes = 0;  // sum of initializer payload bytes
  int64_t opset = 0;         // default-domain opset
};

Result<ModelInfo> read_model_info(const std::string& path);

// The same facts for a training run directory (rundir/run_dir.h: arch.json + weights.psw), which
// the libtorch backend runs eagerly: input "input" [?, C, H, W] float, one output, the weights'
// float32 bytes, opset 0 (not an ONNX graph). Bad input in the device build (no export/ there).
Result<ModelInfo> read_run_dir_info(const std::string& dir);

// The file that identifies a run directory's model and is its size on disk: its weights file
// (rundir/run_dir.h names it; the device build has no run directories).
std::string run_dir_weights_file(const std::string& dir);

// True when `path` names a directory (a run directory), false for a file or nothing.
bool is_run_dir(const std::string& path);

// The shape bench feeds: the model's single 4-D float input with the batch dimension set to
// `batch`. Bad input if the model has several inputs, a non-float or non-4-D input, a symbolic
// non-batch dimension, or a fixed batch dimension that differs from `batch`.
Result<std::vector<int64_t>> feed_shape(const ModelInfo& info, int batch);

struct ConvLayout {
  int convs = 0;        // every convolution node (plain, fused, blocked, or int8)
  int nchwc_convs = 0;  // those in ONNX Runtime's blocked NCHWc layout
  int int8_convs = 0;   // those ONNX Runtime runs as int8 kernels (QLinearConv, ConvInteger)
  int int8_ops = 0;     // every int8 compute node (QLinear*, QGemm, *Integer), int8 convs included
  int qdq_nodes = 0;    // QuantizeLinear / DequantizeLinear left as conversions
};
Result<ConvLayout> count_conv_layout(const std::string& optimized_model_path);

// A TensorProto file (test_data_set_*/*.pb) as float values and dims; float tensors only.
struct FloatTensor {
  std::vector<int64_t> dims;
  std::vector<float> values;
};
Result<FloatTensor> read_tensor_pb(const std::string& path);

}  // namespace paramscale::runtime
