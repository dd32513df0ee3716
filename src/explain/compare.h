// explain/compare: two explanations side by side, layer by layer, and which layers make the gap.
//
// Rows are matched by layer name (two networks of one family share their layer names; a foreign
// model's rows are its node names), in A's execution order, then B's rows A lacks. The gap is
// B's summed node time minus A's; `accounting` lists the layers with the largest time differences
// in the direction of the gap, largest first, until they cover at least 80% of it. Pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "explain/attribution.h"

namespace paramscale::explain {

struct ComparedLayer {
  std::string layer;
  const LayerRow* a = nullptr;  // absent in A (or B) when null
  const LayerRow* b = nullptr;
  double delta_us() const { return (b ? b->median_us : 0) - (a ? a->median_us : 0); }
};

struct Comparison {
  std::vector<ComparedLayer> layers;
  double gap_us = 0;               // B's node time minus A's
  std::vector<size_t> accounting;  // indices into layers, largest share of the gap first
  double accounted_fraction = 0;   // of the gap, by `accounting`
};

// The explanations must outlive the Comparison (it points into their rows).
Comparison compare(const Explanation& a, const Explanation& b);

// "conv1 +0.91 ms (2.1x the MACs at 0.48x the GFLOP/s, nchwc -> plain)"
std::string describe_delta(const ComparedLayer& c);

nlohmann::json to_json(const Comparison& c);

}  // namespace paramscale::explain
