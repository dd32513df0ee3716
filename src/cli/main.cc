// paramscale: what shrinking a CNN to N parameters costs and buys, measured.
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>

#include "cli/command.h"
#include "cli/torch_handoff.h"
#include "util/version.h"

namespace {

// Messages quote user input (file names, tensor names, JSON values): control characters are
// escaped so an error is always one line on stderr.
std::string one_line(const std::string& message) {
  std::string out;
  for (const char c : message) {
    if (c == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += '?';
    else
      out += c;
  }
  return out;
}

// Prints an Error as paramscale's one-line error and gives its exit code.
int report(const paramscale::Error& e) {
  std::cerr << "paramscale: error: " << one_line(e.message) << '\n';
  return e.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace paramscale::cli;
#ifdef PARAMSCALE_TORCH_SIBLING
  // This executable has no libtorch; the commands that need it run in paramscale-torch.
  if (needs_torch(std::vector<std::string>(argv + 1, argv + argc))) {
    return report(exec_torch_sibling(argv));
  }
#endif
  CLI::App app{
      "paramscale: accuracy, latency and runtime memory of CNNs scaled to a parameter "
      "budget by uniform width scaling or NeuralScale"};
  app.name("paramscale");
  app.set_version_flag("--version", "paramscale " PARAMSCALE_VERSION);
  app.require_subcommand(1);
  Action action;
  // Host commands need export/, study/ and report/ (libonnx, SQLite, ...): not in the device build.
#ifdef PARAMSCALE_HOST_COMMANDS
  add_arch_command(app, &action);
  add_fit_command(app, &action);
  add_scale_command(app, &action);
  add_export_command(app, &action);
#endif
  // Every build, the device bundle too (PARAMSCALE_DEVICE_BUILD): device-side commands go here.
  add_bench_command(app, &action);
  add_device_info_command(app, &action);
#ifdef PARAMSCALE_HOST_COMMANDS
  add_study_command(app, &action);
  add_study_task_command(app, &action);
  add_report_command(app, &action);
  add_device_command(app, &action);
  add_explain_command(app, &action);
  add_peak_command(app, &action);
  add_recommend_command(app, &action);
  add_size_command(app, &action);
#endif
#ifdef PARAMSCALE_HAVE_TORCH
  add_train_command(app, &action);
  add_search_command(app, &action);
  add_eval_command(app, &action);
  add_quantize_command(app, &action);
#elif defined(PARAMSCALE_TORCH_SIBLING)
  // Listed for --help; a command line naming one was handed to paramscale-torch above.
  for (const TorchCommand& c : torch_commands()) app.add_subcommand(c.name, c.description);
#endif
  // CLI11 would report a mistyped command as a missing one; name it instead.
  bool known = false;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    known = known || (argc > 1 && sub->check_name(argv[1]));
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::cerr << "paramscale: error: unknown command '" << one_line(argv[1])
              << "' (see paramscale --help)\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "paramscale: error: " << one_line(e.what()) << " (see paramscale --help)\n";
    return 2;
  } catch (const CliError& e) {
    return report(e.error);
  }
  // Tests hand paramscale the command lines a study builds and stop here: the flags parsed.
  if (const char* only = std::getenv("PARAMSCALE_PARSE_ONLY"); only && *only) return action ? 0 : 2;
  try {
    return action ? action() : 2;
  } catch (const CliError& e) {
    return report(e.error);
  } catch (const std::bad_alloc&) {
    // Every size a user can ask for is checked up front; this is the last line of defence.
    std::cerr << "paramscale: error: out of memory (the request is too large for this machine)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "paramscale: error: " << one_line(e.what()).substr(0, 500) << '\n';
    return 1;
  }
}
