#include <gtest/gtest.h>

#include "scaling/budget.h"

using namespace paramscale;
using namespace paramscale::scaling;

TEST(Budget, ParsesBothForms) {
  auto w = parse_budget("width:0.25");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->kind, BudgetKind::Width);
  EXPECT_DOUBLE_EQ(w->value, 0.25);
  EXPECT_EQ(w->text(), "width:0.25");
  auto p = parse_budget("params:1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, BudgetKind::Params);
  EXPECT_EQ(p->text(), "params:1");
}

TEST(Budget, RejectsMalformedAndImpossible) {
  for (const char* bad : {"", "0.5", "width", "width:", "width:x", "params:0.5x", "params:-0.1",
                          "params:0", "width:inf", "params:nan", "size:0.5", "params:65"}) {
    auto r = parse_budget(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().exit_code, 2);
      EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
    }
  }
}

TEST(Budget, CountModes) {
  EXPECT_EQ(*parse_count_mode("true"), CountMode::True);
  EXPECT_EQ(*parse_count_mode("proxy"), CountMode::Proxy);
  EXPECT_FALSE(parse_count_mode("exact").ok());
}

TEST(Budget, UniformWidthsFloorAndNeverBelowOne) {
  EXPECT_EQ(uniform_widths({64, 128, 3}, 0.25), (std::vector<int>{16, 32, 1}));
  EXPECT_EQ(uniform_widths({64, 10}, 0.01), (std::vector<int>{1, 1}));
  EXPECT_EQ(uniform_widths({24, 1280}, 0.75), (std::vector<int>{18, 960}));
}

TEST(Budget, TargetsPerForm) {
  const auto d = *arch::dataset_preset("cifar10");
  // width:r -> the uniform floor(base*r) network's count.
  EXPECT_EQ(target_params(arch::Family::VGG11, d, *parse_budget("width:1"), CountMode::True), 9231114);
  const std::vector<int> quarter = {16, 32, 64, 64, 128, 128, 128, 128};
  EXPECT_EQ(target_params(arch::Family::VGG11, d, *parse_budget("width:0.25"), CountMode::True),
            count_params(arch::Family::VGG11, d, quarter, CountMode::True));
  // params:p -> p x the 1.0x count, rounded.
  EXPECT_EQ(target_params(arch::Family::VGG11, d, *parse_budget("params:0.5"), CountMode::True), 4615557);
  EXPECT_EQ(target_params(arch::Family::MobileNetV2, d, *parse_budget("params:1"), CountMode::Proxy),
            2333410 - 768);
}
