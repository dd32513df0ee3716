// sizing/cache: measurements kept across runs, so a rerun of `size` (or a neighbouring search on
// the same device) measures nothing it measured before.
//
// A measurement is keyed by what decides it: the model file's sha256, the device, the runtime and
// its settings, the protocol and the latency statistic (the key is built by the caller). The cache
// is one JSON file (default ${XDG_CACHE_HOME:-~/.cache}/paramscale/measurements.json), read whole
// and written atomically; an unreadable file is treated as empty (it only costs re-measuring).
// Not thread-safe; two processes sharing it may lose each other's newest entries, never corrupt it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sizing/search.h"

namespace paramscale::sizing {

class MeasurementCache {
 public:
  explicit MeasurementCache(std::string path);  // empty: no cache (nothing read or written)
  static std::string default_path();

  std::vector<Measurement> lookup(const std::string& key) const;
  void add(const std::string& key, const Measurement& m);
  Status save() const;  // no-op when nothing was added

 private:
  std::string path_;
  std::map<std::string, std::vector<Measurement>> entries_;
  bool dirty_ = false;
};

}  // namespace paramscale::sizing
