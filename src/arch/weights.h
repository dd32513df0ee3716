// arch/weights: a network's parameters by layer name, and the torch-free file that carries them.
//
// Training (nn/) writes this file and export (export/) reads it, so neither needs the other's
// libraries. Names are "<IR layer name>.<kind>" with kind weight | bias | running_mean |
// running_var (BatchNorm) — e.g. "features.conv1.weight", "features.conv1.bn.running_var". Shapes
// follow PyTorch: conv [out, in/groups, k, k], linear [out, in], vectors [C].
//
// File format (little-endian): magic "PSWEIGHT", u32 version (1), u32 tensor count, then per
// tensor: u32 name length, name bytes, u32 rank, rank x i64 dims, then prod(dims) float32 values.
// Readers reject a wrong magic, an unknown version, truncation and absurd sizes with a one-line
// Error. Writers write a temp file and rename it, so a reader never sees a half-written file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "arch/network.h"
#include "util/result.h"

namespace paramscale::arch {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t elements() const;
};

using Weights = std::map<std::string, Tensor>;

// Every tensor the network needs, with its expected shape (data empty).
Weights weight_shapes(const Network& net);

// Deterministic seeded weights for untrained measurement (Kaiming-uniform-like convs/linears,
// BN weight 1 / bias 0 / mean 0 / var 1): same seed and network, same values on every machine.
Weights random_weights(const Network& net, uint64_t seed);

// Checks that `weights` has every tensor of the network with the right shape (extra names are
// errors).
Status check_weights(const Network& net, const Weights& weights);

// Written atomically (util/atomic_file.h): readers see the old file or the whole new one.
Status write_weights(const std::string& path, const Weights& weights);
Result<Weights> read_weights(const std::string& path);

}  // namespace paramscale::arch
