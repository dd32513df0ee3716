// util/limits: the sane bounds every command checks user-given sizes against, in one place.
//
// A request beyond these is bad input (exit 2, one line naming the value), never an allocation
// attempted first: a huge width, batch or thread count must not reach libtorch, ONNX Runtime,
// OpenCV or an int64 product that overflows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace paramscale {

// Intra-op threads (train, search, bench, study). OpenCV crashes above 65,536; no CPU we measure
// has more than a few hundred cores.
constexpr int kMaxThreads = 1024;
// One scalable width (channels of a layer): width:64 (the largest budget) of ResNet-50's widest
// layer, 2048.
constexpr int kMaxWidth = 131072;
// Batch sizes (arch, scale, export, bench, train).
constexpr int64_t kMaxBatch = int64_t{1} << 20;
// Parameters of a network whose weights are materialised (export, train, search, bench): 4 GiB
// of float32 weights.
constexpr int64_t kMaxMaterialisedParams = int64_t{1} << 30;
// Cells of one study (the cross product of its lists).
constexpr size_t kMaxStudyCells = 100000;

}  // namespace paramscale
