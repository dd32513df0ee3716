// study/record: a record is built from bench's real --json output (an array of records with memory
// in stages); runtime_bytes is peak RSS during inference minus the baseline; failures are reported.
#include <gtest/gtest.h>

#include "study/record.h"

using namespace paramscale::study;
using nlohmann::json;

namespace {
// The shape `paramscale bench --json` writes (trimmed to the fields a record uses).
json bench_file() {
  return json::parse(R"([{
    "schema": "paramscale.bench/1",
    "latency_ms": {"median": 0.86, "p90": 1.2, "runs": 30},
    "memory": {"baseline": {"vm_rss": 21385216}, "after_session": {"vm_rss": 83746816},
               "peak_inference_rss": 84205568, "runtime_memory_bytes": 62820352},
    "environment": {"cpu_model": "test cpu"},
    "runtime": {"name": "onnxruntime", "version": "1.30.0", "options": {"threads": 1}},
    "protocol": {"batch": 1},
    "model": {"sha256": "abc", "path": "m.onnx"}}])");
}
}  // namespace

TEST(Record, ReadsBenchJsonArray) {
  const auto r = bench_result(bench_file());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["latency_ms"]["median"], 0.86);
}

TEST(Record, RuntimeBytesIsPeakDuringInferenceMinusBaseline) {
  const auto m = record_memory((*bench_result(bench_file())));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)["runtime_bytes"].get<int64_t>(), 84205568 - 21385216);
  EXPECT_EQ((*m)["after_session"]["vm_rss"], 83746816);  // the stages are kept
}

TEST(Record, EnvironmentNamesRuntimeAndModel) {
  const json e = record_environment(*bench_result(bench_file()));
  EXPECT_EQ(e["cpu_model"], "test cpu");
  EXPECT_EQ(e["runtime"]["version"], "1.30.0");
  EXPECT_EQ(e["model_sha256"], "abc");
  EXPECT_EQ(e["protocol"]["batch"], 1);
}

TEST(Record, MissingMemoryOrFailedBenchIsAnError) {
  json b = *bench_result(bench_file());
  b["memory"].erase("peak_inference_rss");
  const auto m = record_memory(b);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("peak_inference_rss"), std::string::npos);
  const auto failed = bench_result(json::parse(R"([{"error": {"message": "cannot load"}}])"));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("cannot load"), std::string::npos);
}
