// study/runner: runs a study's cells through scale -> train -> export -> bench and records them.
//
// Each stage is the paramscale CLI run as a child process, so every stage can also be run (and
// inspected) alone, and a crash in one stage is that cell's failure, not the study's. Layout:
//   STUDY/config.json                    the resolved config
//   STUDY/models/<model key>.{widths.json,onnx}, STUDY/runs/<model key>/   shared by cells
//   STUDY/cells/<cell key>.json          one record per finished cell (+ .bench.json, raw)
//   STUDY/logs/<key>.<stage>.log         every child's output
//   STUDY/index.sqlite                   the index (study/store.h)
// Resumable: finished cells are skipped, stage outputs reused. --jobs N runs cells on N workers;
// locks (flock, also across processes) keep a shared model from being built twice and let only one
// benchmark run at a time, so parallel training never disturbs a latency measurement.
#pragma once

#include <string>

#include "study/config.h"
#include "study/store.h"

namespace paramscale::study {

struct RunOptions {
  int jobs = 1;
  std::string executable;  // the paramscale binary for stages (default: this process)
};

struct RunSummary {
  int cells = 0, skipped = 0, finished = 0, failed = 0;
  int unfit = 0;  // NeuralScale cells left out for want of a fit
};

Result<RunSummary> run_study(const StudyConfig& config, const std::string& dir,
                             const RunOptions& opts);

}  // namespace paramscale::study
