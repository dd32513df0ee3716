// The hidden `study-task` command's work (study/slurm.h): one array task of a Slurm submission —
// the same stage code as the local runner (study/stages.h), its outcome as the last line of its
// log (which `study status` shows for a failed cell), with start and end times so the log shows
// that measurements on one node never overlap.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "device/registry.h"
#include "study/process.h"
#include "study/slurm.h"
#include "study/slurm_submissions.h"
#include "study/stages.h"
#include "util/subprocess.h"

namespace paramscale::study {

namespace {

std::string now_text() {
  const double t =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", t);
  return buf;
}

Result<std::string> run_task(const StageContext& ctx, const std::string& wave,
                             const nlohmann::json& task) {
  if (wave == "search") {
    if (!task.is_object() || !task.contains("model") || !task["model"].is_string())
      return failure("malformed search task");
    auto fit = search_fit(ctx, task["model"].get<std::string>());
    if (!fit.ok()) return fit.error();
    return "search " + task["model"].get<std::string>();
  }
  auto cell = cell_from_json(task);
  if (!cell.ok()) return cell.error();
  if (wave == "make") {
    auto made = make_model(ctx, *cell);
    if (!made.ok()) return made.error();
    return cell->model_key();
  }
  // The make wave ended (afterany) before this task started; a model it could not make fails
  // only its own cells, here, with the reason.
  auto made = made_model(ctx, *cell);
  if (!made.ok()) return made.error();
  if (Status s = measure_model(ctx, *cell, *made); !s.ok()) return s.error();
  return cell->key();
}

}  // namespace

int run_study_task(const std::string& dir, int submission, const std::string& wave, int index) {
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  std::cerr << "study-task: " << wave << " task " << index << " of submission " << submission
            << " on " << host << " started at " << now_text() << std::endl;
  Result<std::string> outcome = failure("unknown wave '" + wave + "'");
  try {
    auto config = read_config(dir + "/config.json");
    auto subs = read_submissions(dir);
    if (!config.ok()) {
      outcome = config.error();
    } else if (!subs.ok()) {
      outcome = subs.error();
    } else if (auto task = find_task(*subs, submission, wave, index); !task.ok()) {
      outcome = task.error();
    } else {
      StageContext ctx{
          *config,
          dir,
          self_executable(),
          Store(dir),
          study_fits(*config, dir),
          config->devices_file.empty() ? device::default_devices_path() : config->devices_file};
      ctx.index_records = false;  // the submitting side rebuilds the index from the records
      // Tests substitute the stage executable, as for the local runner.
      if (const char* e = std::getenv("PARAMSCALE_STAGE_EXE"); e && *e) ctx.exe = e;
      outcome = run_task(ctx, wave, *task);
    }
  } catch (const std::exception& e) {
    outcome = failure(std::string("study-task: ") + e.what());
  }
  // The last line of the log: what `study status` shows for a failed cell.
  if (outcome.ok())
    std::cerr << "study-task: " << *outcome << " done, ended at " << now_text() << std::endl;
  else
    std::cerr << "study-task: FAILED: " << outcome.error().message << " (ended at " << now_text()
              << ")" << std::endl;
  return outcome.ok() ? 0 : 1;
}

}  // namespace paramscale::study
