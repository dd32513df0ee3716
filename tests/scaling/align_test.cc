// Width alignment (issue 8): the rounding rule, auto K from /proc/cpuinfo text, and aligned budget
// solves for uniform scaling and NeuralScale with exact, hand-computed widths.
#include "scaling/align.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reference_data.h"
#include "scaling/fit_file.h"
#include "scaling/neuralscale.h"
#include "scaling/uniform.h"

namespace paramscale::scaling {
namespace {

TEST(Align, NearestMultipleHalvesUpNeverBelowK) {
  // k = 8: 1..3 -> 8 (never below K), 4 -> 8 (half, up), 11 -> 8, 12 -> 16 (half, up), 13 -> 16,
  // 19 -> 16, 20 -> 24, 64 -> 64.
  const std::vector<std::pair<int, int>> k8 = {{1, 8},   {3, 8},     {4, 8},    {11, 8},
                                               {12, 16}, {13, 16},   {19, 16},  {20, 24},
                                               {64, 64}, {211, 208}, {212, 216}};
  for (const auto& [w, want] : k8) EXPECT_EQ(align_width(w, 8), want) << w;
  EXPECT_EQ(align_width(7, 1), 7);  // K = 1: identity
  EXPECT_EQ(align_width(1, 1), 1);
  EXPECT_EQ(align_width(5, 4), 4);
  EXPECT_EQ(align_width(6, 4), 8);
  EXPECT_EQ(align_width(10, 3), 9);   // odd K: no ties; 10 is 1 from 9, 2 from 12
  EXPECT_EQ(align_width(11, 3), 12);  // 11 is 2 from 9, 1 from 12
  EXPECT_EQ(align_width(24, 16), 32);
  EXPECT_EQ(align_width(23, 16), 16);
  EXPECT_EQ(align_width(1 << 30, 16), 1 << 30);  // no overflow near the clamp
  EXPECT_EQ(align_widths({3, 12, 100}, 8), (std::vector<int>{8, 16, 104}));
}

TEST(Align, ParseAcceptsPositiveIntegersAndAuto) {
  EXPECT_EQ(parse_align("1")->k, 1);
  EXPECT_EQ(parse_align("8")->k, 8);
  EXPECT_EQ(parse_align("8")->requested, "8");
  const auto a = parse_align("auto");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->requested, "auto");
  EXPECT_GE(a->k, 1);
  EXPECT_FALSE(a->reason.empty());
  for (const char* bad : {"0", "-3", "x", "", "8x", "1.5", "99999", "4097"}) {
    const auto r = parse_align(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("--align"), std::string::npos) << r.error().message;
  }
}

TEST(Align, AutoFollowsOrtNchwcBlockSize) {
  const std::string avx512 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 avx512f avx512bw\n";
  const std::string avx2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n";
  const std::string sse = "processor\t: 0\nflags\t\t: fpu sse2\n";
  const std::string arm = "processor\t: 0\nFeatures\t: fp asimd evtstrm crc32\n";
  EXPECT_EQ(auto_alignment(avx512, "x86_64").k, 16);
  EXPECT_EQ(auto_alignment(avx2, "x86_64").k, 8);
  EXPECT_EQ(auto_alignment(sse, "x86_64").k, 8);  // MLAS's SSE2 baseline already blocks by 8
  EXPECT_EQ(auto_alignment(arm, "aarch64").k, 4);
  EXPECT_EQ(auto_alignment(arm, "riscv64").k, 1);
  EXPECT_NE(auto_alignment(avx512, "x86_64").reason.find("avx512f"), std::string::npos);
  // A flag that only appears as a prefix of another does not count.
  EXPECT_EQ(auto_alignment("flags\t: avx512fx\n", "x86_64").k, 8);
}

// VGG-11 on CIFAR-10, true count: sum over convs of in*out*9 + 3*out (bias + BN), + 10*w8 + 10.
const arch::DatasetShape& cifar10() {
  static const arch::DatasetShape d = *arch::dataset_preset("cifar10");
  return d;
}

TEST(AlignedUniform, WidthBudgetAlreadyAlignedIsUnchanged) {
  // floor(base * 0.25) = 16, 32, 64, 64, 128, ... are multiples of 8: the solve lands exactly.
  auto s = scale_uniform(arch::Family::VGG11, cifar10(), Budget{BudgetKind::Width, 0.25},
                         CountMode::True, 8);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->widths, (std::vector<int>{16, 32, 64, 64, 128, 128, 128, 128}));
  EXPECT_EQ(s->relative_error, 0.0);
}

TEST(AlignedUniform, HandComputedParamsBudget) {
  // Target llround(0.05 * 9,231,114) = 461,556. Aligned to 8, the multiplier steps give
  // [16,32,56,56,112 x4] = 447,482 (below, 3.0% off) and [16,32,56,56,120 x4] = 501,802 (above):
  // the lower one is closer. Refinement: +8 on width 3 (or 4) adds 56*8*9 + 24 + 8*112*9 = 12,120
  // (0.42% off, within 0.5%), +8 on width 5 adds 16,152 (0.45% over): width 3 it is.
  auto s = scale_uniform(arch::Family::VGG11, cifar10(), Budget{BudgetKind::Params, 0.05},
                         CountMode::True, 8);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->target_params, 461556);
  EXPECT_EQ(s->widths, (std::vector<int>{16, 32, 56, 64, 112, 112, 112, 112}));
  EXPECT_EQ(s->params, 459602);
}

TEST(AlignedUniform, HandComputedWidthBudget) {
  // width:0.1 = [6,12,25,25,51 x4], target 92,173; aligned candidates [8,16,24,24,48 x4] = 83,866
  // and [8,16,24,24,56 x4] = 108,234: the lower one is closer (9% off). Refinement: +8 on width 5
  // adds 48*8*9 + 24 + 8*48*9 = 6,936 (90,802, 1.5% off), then +8 on width 0 adds 3*8*9 + 24 +
  // 8*16*9 = 1,392 (92,194, 0.02% off).
  auto s = scale_uniform(arch::Family::VGG11, cifar10(), Budget{BudgetKind::Width, 0.1},
                         CountMode::True, 8);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->target_params, 92173);
  EXPECT_EQ(s->widths, (std::vector<int>{16, 16, 24, 24, 48, 56, 48, 48}));
  EXPECT_EQ(s->params, 92194);
}

TEST(AlignedNeuralScale, HandComputedEqualLaws) {
  // alpha = 1, beta = 0.5 for all 8 widths: every width is floor(sqrt(tau)), aligned to 8 all equal
  // to w = 8m, and the count is 63 w^2 + 61 w + 10. Target llround(0.01 * 9,231,114) = 92,311:
  // w = 32 gives 66,474, w = 40 gives 103,250 (closer, 11.9% over). Refinement: -8 on width 1
  // removes 40*8*9 + 24 + 8*40*9 = 5,784 (97,466, 5.6% over), then -8 on width 2 removes
  // 32*8*9 + 24 + 8*40*9 = 5,208 (92,258, 0.06% under).
  PowerLaws laws;
  laws.alpha.assign(8, 1.0);
  laws.beta.assign(8, 0.5);
  auto s = scale_neuralscale(arch::Family::VGG11, cifar10(), laws, Budget{BudgetKind::Params, 0.01},
                             CountMode::True, TauRule::Closest, 8);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->widths, (std::vector<int>{40, 32, 32, 40, 40, 40, 40, 40}));
  EXPECT_EQ(s->params, 92258);
  EXPECT_EQ(s->target_params, 92311);
  // Unaligned, the same laws land on w = 37 (63*37^2 + 61*37 + 10 = 88,514) or 38 (93,300).
  auto u = scale_neuralscale(arch::Family::VGG11, cifar10(), laws, Budget{BudgetKind::Params, 0.01},
                             CountMode::True, TauRule::Closest, 1);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->widths, std::vector<int>(8, 38));
  EXPECT_EQ(u->params, 93300);
}

TEST(RefineAligned, MovesTheLayerThatBestClosesTheGap) {
  const auto sum = [](const std::vector<int>& w) {
    int64_t n = 0;
    for (int x : w) n += x;
    return n;
  };
  // Start 24 for target 41: +8 on one layer (the first, on a tie) gives 32, then 40 (2.4% off);
  // 48 would be further off, so it stops there.
  EXPECT_EQ(refine_aligned({8, 8, 8}, 8, 41, sum), (std::vector<int>{24, 8, 8}));
  // Within the tolerance: unchanged. Never below K.
  EXPECT_EQ(refine_aligned({8, 16, 8}, 8, 32, sum), (std::vector<int>{8, 16, 8}));
  EXPECT_EQ(refine_aligned({8, 16, 8}, 8, 8, sum), (std::vector<int>{8, 8, 8}));
  EXPECT_EQ(refine_aligned({8, 16, 8}, 1, 8, sum), (std::vector<int>{8, 16, 8}));  // K = 1: no-op
}

TEST(AlignedNeuralScale, OtherTauRulesAreRejected) {
  PowerLaws laws;
  laws.alpha.assign(8, 1.0);
  laws.beta.assign(8, 0.5);
  for (TauRule rule : {TauRule::Unfloored, TauRule::Paper}) {
    auto s = scale_neuralscale(arch::Family::VGG11, cifar10(), laws, Budget{BudgetKind::Width, 0.5},
                               CountMode::True, rule, 8);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("cannot be combined with alignment"), std::string::npos);
  }
}

// Issue 8's acceptance: with the published fits (last iteration), aligned NeuralScale (K = 8)
// stays within 1% of every budget width:0.25..1.0 and every width is a multiple of 8.
TEST(AlignedNeuralScale, PublishedFitsWithinOnePercent) {
  if (test::neuralscale_dir().empty()) GTEST_SKIP() << "NeuralScale reference data not found";
  const std::vector<std::tuple<arch::Family, const char*, const char*>> cases = {
      {arch::Family::VGG11, "vgg11_cifar10", "cifar10"},
      {arch::Family::MobileNetV2, "mobilenetv2_cifar100", "cifar100"},
      {arch::Family::PreActResNet18, "preact_resnet18_cifar100", "cifar100"}};
  for (const auto& [family, file, ds] : cases) {
    const auto fit = read_fit_file(test::neuralscale_dir() + "/fits/" + file + ".json");
    ASSERT_TRUE(fit.ok()) << fit.error().message;
    const auto laws = select_iteration(*fit, 0, family, file);
    ASSERT_TRUE(laws.ok()) << laws.error().message;
    const arch::DatasetShape d = *arch::dataset_preset(ds);
    for (double r : {0.25, 0.5, 0.75, 1.0}) {
      for (CountMode mode : {CountMode::True, CountMode::Proxy}) {
        auto s = scale_neuralscale(family, d, *laws, Budget{BudgetKind::Width, r}, mode,
                                   TauRule::Closest, 8);
        ASSERT_TRUE(s.ok()) << file << " " << r << ": " << s.error().message;
        // At MobileNetV2 width:0.25/0.5 one aligned step of a block width moves ~6 x 8 expansion
        // channels and the scalar solve alone lands 1.5% (true, 0.25) and 1.3% (proxy, 0.5) off;
        // refine_aligned's single-layer moves close that.
        EXPECT_LT(std::fabs(s->relative_error), 0.01) << file << " width:" << r;
        EXPECT_EQ(s->params, count_params(family, d, s->widths, mode));
        for (int w : s->widths) EXPECT_EQ(w % 8, 0) << file << " width:" << r << " w=" << w;
      }
    }
  }
}

}  // namespace
}  // namespace paramscale::scaling
