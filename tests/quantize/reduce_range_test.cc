// quantize/reduce_range: ONNX Runtime's rule for 7-bit weights, every branch, and this CPU.
#include "quantize/reduce_range.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace paramscale::quantize {
namespace {

TEST(ReduceRange, AutoFollowsTheCpu) {
  EXPECT_TRUE(decide_reduce_range(ReduceRange::Auto, {"x86_64", false, false}).reduce);
  EXPECT_FALSE(decide_reduce_range(ReduceRange::Auto, {"x86_64", true, false}).reduce);
  EXPECT_FALSE(decide_reduce_range(ReduceRange::Auto, {"x86_64", false, true}).reduce);
  EXPECT_FALSE(decide_reduce_range(ReduceRange::Auto, {"aarch64", false, false}).reduce);
  const auto no_vnni = decide_reduce_range(ReduceRange::Auto, {"x86_64", false, false});
  EXPECT_NE(no_vnni.reason.find("no VNNI"), std::string::npos) << no_vnni.reason;
  const auto vnni = decide_reduce_range(ReduceRange::Auto, {"x86_64", true, false});
  EXPECT_NE(vnni.reason.find("AVX512-VNNI"), std::string::npos) << vnni.reason;
  const auto arm = decide_reduce_range(ReduceRange::Auto, {"aarch64", false, false});
  EXPECT_NE(arm.reason.find("aarch64"), std::string::npos) << arm.reason;
}

TEST(ReduceRange, OnAndOffOverrideTheCpu) {
  EXPECT_TRUE(decide_reduce_range(ReduceRange::On, {"aarch64", false, false}).reduce);
  EXPECT_FALSE(decide_reduce_range(ReduceRange::Off, {"x86_64", false, false}).reduce);
  EXPECT_TRUE(parse_reduce_range("auto").ok());
  const auto bad = parse_reduce_range("maybe");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'maybe'"), std::string::npos);
}

TEST(ReduceRange, DetectionAgreesWithTheKernelsFlags) {
  // /proc/cpuinfo lists avx512_vnni / avx_vnni where the CPU and kernel support them.
  const CpuFeatures cpu = detect_cpu();
#if defined(__x86_64__)
  EXPECT_EQ(cpu.arch, "x86_64");
  FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (!f) GTEST_SKIP() << "no /proc/cpuinfo";
  std::string text;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  const size_t flags = text.find("\nflags");
  const std::string line = text.substr(flags, text.find('\n', flags + 1) - flags) + " ";
  EXPECT_EQ(cpu.avx512_vnni, line.find(" avx512_vnni ") != std::string::npos);
  EXPECT_EQ(cpu.avx_vnni, line.find(" avx_vnni ") != std::string::npos);
#else
  EXPECT_FALSE(cpu.avx512_vnni);
  EXPECT_FALSE(cpu.avx_vnni);
#endif
}

}  // namespace
}  // namespace paramscale::quantize
