// scaling/align: hardware-aware width alignment (issue 8).
//
// ONNX Runtime's CPU convolutions run fastest in its blocked NCHWc layout, which converts a
// convolution only when its channel counts fit whole blocks of K channels. Aligning every scalable
// width to a multiple of K lets a scaled network (uniform or NeuralScale) run in that layout.
//
// Rounding rule: the width the method gives (its usual floor) goes to the NEAREST multiple of K,
// halves up, and never below K. Nearest rather than floor because the budget solve then moves
// tau/the multiplier as little as possible and every layer keeps the method's shape within K/2 on
// either side; floor would shrink every layer by (K-1)/2 on average, which the solve must win back
// by growing all layers, so small layers would lose relatively most. For even K this is the same
// as rounding the unfloored width. Alignment is non-decreasing in the width, so aligned widths stay
// non-decreasing in the solved scalar and scaling/solve.h applies unchanged. K = 1 is the identity.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::scaling {

constexpr int kMaxAlign = 4096;

// Nearest multiple of k (halves up), never below k; identity for k = 1. Needs width >= 1, k >= 1.
int align_width(int width, int k);
std::vector<int> align_widths(const std::vector<int>& widths, int k);

// The aligned widths closest to a budget can still miss it by more than a percent when K is large
// next to the widths (MobileNetV2 at width:0.25 with K = 8 missed by 1.5%: every step of the solved
// scalar moves many layers at once). refine_aligned() then moves single layers by +-K, each time
// the move that best closes the gap, while the miss exceeds `tolerance` (relative) and a move
// helps; a layer never goes below K. Widths within tolerance are returned unchanged, so the
// method's shape is kept wherever the plain solve was good enough.
std::vector<int> refine_aligned(std::vector<int> widths, int k, int64_t target,
                                const std::function<int64_t(const std::vector<int>&)>& count,
                                double tolerance = 0.005);

struct Alignment {
  int k = 1;
  std::string requested = "1";  // what the user asked for: "auto" or the number
  std::string reason;           // why this K (for auto: the runtime and CPU it was read from)
};

// "auto" or an integer in [1, kMaxAlign]. "auto" is resolved here from this machine
// (auto_alignment on /proc/cpuinfo and the build's architecture).
Result<Alignment> parse_align(const std::string& text);

// ONNX Runtime's NCHWc block size for a CPU, from /proc/cpuinfo text and the machine architecture
// ("x86_64", "aarch64", ...). See align.cc for the sources.
Alignment auto_alignment(const std::string& cpuinfo, const std::string& machine);

}  // namespace paramscale::scaling
