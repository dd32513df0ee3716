// runtime/backend: one interface over the inference runtimes bench measures.
//
// A Backend is created by make_backend() (this initialises the runtime: the "after runtime init"
// memory stage), then load()s one model file (the "after session creation" stage), then run()s one
// inference at a time on the input given to set_input(). Every backend reports its name, version
// and the options it actually applied, so a record can be reproduced. Backends are not thread-safe;
// one process measures one model. Failures are Result values with one-line messages: bad_input for
// a model the runtime cannot read or feed, failure for an inference error.
//
// One file per backend: ort_backend.cc (ONNX Runtime CPU EP); opencv_backend.cc (OpenCV DNN) is
// built only with PARAMSCALE_RUNTIME_OPENCV (not in the device build); both are registered in
// backends.cc. torch_backend.cc (libtorch) is its own library, ps_runtime_torch, linked only into
// paramscale-torch and the tests that need it (cli/torch_handoff.h says why): linking it registers
// it. A build with libtorch (PARAMSCALE_TORCH_BUILD) knows the torch runtime in every executable,
// so configs naming it are valid everywhere; only paramscale-torch can make its backend.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kinds.h"
#include "util/result.h"

namespace paramscale::runtime {

// The runtime and level travel by name (flags, the child's request JSON, records); runtime_kind()
// and level() are their types, which everything that branches on them uses.
struct BackendOptions {
  std::string runtime = to_string(RuntimeKind::kOrt);  // a name from runtime/kinds.h
  int threads = 1;                                     // intra-op threads
  std::string opt_level = to_string(OptLevel::kAll);   // ORT graph optimisation
  bool arena = true;                                   // ORT CPU memory arena
  bool mem_pattern = true;                             // ORT memory pattern planning
  std::string optimized_model_path;  // ORT: save the optimised graph here (empty: don't)
  std::string profile_prefix;        // ORT: profile every run into PREFIX_<time>.json (empty: off)

  // None for a name that is not one (check_backend_options refuses those).
  std::optional<RuntimeKind> runtime_kind() const;
  std::optional<OptLevel> level() const;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;        // "onnxruntime", "opencv-dnn", ...
  virtual std::string version() const = 0;     // the runtime library's own version string
  virtual nlohmann::json options() const = 0;  // every option applied, for the record

  // Loads the model and prepares to feed `shape` (batch resolved, see model_info feed_shape()).
  virtual Status load(const std::string& path, const std::vector<int64_t>& shape) = 0;
  // Copies the input once; run() reuses it. Size must be the product of the loaded shape.
  virtual Status set_input(const std::vector<float>& input) = 0;
  // One inference; keeps the first output for output().
  virtual Status run() = 0;
  virtual std::vector<float> output() const = 0;
  virtual std::vector<int64_t> output_shape() const = 0;
  // Allocator statistics where the runtime's API offers them, else {"available": false, "reason"}.
  virtual nlohmann::json allocator_stats() const = 0;
  // Stops the runtime's profiler (BackendOptions::profile_prefix) and returns the trace file it
  // wrote (Chrome trace JSON). Bad input for a runtime without a per-node profiler.
  virtual Result<std::string> end_profiling() {
    return bad_input("runtime " + name() + " has no per-layer profiler (use --runtime ort)");
  }
};

// The runtimes this build knows (by name), in the order `--runtime` lists them.
std::vector<std::string> known_runtimes();
std::string known_runtimes_text();  // "ort, opencv, torch": for help texts and errors
Status check_backend_options(const BackendOptions& options);
Result<std::unique_ptr<Backend>> make_backend(const BackendOptions& options);

// Per-backend factories (one file each).
Result<std::unique_ptr<Backend>> make_ort_backend(const BackendOptions& options);
#ifdef PARAMSCALE_RUNTIME_OPENCV
Result<std::unique_ptr<Backend>> make_opencv_backend(const BackendOptions& options);
#endif
// Called once by ps_runtime_torch when it is linked (a static initialiser).
using BackendFactory = Result<std::unique_ptr<Backend>> (*)(const BackendOptions& options);
void register_torch_backend(BackendFactory factory);

}  // namespace paramscale::runtime
