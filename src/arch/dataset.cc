#include "arch/dataset.h"

namespace paramscale::arch {

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = {"cifar10", "cifar100", "tinyimagenet",
                                                 "fashion-mnist"};
  return names;
}

Result<DatasetShape> dataset_preset(const std::string& name) {
  if (name == "cifar10") return DatasetShape{name, 3, 32, 32, 10, false};
  if (name == "cifar100") return DatasetShape{name, 3, 32, 32, 100, false};
  if (name == "tinyimagenet") return DatasetShape{name, 3, 64, 64, 200, true};
  if (name == "fashion-mnist") return DatasetShape{name, 1, 32, 32, 10, false};
  return bad_input("unknown dataset '" + name +
                   "' (expected cifar10, cifar100, tinyimagenet or fashion-mnist)");
}

}  // namespace paramscale::arch
