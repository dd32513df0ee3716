// PreAct-ResNet-18: BN-ReLU-conv blocks; a 1x1 projection on the BN-ReLU'd input wherever the
// stride or the width changes; final BN, global average pool (no ReLU), Linear.
#include "arch/families.h"

namespace paramscale::arch {

Network build_preact_resnet18(const DatasetShape& dataset, const std::vector<int>& widths,
                              bool gated) {
  Network net = empty_network(Family::PreActResNet18, dataset, widths, gated);
  NetworkBuilder b(net);
  int x = b.input({dataset.channels, dataset.height, dataset.width});
  x = b.conv("stem.conv", x, widths[0], 3, 1, 1, false, 1, 0);
  x = b.gate("stem.gate", x, 0);
  int in_width = widths[0];
  int w = 1;
  for (int stage = 0; stage < 4; ++stage) {
    for (int block = 0; block < 2; ++block, w += 2) {
      const int stride = block > 0 ? 1 : (dataset.tinyimagenet_strides || stage > 0 ? 2 : 1);
      const int mid = widths[w], out = widths[w + 1];
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(block);
      int pre = b.batch_norm(p + ".bn1", x);
      // The block input's own width (w - 1) gated again after its BatchNorm: BN turns a zeroed
      // channel into its bias, which the physically narrower network would not have.
      pre = b.gate(p + ".gate0", pre, w - 1);
      pre = b.relu(p + ".relu1", pre);
      int shortcut = x;
      if (stride != 1 || in_width != out)
        shortcut = b.conv(p + ".shortcut", pre, out, 1, stride, 0, false, 1, w + 1);
      int y = b.conv(p + ".conv1", pre, mid, 3, stride, 1, false, 1, w);
      y = b.batch_norm(p + ".bn2", y);
      y = b.gate(p + ".gate1", y, w);
      y = b.relu(p + ".relu2", y);
      y = b.conv(p + ".conv2", y, out, 3, 1, 1, false, 1, w + 1);
      x = b.add(p + ".add", y, shortcut);
      // Gating the sum (not only conv2) masks the identity path too, so a pruned channel is
      // absent downstream exactly as in the physically narrower network.
      x = b.gate(p + ".gate2", x, w + 1);
      in_width = out;
    }
  }
  x = b.batch_norm("final.bn", x);
  x = b.gate("final.gate", x, w - 1);
  x = b.global_avg_pool("pool", x);
  x = b.flatten("flatten", x);
  b.linear("classifier", x, dataset.classes);
  return net;
}

}  // namespace paramscale::arch
