#include "arch/families.h"

#include <stdexcept>

#include "util/limits.h"

namespace paramscale::arch {

const char* family_name(Family family) {
  switch (family) {
    case Family::VGG11: return "vgg11";
    case Family::PreActResNet18: return "preact_resnet18";
    case Family::MobileNetV2: return "mobilenetv2";
    case Family::ResNet50: return "resnet50";
  }
  return "?";
}

const std::vector<Family>& all_families() {
  static const std::vector<Family> f = {Family::VGG11, Family::PreActResNet18, Family::MobileNetV2,
                                        Family::ResNet50};
  return f;
}

Result<Family> family_from_name(const std::string& name) {
  for (Family f : all_families())
    if (name == family_name(f)) return f;
  return bad_input("unknown model '" + name +
                   "' (expected vgg11, preact_resnet18, mobilenetv2 or resnet50)");
}

namespace {
// Per-stage block counts and base output widths shared by width lists and names.
const int kPreActBlocks[4] = {2, 2, 2, 2};
const int kPreActBase[4] = {64, 128, 256, 512};
const int kResNet50Blocks[4] = {3, 4, 6, 3};
const int kResNet50Mid[4] = {64, 128, 256, 512};
const int kMobileNetRepeats[7] = {1, 2, 3, 4, 3, 3, 1};
const int kMobileNetBase[7] = {16, 24, 32, 64, 96, 160, 320};
}  // namespace

std::vector<int> base_widths(Family family) {
  std::vector<int> w;
  switch (family) {
    case Family::VGG11: return {64, 128, 256, 256, 512, 512, 512, 512};
    case Family::PreActResNet18:
      w.push_back(64);
      for (int s = 0; s < 4; ++s)
        for (int b = 0; b < kPreActBlocks[s]; ++b) w.insert(w.end(), {kPreActBase[s], kPreActBase[s]});
      return w;
    case Family::MobileNetV2:
      w.push_back(32);
      for (int s = 0; s < 7; ++s)
        for (int b = 0; b < kMobileNetRepeats[s]; ++b) w.push_back(kMobileNetBase[s]);
      w.push_back(1280);
      return w;
    case Family::ResNet50:
      w.push_back(64);
      for (int s = 0; s < 4; ++s)
        for (int b = 0; b < kResNet50Blocks[s]; ++b)
          w.insert(w.end(), {kResNet50Mid[s], kResNet50Mid[s], 4 * kResNet50Mid[s]});
      return w;
  }
  return w;
}

std::vector<std::string> width_names(Family family) {
  std::vector<std::string> n;
  switch (family) {
    case Family::VGG11:
      for (int i = 1; i <= 8; ++i) n.push_back("conv" + std::to_string(i));
      return n;
    case Family::PreActResNet18:
      n.push_back("stem");
      for (int s = 0; s < 4; ++s)
        for (int b = 0; b < kPreActBlocks[s]; ++b) {
          const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b);
          n.insert(n.end(), {p + ".mid", p + ".out"});
        }
      return n;
    case Family::MobileNetV2:
      n.push_back("stem");
      for (int s = 0; s < 7; ++s)
        for (int b = 0; b < kMobileNetRepeats[s]; ++b)
          n.push_back("stage" + std::to_string(s + 1) +
                      (kMobileNetRepeats[s] > 1 ? std::string(1, static_cast<char>('a' + b)) : ""));
      n.push_back("head");
      return n;
    case Family::ResNet50:
      n.push_back("stem");
      for (int s = 0; s < 4; ++s)
        for (int b = 0; b < kResNet50Blocks[s]; ++b) {
          const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b);
          n.insert(n.end(), {p + ".mid1", p + ".mid2", p + ".out"});
        }
      return n;
  }
  return n;
}

Network empty_network(Family family, const DatasetShape& dataset, const std::vector<int>& widths,
                      bool gated) {
  Network net;
  net.family = family;
  net.dataset = dataset;
  net.widths = widths;
  net.gated = gated;
  return net;
}

Result<Network> build_network(Family family, const DatasetShape& dataset,
                              const std::vector<int>& widths, bool gated) {
  const size_t expected = base_widths(family).size();
  if (widths.size() != expected)
    return bad_input(std::string(family_name(family)) + " takes " + std::to_string(expected) +
                     " widths, got " + std::to_string(widths.size()));
  for (size_t i = 0; i < widths.size(); ++i)
    if (widths[i] < 1 || widths[i] > kMaxWidth)
      return bad_input("width " + std::to_string(i) + " (" + width_names(family)[i] +
                       ") must be an integer from 1 to " + std::to_string(kMaxWidth) + ", got " +
                       std::to_string(widths[i]));
  if (dataset.channels < 1 || dataset.classes < 1 || dataset.height < 1 || dataset.width < 1)
    return bad_input("dataset shape must have positive channels, size and classes");
  try {
    switch (family) {
      case Family::VGG11: return build_vgg11(dataset, widths, gated);
      case Family::PreActResNet18: return build_preact_resnet18(dataset, widths, gated);
      case Family::MobileNetV2: return build_mobilenetv2(dataset, widths, gated);
      case Family::ResNet50: return build_resnet50(dataset, widths, gated);
    }
  } catch (const std::logic_error& e) {
    // Only reachable through an input size too small for the family's strides.
    return bad_input(std::string(family_name(family)) + " cannot take a " +
                     std::to_string(dataset.height) + "x" + std::to_string(dataset.width) +
                     " input: " + e.what());
  }
  return bad_input("unknown family");
}

}  // namespace paramscale::arch
