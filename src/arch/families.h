// arch/families: the four model families of the study, built from an ordered vector of widths.
//
// Each family matches the NeuralScale reference (layer structure, bias/BN placement, strides, and the
// order of its scalable widths, which the published fits index). build_network() validates the
// widths (count and positivity) and returns a shape-checked Network or a one-line Error.
//
// ResNet-50 (not in the NeuralScale paper) has 49 widths: the stem, then (mid1, mid2, out) of each of
// its 16 bottleneck blocks in execution order; mid1 and mid2 are independent (not tied). On
// TinyImageNet it uses the PreAct-ResNet-18 TinyImageNet strides (first block of every stage 2).
#pragma once

#include <string>
#include <vector>

#include "arch/dataset.h"
#include "arch/network.h"
#include "util/result.h"

namespace paramscale::arch {

const char* family_name(Family family);  // vgg11, preact_resnet18, mobilenetv2, resnet50
Result<Family> family_from_name(const std::string& name);
const std::vector<Family>& all_families();

// The 1.0x widths in reference order, and a name for each (e.g. "layer2.0.mid").
std::vector<int> base_widths(Family family);
std::vector<std::string> width_names(Family family);

// Builds the network; gated = a Gate layer at every scalable width (NeuralScale search).
Result<Network> build_network(Family family, const DatasetShape& dataset,
                              const std::vector<int>& widths, bool gated = false);

// An empty network of the family with its dataset, widths and gating set (builders start here).
Network empty_network(Family family, const DatasetShape& dataset, const std::vector<int>& widths,
                      bool gated);

// Per-family builders; widths already validated.
Network build_vgg11(const DatasetShape& dataset, const std::vector<int>& widths, bool gated);
Network build_preact_resnet18(const DatasetShape& dataset, const std::vector<int>& widths, bool gated);
Network build_mobilenetv2(const DatasetShape& dataset, const std::vector<int>& widths, bool gated);
Network build_resnet50(const DatasetShape& dataset, const std::vector<int>& widths, bool gated);

}  // namespace paramscale::arch
