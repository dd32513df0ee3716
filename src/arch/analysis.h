// arch/analysis: what a network costs, per layer and in total, computed from the IR alone.
//
// - params: true trainable parameter count (conv/linear weights and biases, BN weight and bias;
//   BN running statistics and gates are not parameters);
// - proxy params: the count the NeuralScale authors fitted against (see proxy_param_count);
// - MACs: multiply-accumulates of conv and linear layers (the usual convention; BN, activations,
//   pools and adds are not counted);
// - weight bytes: fp32 parameters plus BN running mean/variance (what an inference runtime stores);
// - activation bytes: each layer's output tensor in fp32 for the given batch (Flatten aliases its
//   input and allocates nothing);
// - peak live activation bytes: the maximum, over a topological execution in layer order, of the
//   bytes of all tensors alive while a layer runs (its inputs, its output, and every earlier tensor
//   still needed later). A tensor dies after its last consumer; residual inputs therefore stay alive
//   until their Add. The network input counts as a tensor; the output lives to the end.
#pragma once

#include <cstdint>
#include <vector>

#include "arch/network.h"
#include "util/result.h"

namespace paramscale::arch {

struct LayerCost {
  int64_t params = 0;
  int64_t macs = 0;
  int64_t weight_bytes = 0;
  int64_t activation_bytes = 0;  // this layer's output for the batch (0 for aliases)
  int64_t live_bytes = 0;        // all live activation bytes while this layer runs
};

struct Analysis {
  int batch = 1;
  std::vector<LayerCost> layers;  // parallel to Network::layers
  int64_t params = 0;
  int64_t proxy_params = 0;
  int64_t macs = 0;
  int64_t weight_bytes = 0;
  int64_t activation_sum_bytes = 0;
  int64_t peak_activation_bytes = 0;
  int peak_layer = 0;  // index of the layer during which the peak occurs
};

Analysis analyze(const Network& net, int batch = 1);

// Bad input when the network has more parameters than paramscale materialises as weights
// (kMaxMaterialisedParams, util/limits.h): checked before weights or a libtorch model are made.
Status check_materialisable(const Network& net);

int64_t param_count(const Network& net);
int64_t layer_params(const Layer& layer);
int64_t layer_macs(const Layer& layer);

// NeuralScale's proxy count: VGG-11 and ResNet-50 use the true count; PreAct-ResNet-18 counts
// stem in·s·9 + 2s, then p·w·9 + 2w for each width w after its predecessor p, the classifier, and a
// shortcut prev_out·out only where a block's output width differs from its input width;
// MobileNetV2 counts the stem conv without its 3x3 factor and shortcuts only where widths differ.
int64_t proxy_param_count(const Network& net);

// Live activation bytes while each layer runs (the planner behind peak_activation_bytes).
std::vector<int64_t> live_activation_bytes(const Network& net, int batch);

}  // namespace paramscale::arch
