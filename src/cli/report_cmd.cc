// paramscale report: report.md, report.html, report.csv, report.json from study directories.
#include <iostream>

#include "cli/command.h"
#include "report/report.h"

namespace paramscale::cli {

void add_report_command(CLI::App& app, Action* action) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto opts = std::make_shared<std::pair<double, double>>(0, 0);  // latency ms, memory MB limits
  CLI::App* cmd = app.add_subcommand("report", "Write the report of one or more study directories");
  cmd->add_option("studies", *dirs, "study directories")->required();
  cmd->add_option("-o,--output", *out, "report directory (default: FIRST_STUDY/report)");
  cmd->add_option("--max-latency-ms", opts->first, "Draw this latency limit on the Pareto plots");
  cmd->add_option("--max-memory-mb", opts->second, "Draw this memory limit on the Pareto plots");
  cmd->callback([dirs, out, opts, action] {
    *action = [dirs, out, opts] {
      if (opts->first < 0 || opts->second < 0) fail_usage("limits must be positive numbers");
      report::ReportOptions o;
      if (opts->first > 0) o.max_latency_ms = opts->first;
      if (opts->second > 0) o.max_memory_mb = opts->second;
      const std::string dir = out->empty() ? dirs->front() + "/report" : *out;
      const report::ReportSummary s = unwrap(report::write_report(*dirs, dir, o));
      for (const std::string& p : s.problems) std::cerr << "report: warning: " << p << "\n";
      std::cout << dir << "/report.md, report.html, report.csv, report.json: " << s.records
                << " records, " << s.comparisons << " uniform/NeuralScale comparisons\n";
      return 0;
    };
  });
}

}  // namespace paramscale::cli
