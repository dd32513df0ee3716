// runtime/memory: process memory probes read from /proc/self/status (Linux).
//
// A ProcMemory is one reading: resident set size (VmRSS) and its high-water mark (VmHWM), plus the
// virtual sizes, all in bytes; -1 where the field was absent. reset_peak_rss() asks the kernel to
// reset VmHWM to the current RSS (writing "5" to /proc/self/clear_refs, Linux >= 4.0) and reports
// whether that actually happened, checked by reading VmHWM back — containers and old kernels may
// refuse or ignore it, and callers must then say their peak covers the whole process lifetime.
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace paramscale::runtime {

struct ProcMemory {
  int64_t rss = -1;   // VmRSS
  int64_t hwm = -1;   // VmHWM: peak RSS since start or the last reset
  int64_t size = -1;  // VmSize
  int64_t peak = -1;  // VmPeak
};

// Parses the text of a /proc/<pid>/status file; needs at least VmRSS and VmHWM.
Result<ProcMemory> parse_proc_status(const std::string& text);

// Reads /proc/self/status.
Result<ProcMemory> read_proc_memory();

struct PeakReset {
  bool ok = false;
  std::string detail;  // why not, or how it was verified
};

PeakReset reset_peak_rss();

}  // namespace paramscale::runtime
