// paramscale report: report.md, report.html, report.csv, report.json from study directories.
#include <iostream>

#include "cli/command.h"
#include "report/report.h"

namespace paramscale::cli {

void add_report_command(CLI::App& app, Action* action) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("report", "Write the report of one or more study directories");
  cmd->add_option("studies", *dirs, "study directories")->required();
  cmd->add_option("-o,--output", *out, "report directory (default: FIRST_STUDY/report)");
  cmd->callback([dirs, out, action] {
    *action = [dirs, out] {
      const std::string dir = out->empty() ? dirs->front() + "/report" : *out;
      const report::ReportSummary s = unwrap(report::write_report(*dirs, dir));
      for (const std::string& p : s.problems) std::cerr << "report: warning: " << p << "\n";
      std::cout << dir << "/report.md, report.html, report.csv, report.json: " << s.records
                << " records, " << s.comparisons << " uniform/NeuralScale comparisons\n";
      return 0;
    };
  });
}

}  // namespace paramscale::cli
