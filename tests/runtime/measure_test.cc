// runtime/measure + runtime/child: the protocol in a fresh child process returns a sane record,
// and the parent survives children that crash or exit without a result. Never asserts timings.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "runtime/child.h"
#include "runtime/measure.h"

using namespace paramscale::runtime;

namespace {

const std::string kModel =
    "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx";

MeasureRequest small_request(const std::string& runtime) {
  MeasureRequest r;
  r.model_path = kModel;
  r.backend.runtime = runtime;
  r.backend.threads = 1;
  r.protocol.batch = 2;  // test_Conv2d's batch is fixed at 2
  r.protocol.warmup_runs = 3;
  r.protocol.warmup_ms = 0;
  r.protocol.min_runs = 25;
  r.protocol.min_seconds = 0.05;
  return r;
}

std::string script(const std::string& name, const std::string& body) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
  return path;
}

}  // namespace

class MeasureInChild : public ::testing::TestWithParam<const char*> {};

TEST_P(MeasureInChild, RecordIsSane) {
  if (!std::ifstream(kModel).good()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const auto r = measure_in_child(small_request(GetParam()), PARAMSCALE_BINARY);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& j = *r;
  EXPECT_EQ(j["schema"], kRecordSchema);
  const auto& l = j["latency_ms"];
  EXPECT_GE(l["runs"].get<int>(), 25);
  EXPECT_EQ(j["timings_ms"].size(), l["runs"].get<size_t>());
  EXPECT_GE(j["warmup"]["runs"].get<int>(), 3);
  EXPECT_GT(l["min"].get<double>(), 0);
  EXPECT_LE(l["min"], l["median"]);
  EXPECT_LE(l["median"], l["p90"]);
  EXPECT_LE(l["p90"], l["p95"]);
  EXPECT_LE(l["p95"], l["p99"]);
  EXPECT_LE(l["p99"], l["max"]);
  const auto& m = j["memory"];
  for (const char* stage :
       {"baseline", "after_runtime_init", "after_session", "after_warmup", "after_runs"})
    EXPECT_GT(m[stage]["vm_rss"].get<int64_t>(), 0) << stage;
  EXPECT_GE(m["peak_inference_rss"].get<int64_t>(), m["after_runs"]["vm_rss"].get<int64_t>());
  EXPECT_EQ(m["runtime_memory_bytes"].get<int64_t>(),
            m["peak_inference_rss"].get<int64_t>() - m["baseline"]["vm_rss"].get<int64_t>());
  EXPECT_TRUE(m["hwm_reset"].contains("ok"));
  EXPECT_TRUE(m["allocator_stats"].contains("available"));
  EXPECT_EQ(j["model"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["model"]["input_shape"][0], 2);
  EXPECT_FALSE(j["runtime"]["version"].get<std::string>().empty());
  EXPECT_FALSE(j["environment"]["cpu_model"].get<std::string>().empty());
  EXPECT_FALSE(j["environment"]["compiler"].get<std::string>().empty());
  if (std::string(GetParam()) == "ort") {
    EXPECT_EQ(j["layout"]["convs"], 1);  // one Conv node; whether it is NCHWc depends on the CPU
    EXPECT_EQ(j["runtime"]["options"]["graph_optimization_level"], "all");
  }
}

INSTANTIATE_TEST_SUITE_P(Runtimes, MeasureInChild, ::testing::Values("ort", "opencv"));

TEST(MeasureInChild, BadModelKeepsChildsMessageAndCode) {
  MeasureRequest r = small_request("ort");
  r.model_path = ::testing::TempDir() + "/truncated.onnx";
  std::ofstream(r.model_path) << "\x08\x07\x12\x07pytorch\x1a";  // a cut-off ModelProto
  const auto out = measure_in_child(r, PARAMSCALE_BINARY);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().exit_code, 2);
  EXPECT_NE(out.error().message.find("truncated.onnx"), std::string::npos) << out.error().message;
}

TEST(MeasureInChild, ParentSurvivesCrash) {
  const auto out =
      measure_in_child(small_request("ort"), script("crash.sh", "echo dying >&2; kill -SEGV $$"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().exit_code, 1);
  EXPECT_NE(out.error().message.find("signal 11"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("dying"), std::string::npos) << out.error().message;
}

TEST(MeasureInChild, ExitWithoutResultIsAFailure) {
  const auto out = measure_in_child(small_request("ort"), script("quiet.sh", "exit 3"));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("status 3 without a result"), std::string::npos)
      << out.error().message;
}

TEST(MeasureInChild, HungChildIsKilledAtTheTimeout) {
  const auto out = measure_in_child(small_request("ort"), script("hang.sh", "exec sleep 60"), 0.5);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().exit_code, 1);
  EXPECT_NE(out.error().message.find("did not finish within 0.5 s"), std::string::npos)
      << out.error().message;
}

TEST(MeasureInChild, MissingExecutableIsAFailure) {
  const auto out = measure_in_child(small_request("ort"), "/nonexistent/paramscale");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().exit_code, 1);
}

TEST(Measure, SeededInputIsReproducibleAndInRange) {
  const auto a = seeded_input(1000, 7), b = seeded_input(1000, 7), c = seeded_input(1000, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (float x : a) EXPECT_TRUE(x >= -1.0f && x < 1.0f);
}

TEST(Measure, RequestRoundTripsThroughJson) {
  MeasureRequest r = small_request("opencv");
  r.backend.opt_level = "extended";
  r.backend.arena = false;
  r.protocol.seed = 99;
  const auto back = request_from_json(request_to_json(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(request_to_json(*back), request_to_json(r));
  EXPECT_FALSE(request_from_json(nlohmann::json{{"model", "x"}}).ok());
}

TEST(Measure, ZeroMinRunsIsBadInput) {
  MeasureRequest r = small_request("ort");
  r.protocol.min_runs = 0;
  const auto out = measure(r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().exit_code, 2);
}
