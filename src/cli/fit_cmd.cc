// paramscale fit: not built yet (stub so the command table is stable while it is written).
#include "cli/command.h"

namespace paramscale::cli {

void add_fit_command(CLI::App& app, Action* action) {
  CLI::App* cmd = app.add_subcommand("fit", "(not implemented yet)");
  cmd->callback([action] { *action = []() -> int { fail_usage("'fit' is not implemented yet"); }; });
}

}  // namespace paramscale::cli
