// study/stages: the work of one model and one cell, as paramscale child processes — shared by the
// local runner (study/runner) and the tasks Slurm runs (study/slurm).
//
// make_model() gives a cell's model its widths (uniform here; NeuralScale through `scale` and a
// fit), trains it when the study trains, and exports it, each output written atomically and reused
// when it is already there and sound (a damaged widths file, summary or 0-byte model is made
// again). measure_model() benches the cell's model (and explains it where the study explains
// cells) and writes the cell's record. Both take the locks that keep the study's promises: one
// maker per model, a measurement here never beside model making here, one measurement at a time
// per device — file locks, so they hold across processes (and nodes, on a filesystem with working
// flock). Errors are one line naming the log to read.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "study/cell.h"
#include "study/config.h"
#include "study/store.h"

namespace paramscale::study {

struct StageContext {
  const StudyConfig& config;
  std::string dir;  // the study directory
  std::string exe;  // the paramscale binary for stages
  Store store;
  std::map<std::string, std::string> fits;  // model -> NeuralScale fit: the config's or a search's
  std::string devices_file;                 // the config's, or the default devices file
  // Records go into the SQLite index as they are written (local runs); Slurm tasks on other nodes
  // leave the index to the submitting side, which rebuilds it from the records.
  bool index_records = true;
  // Threads for each training; 0 = every core. The local runner with --jobs N divides the cores
  // among its N workers: N trainings each on every core oversubscribe them, which on 2 cores made
  // two VGG-11 trainings 3x slower than running them one after the other (README, "--jobs").
  // The study's own searches are trainings too: they run in the same pool, on as many threads.
  int training_threads = 0;
};

struct MadeModel {
  std::vector<int> widths;
  std::string onnx;
};

// Widths, training (when enabled) and export of the cell's model, under its model lock and this
// machine's lock held shared.
Result<MadeModel> make_model(const StageContext& ctx, const Cell& cell);

// The model's widths and ONNX file as make_model left them; an error when it did not.
Result<MadeModel> made_model(const StageContext& ctx, const Cell& cell);

// Bench (and explain, where the study explains the cell) and the cell's record and index entry.
Status measure_model(const StageContext& ctx, const Cell& cell, const MadeModel& model);

// The study's own NeuralScale search for a model (resumed when unfinished); its fit file.
Result<std::string> search_fit(const StageContext& ctx, const std::string& model);
// Where the study's own search for a model leaves its fit (finished or not).
std::string search_fit_file(const std::string& dir, const std::string& model);
// The fit of a finished search in the study directory, or "" when there is none.
std::string searched_fit(const std::string& dir, const std::string& model);

// The fits NeuralScale cells scale with: the config's, then the study's finished searches in `dir`.
std::map<std::string, std::string> study_fits(const StudyConfig& config, const std::string& dir);

// Whether the study explains this cell (ExplainSettings): ORT here, opt "all", the most threads.
bool explains(const StudyConfig& config, const Cell& cell);

// A JSON file the study wrote itself (a record, search.json, submissions): any problem reading
// it is a failure (exit 1) of the study, not bad input (util/json_file underneath).
Result<nlohmann::json> read_study_file(const std::string& path);
std::string duration_text(double seconds);  // "42s", "3m05s", "1h02m"

}  // namespace paramscale::study
