#include "runtime/kinds.h"

#include <array>
#include <utility>

namespace paramscale::runtime {

namespace {

constexpr std::array<std::pair<RuntimeKind, const char*>, 3> kRuntimes = {
    {{RuntimeKind::kOrt, "ort"}, {RuntimeKind::kOpenCv, "opencv"}, {RuntimeKind::kTorch, "torch"}}};
constexpr std::array<std::pair<OptLevel, const char*>, 4> kLevels = {
    {{OptLevel::kDisable, "disable"},
     {OptLevel::kBasic, "basic"},
     {OptLevel::kExtended, "extended"},
     {OptLevel::kAll, "all"}}};

template <typename Enum, size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& table, Enum value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";
}

template <typename Enum, size_t N>
Result<Enum> parse_name(const std::array<std::pair<Enum, const char*>, N>& table,
                        const std::string& name, const char* what) {
  std::string list;
  for (const auto& [v, n] : table) {
    if (name == n) return v;
    list += (list.empty() ? "" : ", ") + std::string(n);
  }
  return bad_input("unknown " + std::string(what) + " '" + name + "' (" + list + ")");
}

}  // namespace

const char* to_string(RuntimeKind runtime) { return name_of(kRuntimes, runtime); }
const char* to_string(OptLevel level) { return name_of(kLevels, level); }

Result<RuntimeKind> parse_runtime(const std::string& name) {
  return parse_name(kRuntimes, name, "runtime");
}

Result<OptLevel> parse_opt_level(const std::string& name) {
  return parse_name(kLevels, name, "optimisation level");
}

std::optional<RuntimeKind> runtime_named(const std::string& name) {
  const auto r = parse_runtime(name);
  return r.ok() ? std::optional(*r) : std::nullopt;
}

std::optional<OptLevel> opt_level_named(const std::string& name) {
  const auto l = parse_opt_level(name);
  return l.ok() ? std::optional(*l) : std::nullopt;
}

std::vector<std::string> opt_level_names() {
  std::vector<std::string> names;
  for (const auto& [level, name] : kLevels) names.push_back(name);
  return names;
}

}  // namespace paramscale::runtime
