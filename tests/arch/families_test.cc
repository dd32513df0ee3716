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

TEST(Families, WidthOrderAndNamesAgree) {
  for (Family f : all_families()) {
    EXPECT_EQ(base_widths(f).size(), width_names(f).size()) << family_name(f);
  }
  EXPECT_EQ(base_widths(Family::VGG11).size(), 8u);
  EXPECT_EQ(base_widths(Family::PreActResNet18).size(), 17u);
  EXPECT_EQ(base_widths(Family::MobileNetV2).size(), 19u);
  EXPECT_EQ(base_widths(Family::ResNet50).size(), 49u);
  EXPECT_EQ(width_names(Family::MobileNetV2)[3], "stage2b");
  EXPECT_EQ(width_names(Family::ResNet50)[48], "layer4.2.out");
}

TEST(Families, EveryScalableWidthSetsItsLayersChannels) {
  for (Family f : all_families()) {
    std::vector<int> w = base_widths(f);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 5 + static_cast<int>(i);  // all distinct
    const Network net = *build_network(f, *dataset_preset("cifar100"), w);
    std::vector<int> seen(w.size(), 0);
    for (const Layer& l : net.layers) {
      if (l.width_index < 0) continue;
      EXPECT_EQ(l.out.c, w[l.width_index]) << family_name(f) << " " << l.name;
      ++seen[l.width_index];
    }
    for (size_t i = 0; i < w.size(); ++i) EXPECT_GT(seen[i], 0) << family_name(f) << " width " << i;
    EXPECT_EQ(net.output().out, (Shape{100, 1, 1})) << family_name(f);
  }
}

TEST(Families, GatedNetworkGatesEveryWidthAndKeepsParams) {
  for (Family f : all_families()) {
    const auto d = *dataset_preset("cifar10");
    const Network plain = *build_network(f, d, base_widths(f));
    const Network gated = *build_network(f, d, base_widths(f), true);
    std::vector<int> gates(base_widths(f).size(), 0);
    for (const Layer& l : gated.layers) {
      if (l.op != Op::Gate) continue;
      ++gates[l.width_index];
      EXPECT_EQ(l.out.c, base_widths(f)[l.width_index]) << family_name(f) << " " << l.name;
    }
    for (size_t i = 0; i < gates.size(); ++i) {
      // PreAct-ResNet-18 gates each block-output width twice: after the sum, and again after the
      // next pre-activation BatchNorm (or the final one), which would turn a zero back into a bias.
      const int expected = f == Family::PreActResNet18 && i % 2 == 0 ? 2 : 1;
      EXPECT_EQ(gates[i], expected) << family_name(f) << " width " << i;
    }
    EXPECT_EQ(param_count(plain), param_count(gated));
    EXPECT_EQ(analyze(plain).macs, analyze(gated).macs);
  }
}

TEST(Families, DatasetPresetsShapeTheInput) {
  const Network fm = base(Family::VGG11, "fashion-mnist");
  EXPECT_EQ(fm.layers[0].out, (Shape{1, 32, 32}));
  EXPECT_EQ(param_count(fm), 9231114 - 2 * 64 * 9);  // one input channel instead of three
  const Network tin = base(Family::PreActResNet18, "tinyimagenet");
  EXPECT_EQ(tin.layers[0].out, (Shape{3, 64, 64}));
  // TinyImageNet strides: stage 1 also halves, so 64x64 ends at 4x4 like CIFAR's 32x32.
  for (const Layer& l : tin.layers)
    if (l.name == "layer4.1.conv2") {
      EXPECT_EQ(l.out, (Shape{512, 4, 4}));
    }
  const Network mtin = base(Family::MobileNetV2, "tinyimagenet");
  for (const Layer& l : mtin.layers)
    if (l.name == "head.conv") {
      EXPECT_EQ(l.out, (Shape{1280, 2, 2}));
    }
}

TEST(Families, MobileNetV2ShortcutsWhereIdentityCannotBeAdded) {
  const Network n = base(Family::MobileNetV2, "cifar10");
  int shortcuts = 0, identity_adds = 0;
  for (const Layer& l : n.layers) {
    if (l.op == Op::Conv && l.name.find(".shortcut") != std::string::npos) ++shortcuts;
    if (l.op == Op::Add && n.layers[l.inputs[1]].op != Op::BatchNorm) ++identity_adds;
  }
  EXPECT_EQ(shortcuts, 7);       // the first block of every stage
  EXPECT_EQ(identity_adds, 10);  // the other 10 of 17 blocks
}

TEST(Families, BadWidthsAreErrorsNotCrashes) {
  const auto d = *dataset_preset("cifar10");
  auto r = build_network(Family::VGG11, d, {1, 2, 3});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "vgg11 takes 8 widths, got 3");
  auto z = build_network(Family::ResNet50, d, std::vector<int>(49, 0));
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.error().message.find("stem"), std::string::npos);
  // An input too small for VGG's five pools is a clean error.
  DatasetShape tiny{"tiny", 3, 8, 8, 10, false};
  auto t = build_network(Family::VGG11, tiny, base_widths(Family::VGG11));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("8x8"), std::string::npos);
  EXPECT_FALSE(family_from_name("vgg16").ok());
  EXPECT_FALSE(dataset_preset("imagenet").ok());
}
