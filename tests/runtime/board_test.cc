// runtime/board: vcgencmd parsing and the throttling verdict, and that reading this board works.
#include "runtime/board.h"

#include <gtest/gtest.h>

#include "runtime/environment.h"
#include "runtime/measure.h"

namespace paramscale::runtime {
namespace {

TEST(Board, ParsesVcgencmdThrottled) {
  EXPECT_EQ(parse_vcgencmd_throttled("throttled=0x0\n"), 0u);
  EXPECT_EQ(parse_vcgencmd_throttled("throttled=0x50005"), 0x50005u);
  EXPECT_EQ(parse_vcgencmd_throttled("throttled=0x80000 \n"), 0x80000u);
  EXPECT_FALSE(parse_vcgencmd_throttled(""));
  EXPECT_FALSE(parse_vcgencmd_throttled("error=1 error_msg=\"Command not registered\""));
  EXPECT_FALSE(parse_vcgencmd_throttled("throttled=0xZZ"));
  EXPECT_FALSE(parse_vcgencmd_throttled("throttled=12"));
}

BoardState pi(uint32_t bits) {
  BoardState s;
  s.firmware_throttled = bits;
  return s;
}

TEST(Board, FirmwareFlagsDecide) {
  EXPECT_FALSE(judge_throttling(pi(0), pi(0)).throttled);
  // Throttled right now after the runs.
  auto v = judge_throttling(pi(0), pi(0x4));
  EXPECT_TRUE(v.throttled);
  EXPECT_EQ(v.method, "vcgencmd");
  EXPECT_NE(v.detail.find("throttled"), std::string::npos);
  // A sticky "soft temperature limit has occurred" bit that appeared during the runs.
  v = judge_throttling(pi(0), pi(0x80000));
  EXPECT_TRUE(v.throttled);
  EXPECT_NE(v.detail.find("soft temperature limit"), std::string::npos);
  // The same sticky bit already set before (an earlier event): not this measurement's.
  EXPECT_FALSE(judge_throttling(pi(0x80000), pi(0x80000)).throttled);
  // Under-voltage now.
  EXPECT_NE(judge_throttling(pi(0), pi(0x1)).detail.find("under-voltage"), std::string::npos);
}

TEST(Board, X86CountersAndNoSource) {
  BoardState a, b;
  a.throttle_events = 10;
  b.throttle_events = 10;
  EXPECT_FALSE(judge_throttling(a, b).throttled);
  b.throttle_events = 12;
  const auto v = judge_throttling(a, b);
  EXPECT_TRUE(v.throttled);
  EXPECT_EQ(v.detail, "2 CPU throttle event(s) during the measurement");
  const auto none = judge_throttling(BoardState{}, BoardState{});
  EXPECT_FALSE(none.throttled);
  EXPECT_EQ(none.method, "none");
}

TEST(Board, ReadsThisMachineAndValidity) {
  const nlohmann::json j = to_json(read_board_state());
  EXPECT_TRUE(j.contains("temperatures_c"));
  EXPECT_TRUE(j.contains("governor"));
  const nlohmann::json env = environment();
  EXPECT_EQ(env["emulated"], false);  // this test binary runs natively
  EXPECT_EQ(env["build_arch"], build_arch());
  EXPECT_GT(env["mem_total_bytes"].get<int64_t>(), 0);
  auto validity = timing_validity(env, {});
  EXPECT_EQ(validity["timings_valid"], true);
  nlohmann::json emulated = env;
  emulated["emulated"] = true;
  emulated["build_arch"] = "aarch64";
  emulated["kernel_arch"] = "x86_64";
  validity = timing_validity(emulated, {true, "vcgencmd", "throttled during the measurement"});
  EXPECT_EQ(validity["timings_valid"], false);
  ASSERT_EQ(validity["reasons"].size(), 2u);
  EXPECT_EQ(
      validity["reasons"][0].get<std::string>().rfind("emulated: aarch64 binary on a x86_64", 0),
      0u);
  EXPECT_EQ(validity["reasons"][1], "throttled: throttled during the measurement");
}

}  // namespace
}  // namespace paramscale::runtime
