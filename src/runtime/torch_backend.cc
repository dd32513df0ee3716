// runtime/torch_backend: libtorch eager inference of a training run directory on the CPU.
//
// The network is rebuilt from arch.json by nn::Model (the module training uses) and its weights
// come from weights.psw, so the result is what PyTorch-style deployment without export costs: no
// graph optimisation, no operator fusion, BatchNorm executed as its own op. Inference runs in
// eval mode under torch::InferenceMode (no autograd records). Threads via torch::set_num_threads
// (process-wide: fine, one model per process); OpenBLAS pinned to one thread and denormals
// flushed, as in training (nn/batches.h).
#include <torch/torch.h>

#include <optional>

#include "nn/batches.h"
#include "nn/model.h"
#include "rundir/run_dir.h"
#include "runtime/backend.h"

namespace paramscale::runtime {

namespace {

class TorchBackend final : public Backend {
 public:
  explicit TorchBackend(const BackendOptions& o) : opts_(o) {
    torch::set_num_threads(o.threads);
    nn::set_up_cpu_math();
  }

  std::string name() const override { return "libtorch"; }
  std::string version() const override { return TORCH_VERSION; }
  nlohmann::json options() const override {
    return {{"threads", torch::get_num_threads()},
            {"mode", "eager"},
            {"inference_mode", true},
            {"device", "cpu"},
            {"flush_denormal", true}};
  }

  Status load(const std::string& path, const std::vector<int64_t>& shape) override {
    auto run = rundir::read_run_dir(path);
    if (!run.ok()) return run.error();
    try {
      model_.emplace(run->network);
      if (Status s = (*model_)->load_weights(run->weights); !s.ok()) return s.error();
      (*model_)->eval();
    } catch (const std::exception& e) {
      return bad_input("libtorch cannot build the network of '" + path + "': " + first_line(e));
    }
    shape_ = shape;
    return {};
  }

  Status set_input(const std::vector<float>& input) override {
    int64_t n = 1;
    for (int64_t d : shape_) n *= d;
    if (static_cast<int64_t>(input.size()) != n)
      return bad_input("libtorch: input has " + std::to_string(input.size()) +
                       " floats, shape needs " + std::to_string(n));
    input_ = torch::from_blob(const_cast<float*>(input.data()), shape_, torch::kFloat32).clone();
    return {};
  }

  Status run() override {
    if (!model_) return failure("libtorch: no model loaded");
    try {
      torch::InferenceMode guard;
      out_ = (*model_)->forward(input_);
    } catch (const std::exception& e) {
      return failure("libtorch inference failed: " + first_line(e));
    }
    return {};
  }

  std::vector<float> output() const override {
    if (!out_.defined()) return {};
    const torch::Tensor c = out_.contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  std::vector<int64_t> output_shape() const override {
    if (!out_.defined()) return {};
    return out_.sizes().vec();
  }
  nlohmann::json allocator_stats() const override {
    return {{"available", false},
            {"reason", "libtorch's CPU allocator has no statistics API (CUDA's has)"}};
  }

 private:
  static std::string first_line(const std::exception& e) {
    std::string s = e.what();
    return s.substr(0, s.find('\n'));
  }

  BackendOptions opts_;
  std::optional<nn::Model> model_;
  std::vector<int64_t> shape_;
  torch::Tensor input_, out_;
};

Result<std::unique_ptr<Backend>> make_torch_backend(const BackendOptions& options) {
  return std::unique_ptr<Backend>(std::make_unique<TorchBackend>(options));
}

// Linking ps_runtime_torch (an object library, so this object is always linked) registers it.
[[maybe_unused]] const bool kRegistered = (register_torch_backend(&make_torch_backend), true);

}  // namespace

}  // namespace paramscale::runtime
