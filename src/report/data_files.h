// report/data_files: the report's machine-readable twins of its tables — report.csv (one row per
// point, RFC 4180) and report.json (points, comparisons, precision comparisons, problems). Kept
// apart from the document so a column added to one is added to both in one place.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/metrics.h"

namespace paramscale::report {

std::string points_csv(const Metrics& m);
nlohmann::json report_json(const Metrics& m, const std::vector<std::string>& problems);

}  // namespace paramscale::report
