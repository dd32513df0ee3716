// The blocked-layout fraction (issue 8) on two small VGG-11 networks whose answer is known: with
// every width a multiple of 8, ONNX Runtime (level "all", x86-64 with AVX2: NCHWc block 8, or 16
// with AVX-512, which still converts multiples of 8) runs every convolution in NCHWc; make the
// first width 7 and the convolutions that produce or consume it stay in the plain layout.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "arch/families.h"
#include "arch/weights.h"
#include "export/onnx_export.h"
#include "runtime/measure.h"

using namespace paramscale;

namespace {

double nchwc_fraction(const std::vector<int>& widths, const std::string& dir, int* convs) {
  const auto net =
      *arch::build_network(arch::Family::VGG11, *arch::dataset_preset("cifar10"), widths);
  const std::string path = dir + "/vgg11.onnx";
  EXPECT_TRUE(onnx_export::write_onnx(path, net, arch::random_weights(net, 3)).ok());
  runtime::MeasureRequest r;
  r.model_path = path;
  r.backend.runtime = "ort";
  r.backend.opt_level = "all";
  r.protocol.warmup_runs = 1;
  r.protocol.warmup_ms = 0;
  r.protocol.min_runs = 2;
  r.protocol.min_seconds = 0;
  const auto rec = runtime::measure(r);
  EXPECT_TRUE(rec.ok()) << rec.error().message;
  if (!rec.ok()) return -1;
  *convs = (*rec)["layout"]["convs"];
  return (*rec)["layout"]["nchwc_fraction"];
}

}  // namespace

TEST(BlockedLayout, MultiplesOfEightAreAllNchwcAWidthOf30IsNot) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx2"))
    GTEST_SKIP() << "ONNX Runtime's NCHWc kernels need AVX2; this CPU lacks it";
#else
  GTEST_SKIP() << "ONNX Runtime's NCHWc layout is x86-64 only";
#endif
  char tmpl[] = "/tmp/paramscale-layout-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  int convs = 0;
  EXPECT_EQ(nchwc_fraction({16, 32, 64, 64, 128, 128, 128, 128}, dir, &convs), 1.0);
  EXPECT_EQ(convs, 8);
  const double with_30 = nchwc_fraction({16, 30, 64, 64, 128, 128, 128, 128}, dir, &convs);
  EXPECT_EQ(convs, 8);
  EXPECT_GT(with_30, 0.0);
  EXPECT_LT(with_30, 1.0);
  std::remove((dir + "/vgg11.onnx").c_str());
  rmdir(dir.c_str());
}
