// MobileNetV2, CIFAR variant: inverted residual blocks whose 1x1 expansion is present even at t = 1,
// a 1x1 conv + BN shortcut wherever the identity cannot be added, and a 1x1 conv classifier.
#include "arch/families.h"

namespace paramscale::arch {

Network build_mobilenetv2(const DatasetShape& dataset, const std::vector<int>& widths, bool gated) {
  struct Stage { int expansion, repeats, stride; };
  const Stage stages[7] = {{1, 1, 1}, {6, 2, 2}, {6, 3, 2}, {6, 4, 2},
                           {6, 3, dataset.tinyimagenet_strides ? 2 : 1}, {6, 3, 2}, {6, 1, 1}};
  Network net = empty_network(Family::MobileNetV2, dataset, widths, gated);
  NetworkBuilder b(net);
  int x = b.input({dataset.channels, dataset.height, dataset.width});
  x = b.conv("stem.conv", x, widths[0], 3, 1, 1, true, 1, 0);
  x = b.batch_norm("stem.bn", x);
  x = b.gate("stem.gate", x, 0);
  x = b.relu6("stem.relu", x);
  int in_width = widths[0];
  int w = 1;
  for (int s = 0; s < 7; ++s) {
    for (int r = 0; r < stages[s].repeats; ++r, ++w) {
      const int stride = r == 0 ? stages[s].stride : 1;
      const int out = widths[w];
      const int expanded = in_width * stages[s].expansion;
      const std::string p = "blocks." + std::to_string(w - 1);
      int y = b.conv(p + ".expand", x, expanded, 1, 1, 0, true);
      y = b.batch_norm(p + ".expand_bn", y);
      y = b.relu6(p + ".expand_relu", y);
      y = b.conv(p + ".depthwise", y, expanded, 3, stride, 1, true, expanded);
      y = b.batch_norm(p + ".depthwise_bn", y);
      y = b.relu6(p + ".depthwise_relu", y);
      y = b.conv(p + ".project", y, out, 1, 1, 0, true, 1, w);
      y = b.batch_norm(p + ".project_bn", y);
      int shortcut = x;
      if (stride != 1 || in_width != out) {
        shortcut = b.conv(p + ".shortcut", x, out, 1, stride, 0, true, 1, w);
        shortcut = b.batch_norm(p + ".shortcut_bn", shortcut);
      }
      x = b.add(p + ".add", y, shortcut);
      x = b.gate(p + ".gate", x, w);
      in_width = out;
    }
  }
  const int head = static_cast<int>(widths.size()) - 1;
  x = b.conv("head.conv", x, widths[head], 1, 1, 0, true, 1, head);
  x = b.batch_norm("head.bn", x);
  x = b.gate("head.gate", x, head);
  x = b.relu6("head.relu", x);
  x = b.global_avg_pool("pool", x);
  x = b.conv("classifier", x, dataset.classes, 1, 1, 0, true);
  b.flatten("flatten", x);
  return net;
}

}  // namespace paramscale::arch
