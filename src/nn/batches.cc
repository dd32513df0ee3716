// Minibatches, evaluation and run helpers shared by the trainer and the search; see batches.h.
#include "nn/batches.h"

#include <dlfcn.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdio>
#include <limits>
#include <optional>

namespace paramscale::nn {

void set_up_cpu_math() {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(1);
  // Weights of pruned (gated-off) channels decay towards zero under weight decay and can become
  // denormal floats, which x86 CPUs process many times slower; flushing them to zero is free.
  at::globalContext().setFlushDenormal(true);
}

void keep_freed_memory_for_reuse() {
#ifdef __GLIBC__
  mallopt(M_MMAP_MAX, 0);  // large blocks from the heap, not fresh mappings
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());  // never shrink the heap
#endif
}

Result<torch::Device> resolve_device(const std::string& name) {
  std::optional<torch::Device> device;
  try {
    device.emplace(name);
  } catch (const std::exception&) {
    return bad_input("unknown --device '" + name + "' (expected cpu or cuda[:N])");
  }
  if (device->is_cuda() && !torch::cuda::is_available())
    return bad_input("--device " + name + ": this libtorch build or machine has no CUDA device");
  return *device;
}

torch::Tensor make_batch(const ImageSet& set, const int64_t* idx, int64_t b, const PixelLut& lut,
                         Rng* rng, torch::Tensor* labels) {
  const int C = set.channels, H = set.height, W = set.width;
  torch::Tensor x = torch::empty({b, C, H, W}, torch::kFloat32);
  *labels = torch::empty({b}, torch::kInt64);
  float* out = x.data_ptr<float>();
  int64_t* lab = labels->data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    const uint8_t* src = &set.pixels[idx[i] * set.sample_bytes()];
    lab[i] = set.labels[idx[i]];
    int dy = 4, dx = 4;
    bool flip = false;
    if (rng) {
      dy = static_cast<int>(rng->below(9));
      dx = static_cast<int>(rng->below(9));
      flip = rng->below(2) == 1;
    }
    for (int c = 0; c < C; ++c) {
      const auto& l = lut[c];
      for (int y = 0; y < H; ++y) {
        const int sy = y + dy - 4;
        for (int x0 = 0; x0 < W; ++x0) {
          const int sx = (flip ? W - 1 - x0 : x0) + dx - 4;
          *out++ = (sy < 0 || sy >= H || sx < 0 || sx >= W) ? l[0] : l[src[(c * H + sy) * W + sx]];
        }
      }
    }
  }
  return x;
}

double evaluate(Model& model, const ImageSet& set, const PixelLut& lut,
                const torch::Device& device) {
  if (set.size() == 0) return -1;
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<int64_t> idx(static_cast<size_t>(set.size()));
  for (int64_t i = 0; i < set.size(); ++i) idx[i] = i;
  int64_t correct = 0;
  for (int64_t s = 0; s < set.size(); s += 500) {
    const int64_t b = std::min<int64_t>(500, set.size() - s);
    torch::Tensor labels;
    torch::Tensor x = make_batch(set, idx.data() + s, b, lut, nullptr, &labels).to(device);
    correct += model->forward(x).argmax(1).to(torch::kCPU).eq(labels).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(set.size());
}

}  // namespace paramscale::nn
