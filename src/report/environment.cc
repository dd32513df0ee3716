#include "report/environment.h"

#include <map>

namespace paramscale::report {

// One row per distinct measurement setting (runtime, its options, protocol, machine); the model
// hash and timestamp differ per cell and stay in each record.
void environment_section(Document& doc, const std::vector<nlohmann::json>& records) {
  doc.heading("Environment and protocol");
  struct Row {
    int cells = 0;
    std::string first, last;
  };
  std::map<std::string, Row> rows;
  for (const auto& r : records) {
    nlohmann::json e = r.value("environment", nlohmann::json::object());
    e["device"] = r.value("device", nlohmann::json::object()).value("name", std::string("local"));
    const std::string t = e.value("timestamp_utc", "");
    e.erase("timestamp_utc");
    e.erase("model_sha256");
    Row& row = rows[e.dump()];
    ++row.cells;
    if (row.first.empty() || t < row.first) row.first = t;
    if (t > row.last) row.last = t;
  }
  auto text = [](const nlohmann::json& e, const char* k) -> std::string {
    if (!e.contains(k)) return "-";
    const nlohmann::json& v = e[k];
    if (v.is_string()) return v.get<std::string>();
    if (!v.is_object()) return v.dump();
    std::string s;  // {"a":1,"b":"x"} as "a=1, b=x"
    for (const auto& [name, x] : v.items())
      s += (s.empty() ? "" : ", ") + name + "=" + (x.is_string() ? x.get<std::string>() : x.dump());
    return s;
  };
  std::vector<std::vector<std::string>> table = {
      {"cells", "runtime", "options", "protocol", "machine", "measured (UTC)", "device"}};
  for (const auto& [key, row] : rows) {
    const nlohmann::json e = nlohmann::json::parse(key);
    const nlohmann::json rt = e.value("runtime", nlohmann::json::object());
    const bool emulated = e.value("emulated", false);
    table.push_back({std::to_string(row.cells), text(rt, "name") + " " + text(rt, "version"),
                     text(rt, "options"), text(e, "protocol"),
                     (e.contains("board_model") ? text(e, "board_model") + ", " : "") +
                         text(e, "cpu_model") + ", " + text(e, "cpus_allowed") + " of " +
                         text(e, "logical_cpus") + " CPUs, " + text(e, "kernel") + ", " +
                         text(e, "compiler") + ", paramscale " + text(e, "paramscale_version"),
                     row.first + " – " + row.last,
                     text(e, "device") + (emulated ? " (emulated: no timings)" : "")});
  }
  doc.table(table);
}

}  // namespace paramscale::report
