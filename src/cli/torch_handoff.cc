// Hands commands that need libtorch to paramscale-torch; see torch_handoff.h.
#include "cli/torch_handoff.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "runtime/child.h"
#include "util/subprocess.h"

namespace paramscale::cli {

const std::vector<TorchCommand>& torch_commands() {
  static const std::vector<TorchCommand> commands = {
      {"train", "train a scaled network with libtorch"},
      {"search",
       "NeuralScale search: prune while training, record traces, fit power laws, descend"},
      {"eval", "Top-1 (and top-5) test accuracy of a model run through a deployment runtime"},
      {"quantize", "Post-training static int8 quantization (QDQ) calibrated on training images"},
  };
  return commands;
}

const char* torch_command_description(const std::string& name) {
  for (const TorchCommand& c : torch_commands())
    if (name == c.name) return c.description;
  return "";
}

namespace {

// "ort,torch" names torch; so does "torch".
bool list_names_torch(const std::string& list) {
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (item == "torch") return true;
  return false;
}

}  // namespace

bool needs_torch(const std::vector<std::string>& args) {
  if (args.empty()) return false;
  if (*torch_command_description(args[0])) return true;
  // Elsewhere --runtime only filters (recommend) or is refused for torch (explain, size).
  const bool bench = args[0] == "bench", child = args[0] == runtime::kChildCommand;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (bench && a == "--runtime" && i + 1 < args.size() && list_names_torch(args[i + 1]))
      return true;
    if (bench && a.rfind("--runtime=", 0) == 0 && list_names_torch(a.substr(10))) return true;
    // The parent writes the request with nlohmann's compact dump (runtime/measure.h).
    if (child && a.find("\"runtime\":\"torch\"") != std::string::npos) return true;
  }
  return false;
}

Error exec_torch_sibling(char** argv) {
  const std::string sibling = beside_self_executable("paramscale-torch");
  if (sibling.empty())
    return failure(
        "this command needs libtorch, but /proc/self/exe cannot be read to find "
        "paramscale-torch");
  ::execv(sibling.c_str(), argv);
  return failure("this command needs libtorch, which runs in " + sibling + ": " +
                 std::strerror(errno));
}

}  // namespace paramscale::cli
