// cli/command: how subcommands plug into the paramscale executable, and the helpers they share.
//
// Each subcommand lives in its own file and exposes add_<name>_command(app, action): it declares
// its flags on a CLI11 subcommand and, when selected, sets *action to the function that runs it.
// Inside a command, unwrap() turns a module's Error into a CliError that main() prints as one line
// ("paramscale: error: ...") with the Error's exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::cli {

using Action = std::function<int()>;

struct CliError {
  Error error;
};

template <typename T>
T unwrap(Result<T> r) {
  if (!r.ok()) throw CliError{r.error()};
  return std::move(r).value();
}
inline void unwrap(const Status& s) {
  if (!s.ok()) throw CliError{s.error()};
}
[[noreturn]] inline void fail_usage(const std::string& message) {
  throw CliError{bad_input(message)};
}

// "3,5,7" -> {3,5,7}; every entry a positive integer.
Result<std::vector<int>> parse_int_list(const std::string& text, const std::string& what);

// Thread count to use: the flag value, or every core when 0; negative or above kMaxThreads
// (util/limits.h) is bad input.
int resolve_threads(int flag);

// Makes a --seed option refuse negative numbers (CLI11 would wrap them into 2^64 - 1).
void non_negative_seed(CLI::Option* option);

void add_arch_command(CLI::App& app, Action* action);
void add_fit_command(CLI::App& app, Action* action);
void add_scale_command(CLI::App& app, Action* action);
void add_export_command(CLI::App& app, Action* action);
void add_bench_command(CLI::App& app, Action* action);
void add_study_command(CLI::App& app, Action* action);
void add_study_status_command(CLI::App& study, Action* action);  // `study status`, under study
void add_study_task_command(CLI::App& app, Action* action);      // hidden: one Slurm task
void add_report_command(CLI::App& app, Action* action);
void add_device_command(CLI::App& app, Action* action);
void add_device_info_command(CLI::App& app, Action* action);
void add_explain_command(CLI::App& app, Action* action);
void add_peak_command(CLI::App& app, Action* action);
void add_recommend_command(CLI::App& app, Action* action);
void add_size_command(CLI::App& app, Action* action);
// Commands that need libtorch (built when PARAMSCALE_WITH_TORCH is on).
void add_train_command(CLI::App& app, Action* action);
void add_search_command(CLI::App& app, Action* action);
void add_eval_command(CLI::App& app, Action* action);
void add_quantize_command(CLI::App& app, Action* action);

}  // namespace paramscale::cli
