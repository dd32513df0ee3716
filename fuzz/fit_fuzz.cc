// Fuzz target: fit files (parse, select an iteration per family, solve a NeuralScale budget).
#include "arch/dataset.h"
#include "arch/families.h"
#include "fuzz/fuzz_support.h"
#include "scaling/budget.h"
#include "scaling/fit_file.h"
#include "scaling/neuralscale.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  auto fit = scaling::parse_fit_json(fuzz::text(data, size), "fuzz.json");
  if (!fit.ok()) {
    fuzz::check_one_line(fit.error().message);
    return 0;
  }
  const arch::DatasetShape cifar = *arch::dataset_preset("cifar10");
  for (arch::Family family : arch::all_families()) {
    auto laws = scaling::select_iteration(*fit, 0, family, "fuzz.json");
    if (!laws.ok()) {
      fuzz::check_one_line(laws.error().message);
      continue;
    }
    const scaling::Budget budget{scaling::BudgetKind::Params, 0.5};
    auto s = scaling::scale_neuralscale(family, cifar, *laws, budget, scaling::CountMode::True);
    if (!s.ok()) fuzz::check_one_line(s.error().message);
  }
  return 0;
}
