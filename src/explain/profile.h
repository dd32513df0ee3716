// explain/profile: what ONNX Runtime's profiler says about each run of a model, parsed.
//
// The profiler writes a Chrome-trace JSON array: per run a "model_run" event (category
// "Session") and per executed node a "<node name>_kernel_time" event (category "Node") with its
// duration in µs, op type, execution provider and input/output shapes. parse_ort_trace() groups
// the node events by run (by time: a node belongs to the run whose interval holds it), drops the
// first `skip_runs` runs (warm-up) and keeps the rest. It never trusts the file's shape: a missing
// or mistyped field is a one-line bad-input Error, not an exception. Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::explain {

struct TensorShape {
  std::string type;  // "float", "int8", "uint8", ...
  std::vector<int64_t> dims;
  int64_t elements() const;
  int64_t bytes() const;  // elements x the type's size (4 when unknown)
};

struct NodeRun {
  std::string name;      // the node's name in the optimised graph (ORT may add suffixes)
  std::string op;        // op_name: Conv, QLinearConv, ReorderInput, ...
  std::string provider;  // CPUExecutionProvider, ...
  double us = 0;         // kernel time in this run
  std::vector<TensorShape> inputs, outputs;
};

struct Run {
  double us = 0;               // the whole run (model_run)
  std::vector<NodeRun> nodes;  // in execution order
};

struct Profile {
  std::vector<Run> runs;
};

Result<Profile> parse_ort_trace(const nlohmann::json& trace, int skip_runs);
Result<Profile> read_ort_trace(const std::string& path, int skip_runs);

}  // namespace paramscale::explain
