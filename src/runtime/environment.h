// runtime/environment: the machine and build a measurement ran on, for every record.
//
// Reads /proc/cpuinfo, uname and the loaded glibc's version; never fails (unknown fields are
// "unknown").
#pragma once

#include <nlohmann/json.hpp>

namespace paramscale::runtime {

// {"cpu_model", "logical_cpus", "cpus_allowed", "kernel", "machine", "glibc", "compiler",
//  "paramscale_version", "timestamp_utc"}
nlohmann::json environment();

}  // namespace paramscale::runtime
