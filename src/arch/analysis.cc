#include "arch/analysis.h"

#include <algorithm>
#include <string>

#include "arch/families.h"
#include "util/limits.h"

namespace paramscale::arch {

namespace {
constexpr int64_t kFloatBytes = 4;

bool is_alias(const Layer& l) { return l.op == Op::Flatten; }

// Index of the layer whose buffer `i` uses (follows aliases to the producing layer).
int buffer_of(const Network& net, int i) {
  while (is_alias(net.layers[i])) i = net.layers[i].inputs[0];
  return i;
}
}  // namespace

int64_t layer_params(const Layer& l) {
  switch (l.op) {
    case Op::Conv:
      return (l.in.c / l.groups) * l.out.c * l.kernel * l.kernel + (l.bias ? l.out.c : 0);
    case Op::BatchNorm: return 2 * l.out.c;
    case Op::Linear: return l.in.c * l.out.c + (l.bias ? l.out.c : 0);
    default: return 0;
  }
}

int64_t layer_macs(const Layer& l) {
  switch (l.op) {
    case Op::Conv:
      return l.out.elements() * (l.in.c / l.groups) * l.kernel * l.kernel;
    case Op::Linear: return l.in.c * l.out.c;
    default: return 0;
  }
}

int64_t param_count(const Network& net) {
  int64_t total = 0;
  for (const Layer& l : net.layers) total += layer_params(l);
  return total;
}

int64_t proxy_param_count(const Network& net) {
  const std::vector<int>& w = net.widths;
  const int64_t classes = net.dataset.classes;
  switch (net.family) {
    case Family::PreActResNet18: {
      int64_t total = int64_t{net.dataset.channels} * w[0] * 9 + 2 * w[0];
      for (size_t i = 1; i < w.size(); ++i) total += int64_t{w[i - 1]} * w[i] * 9 + 2 * w[i];
      for (size_t i = 2; i < w.size(); i += 2)
        if (w[i] != w[i - 2]) total += int64_t{w[i - 2]} * w[i];
      return total + int64_t{w.back()} * classes + classes;
    }
    case Family::MobileNetV2: {
      int64_t total = 0;
      for (const Layer& l : net.layers) {
        if (l.op == Op::Conv && l.name == "stem.conv")
          total += int64_t{l.in.c} * l.out.c + l.out.c;  // the authors' count drops the 3x3 factor
        else if (l.name.find(".shortcut") != std::string::npos) {
          // A stride-only shortcut (conv and its BN) is not counted by the proxy.
          const Layer& conv = l.op == Op::Conv ? l : net.layers[l.inputs[0]];
          if (conv.in.c != conv.out.c) total += layer_params(l);
        }
        else
          total += layer_params(l);
      }
      return total;
    }
    case Family::VGG11:
    case Family::ResNet50: return param_count(net);
  }
  return param_count(net);
}

std::vector<int64_t> live_activation_bytes(const Network& net, int batch) {
  const int n = static_cast<int>(net.layers.size());
  // Last layer that reads each buffer; the network output lives to the end.
  std::vector<int> last_use(n, -1);
  for (int i = 0; i < n; ++i) {
    last_use[i] = std::max(last_use[i], i);
    for (int in : net.layers[i].inputs) {
      const int buf = buffer_of(net, in);
      last_use[buf] = std::max(last_use[buf], i);
    }
  }
  last_use[buffer_of(net, n - 1)] = n - 1;
  // Sweep: +bytes at birth, -bytes after last use.
  std::vector<int64_t> live(n, 0);
  std::vector<int64_t> delta(n + 1, 0);
  for (int i = 0; i < n; ++i) {
    if (is_alias(net.layers[i])) continue;
    const int64_t bytes = net.layers[i].out.elements() * kFloatBytes * batch;
    delta[i] += bytes;
    delta[last_use[i] + 1] -= bytes;
  }
  int64_t running = 0;
  for (int i = 0; i < n; ++i) live[i] = running += delta[i];
  return live;
}

Status check_materialisable(const Network& net) {
  const int64_t params = param_count(net);
  if (params > kMaxMaterialisedParams)
    return bad_input(std::string(family_name(net.family)) + " with these widths has " +
                     std::to_string(params) + " parameters, more than the " +
                     std::to_string(kMaxMaterialisedParams) + " paramscale builds weights for");
  return {};
}

Analysis analyze(const Network& net, int batch) {
  Analysis a;
  a.batch = batch;
  const std::vector<int64_t> live = live_activation_bytes(net, batch);
  a.layers.resize(net.layers.size());
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    LayerCost& c = a.layers[i];
    c.params = layer_params(l);
    c.macs = layer_macs(l);
    const int64_t buffers = l.op == Op::BatchNorm ? 2 * l.out.c : 0;  // running mean and variance
    c.weight_bytes = (c.params + buffers) * kFloatBytes;
    c.activation_bytes = is_alias(l) ? 0 : l.out.elements() * kFloatBytes * batch;
    c.live_bytes = live[i];
    a.params += c.params;
    a.macs += c.macs;
    a.weight_bytes += c.weight_bytes;
    a.activation_sum_bytes += c.activation_bytes;
    if (c.live_bytes > a.peak_activation_bytes) {
      a.peak_activation_bytes = c.live_bytes;
      a.peak_layer = static_cast<int>(i);
    }
  }
  a.proxy_params = proxy_param_count(net);
  return a;
}

}  // namespace paramscale::arch
