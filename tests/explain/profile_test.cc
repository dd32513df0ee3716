// explain/profile: ORT's Chrome trace grouped into runs, warm-up dropped, bad traces refused.
#include "explain/profile.h"

#include <gtest/gtest.h>

namespace paramscale::explain {
namespace {

using nlohmann::json;

json node(const std::string& name, double ts, double dur, const std::string& op) {
  return {
      {"cat", "Node"},
      {"name", name + "_kernel_time"},
      {"ts", ts},
      {"dur", dur},
      {"args",
       {{"op_name", op},
        {"provider", "CPUExecutionProvider"},
        {"input_type_shape", json::array({{{"float", {1, 3, 8, 8}}}, {{"float", {4, 3, 3, 3}}}})},
        {"output_type_shape", json::array({{{"float", {1, 4, 8, 8}}}})}}}};
}

json run(double ts, double dur) {
  return {{"cat", "Session"}, {"name", "model_run"}, {"ts", ts}, {"dur", dur}};
}

TEST(Profile, GroupsNodesIntoRunsAndSkipsWarmup) {
  const json trace =
      json::array({{{"cat", "Session"}, {"name", "session_initialization"}, {"ts", 0}, {"dur", 5}},
                   run(10, 10),
                   node("conv", 11, 4, "Conv"),
                   node("relu", 16, 2, "Relu"),  // warm-up
                   run(30, 10),
                   node("conv", 31, 5, "Conv"),
                   node("relu", 37, 1, "Relu"),
                   run(50, 12),
                   node("conv", 51, 6, "Conv"),
                   node("relu", 58, 3, "Relu"),
                   node("stray", 100, 1, "Relu")});  // outside any run: dropped
  const auto p = parse_ort_trace(trace, 1);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->runs.size(), 2u);
  EXPECT_EQ(p->runs[0].us, 10);
  ASSERT_EQ(p->runs[0].nodes.size(), 2u);
  EXPECT_EQ(p->runs[0].nodes[0].name, "conv");
  EXPECT_EQ(p->runs[0].nodes[0].op, "Conv");
  EXPECT_EQ(p->runs[0].nodes[0].us, 5);
  ASSERT_EQ(p->runs[0].nodes[0].inputs.size(), 2u);
  EXPECT_EQ(p->runs[0].nodes[0].inputs[1].dims, (std::vector<int64_t>{4, 3, 3, 3}));
  EXPECT_EQ(p->runs[0].nodes[0].outputs[0].bytes(), 4 * 8 * 8 * 4);
  EXPECT_EQ(p->runs[1].nodes[1].us, 3);
}

TEST(Profile, BadTracesAreErrors) {
  EXPECT_FALSE(parse_ort_trace(json::object(), 0).ok());
  EXPECT_NE(parse_ort_trace(json::array({node("x", 1, 1, "Conv")}), 0)
                .error()
                .message.find("no model_run"),
            std::string::npos);
  const auto skip_all = parse_ort_trace(json::array({run(0, 1)}), 1);
  ASSERT_FALSE(skip_all.ok());
  EXPECT_NE(skip_all.error().message.find("1 run(s)"), std::string::npos);
  // Mistyped fields are skipped, never thrown.
  const json odd = json::array({run(0, 10),
                                {{"cat", "Node"}, {"name", 3}},
                                {{"cat", "Node"}, {"name", "a_kernel_time"}, {"ts", "x"}},
                                {{"cat", "Node"},
                                 {"name", "b_kernel_time"},
                                 {"ts", 1},
                                 {"dur", 2},
                                 {"args", {{"op_name", 7}, {"input_type_shape", "bad"}}}}});
  const auto p = parse_ort_trace(odd, 0);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->runs[0].nodes.size(), 1u);
  EXPECT_EQ(p->runs[0].nodes[0].op, "");
  EXPECT_TRUE(p->runs[0].nodes[0].inputs.empty());
}

}  // namespace
}  // namespace paramscale::explain
