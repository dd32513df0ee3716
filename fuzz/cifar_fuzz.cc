// Fuzz target: the CIFAR-10 and CIFAR-100 binary readers.
#include "fuzz/fuzz_support.h"
#include "nn/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  const std::string path = fuzz::scratch_file(data, size);
  for (const auto& [label_bytes, classes] : {std::pair{1, 10}, std::pair{2, 100}}) {
    auto set = nn::read_cifar_file(path, label_bytes, classes);
    if (!set.ok()) {
      fuzz::check_one_line(set.error().message);
      continue;
    }
    for (int label : set->labels)
      if (label < 0 || label >= classes) std::abort();
  }
  return 0;
}
