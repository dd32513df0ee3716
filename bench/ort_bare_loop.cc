// bench/ort_bare_loop: the floor `paramscale bench` is compared against — one process, one
// Ort::Session, a bare loop of Run() calls timed the same way (steady_clock around each call),
// same session options and seeded input. Prints the median ms. Usage: ort_bare_loop MODEL THREADS
// RUNS
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ort_bare_loop MODEL THREADS RUNS\n");
    return 2;
  }
  const int threads = std::atoi(argv[2]), runs = std::atoi(argv[3]);
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "bare");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads);
  so.SetInterOpNumThreads(1);
  so.SetExecutionMode(ORT_SEQUENTIAL);
  so.SetGraphOptimizationLevel(ORT_ENABLE_ALL);
  Ort::Session session(env, argv[1], so);
  Ort::AllocatorWithDefaultOptions alloc;
  Ort::TypeInfo type = session.GetInputTypeInfo(0);
  std::vector<int64_t> shape = type.GetTensorTypeAndShapeInfo().GetShape();
  if (shape[0] < 0) shape[0] = 1;
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  std::mt19937_64 gen(42);
  std::vector<float> input(n);
  for (float& x : input) x = static_cast<float>(static_cast<double>(gen() >> 11) * 0x1.0p-52 - 1.0);
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value value =
      Ort::Value::CreateTensor<float>(mem, input.data(), n, shape.data(), shape.size());
  const auto in_name = session.GetInputNameAllocated(0, alloc);
  const auto out_name = session.GetOutputNameAllocated(0, alloc);
  const char* in_names[] = {in_name.get()};
  const char* out_names[] = {out_name.get()};
  Ort::RunOptions ro;
  for (int i = 0; i < 10; ++i) session.Run(ro, in_names, &value, 1, out_names, 1);
  std::vector<double> ms;
  ms.reserve(runs);
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = session.Run(ro, in_names, &value, 1, out_names, 1);
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const double h = (ms.size() - 1) * 0.5;
  const size_t lo = static_cast<size_t>(h);
  std::printf("%.4f\n", ms[lo] + (h - lo) * (ms[std::min(lo + 1, ms.size() - 1)] - ms[lo]));
  return 0;
}
