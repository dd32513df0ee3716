// report/environment: the "Environment and protocol" section of a report — one table row per
// distinct measurement setting (runtime, version and options, protocol, machine) with its cell
// count and time span. Per-cell identity (model sha256, timestamp) stays in the records.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "report/document.h"

namespace paramscale::report {

void environment_section(Document& doc, const std::vector<nlohmann::json>& records);

}  // namespace paramscale::report
