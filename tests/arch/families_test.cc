#include <gtest/gtest.h>

#include "arch/analysis.h"
#include "arch/families.h"

using namespace paramscale::arch;

namespace {
Network base(Family f, const std::string& dataset) {
  return *build_network(f, *dataset_preset(dataset), base_widths(f));
}
}  // namespace

// The reference README's true parameter counts at 1.0x, all eleven family/dataset pairs.
TEST(Families, TrueParamCountsMatchReference) {
  EXPECT_EQ(param_count(base(Family::VGG11, "cifar10")), 9231114);
  EXPECT_EQ(param_count(base(Family::VGG11, "cifar100")), 9277284);
  EXPECT_EQ(param_count(base(Family::PreActResNet18, "cifar10")), 11172170);
  EXPECT_EQ(param_count(base(Family::PreActResNet18, "cifar100")), 11218340);
  EXPECT_EQ(param_count(base(Family::PreActResNet18, "tinyimagenet")), 11273736);
  EXPECT_EQ(param_count(base(Family::MobileNetV2, "cifar10")), 2333410);
  EXPECT_EQ(param_count(base(Family::MobileNetV2, "cifar100")), 2448700);
  EXPECT_EQ(param_count(base(Family::MobileNetV2, "tinyimagenet")), 2576800);
  EXPECT_EQ(param_count(base(Family::ResNet50, "cifar10")), 23520842);
  EXPECT_EQ(param_count(base(Family::ResNet50, "cifar100")), 23705252);
}

TEST(Families, MacsAtFullWidthOnCifar10) {
  EXPECT_EQ(analyze(base(Family::VGG11, "cifar10")).macs, 152769536);
  EXPECT_EQ(analyze(base(Family::PreActResNet18, "cifar10")).macs, 555422720);
  EXPECT_EQ(analyze(base(Family::MobileNetV2, "cifar10")).macs, 26578944);
  EXPECT_EQ(analyze(base(Family::ResNet50, "cifar10")).macs, 1297829888);
}
