// nn/model: a libtorch module that executes any arch::Network.
//
// The module walks the IR's layer list in order; every Conv / BatchNorm / Linear layer becomes a
// registered submodule named after its IR layer with dots replaced by underscores
// ("features.conv1.bn" -> "features_conv1_bn"); torch_name()/ir_name() map between the two.
// Gate layers are buffers of ones, one per width (saved, moved with the module, never trained).
// Initialisation: VGG-11 follows the NeuralScale reference (conv Kaiming-normal fan-out with zero
// bias, BN weight 0.5 / bias 0, Linear N(0, 0.01) with zero bias); the other families keep
// PyTorch's default initialisation. Draws come from torch's global generator: seed it first.
// to_weights()/load_weights() convert to and from arch::Weights (the torch-free weights file).
// Includes torch: only nn/ sources and *_torch_cmd.cc may include this header.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "arch/network.h"
#include "arch/weights.h"
#include "util/result.h"

namespace paramscale::nn {

class ModelImpl : public torch::nn::Module {
 public:
  explicit ModelImpl(const arch::Network& net);

  // x: [N, C, H, W] matching the network input; returns logits [N, classes].
  torch::Tensor forward(const torch::Tensor& x);

  const arch::Network& network() const { return net_; }

  // Gate buffers by scalable-width index (gated networks only). A width gated at several places
  // (PreAct-ResNet-18's block outputs) has one tensor used at all of them, so zeroing a channel
  // removes it everywhere and its gradient sums every site's contribution.
  const std::map<int, torch::Tensor>& gates() const { return gates_; }

  // Parameters and BN running statistics, copied to CPU float32, by IR name.
  arch::Weights to_weights() const;
  // Checks names and shapes against the network, then copies the values in (any device).
  Status load_weights(const arch::Weights& weights);

  static std::string torch_name(const std::string& ir_name);
  // IR layer name of a registered submodule (or gate buffer) name.
  const std::string& ir_name(const std::string& torch_name) const { return ir_names_.at(torch_name); }

 private:
  void reset_reference_parameters();

  arch::Network net_;
  std::vector<torch::nn::Conv2d> convs_;        // parallel to net_.layers (null where not a conv)
  std::vector<torch::nn::BatchNorm2d> norms_;
  std::vector<torch::nn::Linear> linears_;
  std::map<int, torch::Tensor> gates_;          // width index -> gate buffer
  std::vector<int> last_use_;                   // last layer index that reads each output
  std::map<std::string, std::string> ir_names_;
};
TORCH_MODULE(Model);

}  // namespace paramscale::nn
