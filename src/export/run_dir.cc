#include "export/run_dir.h"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "arch/analysis.h"
#include "arch/families.h"
#include "util/files.h"

namespace paramscale::onnx_export {

Result<RunDir> read_run_dir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return bad_input("run directory " + dir + " does not exist");
  const std::string arch_path = dir + "/" + kArchFile;
  auto text =
      read_regular_file(arch_path, "run file", kMaxTextFileBytes, "cannot open " + arch_path);
  if (!text.ok()) return text.error();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return bad_input(arch_path + " is not valid JSON");
  const auto field = [&](const char* name, bool (nlohmann::json::*is)() const noexcept,
                         const char* what) -> Status {
    if (!j.is_object() || !j.contains(name) || !(j[name].*is)())
      return bad_input(arch_path + ": field '" + name + "' is missing or not " + what);
    return {};
  };
  for (Status s : {field("model", &nlohmann::json::is_string, "a string"),
                   field("dataset", &nlohmann::json::is_string, "a string"),
                   field("widths", &nlohmann::json::is_array, "an array")})
    if (!s.ok()) return s.error();
  std::vector<int> widths;
  for (const auto& w : j["widths"]) {
    if (!w.is_number_integer() || w.get<int64_t>() < 1 || w.get<int64_t>() > (1 << 20))
      return bad_input(arch_path + ": 'widths' must hold positive integers");
    widths.push_back(w.get<int>());
  }
  const auto family = arch::family_from_name(j["model"].get<std::string>());
  if (!family.ok()) return bad_input(arch_path + ": " + family.error().message);
  const auto dataset = arch::dataset_preset(j["dataset"].get<std::string>());
  if (!dataset.ok()) return bad_input(arch_path + ": " + dataset.error().message);
  auto net = arch::build_network(*family, *dataset, widths);
  if (!net.ok()) return bad_input(arch_path + ": " + net.error().message);
  if (Status s = arch::check_materialisable(*net); !s.ok())
    return bad_input(arch_path + ": " + s.error().message);
  auto weights = arch::read_weights(dir + "/" + kWeightsFile);
  if (!weights.ok()) return weights.error();
  Status fits = arch::check_weights(*net, *weights);
  if (!fits.ok()) return bad_input(dir + "/" + kWeightsFile + ": " + fits.error().message);
  return RunDir{std::move(net).value(), std::move(weights).value()};
}

}  // namespace paramscale::onnx_export
