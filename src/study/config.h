// study/config: what a study measures — the experiment matrix and the settings of every stage.
//
// A study is the cross product family x method x budget x precision x runtime x threads x opt
// level x seed, run through scale -> train -> export (-> quantize) -> bench (-> eval). Presets
// (`quick`, `paper`) and JSON config files produce the same StudyConfig; parse errors name the
// field.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/measure.h"
#include "util/result.h"

namespace paramscale::study {

struct TrainSettings {
  bool enabled = true;  // false: deployment-only (seeded weights, accuracy "not trained")
  int epochs = 2;
  int subset = 0;  // training images (0 = all)
  int batch_size = 128;
  double lr = 0.05;
  double momentum = 0.9;            // short runs: not the paper's 0.5
  std::string schedule = "cosine";  // multistep | cosine
  int test_subset = 0;   // test images evaluated (0 = all); the same images for every cell
  std::string data_dir;  // CIFAR data; empty = the dataset's default location
};

// The NeuralScale search a study runs itself for a model that needs a fit and has none given
// (only when training is enabled: the search trains). Defaults are a CPU-sized search; the
// paper's are iterations 15, warmup 10, k 10 per 50 minibatches on the whole training set.
struct SearchSettings {
  bool enabled = true;
  int subset = 3000;
  int batch_size = 64;
  double warmup = 1;
  double prune_fraction = 0.05;  // of live channels per pruning step
  // Minibatches between pruning steps. 3, not 5: on VGG-11/Fashion-MNIST the search took 118 s
  // instead of 174 s on one core, and the fitted widths moved less than between two seeds at 5
  // (README, "What the main job shows").
  int frequency = 3;
  int iterations = 1;
};

// How an INT8 cell's model is made from its float twin (paramscale quantize): calibrated on this
// many images of the training split (seeded noise when the study does not train: then only
// latency and memory mean anything).
struct QuantizeSettings {
  int calibration_images = 512;
  std::string calibration = "minmax";  // minmax | percentile | entropy
  double percentile = 99.999;
  std::string activations = "u8";     // u8 | s8
  std::string reduce_range = "auto";  // auto | on | off
};

// How the study benches: the same Protocol (defaults and checks) as `paramscale bench`.
using BenchSettings = runtime::Protocol;

// The measured per-layer explanation (paramscale explain) of the cells that show it best: ONNX
// Runtime on this machine, optimisation level "all", the largest thread count of the study.
struct ExplainSettings {
  bool enabled = true;
  int runs = 20;  // profiled runs per cell
};

// Where the stages run: "local" (child processes here) or "slurm" (job arrays on a Slurm
// cluster; study/slurm.h). Settings per stage kind: `make` (the study's own search, training,
// export — e.g. a GPU partition with gres "gpu:1") and `measure` (bench and explain — the
// partition or constraint of the measuring nodes). Measuring tasks take a whole node by default
// (--exclusive), so nothing else runs beside a measurement.
struct SlurmStage {
  std::string partition;                // "" = the cluster's default
  std::string time;                     // --time, every array has one
  std::string gres, constraint;         // "" = none
  int max_concurrent = 0;               // tasks of one array at a time (%k); 0 = no limit
  std::vector<std::string> extra_args;  // further sbatch arguments, as given
};

struct SlurmSettings {
  SlurmStage make, measure;
  bool measure_exclusive = true;  // one measuring task per node
  double poll_seconds = 5;        // how often a waiting study looks at the queue
  SlurmSettings() {
    make.time = "04:00:00";
    measure.time = "00:30:00";
  }
};

struct StudyConfig {
  std::string name = "custom";
  std::string dataset = "fashion-mnist";
  std::vector<std::string> models = {"vgg11"};
  std::vector<std::string> methods = {"uniform", "neuralscale"};
  std::vector<std::string> budgets = {"params:0.25", "params:0.5", "params:0.75", "params:1.0"};
  std::vector<std::string> runtimes = {"ort"};  // ort, opencv, torch (torch: trained runs only)
  std::vector<int> threads = {0};               // 0 = all cores
  std::vector<std::string> opt_levels = {"all"};
  // Width alignment K per model (scaling/align.h; 1 = none): a study dimension, so one report shows
  // uniform vs NeuralScale vs aligned NeuralScale side by side.
  std::vector<int> aligns = {1};
  std::vector<int> seeds = {0};
  // Numeric precision of the deployed model: "fp32" (the export) and "int8" (its post-training
  // static quantization, QDQ). INT8 cells are ONNX Runtime cells; a study that trains also
  // evaluates every model through ONNX Runtime (paramscale eval) when int8 is among them, so FP32
  // and INT8 accuracy are measured the same way.
  std::vector<std::string> precisions = {"fp32"};
  // Where cells are measured: "local" (this machine) and device names from the devices file
  // (device/registry.h). Models are made once on this machine; each device measures them, one
  // measurement at a time per device, devices in parallel. Devices measure ONNX Runtime only.
  std::vector<std::string> devices = {"local"};
  std::string devices_file;                 // empty: the default devices file
  std::map<std::string, std::string> fits;  // model -> NeuralScale fit file
  std::string count = "true";
  TrainSettings train;
  SearchSettings search;
  QuantizeSettings quantize;
  BenchSettings bench;
  ExplainSettings explain;
  std::string executor = "local";  // local | slurm
  SlurmSettings slurm;
};

const std::vector<std::string>& preset_names();
Result<StudyConfig> preset(const std::string& name);
Result<StudyConfig> config_from_json(const nlohmann::json& j);
Result<StudyConfig> read_config(const std::string& path);

// Everything a cell would find wrong, found before the study creates anything: unknown models,
// methods, dataset, runtimes (not in `runtimes`, the ones this build measures) or optimisation
// levels, malformed budgets, thread counts outside 0..kMaxThreads, negative seeds, training and
// bench settings out of range, fits that cannot be read or do not fit their model, more than
// kMaxStudyCells cells. Devices are checked against the devices file by the runner.
Status validate_config(const StudyConfig& config, const std::vector<std::string>& runtimes);
nlohmann::json to_json(const StudyConfig& c);

}  // namespace paramscale::study
