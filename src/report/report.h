// report/report: turns one or more study directories into report.md, a self-contained report.html,
// report.csv and report.json (the same tables), and plots/*.svg.
//
// Every number comes from a study record (measured) or from the IR analysis in it (computed).
// Malformed records are listed in the report and left out; they never stop it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::report {

struct ReportSummary {
  int records = 0;
  int comparisons = 0;
  std::vector<std::string> problems;
};

// Limits a user sizes against; the report draws them on its Pareto plots (report/pareto.h).
struct ReportOptions {
  std::optional<double> max_latency_ms, max_memory_mb;
};

Result<ReportSummary> write_report(const std::vector<std::string>& study_dirs,
                                   const std::string& out_dir, const ReportOptions& options = {});

}  // namespace paramscale::report
