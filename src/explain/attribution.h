// explain/attribution: per-layer time, throughput and layout from a profile — the measured "why".
//
// ONNX Runtime runs an optimised graph: it fuses a Conv with its BatchNorm and activation, turns
// convolutions into blocked (NCHWc) or int8 kernels, turns a lone BatchNorm into a 1x1 depthwise
// convolution, and adds nodes of its own (layout reorders). A fused node takes the name of the
// chain's last node ("layer1.0.conv1" + bn2 + relu2 runs as "layer1.0.relu2_nchwc"), so names
// alone cannot find the convolution. attribute() maps every profiled node back to a layer of the
// network in execution order: a convolution or matrix-multiply node goes to the first unmatched
// convolution/linear layer with the same weight and output shape (preferring one whose name
// prefixes the node's); any other node to the layer whose name is the longest prefix of the
// node's name at a '.' or '_' boundary (exported node names are the IR's layer names, and ORT
// extends them: "layer1.0.bn1" -> "layer1.0.bn1_bn_nchwc"). Nodes that match no layer (nodes the
// runtime added, or every node of a foreign model) are rows of their own. Nothing is lost or
// counted twice: every node's time goes to exactly one row, every layer to at most one
// convolution node.
//
// Per row: median time over runs (the sum of its nodes' times in each run), share of the summed
// node time, MACs (a network convolution's useful MACs from the IR — channels ORT pads to its
// block are wasted work and lower the throughput; else from the profiled shapes), bytes moved
// (from the profiled shapes: inputs + outputs, weights included),
// achieved GFLOP/s (2 x MACs / time), its fraction of a measured peak, and how it ran (NCHWc,
// int8, plain). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "arch/network.h"
#include "explain/profile.h"
#include "util/result.h"

namespace paramscale::explain {

struct IrLayer {
  std::string name;
  bool conv = false;            // a convolution or linear layer (what a Conv/Gemm node implements)
  std::vector<int64_t> weight;  // conv: {out, in / groups, k, k}; linear: {out, in}
  std::vector<int64_t> out;     // per-sample output: {C, H, W}; linear: {C}
  int64_t macs = 0;             // per sample, from the IR
};

struct LayerRow {
  std::string layer;               // IR layer name, or the node name when no layer matches
  bool runtime_added = false;      // matched no layer of the network (e.g. ReorderInput)
  std::vector<std::string> nodes;  // the profiled nodes it stands for
  int conv_nodes = 0;              // of those, convolution / matrix-multiply kernels
  std::string op;                  // op of its main (longest-running) node
  std::string execution;           // "nchwc", "int8" or "plain"
  double median_us = 0;
  double share = 0;      // of the sum of all rows' medians
  int64_t macs = 0;      // the IR's for a network's convolution, else from the profiled shapes
  int64_t ir_macs = -1;  // the IR's MACs when the row is a convolution/linear layer, else -1
  int64_t bytes = 0;
  double gflops = 0;                    // 2 * macs / time
  std::optional<double> peak_fraction;  // gflops / the measured peak
  double intensity() const { return bytes > 0 ? 2.0 * macs / bytes : 0; }  // FLOP per byte
};

struct Explanation {
  std::vector<LayerRow> rows;  // in execution order of their first node
  int runs = 0;
  double run_median_us = 0;  // median of the profiled runs' total time
  double node_sum_us = 0;    // sum of the rows' medians
  // Per profiled run: the sum of its nodes' times and the run's own time (the difference is the
  // executor's work between nodes).
  std::vector<std::pair<double, double>> run_sums;
  std::vector<std::string> unmatched_ir_convs;  // IR convolutions no node was mapped to
};

// `layers` empty: a foreign model, one row per profiled node. `peak_gflops` <= 0: no peak known.
Explanation attribute(const Profile& profile, const std::vector<IrLayer>& layers,
                      double peak_gflops);

// The layers of a network as attribute() needs them (every layer but the input).
std::vector<IrLayer> ir_layers(const arch::Network& net);

// MACs of one profiled node from its shapes (Conv, QLinearConv, FusedConv, Gemm, MatMul, ...);
// 0 for other ops.
int64_t node_macs(const NodeRun& node);

nlohmann::json to_json(const Explanation& e);
// The inverse of to_json (a study record keeps explanations as JSON); bad input on a wrong field.
Result<Explanation> explanation_from_json(const nlohmann::json& j);

}  // namespace paramscale::explain
