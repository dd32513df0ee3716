#include "sizing/cache.h"

#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/json_file.h"

namespace paramscale::sizing {

MeasurementCache::MeasurementCache(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  // A missing or damaged cache is no cache: its entries are measured again.
  const Result<nlohmann::json> read = read_json_file(path_, "measurement cache");
  if (!read.ok()) return;
  const nlohmann::json& j = *read;
  if (!j.is_object() || j.value("schema", "") != "paramscale.measurements/1" ||
      !j.contains("entries") || !j["entries"].is_object())
    return;
  for (const auto& [key, runs] : j["entries"].items()) {
    if (!runs.is_array()) continue;
    for (const auto& r : runs)
      if (r.is_object() && r.contains("latency_ms") && r["latency_ms"].is_number() &&
          r.contains("memory_mb") && r["memory_mb"].is_number())
        entries_[key].push_back({r["latency_ms"].get<double>(), r["memory_mb"].get<double>()});
  }
}

std::string MeasurementCache::default_path() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg     ? std::string(xdg)
                           : home && *home ? std::string(home) + "/.cache"
                                           : std::string("/tmp");
  return base + "/paramscale/measurements.json";
}

std::vector<Measurement> MeasurementCache::lookup(const std::string& key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() ? std::vector<Measurement>{} : it->second;
}

void MeasurementCache::add(const std::string& key, const Measurement& m) {
  entries_[key].push_back(m);
  dirty_ = true;
}

Status MeasurementCache::save() const {
  if (!dirty_ || path_.empty()) return {};
  nlohmann::json entries = nlohmann::json::object();
  for (const auto& [key, runs] : entries_) {
    nlohmann::json list = nlohmann::json::array();
    for (const Measurement& m : runs)
      list.push_back({{"latency_ms", m.latency_ms}, {"memory_mb", m.memory_mb}});
    entries[key] = list;
  }
  const std::string dir = path_.substr(0, path_.rfind('/'));
  ::mkdir(dir.substr(0, dir.rfind('/')).c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  return write_file_atomic(
      path_,
      nlohmann::json{{"schema", "paramscale.measurements/1"}, {"entries", entries}}.dump(1) + "\n");
}

}  // namespace paramscale::sizing
