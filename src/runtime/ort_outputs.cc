// Named outputs of an ONNX model on ONNX Runtime, batch by batch; see ort_outputs.h.
#include "runtime/ort_outputs.h"

#include <onnxruntime_cxx_api.h>

#include <optional>

#include "util/text.h"

namespace paramscale::runtime {

Status run_ort_outputs(const std::string& model_bytes, const std::vector<std::string>& outputs,
                       const std::vector<FloatBatch>& batches, int threads,
                       const OutputSink& sink) {
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "paramscale-outputs");
  std::optional<Ort::Session> session;
  std::string input_name;
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(threads);
    so.SetInterOpNumThreads(1);
    so.SetGraphOptimizationLevel(ORT_DISABLE_ALL);
    session.emplace(env, model_bytes.data(), model_bytes.size(), so);
    if (session->GetInputCount() != 1) return bad_input("the model does not have one input");
    Ort::AllocatorWithDefaultOptions alloc;
    input_name = session->GetInputNameAllocated(0, alloc).get();
  } catch (const std::exception& e) {
    return bad_input("onnxruntime cannot load the model: " + one_line(e.what()));
  }
  std::vector<const char*> names;
  for (const auto& o : outputs) names.push_back(o.c_str());
  const char* in_names[] = {input_name.c_str()};
  const auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  for (const FloatBatch& b : batches) {
    std::vector<Ort::Value> results;
    try {
      Ort::Value x = Ort::Value::CreateTensor<float>(mem, const_cast<float*>(b.data.data()),
                                                     b.data.size(), b.shape.data(), b.shape.size());
      results = session->Run(Ort::RunOptions{nullptr}, in_names, &x, 1, names.data(), names.size());
    } catch (const Ort::Exception& e) {
      const bool unknown = std::string(e.what()).find("Invalid Output Name") != std::string::npos;
      return Error{"onnxruntime: " + one_line(e.what()), unknown ? 2 : 1};
    }
    for (size_t i = 0; i < results.size(); ++i) {
      const auto info = results[i].GetTensorTypeAndShapeInfo();
      if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
        return failure("output '" + outputs[i] + "' is not float32");
      sink(i, results[i].GetTensorData<float>(), info.GetElementCount());
    }
  }
  return {};
}

}  // namespace paramscale::runtime
