#include "arch/network.h"

#include <stdexcept>

namespace paramscale::arch {

const char* op_name(Op op) {
  switch (op) {
    case Op::Input: return "input";
    case Op::Conv: return "conv";
    case Op::BatchNorm: return "batchnorm";
    case Op::ReLU: return "relu";
    case Op::ReLU6: return "relu6";
    case Op::MaxPool: return "maxpool";
    case Op::GlobalAvgPool: return "gavgpool";
    case Op::Add: return "add";
    case Op::Linear: return "linear";
    case Op::Flatten: return "flatten";
    case Op::Gate: return "gate";
  }
  return "?";
}

int NetworkBuilder::push(Layer layer) {
  // Builders are internal: a bad wiring is a programming error, not user input.
  for (int i : layer.inputs)
    if (i < 0 || i >= static_cast<int>(net_.layers.size()))
      throw std::logic_error("layer " + layer.name + " reads a layer that does not exist yet");
  if (!layer.inputs.empty()) layer.in = net_.layers[layer.inputs[0]].out;
  net_.layers.push_back(std::move(layer));
  return static_cast<int>(net_.layers.size()) - 1;
}

int NetworkBuilder::input(Shape shape) {
  Layer l;
  l.name = "input";
  l.op = Op::Input;
  l.in = l.out = shape;
  return push(l);
}

int NetworkBuilder::conv(const std::string& name, int from, int out_channels, int kernel,
                         int stride, int padding, bool bias, int groups, int width_index) {
  const Shape in = net_.layers.at(from).out;
  if (out_channels < 1 || in.c % groups != 0 || out_channels % groups != 0)
    throw std::logic_error("conv " + name + ": channels do not fit its groups");
  Layer l;
  l.name = name;
  l.op = Op::Conv;
  l.inputs = {from};
  l.kernel = kernel;
  l.stride = stride;
  l.padding = padding;
  l.groups = groups;
  l.bias = bias;
  l.width_index = width_index;
  l.out = {out_channels, (in.h + 2 * padding - kernel) / stride + 1,
           (in.w + 2 * padding - kernel) / stride + 1};
  if (l.out.h < 1 || l.out.w < 1)
    throw std::logic_error("conv " + name + ": input too small for its kernel");
  return push(l);
}

namespace {
Layer same_shape(const std::string& name, Op op, int from, const Network& net) {
  Layer l;
  l.name = name;
  l.op = op;
  l.inputs = {from};
  l.out = net.layers.at(from).out;
  l.width_index = net.layers.at(from).width_index;
  return l;
}
}  // namespace

int NetworkBuilder::batch_norm(const std::string& name, int from) {
  return push(same_shape(name, Op::BatchNorm, from, net_));
}
int NetworkBuilder::relu(const std::string& name, int from) {
  return push(same_shape(name, Op::ReLU, from, net_));
}
int NetworkBuilder::relu6(const std::string& name, int from) {
  return push(same_shape(name, Op::ReLU6, from, net_));
}

int NetworkBuilder::max_pool(const std::string& name, int from, int kernel) {
  Layer l = same_shape(name, Op::MaxPool, from, net_);
  l.kernel = l.stride = kernel;
  l.out.h /= kernel;
  l.out.w /= kernel;
  if (l.out.h < 1 || l.out.w < 1)
    throw std::logic_error("maxpool " + name + ": input too small");
  return push(l);
}

int NetworkBuilder::global_avg_pool(const std::string& name, int from) {
  Layer l = same_shape(name, Op::GlobalAvgPool, from, net_);
  l.out.h = l.out.w = 1;
  return push(l);
}

int NetworkBuilder::add(const std::string& name, int a, int b) {
  if (!(net_.layers.at(a).out == net_.layers.at(b).out))
    throw std::logic_error("add " + name + ": operand shapes differ");
  Layer l = same_shape(name, Op::Add, a, net_);
  l.inputs = {a, b};
  return push(l);
}

int NetworkBuilder::flatten(const std::string& name, int from) {
  Layer l = same_shape(name, Op::Flatten, from, net_);
  l.out = {l.out.elements(), 1, 1};
  l.width_index = -1;
  return push(l);
}

int NetworkBuilder::linear(const std::string& name, int from, int out_features) {
  Layer l = same_shape(name, Op::Linear, from, net_);
  if (l.out.h != 1 || l.out.w != 1) throw std::logic_error("linear " + name + ": input not flat");
  l.out = {out_features, 1, 1};
  l.bias = true;
  l.width_index = -1;
  return push(l);
}

int NetworkBuilder::gate(const std::string& name, int from, int width_index) {
  if (!net_.gated) return from;
  Layer l = same_shape(name, Op::Gate, from, net_);
  l.width_index = width_index;
  return push(l);
}

}  // namespace paramscale::arch
