#include "scaling/fit_file.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/atomic_file.h"
#include "util/files.h"

namespace paramscale::scaling {

namespace {

using nlohmann::json;

// Reads a numeric array field; every entry finite (and positive when `positive`).
Result<std::vector<double>> number_array(const json& it, const std::string& key,
                                         const std::string& where, bool positive) {
  if (!it.contains(key) || !it[key].is_array())
    return bad_input(where + ": missing array '" + key + "'");
  std::vector<double> out;
  for (size_t i = 0; i < it[key].size(); ++i) {
    const json& v = it[key][i];
    const std::string at = where + " " + key + "[" + std::to_string(i) + "]";
    if (!v.is_number()) return bad_input(at + " is not a number: " + v.dump());
    const double d = v.get<double>();
    if (!std::isfinite(d) || (positive && d <= 0))
      return bad_input(at + " = " + v.dump() + " must be " + (positive ? "positive" : "finite"));
    out.push_back(d);
  }
  return out;
}

Result<PowerLaws> parse_iteration(const json& it, size_t index, const std::string& source) {
  std::string where = "fit file '" + source + "' iterations[" + std::to_string(index) + "]";
  if (!it.is_object()) return bad_input(where + " is not an object");
  PowerLaws laws;
  laws.iteration = static_cast<int>(index) + 1;
  if (it.contains("iteration")) {
    if (!it["iteration"].is_number_integer())
      return bad_input(where + ": 'iteration' is not an integer: " + it["iteration"].dump());
    laws.iteration = it["iteration"].get<int>();
  }
  auto alpha = number_array(it, "alpha", where, /*positive=*/true);
  if (!alpha.ok()) return alpha.error();
  auto beta = number_array(it, "beta", where, /*positive=*/false);
  if (!beta.ok()) return beta.error();
  laws.alpha = std::move(*alpha);
  laws.beta = std::move(*beta);
  if (laws.alpha.empty() || laws.alpha.size() != laws.beta.size())
    return bad_input(where + ": 'alpha' has " + std::to_string(laws.alpha.size()) +
                     " entries and 'beta' " + std::to_string(laws.beta.size()));
  if (it.contains("r2")) {
    auto r2 = number_array(it, "r2", where, /*positive=*/false);
    if (!r2.ok()) return r2.error();
    if (r2->size() != laws.alpha.size()) return bad_input(where + ": 'r2' has the wrong length");
    laws.r2 = std::move(*r2);
  }
  if (it.contains("rows") && it["rows"].is_number_integer()) laws.rows = it["rows"].get<int>();
  return laws;
}

}  // namespace

Result<FitFile> parse_fit_json(const std::string& text, const std::string& source) {
  const std::string where = "fit file '" + source + "'";
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return bad_input(where + " is not valid JSON (syntax error at byte " + std::to_string(e.byte) +
                     ")");
  } catch (const json::exception&) {  // e.g. a number out of range (1e999)
    return bad_input(where + " is not valid JSON (a number is out of range)");
  }
  if (!j.is_object()) return bad_input(where + " is not a JSON object");
  FitFile fit;
  for (const char* key : {"model", "dataset"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return bad_input(where + ": '" + key + "' is not a string");
    (std::string(key) == "model" ? fit.model : fit.dataset) = j[key].get<std::string>();
  }
  if (j.contains("num_classes")) {
    if (!j["num_classes"].is_number_integer() || j["num_classes"].get<int>() < 1)
      return bad_input(where + ": 'num_classes' is not a positive integer");
    fit.num_classes = j["num_classes"].get<int>();
  }
  if (j.contains("count")) {
    const Result<CountMode> mode = parse_count_mode(
        j["count"].is_string() ? j["count"].get<std::string>() : j["count"].dump());
    if (!mode.ok()) return bad_input(where + ": 'count': " + mode.error().message);
    fit.count = *mode;
  }
  if (j.contains("traces") && j["traces"].is_array())
    for (const json& t : j["traces"])
      if (t.is_string()) fit.traces.push_back(t.get<std::string>());
  if (!j.contains("iterations") || !j["iterations"].is_array() || j["iterations"].empty())
    return bad_input(where + ": missing or empty 'iterations' array");
  for (size_t i = 0; i < j["iterations"].size(); ++i) {
    Result<PowerLaws> laws = parse_iteration(j["iterations"][i], i, source);
    if (!laws.ok()) return laws.error();
    fit.iterations.push_back(std::move(*laws));
  }
  return fit;
}

Result<FitFile> read_fit_file(const std::string& path) {
  auto text =
      read_regular_file(path, "fit file", kMaxTextFileBytes, "cannot open fit file '" + path + "'");
  if (!text.ok()) return text.error();
  return parse_fit_json(*text, path);
}

std::string fit_json(const FitFile& fit) {
  json j = {{"model", fit.model},
            {"dataset", fit.dataset},
            {"num_classes", fit.num_classes},
            {"count", count_mode_name(fit.count)},
            {"formula", "filters_l = alpha_l * tau ** beta_l, tau = total parameter count (" +
                            std::string(count_mode_name(fit.count)) + " count)"},
            {"traces", fit.traces},
            {"iterations", json::array()}};
  for (const PowerLaws& laws : fit.iterations) {
    json it = {{"iteration", laws.iteration}, {"alpha", laws.alpha}, {"beta", laws.beta}};
    if (!laws.r2.empty()) it["r2"] = laws.r2;
    if (laws.rows > 0) it["rows"] = laws.rows;
    j["iterations"].push_back(it);
  }
  return j.dump(1) + "\n";
}

Status write_fit_file(const std::string& path, const FitFile& fit) {
  return write_file_atomic(path, fit_json(fit));
}

Result<PowerLaws> select_iteration(const FitFile& fit, int k, arch::Family family,
                                   const std::string& source) {
  const std::string where = "fit file '" + source + "'";
  if (!fit.model.empty() && fit.model != arch::family_name(family))
    return bad_input(where + " is for model '" + fit.model + "', not " + arch::family_name(family));
  const PowerLaws* chosen = k == 0 ? &fit.iterations.back() : nullptr;
  for (const PowerLaws& laws : fit.iterations)
    if (laws.iteration == k) chosen = &laws;
  if (!chosen)
    return bad_input(where + " has no iteration " + std::to_string(k) + " (it has " +
                     std::to_string(fit.iterations.front().iteration) + ".." +
                     std::to_string(fit.iterations.back().iteration) + ")");
  const size_t n = arch::base_widths(family).size();
  if (static_cast<size_t>(chosen->layer_count()) != n)
    return bad_input(where + " iteration " + std::to_string(chosen->iteration) + " has " +
                     std::to_string(chosen->layer_count()) + " widths, but " +
                     arch::family_name(family) + " has " + std::to_string(n));
  return *chosen;
}

}  // namespace paramscale::scaling
