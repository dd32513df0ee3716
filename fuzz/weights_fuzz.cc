// Fuzz target: weights files (read, then checked against a small VGG-11).
#include "arch/dataset.h"
#include "arch/families.h"
#include "arch/weights.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  const std::string path = fuzz::scratch_file(data, size, "weights.psw");
  auto weights = arch::read_weights(path);
  if (!weights.ok()) {
    fuzz::check_one_line(weights.error().message);
    return 0;
  }
  for (const auto& [name, t] : *weights)
    if (static_cast<int64_t>(t.data.size()) != t.elements()) std::abort();
  const auto net = arch::build_network(arch::Family::VGG11, *arch::dataset_preset("cifar10"),
                                       std::vector<int>(8, 1));
  if (Status s = arch::check_weights(*net, *weights); !s.ok())
    fuzz::check_one_line(s.error().message);
  return 0;
}
