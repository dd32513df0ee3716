// rundir/run_dir: the training run directory — its files, and the one place that reads and writes
// them. `paramscale train` writes it (nn/ through these names); export, the runtimes, quantize,
// eval, explain and the study read it. docs/ARCHITECTURE.md lists who uses which file.
//
//   arch.json     {"model": "vgg11", "dataset": "cifar10", "widths": [64, 128, ...], ...}
//                 model: a family name (arch/families.h); dataset: a preset name (arch/dataset.h);
//                 widths: the scalable widths in reference order, positive integers. Other fields
//                 (method, budget, align) describe where the widths came from.
//   weights.psw   the network's weights in the arch/weights.h file format, ungated names.
//   summary.json  written when training finished: settings, accuracies, timings, per-epoch history
//                 (schema "paramscale.train.summary/1"); its presence means "trained".
//   log.csv       one row per finished epoch; checkpoint.pt: the resumable training state (nn/).
//
// read_run_dir builds the (ungated) network and checks that the weights fit it. Every problem —
// missing directory or file, malformed JSON, a wrong or missing field, weights of the wrong shape —
// is a one-line bad-input Error naming the file. All functions are thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "arch/network.h"
#include "arch/weights.h"
#include "util/result.h"

namespace paramscale::rundir {

constexpr const char* kArchFile = "arch.json";
constexpr const char* kWeightsFile = "weights.psw";
constexpr const char* kSummaryFile = "summary.json";
constexpr const char* kLogFile = "log.csv";
constexpr const char* kCheckpointFile = "checkpoint.pt";

// DIR/FILE for one of the names above.
std::string file_in(const std::string& dir, const char* file);

struct RunDir {
  arch::Network network;
  arch::Weights weights;
};

Result<RunDir> read_run_dir(const std::string& dir);

// Atomic writes of arch.json and summary.json (util/json_file.h).
Status write_arch(const std::string& dir, const nlohmann::json& arch);
Status write_summary(const std::string& dir, const nlohmann::json& summary);

// summary.json as an object; an error when it is missing, unreadable or not an object (a run that
// has not finished, or a damaged summary: both mean "train again or resume").
Result<nlohmann::json> read_summary(const std::string& dir);

}  // namespace paramscale::rundir
