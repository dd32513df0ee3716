#include "study/cell.h"

#include <set>

namespace paramscale::study {

namespace {
std::string safe(std::string s) {
  for (char& c : s)
    if (c == ':' || c == '/' || c == ' ') c = '-';
  return s;
}
}  // namespace

std::string Cell::model_key() const {
  // No alignment keeps the key it had before alignment was a dimension (studies stay resumable).
  return model + "." + method + "." + safe(budget) +
         (align > 1 ? ".a" + std::to_string(align) : "") + ".s" + std::to_string(seed);
}

std::string Cell::key() const {
  return model_key() + "." + runtime + ".t" + std::to_string(threads) + "." + opt_level;
}

std::vector<Cell> expand(const StudyConfig& c, int all_cores) {
  std::vector<Cell> cells;
  std::set<std::string> seen;
  for (const auto& model : c.models)
    for (const auto& method : c.methods)
      for (const auto& budget : c.budgets)
        for (int align : c.aligns)
          for (int seed : c.seeds)
            for (const auto& runtime : c.runtimes)
              for (int t : c.threads)
                for (const auto& opt : c.opt_levels) {
                  // Optimisation levels are an ONNX Runtime setting; other runtimes get one cell.
                  Cell cell{model,
                            method,
                            budget,
                            seed,
                            runtime,
                            t > 0 ? t : all_cores,
                            runtime == "ort" ? opt : "default",
                            align};
                  if (seen.insert(cell.key()).second) cells.push_back(cell);
                }
  return cells;
}

}  // namespace paramscale::study
