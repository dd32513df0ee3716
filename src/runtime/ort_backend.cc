// runtime/ort_backend: ONNX Runtime, CPU execution provider.
//
// One Ort::Env per backend (created in make_ort_backend: the runtime-init stage). Sequential
// execution with one inter-op thread; intra-op threads, graph optimisation level, CPU arena and
// memory pattern as requested. The input tensor wraps the backend's own buffer (no copy per run).
#include <onnxruntime_cxx_api.h>

#include <optional>

#include "runtime/backend.h"
#include "util/text.h"

namespace paramscale::runtime {

namespace {

GraphOptimizationLevel level_of(std::optional<OptLevel> level) {
  switch (level.value_or(OptLevel::kAll)) {  // make_backend checked the name
    case OptLevel::kDisable:
      return ORT_DISABLE_ALL;
    case OptLevel::kBasic:
      return ORT_ENABLE_BASIC;
    case OptLevel::kExtended:
      return ORT_ENABLE_EXTENDED;
    case OptLevel::kAll:
      break;
  }
  return ORT_ENABLE_ALL;
}

class OrtBackend final : public Backend {
 public:
  explicit OrtBackend(const BackendOptions& o)
      : opts_(o), env_(ORT_LOGGING_LEVEL_ERROR, "paramscale") {}

  std::string name() const override { return "onnxruntime"; }
  std::string version() const override { return Ort::GetVersionString(); }
  nlohmann::json options() const override {
    return {{"execution_provider", "CPU"},
            {"intra_op_threads", opts_.threads},
            {"inter_op_threads", 1},
            {"execution_mode", "sequential"},
            {"graph_optimization_level", opts_.opt_level},
            {"cpu_mem_arena", opts_.arena},
            {"mem_pattern", opts_.mem_pattern},
            {"optimized_model_filepath", opts_.optimized_model_path},
            {"profiling", !opts_.profile_prefix.empty()},
            {"api_version_compiled", ORT_API_VERSION}};
  }

  Status load(const std::string& path, const std::vector<int64_t>& shape) override {
    try {
      Ort::SessionOptions so;
      so.SetIntraOpNumThreads(opts_.threads);
      so.SetInterOpNumThreads(1);
      so.SetExecutionMode(ORT_SEQUENTIAL);
      so.SetGraphOptimizationLevel(level_of(opts_.level()));
      if (!opts_.arena) so.DisableCpuMemArena();
      if (!opts_.mem_pattern) so.DisableMemPattern();
      if (!opts_.optimized_model_path.empty())
        so.SetOptimizedModelFilePath(opts_.optimized_model_path.c_str());
      if (!opts_.profile_prefix.empty()) so.EnableProfiling(opts_.profile_prefix.c_str());
      session_.emplace(env_, path.c_str(), so);
      Ort::AllocatorWithDefaultOptions alloc;
      if (session_->GetInputCount() != 1)
        return bad_input("model has " + std::to_string(session_->GetInputCount()) +
                         " inputs; bench feeds one");
      Ort::TypeInfo type = session_->GetInputTypeInfo(0);  // keep alive: the view below borrows it
      auto tensor = type.GetTensorTypeAndShapeInfo();
      if (tensor.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
        return bad_input("model input is not float32");
      if (tensor.GetShape().size() != shape.size())
        return bad_input("model input has rank " + std::to_string(tensor.GetShape().size()) +
                         ", expected " + std::to_string(shape.size()));
      input_name_ = session_->GetInputNameAllocated(0, alloc).get();
      output_name_ = session_->GetOutputNameAllocated(0, alloc).get();
      shape_ = shape;
      return {};
    } catch (const std::exception& e) {
      return bad_input("onnxruntime cannot load '" + path + "': " + one_line(e.what()));
    }
  }

  Status set_input(const std::vector<float>& input) override {
    if (!session_) return failure("onnxruntime: set_input before load");
    input_ = input;
    try {
      auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
      input_value_ = Ort::Value::CreateTensor<float>(mem, input_.data(), input_.size(),
                                                     shape_.data(), shape_.size());
    } catch (const std::exception& e) {
      return bad_input("onnxruntime: input of " + std::to_string(input.size()) +
                       " floats: " + one_line(e.what()));
    }
    return {};
  }

  Status run() override {
    const char* in_names[] = {input_name_.c_str()};
    const char* out_names[] = {output_name_.c_str()};
    try {
      outputs_ = session_->Run(run_options_, in_names, &input_value_, 1, out_names, 1);
    } catch (const std::exception& e) {
      return failure("onnxruntime inference failed: " + one_line(e.what()));
    }
    return {};
  }

  std::vector<float> output() const override {
    if (outputs_.empty()) return {};
    const auto info = outputs_[0].GetTensorTypeAndShapeInfo();
    if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) return {};
    const float* p = outputs_[0].GetTensorData<float>();
    return std::vector<float>(p, p + info.GetElementCount());
  }
  std::vector<int64_t> output_shape() const override {
    if (outputs_.empty()) return {};
    return outputs_[0].GetTensorTypeAndShapeInfo().GetShape();
  }

  Result<std::string> end_profiling() override {
    if (!session_ || opts_.profile_prefix.empty())
      return failure("onnxruntime: profiling was not enabled for this session");
    try {
      Ort::AllocatorWithDefaultOptions alloc;
      return std::string(session_->EndProfilingAllocated(alloc).get());
    } catch (const std::exception& e) {
      return failure("onnxruntime: cannot end profiling: " + one_line(e.what()));
    }
  }

  nlohmann::json allocator_stats() const override {
    // OrtApi::AllocatorGetStats arrived after API version 21; this build uses the 1.21 headers.
    return {{"available", false},
            {"reason", "ONNX Runtime headers of API version " + std::to_string(ORT_API_VERSION) +
                           " expose no allocator statistics"}};
  }

 private:
  BackendOptions opts_;
  Ort::Env env_;
  std::optional<Ort::Session> session_;
  Ort::RunOptions run_options_;
  std::string input_name_, output_name_;
  std::vector<int64_t> shape_;
  std::vector<float> input_;
  Ort::Value input_value_{nullptr};
  std::vector<Ort::Value> outputs_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_ort_backend(const BackendOptions& options) {
  try {
    return std::unique_ptr<Backend>(std::make_unique<OrtBackend>(options));
  } catch (const std::exception& e) {
    return failure(std::string("cannot initialise onnxruntime: ") + one_line(e.what()));
  }
}

}  // namespace paramscale::runtime
