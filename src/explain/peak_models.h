// explain/peak_models: the microbenchmark models of the peak measurement (explain/peak.h).
// Internal to explain/. Each writer returns the file, its input shape and its MACs per run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::explain {

struct MicroModel {
  std::string path;
  std::vector<int64_t> input_shape;
  int64_t macs = 0;
};

// A 3x3 convolution, c -> c channels on hw x hw; int8: in QDQ form.
Result<MicroModel> write_conv_model(const std::string& path, bool int8, int64_t c = 256,
                                    int64_t hw = 56);
// A 1024 x 1024 by 1024 x 1024 matrix multiply (1.07 GMAC).
Result<MicroModel> write_matmul_model(const std::string& path);

}  // namespace paramscale::explain
