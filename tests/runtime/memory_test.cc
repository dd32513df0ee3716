// runtime/memory: parsing /proc/<pid>/status text, and the live probe on this machine.
#include "runtime/memory.h"

#include <gtest/gtest.h>

#include <vector>

using namespace paramscale::runtime;

TEST(Memory, ParsesStatusText) {
  const std::string text =
      "Name:\tparamscale\nUmask:\t0022\nVmPeak:\t  123456 kB\nVmSize:\t  120000 kB\n"
      "VmLck:\t       0 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t1\n";
  const auto m = parse_proc_status(text);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->rss, 10240 * 1024);
  EXPECT_EQ(m->hwm, 20480 * 1024);
  EXPECT_EQ(m->size, 120000 * 1024);
  EXPECT_EQ(m->peak, 123456 * 1024);
}

TEST(Memory, MissingFieldsAreAnError) {
  const auto m = parse_proc_status("Name:\tx\nVmRSS:\t 10 kB\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("VmHWM"), std::string::npos);
}

TEST(Memory, MalformedValueIsAnError) {
  const auto m = parse_proc_status("VmRSS:\t abc kB\nVmHWM:\t 10 kB\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("VmRSS"), std::string::npos);
  EXPECT_FALSE(parse_proc_status("VmRSS:\t 10 MB\nVmHWM:\t 10 kB\n").ok());
}

TEST(Memory, LiveProbeIsConsistent) {
  const auto m = read_proc_memory();
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_GT(m->rss, 0);
  EXPECT_GE(m->hwm, m->rss);
  // Raise the peak by 64 MiB of touched memory, free it, then reset: the peak must fall back.
  {
    std::vector<char> block(64 << 20, 1);
    volatile char sink = block[block.size() / 2];
    (void)sink;
  }
  const auto high = read_proc_memory();
  ASSERT_TRUE(high.ok());
  EXPECT_GE(high->hwm, m->rss + (48 << 20));
  const PeakReset r = reset_peak_rss();
  EXPECT_FALSE(r.detail.empty());
  if (r.ok) {
    const auto after = read_proc_memory();
    ASSERT_TRUE(after.ok());
    // Right after a reset the peak is the current RSS (ASan keeps freed memory resident, so
    // comparing with the earlier peak would not hold there).
    EXPECT_LE(after->hwm, after->rss + (4 << 20));
  }
}
