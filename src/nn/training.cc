// The shared training set-up and minibatch step; see training.h.
#include "nn/training.h"

#include <filesystem>

#include "nn/batches.h"
#include "rundir/run_dir.h"
#include "util/files.h"

namespace paramscale::nn {

namespace {

Model seeded_model(const arch::Network& net, const torch::Device& device, uint64_t seed) {
  torch::manual_seed(seed);
  Model model(net);
  model->to(device);
  return model;
}

}  // namespace

Result<std::string> prepare_output_dir(const std::string& dir, bool resume,
                                       const std::string& refusal, int create_exit_code) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir + ": " + ec.message(), create_exit_code};
  remove_stale_temp_files(dir);  // a killed run's half-written files
  const std::string checkpoint = rundir::file_in(dir, rundir::kCheckpointFile);
  if (!resume && std::filesystem::exists(checkpoint)) return bad_input(dir + " " + refusal);
  return checkpoint;
}

void set_up_training(int threads) {
  torch::set_num_threads(threads);
  set_up_cpu_math();
  keep_freed_memory_for_reuse();
}

Learner::Learner(const arch::Network& net, const torch::Device& device, uint64_t seed,
                 const SgdSettings& sgd)
    : model(seeded_model(net, device, seed)),
      optimizer(model->parameters(), torch::optim::SGDOptions(sgd.lr)
                                         .momentum(sgd.momentum)
                                         .nesterov(sgd.nesterov)
                                         .weight_decay(sgd.weight_decay)),
      device_(device) {}

Learner::Step Learner::step(const ImageSet& set, const int64_t* idx, int64_t count,
                            const PixelLut& lut, Rng* augment, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  torch::Tensor labels;
  const torch::Tensor x = make_batch(set, idx, count, lut, augment, &labels).to(device_);
  const torch::Tensor y = labels.to(device_);
  const torch::Tensor logits = model->forward(x);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
  optimizer.zero_grad();
  for (auto& [w, g] : model->gates())  // gates are buffers: the optimizer does not clear them
    if (g.grad().defined()) g.mutable_grad().zero_();
  loss.backward();
  optimizer.step();
  return {loss.item<double>(), logits.argmax(1).eq(y).sum().item<int64_t>()};
}

void Learner::save(torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model->save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
}

void Learner::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive model_archive, optimizer_archive;
  archive.read("model", model_archive);
  model->load(model_archive);
  archive.read("optimizer", optimizer_archive);
  optimizer.load(optimizer_archive);
}

}  // namespace paramscale::nn
