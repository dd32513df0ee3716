// paramscale study status DIR: each cell's state in a study directory — done, pending or running
// (with its Slurm job), failed (job, reason and its log's last line), not submitted — and the
// SQLite index rebuilt from the records (tasks on other nodes leave it to this side).
#include <iostream>
#include <map>

#include "cli/command.h"
#include "study/slurm.h"

namespace paramscale::cli {

namespace {
int run_status(const std::string& dir) {
  const std::vector<study::CellState> states = unwrap(study::study_status(dir));
  std::map<std::string, int> counts;
  for (const study::CellState& s : states) {
    ++counts[s.state];
    std::cout << s.key << "  " << s.state;
    if (!s.job.empty()) std::cout << "  job " << s.job;
    if (!s.reason.empty() && s.state != "done") std::cout << "  " << s.reason;
    std::cout << "\n";
  }
  std::cerr << "study status: ";
  for (const char* state : {"done", "running", "pending", "failed", "not submitted"})
    std::cerr << counts[state] << " " << state << ", ";
  std::cerr << "of " << states.size() << " cells (index rebuilt; --resume resubmits the failed and "
            << "not submitted)\n";
  return 0;
}
}  // namespace

void add_study_status_command(CLI::App& study, Action* action) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = study.add_subcommand(
      "status", "Each cell's state (done, pending, running, failed with its Slurm job and reason)");
  cmd->add_option("dir", *dir, "study directory")->required();
  cmd->callback([dir, action] { *action = [dir] { return run_status(*dir); }; });
}

}  // namespace paramscale::cli
