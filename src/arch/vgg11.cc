// VGG-11 (CIFAR form): conv3x3(bias)-BN-ReLU per width, 2x2 max-pool at M, one Linear.
#include "arch/families.h"

namespace paramscale::arch {

Network build_vgg11(const DatasetShape& dataset, const std::vector<int>& widths, bool gated) {
  Network net = empty_network(Family::VGG11, dataset, widths, gated);
  NetworkBuilder b(net);
  int x = b.input({dataset.channels, dataset.height, dataset.width});
  // cfg [w1,M,w2,M,w3,w4,M,w5,w6,M,w7,w8,M]: pool after widths 0,1,3,5,7.
  const bool pool_after[8] = {true, true, false, true, false, true, false, true};
  for (int i = 0; i < 8; ++i) {
    const std::string p = "features.conv" + std::to_string(i + 1);
    x = b.conv(p, x, widths[i], 3, 1, 1, /*bias=*/true, 1, i);
    x = b.batch_norm(p + ".bn", x);
    x = b.gate(p + ".gate", x, i);
    x = b.relu(p + ".relu", x);
    if (pool_after[i]) x = b.max_pool("features.pool" + std::to_string(i + 1), x, 2);
  }
  x = b.flatten("flatten", x);
  b.linear("classifier", x, dataset.classes);
  return net;
}

}  // namespace paramscale::arch
