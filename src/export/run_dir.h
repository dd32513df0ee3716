// export/run_dir: the network and trained weights a training run directory holds.
//
// A run directory (written by training) contains:
//   arch.json    {"model": "vgg11", "dataset": "cifar10", "widths": [64, 128, ...], ...}
//                model: a family name (arch/families.h); dataset: a preset name (arch/dataset.h);
//                widths: the scalable widths in reference order, positive integers. Other fields
//                (method, budget, training settings, ...) may be present and are ignored here.
//   weights.psw  the network's weights in the arch/weights.h file format, ungated names.
// read_run_dir builds the (ungated) network and checks that the weights fit it. Every problem —
// missing directory or file, malformed JSON, a wrong or missing field, weights of the wrong shape —
// is a one-line bad-input Error naming the file. Pure function; thread-safe.
#pragma once

#include <string>

#include "arch/network.h"
#include "arch/weights.h"
#include "util/result.h"

namespace paramscale::onnx_export {

struct RunDir {
  arch::Network network;
  arch::Weights weights;
};

constexpr const char* kArchFile = "arch.json";
constexpr const char* kWeightsFile = "weights.psw";

Result<RunDir> read_run_dir(const std::string& dir);

}  // namespace paramscale::onnx_export
