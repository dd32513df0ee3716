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

std::string Cell::network_key() const {
  // No alignment keeps the key it had before alignment was a dimension (studies stay resumable).
  return model + "." + method + "." + safe(budget) +
         (align > 1 ? ".a" + std::to_string(align) : "") + ".s" + std::to_string(seed);
}

std::string Cell::model_key() const {
  // FP32 keeps the key it had before precision was a dimension.
  return network_key() + (precision == "fp32" ? "" : "." + precision);
}

std::string Cell::key() const {
  // Cells measured here keep the key they had before devices were a dimension.
  return model_key() + "." + runtime + ".t" + (threads > 0 ? std::to_string(threads) : "all") +
         "." + opt_level + (device == "local" ? "" : ".on-" + device);
}

std::vector<Cell> expand(const StudyConfig& c, int all_cores) {
  std::vector<Cell> cells;
  std::set<std::string> seen;
  for (const auto& model : c.models)
    for (const auto& method : c.methods)
      for (const auto& budget : c.budgets)
        for (int align : c.aligns)
          for (int seed : c.seeds)
            for (const auto& precision : c.precisions)
              for (const auto& runtime : c.runtimes)
                for (int t : c.threads)
                  for (const auto& opt : c.opt_levels)
                    for (const auto& device : c.devices) {
                      // Device bundles carry ONNX Runtime only; so does INT8 (QDQ).
                      if ((device != "local" || precision != "fp32") && runtime != "ort") continue;
                      // Optimisation levels are an ONNX Runtime setting; other runtimes get one
                      // cell. "All cores" is this machine's here, the device's on a device.
                      Cell cell{model,
                                method,
                                budget,
                                seed,
                                runtime,
                                t > 0 ? t : (device == "local" ? all_cores : 0),
                                runtime == "ort" ? opt : "default",
                                align,
                                device,
                                precision};
                      if (seen.insert(cell.key()).second) cells.push_back(cell);
                    }
  return cells;
}

}  // namespace paramscale::study
