// nn/training: what the trainer and the search share to train a network — the output directory's
// set-up, the process's math settings, the model with its SGD optimizer, and one minibatch step.
//
// One place on purpose: both loops must train the same way (the search's traces describe the
// networks the trainer then trains), and both checkpoint the same model and optimizer state.
// Includes torch: internal to nn/.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "arch/network.h"
#include "nn/dataset.h"
#include "nn/model.h"
#include "util/result.h"

namespace paramscale::nn {

// Creates `dir` (an error with exit code `create_exit_code` when it cannot), removes the temp
// files killed writers left in it, and refuses a fresh start (`resume` false) over its
// checkpoint.pt with the error "DIR <refusal>". Returns the checkpoint's path.
Result<std::string> prepare_output_dir(const std::string& dir, bool resume,
                                       const std::string& refusal, int create_exit_code);

// Torch's threads, the CPU math settings and the allocator policy of a training loop (batches.h).
void set_up_training(int threads);

struct SgdSettings {
  double lr = 0.1, momentum = 0, weight_decay = 0;
  bool nesterov = false;
};

// A model and its SGD optimizer, trained one minibatch at a time.
class Learner {
 public:
  // Seeds torch's generator with `seed` first: the model's initialisation draws from it.
  Learner(const arch::Network& net, const torch::Device& device, uint64_t seed,
          const SgdSettings& sgd);

  struct Step {
    double loss = 0;      // the minibatch's mean cross-entropy
    int64_t correct = 0;  // its correctly classified images
  };
  // One SGD step at learning rate `lr` on images idx[0..count) of `set`, augmented from `augment`
  // when it is not null: forward, cross-entropy, gradients (the gates' too, which the search's
  // scores read afterwards), update.
  Step step(const ImageSet& set, const int64_t* idx, int64_t count, const PixelLut& lut,
            Rng* augment, double lr);

  // The model and optimizer state as the sub-archives "model" and "optimizer" of a checkpoint.
  void save(torch::serialize::OutputArchive& archive);
  void load(torch::serialize::InputArchive& archive);  // throws on a damaged archive

  Model model;
  torch::optim::SGD optimizer;

 private:
  torch::Device device_;
};

}  // namespace paramscale::nn
