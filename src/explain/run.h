// explain/run: profile one model on ONNX Runtime and attribute its time to the network's layers.
//
// Outside bench's timed protocol on purpose: the profiler adds work to every node. explain_model()
// therefore times the same model twice in one process — first unprofiled, then with the profiler
// on (each after its own warm-up, `runs` runs each) — and reports the overhead as the ratio of the
// two medians. The per-layer rows come from the profiled runs (explain/attribution.h). The
// profiler's Chrome-trace file is kept at `trace_path` until the caller removes it.
#pragma once

#include <string>
#include <vector>

#include "explain/attribution.h"
#include "runtime/kinds.h"
#include "util/result.h"

namespace paramscale::explain {

struct ExplainRequest {
  std::string model;  // .onnx
  runtime::RuntimeKind runtime = runtime::RuntimeKind::kOrt;
  int threads = 1;
  runtime::OptLevel opt_level = runtime::OptLevel::kAll;
  int warmup_runs = 5;
  int runs = 20;
  std::vector<IrLayer> layers;  // the network's layers (empty: a foreign model)
  double peak_gflops = 0;       // judge layers against this (0: no peak)
};

struct ExplainResult {
  Explanation explanation;
  double unprofiled_median_us = 0;
  double profiled_median_us = 0;  // == explanation.run_median_us
  double overhead() const {
    return unprofiled_median_us > 0 ? profiled_median_us / unprofiled_median_us - 1 : 0;
  }
  std::string trace_path;
  std::string runtime_version;
};

Result<ExplainResult> explain_model(const ExplainRequest& request);

}  // namespace paramscale::explain
