// runtime/environment: the machine and build a measurement ran on, for every record.
//
// Reads /proc/cpuinfo, /proc/meminfo, the device tree, uname and the loaded glibc's version; never
// fails (unknown fields are
// "unknown" or absent). "emulated" is true when the kernel's architecture differs from the one this
// binary was built for (an aarch64 bundle under qemu-user on an x86-64 host): its timings are then
// the emulator's, not the device's.
#pragma once

#include <nlohmann/json.hpp>

namespace paramscale::runtime {

// {"cpu_model", "logical_cpus", "cpus_allowed", "kernel", "machine", "glibc", "build_arch",
//  "kernel_arch", "emulated", "board_model" (where the device tree names one), "mem_total_bytes",
//  "compiler",
//  "paramscale_version", "timestamp_utc"}
nlohmann::json environment();

// The architecture this binary was compiled for: "aarch64", "x86_64", ...
const char* build_arch();

}  // namespace paramscale::runtime
