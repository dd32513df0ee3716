// nn/pruning: NeuralScale's channel importance and pruning step on a gated nn::Model.
//
// A channel's score is (g_c * dL/dg_c)^2 — the squared first-order Taylor estimate of the loss
// change from removing it — accumulated after every minibatch's backward pass and averaged over
// the minibatches since the last pruning step. Pruning sets the gates of the k lowest-scoring live
// channels to 0, ranked globally across widths with no per-layer normalisation (the reference's
// rule). Includes torch: internal to nn/ (and its tests).
#pragma once

#include <map>
#include <vector>

#include "nn/model.h"

namespace paramscale::nn {

class ChannelScores {
 public:
  explicit ChannelScores(Model& model) : model_(model) { reset(); }

  // Adds (g * g.grad)^2 for every gate; call after backward().
  void accumulate();
  void reset();
  int64_t batches() const { return batches_; }
  // Averaged scores per width index (float64, on the model's device).
  std::map<int, torch::Tensor> average() const;
  // The sums and their count, for a checkpoint taken between two pruning steps.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);  // throws on a damaged archive

 private:
  Model& model_;
  std::map<int, torch::Tensor> sums_;
  int64_t batches_ = 0;
};

// Live channels (gate != 0) per width index, in width order.
std::vector<int> live_widths(Model& model);

// Prunes up to k live channels with the lowest scores, never taking a width below min_width, and
// updates *live; returns how many it pruned. Ties go to the lower (width, channel).
int prune_lowest(Model& model, const std::map<int, torch::Tensor>& scores, int k, int min_width,
                 std::vector<int>* live);

}  // namespace paramscale::nn
