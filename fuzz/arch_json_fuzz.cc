// Fuzz target: a run directory's arch.json (with the weights file of the seed's small VGG-11).
#include <sys/stat.h>

#include "arch/dataset.h"
#include "arch/families.h"
#include "arch/weights.h"
#include "fuzz/fuzz_support.h"
#include "rundir/run_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  const std::string dir = fuzz::scratch_dir() + "/run";
  static const bool ready = [&] {
    ::mkdir(dir.c_str(), 0755);
    const auto net = arch::build_network(arch::Family::VGG11, *arch::dataset_preset("cifar10"),
                                         std::vector<int>(8, 1));
    return arch::write_weights(dir + "/weights.psw", arch::random_weights(*net, 1)).ok();
  }();
  if (!ready) std::abort();
  fuzz::scratch_file(data, size, "run/arch.json");
  auto run = rundir::read_run_dir(dir);
  if (!run.ok()) fuzz::check_one_line(run.error().message);
  return 0;
}
