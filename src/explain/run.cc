#include "explain/run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "runtime/backend.h"
#include "runtime/measure.h"
#include "runtime/model_info.h"

namespace paramscale::explain {

namespace {

using Clock = std::chrono::steady_clock;

// Warm-up, then `runs` timed runs; the median in µs.
Result<double> timed_runs(runtime::Backend& b, int warmup, int runs) {
  for (int i = 0; i < warmup; ++i)
    if (Status s = b.run(); !s.ok()) return s.error();
  std::vector<double> us;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    if (Status s = b.run(); !s.ok()) return s.error();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return us.size() % 2 ? us[us.size() / 2] : (us[us.size() / 2 - 1] + us[us.size() / 2]) / 2;
}

Result<std::unique_ptr<runtime::Backend>> ready_backend(const ExplainRequest& r,
                                                        const std::vector<int64_t>& shape,
                                                        const std::string& profile_prefix) {
  runtime::BackendOptions o;
  o.runtime = runtime::to_string(r.runtime);
  o.threads = r.threads;
  o.opt_level = runtime::to_string(r.opt_level);
  o.profile_prefix = profile_prefix;
  auto b = runtime::make_backend(o);
  if (!b.ok()) return b.error();
  if (Status s = (*b)->load(r.model, shape); !s.ok()) return s.error();
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  if (Status s = (*b)->set_input(runtime::seeded_input(n, 42)); !s.ok()) return s.error();
  return b;
}

}  // namespace

Result<ExplainResult> explain_model(const ExplainRequest& r) {
  if (r.runtime != runtime::RuntimeKind::kOrt)
    return bad_input("runtime " + std::string(runtime::to_string(r.runtime)) +
                     " has no per-layer profiler here; explain runs ONNX Runtime (--runtime ort)");
  if (r.runs < 3 || r.runs > 100000) return bad_input("explain needs 3..100000 profiled runs");
  if (r.warmup_runs < 0) return bad_input("warm-up runs must be >= 0");
  auto info = runtime::read_model_info(r.model);
  if (!info.ok()) return info.error();
  // A model with a fixed batch runs that batch (as onnxruntime_perf_test and trtexec do); else 1.
  const int64_t fixed = info->input_shape.empty() ? -1 : info->input_shape[0];
  auto shape =
      runtime::feed_shape(*info, fixed > 0 && fixed < (1 << 20) ? static_cast<int>(fixed) : 1);
  if (!shape.ok()) return bad_input("'" + r.model + "': " + shape.error().message);

  ExplainResult out;
  {
    auto plain = ready_backend(r, *shape, "");
    if (!plain.ok()) return plain.error();
    auto us = timed_runs(**plain, r.warmup_runs, r.runs);
    if (!us.ok()) return us.error();
    out.unprofiled_median_us = *us;
    out.runtime_version = (*plain)->version();
  }
  char prefix[] = "/tmp/paramscale-profile-XXXXXX";
  const int fd = mkstemp(prefix);
  if (fd < 0) return failure("cannot create a temporary file for the profiler trace");
  close(fd);
  std::remove(prefix);
  auto profiled = ready_backend(r, *shape, prefix);
  if (!profiled.ok()) return profiled.error();
  if (auto us = timed_runs(**profiled, r.warmup_runs, r.runs); !us.ok()) return us.error();
  auto trace = (*profiled)->end_profiling();
  if (!trace.ok()) return trace.error();
  out.trace_path = *trace;
  auto profile = read_ort_trace(*trace, r.warmup_runs);
  if (!profile.ok()) return profile.error();
  out.explanation = attribute(*profile, r.layers, r.peak_gflops);
  out.profiled_median_us = out.explanation.run_median_us;
  return out;
}

}  // namespace paramscale::explain
