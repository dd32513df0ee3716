// paramscale scale: not built yet (stub so the command table is stable while it is written).
#include "cli/command.h"

namespace paramscale::cli {

void add_scale_command(CLI::App& app, Action* action) {
  CLI::App* cmd = app.add_subcommand("scale", "(not implemented yet)");
  cmd->callback([action] { *action = []() -> int { fail_usage("'scale' is not implemented yet"); }; });
}

}  // namespace paramscale::cli
