// study/runner: runs a study's cells through scale -> train -> export -> bench and records them.
//
// Each stage is the paramscale CLI run as a child process, so every stage can also be run (and
// inspected) alone, and a crash in one stage is that cell's failure, not the study's. Layout:
//   STUDY/config.json                    the resolved config
//   STUDY/models/<model key>.{widths.json,onnx}, STUDY/runs/<model key>/   shared by cells
//   STUDY/cells/<cell key>.json          one record per finished cell (+ .bench.json, raw)
//   STUDY/logs/<key>.<stage>.log         every child's output
//   STUDY/index.sqlite                   the index (study/store.h)
// Resumable: finished cells are skipped, stage outputs reused. --jobs N makes models (widths,
// training, export) on N workers; each device in the config measures on its own thread, one
// measurement at a time per device, devices in parallel. Locks (flock, also across processes) keep
// a shared model from being built twice and keep a local measurement from overlapping any model
// making on this machine (remote devices measure on their own hardware). An unreachable device
// fails its cells with one reason; the others go on, and --resume retries.
#pragma once

#include <string>

#include "study/config.h"
#include "study/store.h"

namespace paramscale::study {

struct RunOptions {
  int jobs = 1;
  // Measure again the cells whose records say the board throttled during the measurement (their
  // record and raw bench output are replaced; cells measured cleanly are kept).
  bool rerun_throttled = false;
  std::string executable;  // the paramscale binary for stages (default: this process)
};

struct RunSummary {
  int cells = 0, skipped = 0, finished = 0, failed = 0;
  int unfit = 0;  // NeuralScale cells left out for want of a fit
};

// Every device the config names is "local" or in the devices file (bad input otherwise); checked
// before anything is created.
Status check_devices(const StudyConfig& config, const std::string& devices_file);

// Removes what killed study processes (and their stages) left half-written: temp files whose
// writer is gone (by PID, so only while no stage of this directory runs on another node).
void sweep_temp_files(const std::string& dir);

Result<RunSummary> run_study(const StudyConfig& config, const std::string& dir,
                             const RunOptions& opts);

}  // namespace paramscale::study
