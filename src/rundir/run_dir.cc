#include "rundir/run_dir.h"

#include <sys/stat.h>

#include "arch/analysis.h"
#include "arch/families.h"
#include "util/files.h"
#include "util/json_file.h"

namespace paramscale::rundir {

std::string file_in(const std::string& dir, const char* file) { return dir + "/" + file; }

Result<RunDir> read_run_dir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return bad_input("run directory " + dir + " does not exist");
  const std::string arch_path = file_in(dir, kArchFile);
  auto parsed = read_json_file(arch_path, "run file", "cannot open " + arch_path);
  if (!parsed.ok()) return parsed.error();
  nlohmann::json& j = *parsed;
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
  const std::string weights_path = file_in(dir, kWeightsFile);
  auto weights = arch::read_weights(weights_path);
  if (!weights.ok()) return weights.error();
  Status fits = arch::check_weights(*net, *weights);
  if (!fits.ok()) return bad_input(weights_path + ": " + fits.error().message);
  return RunDir{std::move(net).value(), std::move(weights).value()};
}

Status write_arch(const std::string& dir, const nlohmann::json& arch) {
  return write_json_file(file_in(dir, kArchFile), arch);
}

Status write_summary(const std::string& dir, const nlohmann::json& summary) {
  return write_json_file(file_in(dir, kSummaryFile), summary);
}

Result<nlohmann::json> read_summary(const std::string& dir) {
  const std::string path = file_in(dir, kSummaryFile);
  auto j = read_json_file(path, "training summary");
  if (!j.ok()) return j.error();
  if (!j->is_object()) return bad_input(path + " is not a JSON object");
  return j;
}

}  // namespace paramscale::rundir
