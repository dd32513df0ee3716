// report rendering: Markdown tables stay aligned with non-ASCII text and escape '|'; the
// environment section is one row per measurement setting, not one JSON dump per record.
#include <gtest/gtest.h>

#include <sstream>

#include "report/document.h"
#include "report/environment.h"
#include "report/precision.h"

using namespace paramscale::report;
using nlohmann::json;

namespace {
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty() && l[0] == '|') out.push_back(l);
  return out;
}
size_t chars(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

TEST(ReportMarkdown, TableColumnsAlignWithUtf8AndEscapePipes) {
  Document d;
  d.table({{"latency NS÷U", "x"}, {"1.5", "a|b"}});
  const auto rows = lines(to_markdown(d));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(chars(rows[0]), chars(rows[1]));
  EXPECT_EQ(chars(rows[0]), chars(rows[2]));
  EXPECT_NE(rows[2].find("a\\|b"), std::string::npos);
}

TEST(ReportEnvironment, OneRowPerSettingWithCellCount) {
  auto rec = [](const char* t, const char* sha, int threads) {
    return json{{"environment",
                 {{"cpu_model", "cpu"},
                  {"timestamp_utc", t},
                  {"model_sha256", sha},
                  {"runtime",
                   {{"name", "onnxruntime"},
                    {"version", "1.30.0"},
                    {"options", {{"intra_op_threads", threads}}}}}}}};
  };
  Document d;
  environment_section(d, {rec("2026-01-01T00:00:02Z", "a", 1), rec("2026-01-01T00:00:01Z", "b", 1),
                          rec("2026-01-01T00:00:03Z", "c", 2)});
  ASSERT_EQ(d.blocks.size(), 2u);
  const auto& rows = d.blocks[1].rows;
  ASSERT_EQ(rows.size(), 3u);  // header + two settings (threads 1 and 2)
  EXPECT_EQ(rows[1][0], "2");
  EXPECT_EQ(rows[1][1], "onnxruntime 1.30.0");
  EXPECT_EQ(rows[1][2], "intra_op_threads=1");
  EXPECT_EQ(rows[1][5], "2026-01-01T00:00:01Z – 2026-01-01T00:00:02Z");
  EXPECT_EQ(rows[2][0], "1");
}

TEST(ReportPrecision, SaysPlainlyWhereInt8IsSlower) {
  auto point = [](const char* method, const char* precision, double ms) {
    Point p;
    p.model = "mobilenetv2";
    p.method = method;
    p.budget = "params:0.5";
    p.runtime = "ort";
    p.threads = 1;
    p.opt_level = "all";
    p.precision = precision;
    p.params = 1e6;
    p.latency_median_ms = ms;
    p.runtime_memory_bytes = 1e7;
    return p;
  };
  Metrics m;
  m.precision_comparisons = {
      {"mobilenetv2", "uniform", "params:0.5", "ort", "all", "local", 1,
       point("uniform", "fp32", 1.0), point("uniform", "int8", 1.25)},
      {"mobilenetv2", "neuralscale", "params:0.5", "ort", "all", "local", 1,
       point("neuralscale", "fp32", 2.0), point("neuralscale", "int8", 1.0)}};
  Document d;
  precision_section(d, m);
  const std::string md = to_markdown(d);
  EXPECT_NE(md.find("INT8 was SLOWER than FP32 in 1 of 2 pairs: mobilenetv2 uniform params:0.5"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("1.000 ms FP32, 1.250 ms INT8 (1.25x)"), std::string::npos) << md;
  EXPECT_NE(md.find("INT8 ÷ FP32 latency 0.88x"), std::string::npos) << md;  // (1.25 + 0.5) / 2
  const auto j = precision_json(m);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_DOUBLE_EQ(j[0]["latency_ratio"].get<double>(), 1.25);
  EXPECT_TRUE(j[0]["accuracy_delta"].is_null());  // not evaluated
  // No INT8 models, no section.
  Document none;
  precision_section(none, Metrics{});
  EXPECT_TRUE(none.blocks.empty());
}
