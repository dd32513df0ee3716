// arch/dataset: input shapes and class counts of the dataset presets a network is built for.
//
// The preset fixes what the architecture needs (input channels and size, classes, and whether the
// TinyImageNet strides apply); reading the data itself is nn/'s job. Fashion-MNIST's 28x28 images
// are zero-padded to 32x32 by the data loader, so its networks take 1x32x32 inputs.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::arch {

struct DatasetShape {
  std::string name = "cifar10";
  int channels = 3;
  int height = 32;
  int width = 32;
  int classes = 10;
  bool tinyimagenet_strides = false;  // the families' TinyImageNet stride variants
};

// Presets: cifar10, cifar100, tinyimagenet, fashion-mnist.
Result<DatasetShape> dataset_preset(const std::string& name);
const std::vector<std::string>& dataset_names();

}  // namespace paramscale::arch
