// paramscale study: run an experiment matrix (scale -> train -> export -> bench), resumably,
// then write its report.
#include <sys/stat.h>

#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "device/registry.h"
#include "report/report.h"
#include "runtime/backend.h"
#include "study/runner.h"
#include "study/slurm.h"
#include "util/json_file.h"

namespace paramscale::cli {

namespace {
struct StudyArgs {
  std::string preset;
  std::string config;
  std::string out;
  std::vector<std::string> fits;  // model=FILE
  std::string devices;            // comma list overriding the config's "devices"
  std::string devices_file;       // overriding the config's "devices_file"
  int jobs = 1;
  bool resume = false;
  bool rerun_throttled = false;
  bool no_report = false;
  std::string executor;  // overrides the config's "executor"
  bool detach = false;
};

// A study's identity for --resume: what it measures, not where it runs (a study may start here
// and continue on a cluster, or the other way round).
nlohmann::json identity(nlohmann::json j) {
  if (j.is_object()) {
    j.erase("executor");
    j.erase("slurm");
  }
  return j;
}

int run_study_cmd(const StudyArgs& a) {
  study::StudyConfig config =
      !a.config.empty() ? unwrap(study::read_config(a.config)) : unwrap(study::preset(a.preset));
  for (const std::string& f : a.fits) {
    const auto eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size())
      fail_usage("--fit expects MODEL=FILE, got '" + f + "'");
    config.fits[f.substr(0, eq)] = f.substr(eq + 1);
  }
  if (a.jobs < 1) fail_usage("--jobs must be a positive integer");
  if (!a.devices.empty()) {
    config.devices.clear();
    std::stringstream in(a.devices);
    for (std::string d; std::getline(in, d, ',');) {
      if (d.empty()) fail_usage("--device: empty entry in '" + a.devices + "'");
      config.devices.push_back(d);
    }
  }
  if (!a.devices_file.empty()) config.devices_file = a.devices_file;
  if (!a.executor.empty()) config.executor = a.executor;
  if (a.detach && config.executor != "slurm")
    fail_usage(
        "--detach needs the slurm executor (--executor slurm or \"executor\" in the config)");
  // The whole config is checked before the study directory is created: a bad cell found only when
  // it runs would leave a study behind that the corrected config cannot continue.
  unwrap(study::validate_config(config, runtime::known_runtimes()));
  struct stat st;
  const std::string saved = a.out + "/config.json";
  if (::stat(saved.c_str(), &st) == 0) {
    if (!a.resume) fail_usage(a.out + " already holds a study; pass --resume to continue it");
    const Result<nlohmann::json> read = read_json_file(saved, "study config");
    const nlohmann::json old = read.ok() ? *read : nlohmann::json();
    if (identity(old) != identity(study::to_json(config)))
      fail_usage(a.out + " holds a study with a different config; use another -o directory");
  }
  if (config.executor == "slurm" && a.rerun_throttled)
    fail_usage("--rerun-throttled is not available with the slurm executor yet");
  const study::RunSummary s =
      config.executor == "slurm"
          ? unwrap(study::run_study_slurm(config, a.out, {a.detach, ""}))
          : unwrap(study::run_study(config, a.out, {a.jobs, a.rerun_throttled, ""}));
  if (a.detach) return 0;
  std::cerr << "study: " << s.finished << " cells finished, " << s.skipped
            << " skipped (done before), " << s.failed << " failed, " << s.unfit
            << " left out (no NeuralScale fit), of " << s.cells << "\n";
  if (!a.no_report && s.finished + s.skipped > 0) {
    const auto r = report::write_report({a.out}, a.out + "/report");
    if (r.ok())
      std::cerr << "report: " << a.out << "/report/report.md and report.html (" << r->records
                << " records)\n";
    else
      std::cerr << "report: " << r.error().message << "\n";
  }
  return s.failed > 0 ? 1 : 0;
}
}  // namespace

void add_study_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<StudyArgs>();
  CLI::App* cmd =
      app.add_subcommand("study", "Run a resumable experiment matrix and write its report");
  auto* p = cmd->add_option("--preset", a->preset, "quick|paper");
  auto* c = cmd->add_option("--config", a->config, "study config (JSON)");
  p->excludes(c);
  // Required for running a study; `study status DIR` takes its directory as an argument.
  cmd->add_option("-o,--output", a->out, "study directory");
  cmd->add_option("--fit", a->fits, "NeuralScale fit for a model: MODEL=FILE (repeatable)");
  cmd->add_option("--jobs,-j", a->jobs,
                  "models made in parallel (measurements run one at a time per device)")
      ->capture_default_str();
  cmd->add_option("--device", a->devices,
                  "where to measure, comma list: local and devices from the devices file "
                  "(overrides the config's \"devices\")");
  cmd->add_option("--devices", a->devices_file,
                  "devices file (default: " + device::default_devices_path() + ")");
  cmd->add_flag("--resume", a->resume, "continue the study already in the directory");
  cmd->add_flag("--rerun-throttled", a->rerun_throttled,
                "with --resume: measure again the cells whose board throttled during measuring");
  cmd->add_flag("--no-report", a->no_report, "do not write the report at the end");
  cmd->add_option("--executor", a->executor,
                  "where stages run: local (child processes here) or slurm (job arrays; "
                  "overrides the config's \"executor\")")
      ->check(CLI::IsMember({"local", "slurm"}));
  cmd->add_flag("--detach", a->detach, "slurm: submit and return without waiting");
  add_study_status_command(*cmd, action);
  cmd->callback([a, action, cmd] {
    if (cmd->got_subcommand("status")) return;
    if (a->out.empty()) fail_usage("study needs -o STUDY_DIR");
    if (a->preset.empty() && a->config.empty())
      fail_usage("study needs --preset NAME or --config FILE");
    *action = [a] { return run_study_cmd(*a); };
  });
}

}  // namespace paramscale::cli
