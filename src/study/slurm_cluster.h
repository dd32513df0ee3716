// study/slurm_cluster: the few Slurm commands a study needs — submit a job array, read its tasks'
// states, cancel — through the cluster's own client tools (sbatch, squeue, scancel, scontrol).
//
// Why the client tools: they are what every Slurm site has and supports, they honour the site's
// slurm.conf (SLURM_CONF), and no accounting database is assumed (sacct is not used: task states
// come from squeue, which keeps finished jobs for MinJobAge). Every call has a time limit; an
// unreachable controller or missing tools are one-line errors. Stateless; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::study {

struct ArraySpec {
  std::string name;                  // --job-name
  std::string script;                // the batch script (its task reads SLURM_ARRAY_TASK_ID)
  int tasks = 0;                     // --array=0-(tasks-1)
  int max_concurrent = 0;            // %k (0: no limit)
  std::string time;                  // --time, always given
  std::string partition;             // --partition ("" = the default)
  std::string gres, constraint;      // --gres, --constraint ("" = none)
  bool exclusive = false;            // --exclusive: one task per node
  std::string dependency;            // --dependency ("" = none), e.g. "afterany:123"
  std::string output;                // --output pattern (%A job, %a task)
  std::vector<std::string> extra;    // further sbatch arguments, as given
};

// The state of one array task: squeue's (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT,
// NODE_FAIL, OUT_OF_MEMORY, ...) and its reason/exit code column.
struct TaskState {
  std::string state;
  std::string reason;
  bool finished() const;  // no longer pending or running
  bool succeeded() const;
};

// sbatch and squeue are installed and the controller answers; else one line saying which.
Status check_slurm();

// Submits; the job id.
Result<std::string> submit_array(const ArraySpec& spec);

// Task index -> state for every task of the job that squeue still knows.
Result<std::map<int, TaskState>> array_states(const std::string& job_id);

Status cancel_job(const std::string& job_id);

}  // namespace paramscale::study
