// tests/support/ir_reference: a naive, obviously-correct forward pass of an arch::Network.
//
// The yardstick exported models are compared against: direct loops over the IR with float64
// accumulation (float32 weights and inputs widened to double), batch-norm in inference form with
// epsilon 1e-5, gates as identities. Slow by design; use small inputs and batches of 1-2.
#pragma once

#include <vector>

#include "arch/network.h"
#include "arch/weights.h"

namespace paramscale::test {

// input: batch x C x H x W floats (row-major); returns batch x outputs of the network's last layer.
// round_to_float rounds every layer's output to float32 (accumulation stays float64): the least
// error any float32 runtime must make, which measures how sensitive the network is to float32.
std::vector<double> reference_forward(const arch::Network& net, const arch::Weights& weights,
                                      const std::vector<float>& input, int batch,
                                      bool round_to_float = false);

// Sets every BatchNorm's running mean and variance to the batch statistics of its input on `input`
// (as training leaves them), so activations stay O(1) at any depth and absolute tolerances mean
// the same for every family.
void calibrate_batchnorm(const arch::Network& net, arch::Weights& weights,
                         const std::vector<float>& input, int batch);

// Deterministic inputs in [-1, 1) for `count` values.
std::vector<float> test_input(size_t count, unsigned seed);

}  // namespace paramscale::test
