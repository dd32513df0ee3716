#include <gtest/gtest.h>

#include <cmath>

#include "scaling/uniform.h"

using namespace paramscale;
using namespace paramscale::scaling;

TEST(Uniform, WidthBudgetIsExactFloor) {
  const auto d = *arch::dataset_preset("cifar10");
  auto s = scale_uniform(arch::Family::MobileNetV2, d, *parse_budget("width:0.5"), CountMode::True);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->widths, uniform_widths(arch::base_widths(arch::Family::MobileNetV2), 0.5));
  EXPECT_EQ(s->relative_error, 0.0);
}

// params:p lands within 1% of p x the 1.0x count for every family and the study's budgets, and no
// other multiplier's floored widths would land closer (checked on a fine grid of multipliers).
TEST(Uniform, ParamsBudgetComesClosest) {
  for (const std::string ds : {"cifar10", "fashion-mnist"}) {
    const auto d = *arch::dataset_preset(ds);
    for (arch::Family f : arch::all_families()) {
      for (double p : {0.25, 0.5, 0.75, 1.0}) {
        const Budget b{BudgetKind::Params, p};
        auto s = scale_uniform(f, d, b, CountMode::True);
        ASSERT_TRUE(s.ok()) << s.error().message;
        const int64_t target = target_params(f, d, b, CountMode::True);
        EXPECT_EQ(s->target_params, target);
        EXPECT_LT(std::fabs(s->relative_error), 0.01) << arch::family_name(f) << " " << p;
        EXPECT_EQ(s->params, count_params(f, d, s->widths, CountMode::True));
        const int64_t err = std::llabs(s->params - target);
        const auto base = arch::base_widths(f);
        for (double r = std::sqrt(p) - 0.05; r < std::sqrt(p) + 0.05; r += 0.0005) {
          const int64_t other = count_params(f, d, uniform_widths(base, r), CountMode::True);
          EXPECT_LE(err, std::llabs(other - target)) << arch::family_name(f) << " p=" << p << " r=" << r;
        }
      }
    }
  }
}

TEST(Uniform, FullBudgetGivesBaseWidths) {
  const auto d = *arch::dataset_preset("cifar100");
  for (arch::Family f : arch::all_families()) {
    auto s = scale_uniform(f, d, Budget{BudgetKind::Params, 1.0}, CountMode::True);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->widths, arch::base_widths(f)) << arch::family_name(f);
    EXPECT_EQ(s->relative_error, 0.0);
  }
}

TEST(Uniform, BudgetBelowSmallestNetworkIsAnError) {
  const auto d = *arch::dataset_preset("cifar10");
  auto s = scale_uniform(arch::Family::VGG11, d, Budget{BudgetKind::Params, 1e-6}, CountMode::True);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("below the smallest network"), std::string::npos);
}
