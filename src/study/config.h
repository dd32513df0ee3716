// study/config: what a study measures — the experiment matrix and the settings of every stage.
//
// A study is the cross product family x method x budget x runtime x threads x opt level x seed,
// run through scale -> train -> export -> bench. Presets (`quick`, `paper`) and JSON config files
// produce the same StudyConfig; parse errors name the field.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::study {

struct TrainSettings {
  bool enabled = true;  // false: deployment-only (seeded weights, accuracy "not trained")
  int epochs = 2;
  int subset = 0;       // training images (0 = all)
  int batch_size = 128;
  double lr = 0.05;
  double momentum = 0.9;            // short runs: not the paper's 0.5
  std::string schedule = "cosine";  // multistep | cosine
  std::string data_dir; // CIFAR data; empty = the dataset's default location
};

struct BenchSettings {
  int warmup_runs = 5;
  int min_runs = 30;
  double min_seconds = 1.0;
  int batch = 1;
};

struct StudyConfig {
  std::string name = "custom";
  std::string dataset = "fashion-mnist";
  std::vector<std::string> models = {"vgg11"};
  std::vector<std::string> methods = {"uniform", "neuralscale"};
  std::vector<std::string> budgets = {"params:0.25", "params:0.5", "params:0.75", "params:1.0"};
  std::vector<std::string> runtimes = {"ort"};
  std::vector<int> threads = {0};  // 0 = all cores
  std::vector<std::string> opt_levels = {"all"};
  std::vector<int> seeds = {0};
  std::map<std::string, std::string> fits;  // model -> NeuralScale fit file
  std::string count = "true";
  TrainSettings train;
  BenchSettings bench;
};

const std::vector<std::string>& preset_names();
Result<StudyConfig> preset(const std::string& name);
Result<StudyConfig> config_from_json(const nlohmann::json& j);
Result<StudyConfig> read_config(const std::string& path);
nlohmann::json to_json(const StudyConfig& c);

}  // namespace paramscale::study
