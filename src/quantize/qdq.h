// quantize/qdq: an ONNX float model rewritten in the QDQ format — QuantizeLinear/DequantizeLinear
// pairs around the operators that ONNX Runtime fuses into int8 kernels — from calibrated ranges.
//
// What it promises, for any ONNX model with one 4-D float input and default-domain opset >= 13:
// - prepare() refuses (one-line bad-input Error) a model that is already quantized (it has
//   QuantizeLinear, DequantizeLinear, QLinear*, *Integer or QGemm nodes, or integer
//   initializers feeding a Conv), has no Conv with a constant weight, or has a non-4-D input.
// - Batch-norm first: every Conv -> BatchNormalization pair (the Conv's output read by that BN
//   only, constant weights and BN statistics, inference mode) is folded into the Conv:
//   w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta.
// - Where the pairs go (ONNX Runtime fuses DQ -> Conv -> Q into QLinearConv; with Q/DQ only on a
//   Conv's input it keeps the float convolution and only adds conversions):
//   * every Conv, Gemm, Add and GlobalAveragePool reads its activations through Q -> DQ;
//   * every Conv, Add and GlobalAveragePool output goes through Q -> DQ. A Relu, a Clip with min 0,
//     or (after a Conv) a HardSigmoid that is the only reader of such an output is absorbed: the Q
//     takes the activation's calibrated range with the zero point at the range minimum (0 maps to
//     the lowest code, so the Q itself clips at 0) and the node is removed; for HardSigmoid
//     (clip(alpha x + beta, 0, 1)) the Conv's weights are scaled by alpha and its bias becomes
//     alpha b + beta, so the Q's range [0, <= 1] does the clipping;
//   * MaxPool and Flatten outputs reuse their input's scale and zero point (ONNX Runtime then runs
//     them on the int8 tensor);
//   * Gemm outputs stay float (the logits: ONNX Runtime's QGemm writes float directly).
//   With conv_outputs = false (the placement to compare against), no activation is absorbed and a
//   tensor gets a pair only where a Conv, Gemm, Add or GlobalAveragePool reads it.
// - Names: a tensor t with a pair gets a generated name s = P + "a" + n (P: a prefix of
//   underscores no name of the float graph starts with); its producer writes "<s>f", which is
//   quantized to "<s>q" (scale "<s>s", zero point "<s>z") and dequantized back to "t", so readers
//   keep their names. The k-th weighted node's weight and bias are "<P>k<k>q"/"...s" and
//   "...bq"/"...bs", read through DequantizeLinear as "...w" and "...b". The Q/DQ nodes added are
//   unnamed. Short names: on depthwise-heavy networks (hundreds of pairs) long ones put the file
//   over 0.3x the FP32 one.
// - Weights: per output channel, symmetric int8 (zero point 0, left out: ONNX's default), scale =
//   max|w| / 127, or / 64 with reduce_range (7-bit weights: ONNX Runtime's U8S8 kernels on x86-64
//   CPUs without VNNI add pairs of u8 x s8 products in 16 bits, which 255 * 127 * 2 overflows and
//   255 * 64 * 2 does not).
//   Biases: int32, scale = input scale x weight scale of the channel, zero point 0 (left out).
// - Activations: one scale and zero point per tensor (asymmetric), u8 [0, 255] or s8 [-128, 127],
//   from the calibrated range widened to include 0 (so zero padding is exact).
// - The calibration model is the folded float model with every tensor to calibrate exposed as a
//   graph output (the input through an Identity, since a graph input cannot be an output).
// - quantize() returns a model that passes onnx::checker and strict shape inference; a range that
//   is not finite is a bad-input Error naming the tensor. Same inputs, same bytes.
// Not thread-safe per object; distinct objects are independent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quantize/calibration.h"
#include "util/result.h"

namespace paramscale::quantize {

enum class Activations { U8, S8 };
Result<Activations> parse_activations(const std::string& name);  // u8 | s8
const char* activations_name(Activations a);

struct QParams {
  float scale = 1;
  int32_t zero_point = 0;
};

// Asymmetric parameters for [r.min, r.max] widened to include 0. A zero-width range gets scale 1.
// Bad input when the scale is not a finite positive number.
Result<QParams> activation_qparams(Range r, Activations a, const std::string& tensor);

// Largest |quantized weight|: 127, or 64 with reduce_range.
int weight_qmax(bool reduce_range);

// Symmetric per-channel quantization of a weight tensor along `axis`: scale_c = max|w_c| / qmax
// (1 for an all-zero channel), q = round-half-even(w / scale_c) clamped to [-qmax, qmax].
struct ChannelQuantized {
  std::vector<int8_t> values;
  std::vector<float> scales;
};
ChannelQuantized quantize_per_channel(const std::vector<float>& w, const std::vector<int64_t>& dims,
                                      int axis, bool reduce_range);

struct QdqOptions {
  Activations activations = Activations::U8;
  bool reduce_range = false;
  bool conv_outputs = true;  // false: pairs on operator inputs only (see above)
};

struct QdqSummary {
  int convs = 0;                 // Conv nodes in the model
  int quantized_convs = 0;       // Convs with int8 weights and Q/DQ input and output
  int quantized_ops = 0;         // Conv, Gemm, Add, GlobalAveragePool read through Q/DQ
  int absorbed_activations = 0;  // Relu / Clip / HardSigmoid nodes replaced by a Q's range
  int qdq_tensors = 0;           // activation tensors with a Q -> DQ pair
  int64_t float_weight_bytes = 0, int8_weight_bytes = 0;
  nlohmann::json tensors = nlohmann::json::array();  // name, calibrated range, scale, zero point
};

class QdqModel {
 public:
  // Parses and checks the float model, folds batch-norm and plans the pairs.
  static Result<QdqModel> prepare(const std::string& float_model_bytes);
  QdqModel(QdqModel&&) noexcept;
  QdqModel& operator=(QdqModel&&) noexcept;
  ~QdqModel();

  std::vector<int64_t> input_shape() const;  // [N, C, H, W]; -1 for a symbolic dimension
  int folded_batchnorms() const;
  // Tensors whose ranges quantize() needs, and the model that computes them as outputs.
  const std::vector<std::string>& calibration_tensors() const;
  const std::vector<std::string>& calibration_outputs() const;  // same order, output names
  Result<std::string> calibration_model() const;
  // The QDQ model. `ranges` must hold every calibration tensor (keyed by name).
  // `metadata` is stored in the model's metadata_props under "paramscale.quantization".
  Result<std::string> quantize(const std::map<std::string, Range>& ranges,
                               const QdqOptions& options, const std::string& metadata,
                               QdqSummary* summary) const;

 private:
  struct Impl;
  explicit QdqModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace paramscale::quantize
