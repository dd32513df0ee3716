// sizing/recommend on hand-made candidates (exact), and `paramscale recommend` on hand-made study
// records: ranking, binding constraints, the Pareto front, the nothing-fits message, bad limits.
#include "sizing/recommend.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace paramscale::sizing {
namespace {

const std::vector<Candidate> kNetworks = {
    {"a", 90.0, 10.0, 100.0, 1e6},  // fits; memory binds (33% spare; latency has 50%)
    {"b", 92.0, 18.0, 60.0, 2e6},   // fits; latency binds (10% spare)
    {"c", 95.0, 30.0, 80.0, 4e6},   // too slow
    {"d", 89.0, 12.0, 160.0, 1e6},  // too big (and dominated by a)
    {"e", 91.0, 19.5, 149.0, 2e6},  // fits; latency binds (2.5%; dominated by b)
};

TEST(Recommend, RanksBindsAndFindsTheFront) {
  const auto r = recommend(kNetworks, {20.0, 150.0, std::nullopt});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->by_accuracy);
  ASSERT_EQ(r->ranked.size(), 3u);
  EXPECT_EQ(r->ranked[0].candidate, 1u);  // b 92%
  EXPECT_EQ(r->ranked[1].candidate, 4u);  // e 91%
  EXPECT_EQ(r->ranked[2].candidate, 0u);  // a 90%
  // a: latency 50% spare, memory 33% spare -> memory binds.
  EXPECT_EQ(r->ranked[2].binding, "memory");
  EXPECT_NEAR(r->ranked[2].margin, 1 - 100.0 / 150, 1e-12);
  EXPECT_EQ(r->ranked[2].margin_text, "50.0 MB under 150 MB (33%)");
  EXPECT_EQ(r->ranked[0].binding, "latency");
  EXPECT_EQ(r->ranked[0].margin_text, "2.000 ms under 20 ms (10%)");
  ASSERT_EQ(r->failing.size(), 2u);
  EXPECT_EQ(r->failing[0].broken, (std::vector<std::string>{"latency 30.000 ms > 20 ms (+50%)"}));
  EXPECT_EQ(r->failing[1].broken, (std::vector<std::string>{"memory 160.0 MB > 150 MB (+7%)"}));
  // The front (fastest first): a (fast, small), b, c (most accurate); d is dominated by a, e by b.
  EXPECT_EQ(r->pareto, (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(r->nothing_fits.empty());
}

TEST(Recommend, AccuracyFloorAndNothingFits) {
  auto r = recommend(kNetworks, {20.0, 150.0, 91.5});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->ranked.size(), 1u);
  EXPECT_EQ(r->ranked[0].candidate, 1u);
  EXPECT_EQ(r->ranked[0].binding, "accuracy");  // 0.5 points over: 0.5% spare
  r = recommend(kNetworks, {5.0, 50.0, std::nullopt});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ranked.empty());
  EXPECT_EQ(r->nothing_fits,
            "no measured network meets the limits; the smallest latency measured was 10.000 ms "
            "(a), the smallest runtime memory 60.0 MB (b)");
}

TEST(Recommend, UntrainedAreRankedByLatency) {
  std::vector<Candidate> untrained = kNetworks;
  untrained[2].accuracy.reset();
  const auto r = recommend(untrained, {20.0, 150.0, std::nullopt});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->by_accuracy);
  EXPECT_EQ(r->ranked[0].candidate, 0u);  // a 10 ms
  EXPECT_EQ(r->ranked[1].candidate, 1u);  // b 18 ms
}

TEST(Recommend, BadLimitsAreBadInput) {
  EXPECT_EQ(recommend(kNetworks, {0, 150, std::nullopt}).error().exit_code, 2);
  EXPECT_EQ(recommend(kNetworks, {20, -1, std::nullopt}).error().exit_code, 2);
  EXPECT_EQ(recommend(kNetworks, {20, 150, 101.0}).error().exit_code, 2);
  EXPECT_EQ(recommend({}, {20, 150, std::nullopt}).error().exit_code, 2);
}

// Hand-made study records, as study/record.cc writes them (only the fields recommend reads).
void write_record(const std::string& dir, const std::string& key, const std::string& method,
                  double acc, double median, double memory_bytes, bool valid = true,
                  const std::string& precision = "fp32") {
  nlohmann::json r = {
      {"schema_version", 1},
      {"key", key},
      {"cell",
       {{"model", "vgg11"},
        {"method", method},
        {"budget", key.substr(key.find('.') + 1)},
        {"seed", 0},
        {"runtime", "ort"},
        {"threads", 2},
        {"opt_level", "all"},
        {"align", 1},
        {"device", "local"},
        {"precision", precision},
        {"dataset", "cifar10"}}},
      {"widths", {8, 16, 32, 32, 64, 64, 64, 64}},
      {"analysis", {{"params", 1e6}, {"macs", 1e7}, {"peak_activation_bytes", 1e5}}},
      {"accuracy", {{"best_test", acc}, {"final_test", acc}}},
      {"latency_ms", {{"median", median}, {"p90", median * 1.1}, {"p99", median * 1.3}}},
      {"memory", {{"runtime_bytes", memory_bytes}}},
      {"validity",
       {{"timings_valid", valid},
        {"reasons", valid ? nlohmann::json::array() : nlohmann::json{"emulated: x"}}}}};
  std::ofstream(dir + "/cells/" + key + ".json") << r.dump();
}

TEST(RecommendCli, FromStudyRecords) {
  test::TempDir dir;
  test::run_command("mkdir -p " + (dir / "cells"));
  write_record(dir.path(), "u.p1", "uniform", 90, 10, 100e6);
  write_record(dir.path(), "n.p1", "neuralscale", 92, 18, 60e6);
  write_record(dir.path(), "u.p2", "uniform", 95, 30, 80e6);
  write_record(dir.path(), "n.p2", "neuralscale", 96, 5, 50e6, /*valid=*/false);
  auto r = test::run_paramscale("recommend " + dir.path() +
                                " --max-latency-ms 20 --max-memory-mb 150 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["fits"].size(), 2u);
  EXPECT_EQ(j["fits"][0]["network"], "vgg11 neuralscale p1 (ort t2 all)");
  EXPECT_EQ(j["fits"][1]["binding"], "memory");
  EXPECT_EQ(j["fails"][0]["breaks"][0], "latency 30.000 ms > 20 ms (+50%)");
  EXPECT_EQ(j["left_out_invalid_timings"], 1);
  // p90 binds harder: 18 x 1.1 = 19.8 still fits, 10 x 1.1 fits.
  r = test::run_paramscale("recommend " + dir.path() +
                           " --max-latency-ms 19 --max-memory-mb 150 --metric p90 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["fits"].size(), 1u);
  r = test::run_paramscale("recommend " + dir.path() + " --max-latency-ms 1 --max-memory-mb 10");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no measured network meets the limits; the smallest latency measured was "
                       "10.000 ms"),
            std::string::npos)
      << r.out;
  test::expect_one_line_error(
      test::run_paramscale("recommend " + dir.path() + " --max-latency-ms -3 --max-memory-mb 10"),
      "--max-latency-ms must be a positive number");
  test::expect_one_line_error(test::run_paramscale("recommend " + dir.path() +
                                                   " --max-latency-ms 20 --max-memory-mb 150MB"),
                              "--max-memory-mb");
  test::expect_one_line_error(test::run_paramscale("recommend " + (dir / "nowhere") +
                                                   " --max-latency-ms 20 --max-memory-mb 1"),
                              "no study records");
}

// An INT8 model is its own candidate, named so; --precision keeps one precision.
TEST(RecommendCli, PrecisionFilters) {
  test::TempDir dir;
  test::run_command("mkdir -p " + (dir / "cells"));
  write_record(dir.path(), "u.p1", "uniform", 90, 10, 100e6);
  write_record(dir.path(), "u.p1i", "uniform", 89, 4, 40e6, true, "int8");
  auto r = test::run_paramscale("recommend " + dir.path() +
                                " --max-latency-ms 20 --max-memory-mb 150 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["fits"].size(), 2u);
  r = test::run_paramscale("recommend " + dir.path() +
                           " --max-latency-ms 20 --max-memory-mb 150 --precision int8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["fits"].size(), 1u);
  EXPECT_EQ(j["fits"][0]["network"], "vgg11 uniform p1i INT8 (ort t2 all)");
  test::expect_one_line_error(
      test::run_paramscale("recommend " + dir.path() +
                           " --max-latency-ms 20 --max-memory-mb 150 --precision int4"),
      "--precision");
}

}  // namespace
}  // namespace paramscale::sizing
