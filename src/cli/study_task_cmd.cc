// paramscale study-task DIR --submission N --wave W --index I: hidden; what one Slurm array task
// runs (study/slurm.h). The batch scripts of `study --executor slurm` call it.
#include "cli/command.h"
#include "study/slurm.h"

namespace paramscale::cli {

namespace {
struct TaskArgs {
  std::string dir, wave;
  int submission = 0, index = -1;
};
}  // namespace

void add_study_task_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<TaskArgs>();
  CLI::App* cmd = app.add_subcommand("study-task", "One task of a study's Slurm job array");
  cmd->group("");  // hidden: users run `study --executor slurm`
  cmd->add_option("dir", a->dir, "study directory")->required();
  cmd->add_option("--submission", a->submission, "submission id")->required();
  cmd->add_option("--wave", a->wave, "search|make|measure")
      ->required()
      ->check(CLI::IsMember({"search", "make", "measure"}));
  cmd->add_option("--index", a->index, "array task index (SLURM_ARRAY_TASK_ID)")->required();
  cmd->callback([a, action] {
    *action = [a] { return study::run_study_task(a->dir, a->submission, a->wave, a->index); };
  });
}

}  // namespace paramscale::cli
