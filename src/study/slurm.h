// study/slurm: a study's stages as Slurm job arrays, with every promise the local runner makes —
// resumable, nothing lost or recorded twice, one measurement at a time per measuring node.
//
// The design: the study directory is the shared store (it must be on a filesystem every node
// sees). One submission is up to three arrays, each task a `paramscale study-task` that runs the
// same stage code as the local runner (study/stages.h):
//   search  — one task per model whose NeuralScale fit the study searches itself;
//   make    — one task per model (widths, training, export), on the make partition (its gres);
//   measure — one task per cell (bench, explain, the record), on the measure partition or
//             constraint; --exclusive by default, so a node measures one cell at a time.
// Each array depends on the one before with `afterany` (a failed model fails only its own cells:
// the measure task finds no model and says so). Every array has a time limit. Tasks write their
// records atomically into cells/ like local cells; the SQLite index is rebuilt by the submitting
// side. slurm/submissions.json lists every submission: the array job ids and, per task index,
// the model or cell it runs.
//
// A cell's state: done (its record exists), pending or running (its newest task is), failed (its
// newest task ended without a record: CANCELLED, TIMEOUT, NODE_FAIL, FAILED, or completed without
// one — with the job id and the task log's last line), or not submitted. Resubmission (--resume)
// submits only the cells that are neither done nor pending/running. The submitting process only
// waits and reports; killing it loses nothing (`paramscale study status` collects later).
#pragma once

#include <string>
#include <vector>

#include "study/config.h"
#include "study/runner.h"

namespace paramscale::study {

struct SlurmRunOptions {
  bool detach = false;     // submit and return
  std::string executable;  // the paramscale binary tasks run (default: this one)
};

// Submits what is left to do and, unless detached, waits with progress and ETA on stderr.
Result<RunSummary> run_study_slurm(const StudyConfig& config, const std::string& dir,
                                   const SlurmRunOptions& opts);

struct CellState {
  std::string key;
  std::string state;  // done, pending, running, failed, not submitted
  std::string job;    // "123_4" of its newest task ("" if never submitted)
  std::string reason;
};

// Every cell's state (reads the records, submissions.json and the queue).
Result<std::vector<CellState>> study_status(const std::string& dir);

// The hidden `study-task` command: runs task `index` of `wave` of submission `submission`.
// Returns the exit code (0 success; the reason is printed to stderr as one line).
int run_study_task(const std::string& dir, int submission, const std::string& wave, int index);

}  // namespace paramscale::study
