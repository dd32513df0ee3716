// runtime/bench_record and runtime/kinds: a measured record reads back into the type and writes
// out byte for byte; minimal and older records read with their absent fields absent; a missing or
// mistyped field is named; runtime memory is computed in one place. Never asserts timings.
#include <gtest/gtest.h>

#include <fstream>

#include "runtime/bench_record.h"
#include "runtime/kinds.h"

using namespace paramscale::runtime;
using nlohmann::json;

namespace {

const std::string kRecordModel =
    "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx";

json minimal() {
  return json::parse(R"({"latency_ms": {"median": 1.5, "p90": 2},
                         "memory": {"baseline": {"vm_rss": 1000000}, "peak_inference_rss": 3000000}})");
}

}  // namespace

TEST(Kinds, NamesRoundTripAndBadNamesListTheValidOnes) {
  for (RuntimeKind r : {RuntimeKind::kOrt, RuntimeKind::kOpenCv, RuntimeKind::kTorch})
    EXPECT_EQ(*parse_runtime(to_string(r)), r);
  for (OptLevel l : {OptLevel::kDisable, OptLevel::kBasic, OptLevel::kExtended, OptLevel::kAll})
    EXPECT_EQ(*parse_opt_level(to_string(l)), l);
  EXPECT_EQ(opt_level_names(), (std::vector<std::string>{"disable", "basic", "extended", "all"}));
  const auto r = parse_runtime("tvm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().exit_code, 2);
  EXPECT_EQ(r.error().message, "unknown runtime 'tvm' (ort, opencv, torch)");
  EXPECT_EQ(parse_opt_level("max").error().message,
            "unknown optimisation level 'max' (disable, basic, extended, all)");
  EXPECT_FALSE(runtime_named("default").has_value());
  EXPECT_EQ(opt_level_named("basic"), OptLevel::kBasic);
}

TEST(BenchRecord, AMeasuredRecordWritesBackByteForByte) {
  if (!std::ifstream(kRecordModel).good()) GTEST_SKIP() << "libonnx-testdata is not installed";
  MeasureRequest r;
  r.model_path = kRecordModel;
  r.protocol.batch = 2;  // test_Conv2d's batch is fixed at 2
  r.protocol.warmup_runs = 1;
  r.protocol.warmup_ms = 0;
  r.protocol.min_runs = 3;
  r.protocol.min_seconds = 0;
  const auto measured = measure(r);
  ASSERT_TRUE(measured.ok()) << measured.error().message;
  json with_device = *measured;
  with_device["device"] = {{"name", "pi4"}, {"arch", "aarch64"}};
  with_device["model"]["exported_from"] = "runs/x";
  for (const json& original : {*measured, with_device}) {
    const auto rec = BenchRecord::parse(original);
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    EXPECT_EQ(rec->to_json().dump(), original.dump());
  }
  const auto rec = BenchRecord::parse(*measured);
  // Runtime memory = peak during inference - the baseline before the runtime (as the record says).
  const json& mem = (*measured)["memory"];
  EXPECT_EQ(rec->memory.runtime_bytes(),
            mem["peak_inference_rss"].get<int64_t>() - mem["baseline"]["vm_rss"].get<int64_t>());
  EXPECT_EQ(rec->request->backend.runtime_kind(), RuntimeKind::kOrt);
  EXPECT_EQ(rec->device_name(), "local");
  EXPECT_EQ(BenchRecord::parse(with_device)->device_name(), "pi4");
}

TEST(BenchRecord, AMinimalRecordReadsWithItsAbsentFieldsAbsent) {
  const auto rec = BenchRecord::parse(minimal());
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_EQ(rec->latency.stats.median, 1.5);
  EXPECT_EQ(rec->latency.stats.p90, 2.0);
  EXPECT_FALSE(rec->latency.median_ci95.has_value());
  EXPECT_FALSE(rec->request.has_value());
  EXPECT_FALSE(rec->layout.has_value());
  EXPECT_TRUE(rec->validity.timings_valid);
  EXPECT_EQ(rec->memory.runtime_bytes(), 2000000);
}

TEST(BenchRecord, AMissingOrMistypedFieldIsNamed) {
  json no_baseline = minimal();
  no_baseline["memory"]["baseline"].erase("vm_rss");
  json text_p90 = minimal();
  text_p90["latency_ms"]["p90"] = "fast";
  json bad_layout = minimal();
  bad_layout["layout"] = {{"convs", 1.5}};
  for (const auto& [record, field] : {std::pair{no_baseline, "memory.baseline.vm_rss"},
                                      {text_p90, "latency_ms.p90"},
                                      {bad_layout, "layout.convs"},
                                      {json::array(), "(record)"}}) {
    const auto rec = BenchRecord::parse(record);
    ASSERT_FALSE(rec.ok()) << field;
    EXPECT_EQ(rec.error().exit_code, 2);
    EXPECT_NE(rec.error().message.find("'" + std::string(field) + "'"), std::string::npos)
        << rec.error().message;
    EXPECT_EQ(rec.error().message.find('\n'), std::string::npos);
  }
  const auto failed = BenchRecord::parse(json{{"error", {{"message", "cannot load"}}}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "bench failed: cannot load");
}
