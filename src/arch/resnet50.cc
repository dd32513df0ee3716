// ResNet-50 (CIFAR form): conv3x3 stem without max-pool, bottleneck blocks 1x1-3x3(stride)-1x1,
// every conv without bias and followed by BN, projection shortcut (1x1 conv + BN) wherever the
// stride or the width changes.
#include "arch/families.h"

namespace paramscale::arch {

Network build_resnet50(const DatasetShape& dataset, const std::vector<int>& widths, bool gated) {
  const int repeats[4] = {3, 4, 6, 3};
  Network net = empty_network(Family::ResNet50, dataset, widths, gated);
  NetworkBuilder b(net);
  int x = b.input({dataset.channels, dataset.height, dataset.width});
  x = b.conv("stem.conv", x, widths[0], 3, 1, 1, false, 1, 0);
  x = b.batch_norm("stem.bn", x);
  x = b.gate("stem.gate", x, 0);
  x = b.relu("stem.relu", x);
  int in_width = widths[0];
  int w = 1;
  for (int stage = 0; stage < 4; ++stage) {
    for (int block = 0; block < repeats[stage]; ++block, w += 3) {
      const int stride = block > 0 ? 1 : (dataset.tinyimagenet_strides || stage > 0 ? 2 : 1);
      const int mid1 = widths[w], mid2 = widths[w + 1], out = widths[w + 2];
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(block);
      int y = b.conv(p + ".conv1", x, mid1, 1, 1, 0, false, 1, w);
      y = b.batch_norm(p + ".bn1", y);
      y = b.gate(p + ".gate1", y, w);
      y = b.relu(p + ".relu1", y);
      y = b.conv(p + ".conv2", y, mid2, 3, stride, 1, false, 1, w + 1);
      y = b.batch_norm(p + ".bn2", y);
      y = b.gate(p + ".gate2", y, w + 1);
      y = b.relu(p + ".relu2", y);
      y = b.conv(p + ".conv3", y, out, 1, 1, 0, false, 1, w + 2);
      y = b.batch_norm(p + ".bn3", y);
      int shortcut = x;
      if (stride != 1 || in_width != out) {
        shortcut = b.conv(p + ".shortcut", x, out, 1, stride, 0, false, 1, w + 2);
        shortcut = b.batch_norm(p + ".shortcut_bn", shortcut);
      }
      x = b.add(p + ".add", y, shortcut);
      x = b.gate(p + ".gate3", x, w + 2);
      x = b.relu(p + ".relu3", x);
      in_width = out;
    }
  }
  x = b.global_avg_pool("pool", x);
  x = b.flatten("flatten", x);
  b.linear("classifier", x, dataset.classes);
  return net;
}

}  // namespace paramscale::arch
