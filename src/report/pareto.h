// report/pareto: per device and runtime setting, the networks measured as choices — accuracy (or
// parameters where the study did not train) against latency and against runtime memory, each
// method its own series and the Pareto front drawn through them; limits (`report
// --max-latency-ms/--max-memory-mb`) drawn where given. The plots `paramscale recommend` answers
// from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/document.h"
#include "report/metrics.h"

namespace paramscale::report {

struct Limits {
  std::optional<double> max_latency_ms, max_memory_mb;
};

void pareto_sections(Document& doc, const Metrics& m, const Limits& limits,
                     const std::string& out_dir, std::vector<std::string>& problems);

}  // namespace paramscale::report
