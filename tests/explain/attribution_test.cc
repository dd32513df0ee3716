// explain/attribution: nodes to layers, medians, shares, MACs from shapes, comparison.
#include "explain/attribution.h"

#include <gtest/gtest.h>

#include "explain/compare.h"

namespace paramscale::explain {
namespace {

NodeRun conv(const std::string& name, double us, const std::string& op = "Conv") {
  NodeRun n{name, op, "CPUExecutionProvider", us, {}, {}};
  n.inputs = {{"float", {1, 8, 16, 16}}, {"float", {16, 8, 3, 3}}, {"float", {16}}};
  n.outputs = {{"float", {1, 16, 16, 16}}};
  return n;
}

NodeRun other(const std::string& name, const std::string& op, double us) {
  NodeRun n{name, op, "CPUExecutionProvider", us, {}, {}};
  n.inputs = {{"float", {1, 16, 16, 16}}};
  n.outputs = {{"float", {1, 16, 8, 8}}};
  return n;
}

Profile three_runs() {
  Profile p;
  for (double t : {10.0, 12.0, 30.0}) {
    explain::Run r;
    r.us = t + 5;
    // ORT's fused conv+relu keeps the relu's name and adds _nchwc; it is still conv1.
    r.nodes = {conv("block.conv1.relu_nchwc", t), other("block.pool", "MaxPool", 1),
               other("ReorderOutput", "ReorderOutput", 2)};
    p.runs.push_back(r);
  }
  return p;
}

// Layers without shapes: matched by name alone.
const std::vector<IrLayer> kLayers = {{"block.conv1", true, {}, {}, 0},
                                      {"block.conv1.relu", false, {}, {}, 0},
                                      {"block.pool", false, {}, {}, 0},
                                      {"fc", true, {}, {}, 0}};

TEST(Attribution, MapsFusedNodesToTheirConvolution) {
  const Explanation e = attribute(three_runs(), kLayers, 100.0);
  ASSERT_EQ(e.rows.size(), 3u);
  EXPECT_EQ(e.runs, 3);
  const LayerRow& c = e.rows[0];
  EXPECT_EQ(c.layer, "block.conv1");
  EXPECT_EQ(c.conv_nodes, 1);
  EXPECT_EQ(c.execution, "nchwc");
  EXPECT_DOUBLE_EQ(c.median_us, 12.0);
  EXPECT_EQ(c.macs, 16 * 16 * 16 * 8 * 9);
  EXPECT_EQ(c.bytes, (8 * 256 + 16 * 8 * 9 + 16 + 16 * 256) * 4);
  EXPECT_DOUBLE_EQ(c.gflops, 2.0 * c.macs / 12e3);
  ASSERT_TRUE(c.peak_fraction.has_value());
  EXPECT_DOUBLE_EQ(*c.peak_fraction, c.gflops / 100.0);
  EXPECT_EQ(e.rows[1].layer, "block.pool");
  EXPECT_FALSE(e.rows[1].runtime_added);
  EXPECT_FALSE(e.rows[1].peak_fraction.has_value());  // no MACs, no throughput
  EXPECT_EQ(e.rows[2].layer, "ReorderOutput");
  EXPECT_TRUE(e.rows[2].runtime_added);
  EXPECT_DOUBLE_EQ(e.node_sum_us, 12.0 + 1 + 2);
  double shares = 0;
  for (const auto& r : e.rows) shares += r.share;
  EXPECT_NEAR(shares, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(e.run_median_us, 17.0);
  EXPECT_EQ(e.unmatched_ir_convs, (std::vector<std::string>{"fc"}));
}

// A pre-activation block as ORT runs it: the lone BatchNorm becomes a 1x1 depthwise convolution
// named after it, and conv1 fused with bn2 and relu2 takes relu2's name, with its 13 output
// channels padded to 16 (NCHWc). Shapes, not names, find the convolution.
TEST(Attribution, ShapesFindFusedAndPaddedConvolutions) {
  const std::vector<IrLayer> layers = {
      {"b.bn1", false, {}, {}, 0},
      {"b.relu1", false, {}, {}, 0},
      {"b.conv1", true, {13, 8, 3, 3}, {13, 16, 16}, 13 * 256 * 72},
      {"b.bn2", false, {}, {}, 0},
      {"b.relu2", false, {}, {}, 0}};
  NodeRun bn{"b.bn1_bn_nchwc",
             "Conv",
             "",
             1,
             {{"float", {1, 8, 16, 16}}, {"float", {8, 1, 1, 1}}},
             {{"float", {1, 8, 16, 16}}}};
  NodeRun fused = conv("b.relu2_nchwc", 5);
  fused.outputs = {{"float", {1, 2, 16, 16, 8}}};  // 16 = 13 padded to the block of 8
  Profile p;
  p.runs.push_back({10, {bn, fused}});
  const Explanation e = attribute(p, layers, 0);
  ASSERT_EQ(e.rows.size(), 2u);
  EXPECT_EQ(e.rows[0].layer, "b.bn1");
  EXPECT_EQ(e.rows[0].conv_nodes, 1);  // a convolution kernel, but not one of the network's
  EXPECT_EQ(e.rows[1].layer, "b.conv1");
  EXPECT_EQ(e.rows[1].macs, 13 * 256 * 72);  // useful MACs, not the padded 16 channels'
  EXPECT_TRUE(e.unmatched_ir_convs.empty());
  // 40 output channels are not 13 padded to a block: no match, so conv1 is reported unmatched.
  fused.outputs = {{"float", {1, 40, 16, 16}}};
  p.runs[0].nodes = {bn, fused};
  EXPECT_EQ(attribute(p, layers, 0).unmatched_ir_convs, (std::vector<std::string>{"b.conv1"}));
}

TEST(Attribution, ForeignModelGetsOneRowPerNode) {
  const Explanation e = attribute(three_runs(), {}, 0);
  ASSERT_EQ(e.rows.size(), 3u);
  EXPECT_EQ(e.rows[0].layer, "block.conv1.relu_nchwc");
  EXPECT_FALSE(e.rows[0].runtime_added);
  EXPECT_FALSE(e.rows[0].peak_fraction.has_value());
  EXPECT_TRUE(e.unmatched_ir_convs.empty());
}

TEST(Attribution, MacsOfConvQLinearConvAndGemm) {
  EXPECT_EQ(node_macs(conv("c", 1)), 16 * 256 * 72);
  NodeRun q = conv("q", 1, "QLinearConv");
  q.inputs = {{"uint8", {1, 8, 16, 16}}, {"float", {}},  {"uint8", {}}, {"int8", {16, 8, 3, 3}},
              {"float", {16}},           {"int8", {16}}, {"float", {}}, {"uint8", {}}};
  EXPECT_EQ(node_macs(q), 16 * 256 * 72);
  NodeRun blocked = conv("b", 1);
  blocked.outputs = {{"float", {1, 2, 16, 16, 8}}};  // NCHWc: 16 channels in blocks of 8
  EXPECT_EQ(node_macs(blocked), 16 * 256 * 72);
  NodeRun gemm{
      "fc", "Gemm", "", 1, {{"float", {1, 256}}, {"float", {10, 256}}}, {{"float", {1, 10}}}};
  EXPECT_EQ(node_macs(gemm), 2560);
  EXPECT_EQ(node_macs(other("p", "MaxPool", 1)), 0);
}

TEST(Compare, NamesTheLayersThatMakeTheGap) {
  Profile a = three_runs(), b = three_runs();
  for (explain::Run& r : b.runs) r.nodes[0].us *= 4;  // conv1 four times slower
  for (explain::Run& r : b.runs) r.nodes[1].us += 1;  // pool a little slower
  const Explanation ea = attribute(a, kLayers, 0), eb = attribute(b, kLayers, 0);
  const Comparison c = compare(ea, eb);
  EXPECT_DOUBLE_EQ(c.gap_us, 36.0 + 1.0);
  ASSERT_EQ(c.accounting.size(), 1u);  // conv1 alone covers 36/37 >= 80%
  EXPECT_EQ(c.layers[c.accounting[0]].layer, "block.conv1");
  EXPECT_NEAR(c.accounted_fraction, 36.0 / 37.0, 1e-12);
  EXPECT_EQ(describe_delta(c.layers[c.accounting[0]]),
            "block.conv1 +0.036 ms (1.00x the MACs, at 0.25x the GFLOP/s)");
}

}  // namespace
}  // namespace paramscale::explain
