// arch/network: the architecture IR shared by training (nn/), export (export/) and analysis.
//
// A Network is a small DAG of layers in topological order (every layer's inputs come earlier), with
// per-sample tensor shapes inferred at construction. Channel counts of the layers that a scaling
// method may change come from the network's ordered list of *scalable widths*; `width_index` records
// which width a layer's output channels follow, so gates, pruning and reports can map back to it.
// Standard library only. Value type: copy freely, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/dataset.h"

namespace paramscale::arch {

enum class Op {
  Input,          // the network input tensor (layer 0)
  Conv,           // 2-D convolution; groups == in channels means depthwise
  BatchNorm,      // per-channel affine normalisation (weight, bias; running stats are buffers)
  ReLU,
  ReLU6,
  MaxPool,        // kernel == stride, no padding
  GlobalAvgPool,  // to C x 1 x 1
  Add,            // element-wise sum of two inputs of equal shape (residual connection)
  Linear,         // fully connected on a flattened C x 1 x 1 tensor
  Flatten,        // C x H x W -> (C*H*W) x 1 x 1; no data movement
  Gate,           // per-channel multiplier (ones, not trained) used by the NeuralScale search
};

const char* op_name(Op op);

// Per-sample tensor shape (batch excluded). Flat tensors are C x 1 x 1.
struct Shape {
  int64_t c = 0, h = 0, w = 0;
  int64_t elements() const { return c * h * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
};

struct Layer {
  std::string name;         // hierarchical, e.g. "layer2.0.conv1"; unique in a network
  Op op = Op::Input;
  std::vector<int> inputs;  // indices of producer layers (earlier in the list)
  Shape in, out;            // in: shape of inputs[0]
  // Conv / pool parameters.
  int kernel = 0, stride = 1, padding = 0, groups = 1;
  bool bias = false;        // Conv and Linear
  int width_index = -1;     // scalable width the output channels follow, or -1 (fixed / derived)
};

enum class Family { VGG11, PreActResNet18, MobileNetV2, ResNet50 };

struct Network {
  Family family = Family::VGG11;
  DatasetShape dataset;
  std::vector<int> widths;   // scalable widths, in the NeuralScale reference order
  std::vector<Layer> layers; // topological order; layers[0] is the Input; the last layer is the output
  bool gated = false;        // Gate layers present at every scalable width

  const Layer& output() const { return layers.back(); }
};

// Appends layers with shape inference. Each add_* returns the new layer's index.
class NetworkBuilder {
 public:
  explicit NetworkBuilder(Network& net) : net_(net) {}
  int input(Shape shape);
  int conv(const std::string& name, int from, int out_channels, int kernel, int stride, int padding,
           bool bias, int groups = 1, int width_index = -1);
  int batch_norm(const std::string& name, int from);
  int relu(const std::string& name, int from);
  int relu6(const std::string& name, int from);
  int max_pool(const std::string& name, int from, int kernel);
  int global_avg_pool(const std::string& name, int from);
  int add(const std::string& name, int a, int b);
  int flatten(const std::string& name, int from);
  int linear(const std::string& name, int from, int out_features);
  // A gate on `from` when the network is gated (returns `from` unchanged otherwise).
  int gate(const std::string& name, int from, int width_index);

 private:
  int push(Layer layer);
  Network& net_;
};

}  // namespace paramscale::arch
