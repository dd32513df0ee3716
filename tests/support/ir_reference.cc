#include "support/ir_reference.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace paramscale::test {

namespace {
using arch::Layer;
using arch::Op;
using Values = std::vector<double>;

const std::vector<float>& tensor(const arch::Weights& w, const std::string& name) {
  auto it = w.find(name);
  if (it == w.end()) throw std::runtime_error("reference: no weights " + name);
  return it->second.data;
}

Values conv(const Layer& l, const Values& x, const arch::Weights& w) {
  const auto& k = tensor(w, l.name + ".weight");
  const int64_t cin = l.in.c / l.groups, cout_g = l.out.c / l.groups;
  Values y(static_cast<size_t>(l.out.elements()), 0.0);
  for (int64_t o = 0; o < l.out.c; ++o) {
    const int64_t g = o / cout_g;
    const double b = l.bias ? tensor(w, l.name + ".bias")[o] : 0.0;
    for (int64_t oy = 0; oy < l.out.h; ++oy)
      for (int64_t ox = 0; ox < l.out.w; ++ox) {
        double acc = b;
        for (int64_t ci = 0; ci < cin; ++ci)
          for (int ky = 0; ky < l.kernel; ++ky) {
            const int64_t iy = oy * l.stride - l.padding + ky;
            if (iy < 0 || iy >= l.in.h) continue;
            for (int kx = 0; kx < l.kernel; ++kx) {
              const int64_t ix = ox * l.stride - l.padding + kx;
              if (ix < 0 || ix >= l.in.w) continue;
              acc += static_cast<double>(k[((o * cin + ci) * l.kernel + ky) * l.kernel + kx]) *
                     x[((g * cin + ci) * l.in.h + iy) * l.in.w + ix];
            }
          }
        y[(o * l.out.h + oy) * l.out.w + ox] = acc;
      }
  }
  return y;
}

Values batch_norm(const Layer& l, Values x, const arch::Weights& w) {
  const auto& gamma = tensor(w, l.name + ".weight");
  const auto& beta = tensor(w, l.name + ".bias");
  const auto& mean = tensor(w, l.name + ".running_mean");
  const auto& var = tensor(w, l.name + ".running_var");
  const int64_t hw = l.out.h * l.out.w;
  for (int64_t c = 0; c < l.out.c; ++c) {
    const double scale = gamma[c] / std::sqrt(static_cast<double>(var[c]) + 1e-5);
    for (int64_t i = 0; i < hw; ++i) {
      double& v = x[c * hw + i];
      v = (v - mean[c]) * scale + beta[c];
    }
  }
  return x;
}

Values max_pool(const Layer& l, const Values& x) {
  Values y(static_cast<size_t>(l.out.elements()));
  for (int64_t c = 0; c < l.out.c; ++c)
    for (int64_t oy = 0; oy < l.out.h; ++oy)
      for (int64_t ox = 0; ox < l.out.w; ++ox) {
        double m = -INFINITY;
        for (int ky = 0; ky < l.kernel; ++ky)
          for (int kx = 0; kx < l.kernel; ++kx)
            m = std::max(m, x[(c * l.in.h + oy * l.stride + ky) * l.in.w + ox * l.stride + kx]);
        y[(c * l.out.h + oy) * l.out.w + ox] = m;
      }
  return y;
}

Values global_avg_pool(const Layer& l, const Values& x) {
  Values y(static_cast<size_t>(l.out.c), 0.0);
  const int64_t hw = l.in.h * l.in.w;
  for (int64_t c = 0; c < l.out.c; ++c) {
    double s = 0;
    for (int64_t i = 0; i < hw; ++i) s += x[c * hw + i];
    y[c] = s / static_cast<double>(hw);
  }
  return y;
}

Values linear(const Layer& l, const Values& x, const arch::Weights& w) {
  const auto& k = tensor(w, l.name + ".weight");
  Values y(static_cast<size_t>(l.out.c));
  for (int64_t o = 0; o < l.out.c; ++o) {
    double acc = l.bias ? tensor(w, l.name + ".bias")[o] : 0.0;
    for (int64_t i = 0; i < l.in.c; ++i) acc += static_cast<double>(k[o * l.in.c + i]) * x[i];
    y[o] = acc;
  }
  return y;
}

// Per-channel mean and variance of a layer's input over the batch and spatial positions.
void calibrate(const Layer& l, const std::vector<Values>& xs, arch::Weights& w) {
  auto& mean = w.at(l.name + ".running_mean").data;
  auto& var = w.at(l.name + ".running_var").data;
  const int64_t hw = l.in.h * l.in.w;
  for (int64_t c = 0; c < l.in.c; ++c) {
    double s = 0, s2 = 0;
    for (const Values& x : xs)
      for (int64_t i = 0; i < hw; ++i) s += x[c * hw + i];
    const double n = static_cast<double>(hw * static_cast<int64_t>(xs.size())), m = s / n;
    for (const Values& x : xs)
      for (int64_t i = 0; i < hw; ++i) s2 += (x[c * hw + i] - m) * (x[c * hw + i] - m);
    mean[c] = static_cast<float>(m);
    var[c] = static_cast<float>(s2 / n);
  }
}

// Layer by layer over the whole batch; with `calibrate_into`, every BN's running statistics are
// first set to its input's batch statistics.
std::vector<Values> forward(const arch::Network& net, const arch::Weights& w,
                            std::vector<Values> input, arch::Weights* calibrate_into,
                            bool round_to_float = false) {
  std::vector<std::vector<Values>> out(net.layers.size());
  out[0] = std::move(input);
  for (size_t i = 1; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    if (l.op == Op::BatchNorm && calibrate_into) calibrate(l, out[l.inputs[0]], *calibrate_into);
    for (size_t b = 0; b < out[0].size(); ++b) {
      const Values& x = out[l.inputs[0]][b];
      Values y;
      switch (l.op) {
        case Op::Conv:
          y = conv(l, x, w);
          break;
        case Op::BatchNorm:
          y = batch_norm(l, x, w);
          break;
        case Op::ReLU:
        case Op::ReLU6:
          y = x;
          for (double& v : y) v = l.op == Op::ReLU6 ? std::clamp(v, 0.0, 6.0) : std::max(v, 0.0);
          break;
        case Op::MaxPool:
          y = max_pool(l, x);
          break;
        case Op::GlobalAvgPool:
          y = global_avg_pool(l, x);
          break;
        case Op::Add:
          y = x;
          for (size_t k = 0; k < y.size(); ++k) y[k] += out[l.inputs[1]][b][k];
          break;
        case Op::Linear:
          y = linear(l, x, w);
          break;
        case Op::Flatten:
        case Op::Gate:
          y = x;
          break;
        case Op::Input:
          throw std::runtime_error("reference: a second input layer");
      }
      if (round_to_float)
        for (double& v : y) v = static_cast<float>(v);
      out[i].push_back(std::move(y));
    }
  }
  return out.back();
}

std::vector<Values> split(const arch::Network& net, const std::vector<float>& input, int batch) {
  const size_t per = static_cast<size_t>(net.layers[0].out.elements());
  if (input.size() != per * static_cast<size_t>(batch))
    throw std::runtime_error("reference: input size does not match the network");
  std::vector<Values> xs;
  for (int b = 0; b < batch; ++b)
    xs.emplace_back(input.begin() + static_cast<std::ptrdiff_t>(b * per),
                    input.begin() + static_cast<std::ptrdiff_t>((b + 1) * per));
  return xs;
}
}  // namespace

std::vector<double> reference_forward(const arch::Network& net, const arch::Weights& weights,
                                      const std::vector<float>& input, int batch,
                                      bool round_to_float) {
  std::vector<double> result;
  for (const Values& y : forward(net, weights, split(net, input, batch), nullptr, round_to_float))
    result.insert(result.end(), y.begin(), y.end());
  return result;
}

void calibrate_batchnorm(const arch::Network& net, arch::Weights& weights,
                         const std::vector<float>& input, int batch) {
  // Stats of layer i depend only on layers before it, which are already calibrated when the
  // forward pass reaches it, so one pass over a copy suffices.
  forward(net, weights, split(net, input, batch), &weights);
}

std::vector<float> test_input(size_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<float> v(count);
  for (float& x : v) x = static_cast<float>(static_cast<double>(rng()) / 4294967296.0 * 2.0 - 1.0);
  return v;
}

}  // namespace paramscale::test
