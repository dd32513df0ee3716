#include "explain/attribution.h"

#include "arch/analysis.h"

#include <algorithm>
#include <map>

namespace paramscale::explain {

namespace {

bool conv_op(const std::string& op) {
  return op == "Conv" || op == "FusedConv" || op == "QLinearConv" || op == "ConvInteger" ||
         op == "NhwcFusedConv" || op == "Gemm" || op == "FusedGemm" || op == "QGemm" ||
         op == "MatMul" || op == "FusedMatMul" || op == "QLinearMatMul" || op == "MatMulInteger";
}

bool int8_tensor(const TensorShape& t) { return t.type == "int8" || t.type == "uint8"; }

std::string execution_of(const NodeRun& n) {
  if (n.op.rfind("QLinear", 0) == 0 || n.op == "QGemm" || n.op == "ConvInteger" ||
      n.op == "MatMulInteger" || (!n.inputs.empty() && int8_tensor(n.inputs[0]) && conv_op(n.op)))
    return "int8";
  if (n.name.find("_nchwc") != std::string::npos || n.op == "ReorderInput" ||
      n.op == "ReorderOutput")
    return "nchwc";
  return "plain";
}

// Output channels of a (possibly blocked, N x C/b x H x W x b) convolution output.
int64_t out_channels(const TensorShape& out) {
  if (out.dims.size() == 5) return out.dims[1] * out.dims[4];
  return out.dims.size() >= 2 ? out.dims[1] : 0;
}

bool boundary_prefix(const std::string& name, const std::string& prefix) {
  if (name.size() < prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  return name.size() == prefix.size() || name[prefix.size()] == '.' || name[prefix.size()] == '_';
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// A profiled channel count for the IR's: equal, or padded up to ORT's channel block (NCHWc pads a
// width of 137 to 144 and crops it back with ReorderOutput; blocks are at most 16 wide).
bool same_channels(int64_t profiled, int64_t ir) { return profiled >= ir && profiled < ir + 16; }

// Does the profiled node compute this convolution / linear layer? Weight and output shapes agree,
// channels up to padding (NCHWc outputs N x C/b x H x W x b are unblocked first).
bool same_shapes(const NodeRun& n, const IrLayer& l) {
  if (l.weight.empty() || n.outputs.empty()) return false;
  const size_t w = n.op == "QLinearConv" || n.op == "QGemm" || n.op == "QLinearMatMul" ? 3 : 1;
  if (n.inputs.size() <= w) return false;
  const std::vector<int64_t>& wd = n.inputs[w].dims;
  std::vector<int64_t> out = n.outputs[0].dims;
  if (out.size() == 5)
    out = {out[1] * out[4], out[2], out[3]};
  else if (!out.empty())
    out.erase(out.begin());  // the batch
  if (out.size() != l.out.size() || out.empty() || !same_channels(out[0], l.out[0])) return false;
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i] != l.out[i]) return false;
  if (l.weight.size() == 2)  // linear: {out, in}, as Gemm's B (transposed or not)
    return wd.size() == 2 && ((wd[0] == l.weight[0] && wd[1] == l.weight[1]) ||
                              (wd[0] == l.weight[1] && wd[1] == l.weight[0]));
  return wd.size() == 4 && same_channels(wd[0], l.weight[0]) && same_channels(wd[1], l.weight[1]) &&
         wd[2] == l.weight[2] && wd[3] == l.weight[3];
}

// The IR layer a node stands for (see attribution.h), or -1; marks matched convolutions used.
int assign(const NodeRun& n, const std::vector<IrLayer>& layers, std::vector<bool>& used) {
  if (conv_op(n.op)) {
    int best = -1;
    bool best_named = false;
    for (size_t i = 0; i < layers.size(); ++i) {
      if (!layers[i].conv || used[i] || !same_shapes(n, layers[i])) continue;
      const bool named = boundary_prefix(n.name, layers[i].name);
      if (best < 0 || (named && !best_named)) {
        best = static_cast<int>(i);
        best_named = named;
      }
    }
    if (best >= 0) {
      used[best] = true;
      return best;
    }
  }
  // By name. A convolution node takes a convolution layer by name only when the layer's shapes
  // are unknown (a shape mismatch means it is another computation, e.g. a BatchNorm ORT runs as
  // a 1x1 depthwise convolution), and then prefers it to a longer non-convolution name.
  int best = -1;
  bool best_conv = false;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!boundary_prefix(n.name, layers[i].name)) continue;
    const bool takes_conv = layers[i].conv && !used[i] && layers[i].weight.empty() && conv_op(n.op);
    if (layers[i].conv && !takes_conv) continue;
    const bool longer = best < 0 || layers[i].name.size() > layers[best].name.size();
    if ((takes_conv && !best_conv) || (takes_conv == best_conv && longer)) {
      best = static_cast<int>(i);
      best_conv = takes_conv;
    }
  }
  if (best_conv) used[best] = true;
  return best;
}

}  // namespace

int64_t node_macs(const NodeRun& n) {
  if (n.outputs.empty()) return 0;
  const TensorShape& out = n.outputs[0];
  if (n.op == "Conv" || n.op == "FusedConv" || n.op == "NhwcFusedConv" || n.op == "ConvInteger" ||
      n.op == "QLinearConv") {
    const size_t w = n.op == "QLinearConv" ? 3 : 1;
    const int64_t co = out_channels(out);
    if (n.inputs.size() <= w || co <= 0) return 0;
    return out.elements() * (n.inputs[w].elements() / co);
  }
  if (conv_op(n.op)) {  // Gemm / MatMul family: M x N output, K from A's last dimension
    if (n.inputs.empty() || n.inputs[0].dims.empty()) return 0;
    return out.elements() * std::max<int64_t>(0, n.inputs[0].dims.back());
  }
  return 0;
}

std::vector<IrLayer> ir_layers(const arch::Network& net) {
  std::vector<IrLayer> out;
  for (size_t i = 1; i < net.layers.size(); ++i) {
    const arch::Layer& l = net.layers[i];
    IrLayer ir{
        l.name, l.op == arch::Op::Conv || l.op == arch::Op::Linear, {}, {}, arch::layer_macs(l)};
    if (l.op == arch::Op::Conv) {
      ir.weight = {l.out.c, l.in.c / std::max(1, l.groups), l.kernel, l.kernel};
      ir.out = {l.out.c, l.out.h, l.out.w};
    } else if (l.op == arch::Op::Linear) {
      ir.weight = {l.out.c, l.in.elements()};
      ir.out = {l.out.c};
    }
    out.push_back(std::move(ir));
  }
  return out;
}

Explanation attribute(const Profile& profile, const std::vector<IrLayer>& layers,
                      double peak_gflops) {
  Explanation e;
  e.runs = static_cast<int>(profile.runs.size());
  struct Node {
    std::string op, execution;
    double total_us = 0;
  };
  std::vector<double> totals;
  std::map<std::string, size_t> row_of;            // row key -> index
  std::vector<std::vector<double>> per_run;        // row -> its time in each run
  std::vector<std::map<std::string, Node>> nodes;  // row -> its nodes
  std::map<std::string, int> layer_of;             // node name -> IR layer (-1: none)
  std::vector<bool> used(layers.size(), false);    // IR convolutions already matched
  for (size_t r = 0; r < profile.runs.size(); ++r) {
    totals.push_back(profile.runs[r].us);
    double nodes_us = 0;
    for (const NodeRun& n : profile.runs[r].nodes) nodes_us += n.us;
    e.run_sums.emplace_back(nodes_us, profile.runs[r].us);
    for (const NodeRun& n : profile.runs[r].nodes) {
      auto known = layer_of.find(n.name);
      if (known == layer_of.end()) known = layer_of.emplace(n.name, assign(n, layers, used)).first;
      const int m = known->second;
      const std::string key = m >= 0 ? layers[m].name : n.name;
      auto [it, fresh] = row_of.emplace(key, e.rows.size());
      if (fresh) {
        LayerRow row;
        row.layer = key;
        row.runtime_added = m < 0 && !layers.empty();
        // A network's convolution counts its useful MACs (channels ORT pads are wasted work).
        row.ir_macs = m >= 0 && layers[m].conv && layers[m].macs > 0 ? layers[m].macs : -1;
        e.rows.push_back(row);
        per_run.emplace_back(profile.runs.size(), 0.0);
        nodes.emplace_back();
      }
      const size_t i = it->second;
      per_run[i][r] += n.us;
      auto [node, first] = nodes[i].emplace(n.name, Node{n.op, execution_of(n), 0});
      node->second.total_us += n.us;
      if (!first) continue;  // shapes (and so MACs and bytes) once per node, not per run
      LayerRow& row = e.rows[i];
      row.nodes.push_back(n.name);
      row.conv_nodes += conv_op(n.op) ? 1 : 0;
      row.macs += node_macs(n);
      for (const auto& t : n.inputs) row.bytes += t.bytes();
      for (const auto& t : n.outputs) row.bytes += t.bytes();
    }
  }
  for (size_t i = 0; i < e.rows.size(); ++i) {
    LayerRow& row = e.rows[i];
    // The row's op is its convolution if it has one, else its longest-running node's.
    const Node* main = nullptr;
    for (const auto& [name, n] : nodes[i]) {
      const bool better = !main || (conv_op(n.op) && !conv_op(main->op)) ||
                          (conv_op(n.op) == conv_op(main->op) && n.total_us > main->total_us);
      if (better) main = &n;
    }
    row.op = main->op;
    row.execution = main->execution;
    if (row.ir_macs >= 0) row.macs = row.ir_macs;
    row.median_us = median(per_run[i]);
    e.node_sum_us += row.median_us;
    row.gflops = row.median_us > 0 ? 2.0 * row.macs / (row.median_us * 1e3) : 0;
    if (peak_gflops > 0 && row.macs > 0) row.peak_fraction = row.gflops / peak_gflops;
  }
  for (LayerRow& row : e.rows) row.share = e.node_sum_us > 0 ? row.median_us / e.node_sum_us : 0;
  e.run_median_us = median(totals);
  for (const IrLayer& l : layers)
    if (l.conv && !row_of.count(l.name)) e.unmatched_ir_convs.push_back(l.name);
  return e;
}

nlohmann::json to_json(const Explanation& e) {
  nlohmann::json rows = nlohmann::json::array();
  for (const LayerRow& r : e.rows)
    rows.push_back({{"layer", r.layer},
                    {"runtime_added", r.runtime_added},
                    {"nodes", r.nodes},
                    {"conv_nodes", r.conv_nodes},
                    {"op", r.op},
                    {"execution", r.execution},
                    {"median_us", r.median_us},
                    {"share", r.share},
                    {"macs", r.macs},
                    {"bytes", r.bytes},
                    {"gflops", r.gflops},
                    {"intensity_flop_per_byte", r.intensity()},
                    {"peak_fraction", r.peak_fraction ? nlohmann::json(*r.peak_fraction)
                                                      : nlohmann::json(nullptr)}});
  return {{"runs", e.runs},
          {"run_median_us", e.run_median_us},
          {"node_sum_us", e.node_sum_us},
          {"unmatched_ir_convs", e.unmatched_ir_convs},
          {"layers", rows}};
}

}  // namespace paramscale::explain

namespace paramscale::explain {

Result<Explanation> explanation_from_json(const nlohmann::json& j) {
  try {
    Explanation e;
    e.runs = j.at("runs").get<int>();
    e.run_median_us = j.at("run_median_us").get<double>();
    e.node_sum_us = j.at("node_sum_us").get<double>();
    e.unmatched_ir_convs = j.at("unmatched_ir_convs").get<std::vector<std::string>>();
    for (const auto& r : j.at("layers")) {
      LayerRow row;
      row.layer = r.at("layer").get<std::string>();
      row.runtime_added = r.at("runtime_added").get<bool>();
      row.nodes = r.at("nodes").get<std::vector<std::string>>();
      row.conv_nodes = r.value("conv_nodes", 0);
      row.op = r.at("op").get<std::string>();
      row.execution = r.at("execution").get<std::string>();
      row.median_us = r.at("median_us").get<double>();
      row.share = r.at("share").get<double>();
      row.macs = r.at("macs").get<int64_t>();
      row.bytes = r.at("bytes").get<int64_t>();
      row.gflops = r.at("gflops").get<double>();
      if (r.contains("peak_fraction") && r["peak_fraction"].is_number())
        row.peak_fraction = r["peak_fraction"].get<double>();
      e.rows.push_back(std::move(row));
    }
    return e;
  } catch (const std::exception& ex) {
    return bad_input(std::string("malformed explanation: ") + ex.what());
  }
}

}  // namespace paramscale::explain
