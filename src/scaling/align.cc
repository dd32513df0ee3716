#include "scaling/align.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace paramscale::scaling {

int align_width(int width, int k) {
  if (k <= 1) return width;
  const int64_t q = (2 * static_cast<int64_t>(width) + k) / (2 * static_cast<int64_t>(k));
  return static_cast<int>(std::max<int64_t>(k, q * k));
}

std::vector<int> align_widths(const std::vector<int>& widths, int k) {
  std::vector<int> out(widths.size());
  for (size_t i = 0; i < widths.size(); ++i) out[i] = align_width(widths[i], k);
  return out;
}

std::vector<int> refine_aligned(std::vector<int> widths, int k, int64_t target,
                                const std::function<int64_t(const std::vector<int>&)>& count,
                                double tolerance) {
  if (k <= 1 || target <= 0) return widths;
  const auto miss = [&](int64_t params) {
    return std::abs(static_cast<double>(params - target)) / static_cast<double>(target);
  };
  double best = miss(count(widths));
  // Each accepted move strictly shrinks the miss, so this ends; the bound is a safety net.
  for (size_t round = 0; best > tolerance && round < 64 * widths.size(); ++round) {
    size_t best_layer = widths.size();
    int best_delta = 0;
    for (size_t l = 0; l < widths.size(); ++l)
      for (int delta : {k, -k}) {
        if (widths[l] + delta < k) continue;
        widths[l] += delta;
        const double m = miss(count(widths));
        widths[l] -= delta;
        if (m < best) best = m, best_layer = l, best_delta = delta;
      }
    if (best_layer == widths.size()) break;
    widths[best_layer] += best_delta;
  }
  return widths;
}

namespace {
// True when the first "flags" (x86) or "Features" (arm) line of /proc/cpuinfo lists `flag`.
bool has_flag(const std::string& cpuinfo, const std::string& flag) {
  std::istringstream in(cpuinfo);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0 && line.rfind("Features", 0) != 0) continue;
    std::istringstream words(
        line.substr(line.find(':') == std::string::npos ? 0 : line.find(':') + 1));
    for (std::string w; words >> w;)
      if (w == flag) return true;
    return false;
  }
  return false;
}
}  // namespace

// Sources (ONNX Runtime's MLAS, onnxruntime/core/mlas/lib/platform.cpp, MLAS_PLATFORM constructor):
// on x86-64 NchwcBlockSize is 8 from the SSE2 baseline through AVX and AVX2/FMA3, and becomes 16
// when the CPU has AVX512F and the OS saves its state (XCR0 bits 5-7); the NCHWc transformer
// (core/optimizer/nchwc_transformer.cc) runs only at level "all". On aarch64 the stock build has no
// NCHWc kernels (block size 1, so the pass does nothing); builds with the ARM NEON NCHWc option use
// MLAS_NEON_NCHWC_BLOCK_SIZE, whose value we have not verified. We pick 4 there (one 128-bit NEON
// register of floats) as a cheap, unverified guess — measure before relying on it.
Alignment auto_alignment(const std::string& cpuinfo, const std::string& machine) {
  Alignment a;
  a.requested = "auto";
  if (machine == "x86_64" || machine == "amd64" || machine == "i686" || machine == "i386") {
    if (has_flag(cpuinfo, "avx512f")) {
      a.k = 16;
      a.reason = "ONNX Runtime NCHWc block on " + machine + " with avx512f";
    } else {
      a.k = 8;
      a.reason = "ONNX Runtime NCHWc block on " + machine +
                 (has_flag(cpuinfo, "avx2") ? " with avx2" : " without avx512f");
    }
  } else if (machine == "aarch64" || machine == "arm64") {
    a.k = 4;
    a.reason = "aarch64 NEON: 4 floats per vector (unverified guess; stock ORT has no NCHWc there)";
  } else {
    a.k = 1;
    a.reason = "no known NCHWc block size for " + machine + ": no alignment";
  }
  return a;
}

Result<Alignment> parse_align(const std::string& text) {
  if (text == "auto") {
    std::ifstream in("/proc/cpuinfo");
    std::stringstream cpuinfo;
    cpuinfo << in.rdbuf();
    struct utsname u {};
    const std::string machine = uname(&u) == 0 ? u.machine : "unknown";
    return auto_alignment(cpuinfo.str(), machine);
  }
  char* end = nullptr;
  errno = 0;
  const long v = text.empty() ? 0 : std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0)
    return bad_input("--align must be a positive integer or 'auto', got '" + text + "'");
  if (v < 1 || v > kMaxAlign)
    return bad_input("--align must be in [1, " + std::to_string(kMaxAlign) + "] or 'auto', got '" +
                     text + "'");
  Alignment a;
  a.k = static_cast<int>(v);
  a.requested = text;
  a.reason = v == 1 ? "no alignment" : "requested";
  return a;
}

}  // namespace paramscale::scaling
