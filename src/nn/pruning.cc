// Taylor scores and the global pruning step; see pruning.h.
#include "nn/pruning.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace paramscale::nn {

void ChannelScores::accumulate() {
  torch::NoGradGuard no_grad;
  for (const auto& [w, g] : model_->gates())
    if (g.grad().defined()) sums_[w] += (g * g.grad()).to(torch::kFloat64).square();
  ++batches_;
}

void ChannelScores::reset() {
  for (const auto& [w, g] : model_->gates()) sums_[w] = torch::zeros_like(g, torch::kFloat64);
  batches_ = 0;
}

std::map<int, torch::Tensor> ChannelScores::average() const {
  std::map<int, torch::Tensor> avg;
  for (const auto& [w, s] : sums_) avg[w] = s / static_cast<double>(std::max<int64_t>(batches_, 1));
  return avg;
}

void ChannelScores::save(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive scores;
  scores.write("batches", c10::IValue(batches_));
  for (const auto& [w, s] : sums_) scores.write("width" + std::to_string(w), s);
  archive.write("scores", scores);
}

void ChannelScores::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive scores;
  archive.read("scores", scores);
  c10::IValue batches;
  scores.read("batches", batches);
  batches_ = batches.toInt();
  for (auto& [w, s] : sums_) {
    torch::Tensor saved;
    scores.read("width" + std::to_string(w), saved);
    if (!saved.sizes().equals(s.sizes())) throw std::runtime_error("scores do not fit the model");
    s = saved.to(s.device(), torch::kFloat64);
  }
}

std::vector<int> live_widths(Model& model) {
  std::vector<int> live;
  for (const auto& [w, gate] : model->gates())
    live.push_back(static_cast<int>(gate.ne(0).sum().item<int64_t>()));
  return live;
}

int prune_lowest(Model& model, const std::map<int, torch::Tensor>& scores, int k, int min_width,
                 std::vector<int>* live) {
  struct Candidate {
    double score;
    int width, channel;
  };
  torch::NoGradGuard no_grad;
  std::vector<Candidate> cands;
  for (const auto& [w, gate] : model->gates()) {
    const torch::Tensor g = gate.to(torch::kCPU);
    const torch::Tensor s = scores.at(w).to(torch::kCPU, torch::kFloat64);
    const auto ga = g.accessor<float, 1>();
    const auto sa = s.accessor<double, 1>();
    for (int c = 0; c < g.size(0); ++c)
      if (ga[c] != 0) cands.push_back({sa[c], w, c});
  }
  std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score < b.score;
    return a.width != b.width ? a.width < b.width : a.channel < b.channel;
  });
  int pruned = 0;
  for (const Candidate& c : cands) {
    if (pruned == k) break;
    if ((*live)[c.width] <= min_width) continue;
    model->gates().at(c.width)[c.channel] = 0.0f;
    --(*live)[c.width];
    ++pruned;
  }
  return pruned;
}

}  // namespace paramscale::nn
