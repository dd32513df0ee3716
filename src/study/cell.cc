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

std::optional<runtime::RuntimeKind> Cell::runtime_kind() const {
  return runtime::runtime_named(runtime);
}

std::optional<runtime::OptLevel> Cell::level() const { return runtime::opt_level_named(opt_level); }

nlohmann::json cell_to_json(const Cell& c) {
  return {{"model", c.model},         {"method", c.method},   {"budget", c.budget},
          {"seed", c.seed},           {"runtime", c.runtime}, {"threads", c.threads},
          {"opt_level", c.opt_level}, {"align", c.align},     {"device", c.device},
          {"precision", c.precision}};
}

Result<Cell> cell_from_json(const nlohmann::json& j) {
  try {
    Cell c;
    j.at("model").get_to(c.model);
    j.at("method").get_to(c.method);
    j.at("budget").get_to(c.budget);
    j.at("seed").get_to(c.seed);
    j.at("runtime").get_to(c.runtime);
    j.at("threads").get_to(c.threads);
    j.at("opt_level").get_to(c.opt_level);
    j.at("align").get_to(c.align);
    j.at("device").get_to(c.device);
    c.precision = j.value("precision", std::string("fp32"));
    if (c.precision != "fp32" && c.precision != "int8")
      return bad_input("malformed cell: precision \"" + c.precision + "\"");
    return c;
  } catch (const std::exception& e) {
    return bad_input(std::string("malformed cell: ") + e.what());
  }
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
                      const bool ort =
                          runtime::runtime_named(runtime) == runtime::RuntimeKind::kOrt;
                      if ((device != "local" || precision != "fp32") && !ort) continue;
                      // Optimisation levels are an ONNX Runtime setting; other runtimes get one
                      // cell. "All cores" is this machine's here, the device's on a device.
                      Cell cell{model,
                                method,
                                budget,
                                seed,
                                runtime,
                                t > 0 ? t : (device == "local" ? all_cores : 0),
                                ort ? opt : "default",
                                align,
                                device,
                                precision};
                      if (seen.insert(cell.key()).second) cells.push_back(cell);
                    }
  return cells;
}

}  // namespace paramscale::study
