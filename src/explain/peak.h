// explain/peak: what this machine can do at best — the ceilings per-layer throughput is judged by.
//
// measure_peak() runs, through the same runtime the layers run on (ONNX Runtime, one fresh
// session per microbenchmark):
// - FP32: dense 3x3 convolutions at four CNN-like shapes (64 channels at 56x56, 128 at 28x28, 256
//   at 14x14 and at 56x56) and a 1024^3 matrix multiply; the attainable FP32 throughput is the
//   fastest of them, in GFLOP/s (2 FLOP per MAC);
// - INT8 where the CPU has dot-product instructions (x86 VNNI, aarch64 dotprod): the same
//   convolution in QDQ form, which ONNX Runtime runs as QLinearConv, in GOP/s;
// - memory bandwidth: a streaming copy of 256 MiB per repetition, split over the threads, in GB/s
//   (bytes read plus bytes written).
// Each is the best of its timed repetitions after a warm-up (the attainable rate). Results are
// cached per machine (CPU model, logical CPUs, runtime version, threads) in
// ${XDG_CACHE_HOME:-~/.cache}/paramscale/ peak.json, so explain can judge every layer without
// re-measuring; --refresh measures again. Errors are one-line; the cache is written atomically.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "util/result.h"

namespace paramscale::explain {

struct Peak {
  int threads = 1;
  double fp32_gflops = 0;  // max of conv and matmul
  double conv_gflops = 0, matmul_gflops = 0;
  std::optional<double> int8_gops;  // absent where the CPU has no int8 dot product
  std::string int8_note;            // why absent, or how it ran
  double bandwidth_gbs = 0;
  std::string cpu_model, runtime_version, measured_utc;
};

nlohmann::json to_json(const Peak& p);
Result<Peak> peak_from_json(const nlohmann::json& j);

// Measures now (a few seconds per thread count).
Result<Peak> measure_peak(int threads);

// The cached peak for this machine and thread count, measured (and cached) if absent or refresh.
Result<Peak> machine_peak(int threads, bool refresh);

std::string peak_cache_path();

// Whether this CPU has int8 dot-product instructions, and their name ("avx512_vnni", ...).
std::optional<std::string> int8_dot_product();

}  // namespace paramscale::explain
