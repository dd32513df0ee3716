// nn/batches: what the trainer and the search share — normalised (optionally augmented) minibatches
// from uint8 images, accuracy over a whole set, thread settings and progress formatting.
// Includes torch: internal to nn/.
#pragma once

#include <torch/torch.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "nn/dataset.h"
#include "nn/model.h"

namespace paramscale::nn {

// Before any math: libtorch runs linear layers through the system BLAS (OpenBLAS here), which
// starts its own thread pool; with torch's threads on top the cores are oversubscribed, so it is
// pinned to one thread where the library offers openblas_set_num_threads (looked up at run time:
// other BLAS builds lack it). Denormal floats are flushed to zero (see batches.cc).
void set_up_cpu_math();

// For training loops (trainer, search), not inference measurements: every step allocates and frees
// the same large activation and gradient buffers. By default glibc serves large blocks with fresh
// mmap()s and hands freed heap tops back to the kernel, so each step re-faults and the kernel
// re-zeroes those pages; this keeps freed memory in the heap for reuse instead (higher peak RSS,
// measured in bench/README.md). No-op on other C libraries.
void keep_freed_memory_for_reuse();

// "cpu", "cuda" or "cuda:N", checked against this libtorch build and machine.
Result<torch::Device> resolve_device(const std::string& name);

// Images idx[0..b) of `set` as an N x C x H x W float batch, with random crop (padding 4) and
// horizontal flip drawn from rng when rng is not null; their labels go to *labels.
torch::Tensor make_batch(const ImageSet& set, const int64_t* idx, int64_t b, const PixelLut& lut,
                         Rng* rng, torch::Tensor* labels);

// Top-1 accuracy of the model (eval mode) on the whole set; -1 for an empty set.
double evaluate(Model& model, const ImageSet& set, const PixelLut& lut,
                const torch::Device& device);

}  // namespace paramscale::nn
