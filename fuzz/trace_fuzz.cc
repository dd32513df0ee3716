// Fuzz target: trace CSVs (parse, then the power-law fit when the widths suit VGG-11).
#include "arch/dataset.h"
#include "arch/families.h"
#include "fuzz/fuzz_support.h"
#include "scaling/fit.h"
#include "scaling/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  auto trace = scaling::parse_trace(fuzz::text(data, size), "fuzz.csv");
  if (!trace.ok()) {
    fuzz::check_one_line(trace.error().message);
    return 0;
  }
  for (const auto& row : trace->rows)
    if (row.size() != trace->rows[0].size()) std::abort();
  if (trace->layer_count() == 8 && trace->rows.size() <= 64) {
    const arch::DatasetShape cifar = *arch::dataset_preset("cifar10");
    auto laws = scaling::fit_trace(arch::Family::VGG11, cifar, *trace, scaling::CountMode::True);
    if (!laws.ok()) fuzz::check_one_line(laws.error().message);
  }
  return 0;
}
