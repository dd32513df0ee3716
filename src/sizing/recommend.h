// sizing/recommend: which measured networks meet a device's limits, which to pick, and why not the
// others — from measurements only, never estimates.
//
// recommend() takes candidates (networks with their measured latency and runtime memory, and
// accuracy where they were trained) and limits, and returns:
// - the networks that meet every limit, ranked by accuracy (highest first) when every candidate
//   has one, else by latency (fastest first); each with its binding constraint (the limit with the
//   least relative slack) and its margin;
// - the Pareto front over (accuracy up, latency down, memory down) among all candidates;
// - for each network that fails, every limit it breaks and by how much;
// - when nothing fits, the smallest measured latency and memory (and which networks they were).
// Pure function; ties keep the input order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::sizing {

struct Candidate {
  std::string name;                // e.g. "vgg11 neuralscale params:0.25"
  std::optional<double> accuracy;  // %, when trained
  double latency_ms = 0, memory_mb = 0, params = 0;
};

struct RecommendLimits {
  double max_latency_ms = 0, max_memory_mb = 0;  // > 0
  std::optional<double> min_accuracy;            // %
};

struct Verdict {
  size_t candidate = 0;
  bool fits = false;
  bool pareto = false;
  std::string binding;      // fits: "latency", "memory" or "accuracy"
  double margin = 0;        // fits: the binding constraint's relative slack (0.12 = 12% to spare)
  std::string margin_text;  // "2.10 ms under 20 ms (11%)"
  std::vector<std::string> broken;  // fails: "latency 24.1 ms > 20 ms (+21%)", ...
};

struct Recommendation {
  std::vector<Verdict> ranked;   // those that fit, best first
  std::vector<Verdict> failing;  // those that do not, in input order
  std::vector<size_t> pareto;    // candidate indices on the front, by latency
  bool by_accuracy = false;      // ranked by accuracy (all trained) or by latency
  std::string nothing_fits;      // set when `ranked` is empty
};

Status check_recommend_limits(const RecommendLimits& l);
// Indices of the candidates no other candidate dominates (no worse in latency, memory and, where
// both have one, accuracy; better in one), fastest first.
std::vector<size_t> pareto_front(const std::vector<Candidate>& candidates);
Result<Recommendation> recommend(const std::vector<Candidate>& candidates,
                                 const RecommendLimits& limits);

}  // namespace paramscale::sizing
