// The IR-executing libtorch module; see model.h.
#include "nn/model.h"

#include <algorithm>

namespace paramscale::nn {

using arch::Layer;
using arch::Op;

std::string ModelImpl::torch_name(const std::string& ir_name) {
  std::string n = ir_name;
  std::replace(n.begin(), n.end(), '.', '_');
  return n;
}

ModelImpl::ModelImpl(const arch::Network& net) : net_(net) {
  const size_t n = net_.layers.size();
  convs_.assign(n, nullptr);
  norms_.assign(n, nullptr);
  linears_.assign(n, nullptr);
  last_use_.assign(n, static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = net_.layers[i];
    for (int in : l.inputs) last_use_[in] = static_cast<int>(i);
    const std::string name = torch_name(l.name);
    switch (l.op) {
      case Op::Conv:
        convs_[i] = register_module(
            name, torch::nn::Conv2d(torch::nn::Conv2dOptions(l.in.c, l.out.c, l.kernel)
                                        .stride(l.stride)
                                        .padding(l.padding)
                                        .groups(l.groups)
                                        .bias(l.bias)));
        break;
      case Op::BatchNorm:
        norms_[i] = register_module(name, torch::nn::BatchNorm2d(l.out.c));
        break;
      case Op::Linear:
        linears_[i] = register_module(
            name, torch::nn::Linear(torch::nn::LinearOptions(l.in.c, l.out.c).bias(l.bias)));
        break;
      case Op::Gate:
        if (gates_.count(l.width_index)) continue;  // later sites share the first site's buffer
        gates_[l.width_index] = register_buffer(name, torch::ones({l.out.c}));
        break;
      default:
        continue;
    }
    ir_names_[name] = l.name;
  }
  last_use_[n - 1] = static_cast<int>(n);  // the output lives to the end
  if (net_.family == arch::Family::VGG11) reset_reference_parameters();
}

void ModelImpl::reset_reference_parameters() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < net_.layers.size(); ++i) {
    if (convs_[i]) {
      torch::nn::init::kaiming_normal_(convs_[i]->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (convs_[i]->options.bias()) convs_[i]->bias.zero_();
    } else if (norms_[i]) {
      norms_[i]->weight.fill_(0.5);
      norms_[i]->bias.zero_();
    } else if (linears_[i]) {
      linears_[i]->weight.normal_(0.0, 0.01);
      if (linears_[i]->options.bias()) linears_[i]->bias.zero_();
    }
  }
}

torch::Tensor ModelImpl::forward(const torch::Tensor& x) {
  const size_t n = net_.layers.size();
  std::vector<torch::Tensor> out(n);
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = net_.layers[i];
    const torch::Tensor& a = l.inputs.empty() ? x : out[l.inputs[0]];
    switch (l.op) {
      case Op::Input:
        out[i] = x;
        break;
      case Op::Conv:
        out[i] = convs_[i]->forward(a);
        break;
      case Op::BatchNorm:
        out[i] = norms_[i]->forward(a);
        break;
      case Op::ReLU:
        out[i] = torch::relu(a);
        break;
      case Op::ReLU6:
        out[i] = torch::hardtanh(a, 0.0, 6.0);
        break;
      case Op::MaxPool:
        out[i] = torch::max_pool2d(a, {l.kernel, l.kernel}, {l.stride, l.stride});
        break;
      case Op::GlobalAvgPool:
        out[i] = torch::adaptive_avg_pool2d(a, {1, 1});
        break;
      case Op::Add:
        out[i] = a + out[l.inputs[1]];
        break;
      case Op::Linear:
        out[i] = linears_[i]->forward(a.flatten(1));
        break;
      case Op::Flatten:
        out[i] = a.flatten(1);
        break;
      case Op::Gate:
        out[i] = a * gates_.at(l.width_index).view({1, -1, 1, 1});
        break;
    }
    // Drop tensors no later layer reads (autograd keeps what backward needs).
    for (int in : l.inputs)
      if (last_use_[in] == static_cast<int>(i)) out[in] = torch::Tensor();
  }
  return out[n - 1].flatten(1);
}

arch::Weights ModelImpl::to_weights() const {
  arch::Weights w;
  const auto put = [&w](const std::string& name, const torch::Tensor& t) {
    const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    arch::Tensor& dst = w[name];
    dst.shape.assign(c.sizes().begin(), c.sizes().end());
    dst.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  for (size_t i = 0; i < net_.layers.size(); ++i) {
    const std::string& name = net_.layers[i].name;
    if (convs_[i]) {
      put(name + ".weight", convs_[i]->weight);
      if (convs_[i]->options.bias()) put(name + ".bias", convs_[i]->bias);
    } else if (linears_[i]) {
      put(name + ".weight", linears_[i]->weight);
      if (linears_[i]->options.bias()) put(name + ".bias", linears_[i]->bias);
    } else if (norms_[i]) {
      put(name + ".weight", norms_[i]->weight);
      put(name + ".bias", norms_[i]->bias);
      put(name + ".running_mean", norms_[i]->running_mean);
      put(name + ".running_var", norms_[i]->running_var);
    }
  }
  return w;
}

Status ModelImpl::load_weights(const arch::Weights& weights) {
  if (Status s = arch::check_weights(net_, weights); !s) return s;
  torch::NoGradGuard no_grad;
  const auto get = [&weights](const std::string& name, torch::Tensor& dst) {
    const arch::Tensor& src = weights.at(name);
    const torch::Tensor t =
        torch::from_blob(const_cast<float*>(src.data.data()), src.shape, torch::kFloat32);
    dst.copy_(t);
  };
  for (size_t i = 0; i < net_.layers.size(); ++i) {
    const std::string& name = net_.layers[i].name;
    if (convs_[i]) {
      get(name + ".weight", convs_[i]->weight);
      if (convs_[i]->options.bias()) get(name + ".bias", convs_[i]->bias);
    } else if (linears_[i]) {
      get(name + ".weight", linears_[i]->weight);
      if (linears_[i]->options.bias()) get(name + ".bias", linears_[i]->bias);
    } else if (norms_[i]) {
      get(name + ".weight", norms_[i]->weight);
      get(name + ".bias", norms_[i]->bias);
      get(name + ".running_mean", norms_[i]->running_mean);
      get(name + ".running_var", norms_[i]->running_var);
    }
  }
  return {};
}

}  // namespace paramscale::nn
