// paramscale device-info (hidden): what a device is, printed as JSON by the bundle on the device.
//
// `paramscale device check` runs it there through ssh: the environment every record carries (CPU,
// board model, cores, memory, kernel and build architecture, emulation), the board's state
// (temperatures, governor, clock, throttling) and the runtimes this build has. Also built into
// the device bundle, which has only this, bench and bench-child.
#include <iostream>

#include "cli/command.h"
#include "runtime/backend.h"
#include "runtime/board.h"
#include "runtime/environment.h"

namespace paramscale::cli {

void add_device_info_command(CLI::App& app, Action* action) {
  CLI::App* cmd = app.add_subcommand("device-info", "");
  cmd->group("");  // internal: run on a device by `paramscale device check`
  cmd->callback([action] {
    *action = [] {
      const nlohmann::json j = {{"environment", runtime::environment()},
                                {"board", runtime::to_json(runtime::read_board_state())},
                                {"runtimes", runtime::known_runtimes()}};
      std::cout << j.dump() << '\n';
      return 0;
    };
  });
}

}  // namespace paramscale::cli
