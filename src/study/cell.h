// study/cell: one point of the experiment matrix, and the stable keys that name its files.
//
// A network key (family, method, budget, alignment, seed) names what is trained once; a model key
// adds the precision it is deployed in (exported once, quantized once); a cell key adds how it is
// measured (runtime, threads, optimisation level, device). Keys are file-name safe
// and identical across runs, which is what makes a study resumable.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kinds.h"
#include "study/config.h"
#include "util/result.h"

namespace paramscale::study {

struct Cell {
  std::string model;
  std::string method;
  std::string budget;
  int seed = 0;
  std::string runtime;           // a runtime's name (runtime/kinds.h), as keys and records spell it
  int threads = 0;               // resolved here; 0 on a device = every core the device has
  std::string opt_level;         // an ORT level's name, or "default" for runtimes without levels
  int align = 1;                 // width multiple K (1 = none)
  std::string device = "local";  // where it is measured (study config "devices")
  std::string precision = "fp32";  // fp32 | int8 (study config "precisions")

  // The network (widths, training run), shared by its precisions: vgg11.uniform.params-0.25.s0
  std::string network_key() const;
  // The deployed model: the network key, plus ".int8" for its quantized model.
  std::string model_key() const;  // e.g. vgg11.uniform.params-0.25.s0, ...params-0.25.a8.s0
  // e.g. vgg11.uniform.params-0.25.s0.ort.t2.all, ...s0.ort.tall.all.on-pi4 on a device
  std::string key() const;

  // The runtime and level as types; none for a name that is not one (a runtime without levels has
  // opt level "default"), so such a cell equals no runtime and no level.
  std::optional<runtime::RuntimeKind> runtime_kind() const;
  std::optional<runtime::OptLevel> level() const;
};

// A cell as JSON (Slurm task lists carry the cells themselves: their keys hold thread counts
// resolved on the submitting machine), and back; bad input on a missing or mistyped field.
nlohmann::json cell_to_json(const Cell& cell);
Result<Cell> cell_from_json(const nlohmann::json& j);

// The cross product in a fixed order (model, method, budget, align, seed, precision, runtime,
// threads, opt level, device). Threads 0 resolve to `all_cores` here and stay 0 ("all") on a
// device; devices other than "local" and INT8 models get ONNX Runtime cells only (QDQ is ONNX
// Runtime's format; libtorch runs the float training run); duplicate cells are dropped.
std::vector<Cell> expand(const StudyConfig& config, int all_cores);

}  // namespace paramscale::study
