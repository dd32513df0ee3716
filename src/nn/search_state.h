// nn/search_state: what a NeuralScale search persists — its resumable state in checkpoint.pt,
// the files of each finished iteration (trace_<i>.csv, fit_<i>.json, fit.json) and search.json.
//
// Internal to nn/ (search.cc is its one user): the search loop decides when to save, this file
// decides how. Torch-free header; the checkpoint format (version 2) is described in nn/search.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/families.h"
#include "nn/dataset.h"
#include "nn/search.h"
#include "scaling/trace.h"
#include "util/result.h"

namespace paramscale::nn {

class Learner;
class ChannelScores;

// Everything but the model and optimizer that a resumed search needs, kept as JSON in
// checkpoint.pt.
struct SearchState {
  int iteration = 1;      // the iteration in progress
  int64_t step = 0;       // minibatches done in it (0: its network is not built yet)
  int pruning_steps = 0;  // in this iteration
  int total_pruning_steps = 0;
  std::vector<std::vector<int>> rows;  // trace rows so far
  double seconds = 0, step_seconds = 0, bookkeeping_seconds = 0, iteration_seconds = 0;
  // Since the last pruning step (a time checkpoint can fall between two).
  double interval_loss = 0;
  int64_t interval_correct = 0, interval_seen = 0;
  std::vector<IterationResult> done;
};

// The settings a resumed search must share with the one that wrote the checkpoint, as text.
std::string search_settings(arch::Family family, const arch::DatasetShape& shape,
                            const DataSplits& d, const SearchOptions& o);

// Writes the checkpoint (atomically): the state, the settings, and — within an iteration — the
// learner (model, optimizer) and the Taylor scores. Between iterations both are null.
Status save_search_checkpoint(const std::string& path, const SearchState& st,
                              const std::string& settings, Learner* learner,
                              const ChannelScores* scores);
// The state of the checkpoint at `path`; refused (one line) when missing, of another format
// version, written with other settings, or unreadable.
Result<SearchState> load_search_state(const std::string& path, const std::string& settings);
// The learner and the scores from the same checkpoint, into an iteration's fresh ones.
Status load_search_model(const std::string& path, Learner& learner, ChannelScores& scores);

// After iteration st.done.back(): its trace and fit, and fit.json with every iteration so far.
Status write_iteration_files(const std::string& dir, arch::Family family,
                             const arch::DatasetShape& shape, const SearchOptions& o,
                             const scaling::Trace& trace, const SearchState& st);
// search.json: the settings, whether the search finished, its seconds and every iteration.
Status write_search_json(const std::string& dir, const std::string& settings, const SearchState& st,
                         bool finished);

}  // namespace paramscale::nn
