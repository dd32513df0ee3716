// cli/torch_handoff: in a build with libtorch, `paramscale` itself does not link it; the commands
// that need it run in the sibling executable `paramscale-torch` (same directory, same arguments),
// so every other command starts without loading libtorch. Loading Debian's libtorch costs about
// 0.7 s of CPU at every start (its 286 shared libraries and operator registration), which every
// `scale`, `bench`, study stage and measurement child process paid before. See
// docs/ARCHITECTURE.md, "Two executables".
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::cli {

struct TorchCommand {
  const char* name;
  const char* description;
};

// train, search, eval and quantize with their one-line descriptions: both executables list them
// in their help from here.
const std::vector<TorchCommand>& torch_commands();
// The description of one of torch_commands() ("" for any other name).
const char* torch_command_description(const std::string& name);

// Whether a command line (without argv[0]) needs libtorch: a torch command, a bench whose --runtime
// list names torch, or a measurement child asked for the torch runtime.
bool needs_torch(const std::vector<std::string>& args);

// Replaces this process with paramscale-torch from this executable's directory, same arguments.
// Returns only when that fails, with the one-line error to print.
Error exec_torch_sibling(char** argv);

}  // namespace paramscale::cli
