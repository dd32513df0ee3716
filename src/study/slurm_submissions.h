// study/slurm_submissions: slurm/submissions.json in a study directory (schema
// "paramscale.slurm/1"), the Slurm executor's own bookkeeping: every submission's arrays (waves
// search, make, measure), their job ids, and per task index what the task runs — a model name
// (search) or a cell (make, measure; cells carry thread counts resolved where they were
// submitted). Tasks read it to find their work; status reads it to find each cell's newest task.
//
// Written atomically, and always before the arrays it lists are submitted (a task never starts
// without its entry); job ids are added as each array is accepted.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "study/cell.h"
#include "util/result.h"

namespace paramscale::study {

inline constexpr const char* kSubmissionsSchema = "paramscale.slurm/1";
inline const std::vector<std::string> kWaves = {"search", "make", "measure"};  // in order

struct Wave {
  std::string job;                    // the array's job id ("" until sbatch accepted it)
  std::vector<nlohmann::json> tasks;  // index -> {"model": name} (search) or a cell
};

struct Submission {
  int id = 0;
  std::string submitted;  // UTC, ISO 8601
  std::map<std::string, Wave> waves;
};

struct Submissions {
  std::vector<nlohmann::json> cells;  // the study's cells, as the first submission expanded them
  std::vector<Submission> list;
};

std::string submissions_path(const std::string& dir);

// The file's contents; empty when there is none (a local study, or nothing submitted yet).
Result<Submissions> read_submissions(const std::string& dir);
Status write_submissions(const std::string& dir, const Submissions& subs);

// Task `index` of `wave` in submission `id`, or an error naming what is missing.
Result<nlohmann::json> find_task(const Submissions& subs, int id, const std::string& wave,
                                 int index);

}  // namespace paramscale::study
