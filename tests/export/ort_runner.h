// tests/export/ort_runner: run an in-memory ONNX model once with ONNX Runtime (tests only).
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>
#include <string>
#include <vector>

namespace paramscale::test {

struct OrtOutput {
  std::vector<float> values;
  std::vector<int64_t> shape;
};

// Feeds `input` ([batch, c, h, w]) as "input" and returns "logits". Throws Ort::Exception on error.
inline OrtOutput run_ort(const std::string& model_bytes, const std::vector<float>& input,
                         std::vector<int64_t> input_shape) {
  static Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "export_test");
  Ort::SessionOptions options;
  options.SetIntraOpNumThreads(1);
  Ort::Session session(env, model_bytes.data(), model_bytes.size(), options);
  const auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<float> data = input;
  Ort::Value x = Ort::Value::CreateTensor<float>(memory, data.data(), data.size(),
                                                 input_shape.data(), input_shape.size());
  const char* in_names[] = {"input"};
  const char* out_names[] = {"logits"};
  auto outputs = session.Run(Ort::RunOptions{nullptr}, in_names, &x, 1, out_names, 1);
  OrtOutput r;
  const auto info = outputs[0].GetTensorTypeAndShapeInfo();
  r.shape = info.GetShape();
  const float* p = outputs[0].GetTensorData<float>();
  r.values.assign(p, p + info.GetElementCount());
  return r;
}

}  // namespace paramscale::test
