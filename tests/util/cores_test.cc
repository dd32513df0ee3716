// util/cores: "every core" is the CPUs this process may run on, not the machine's count.
#include "util/cores.h"

#include <gtest/gtest.h>
#include <sched.h>

namespace paramscale {
namespace {

// Restricted to one CPU (as taskset, a cpuset or a Slurm allocation does), every core is one core
// — on a machine with more, the machine's CPU count would say otherwise.
TEST(UsableCores, FollowsARestrictedMask) {
  cpu_set_t all;
  CPU_ZERO(&all);
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const int n = usable_cores();
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace paramscale
