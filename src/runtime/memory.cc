#include "runtime/memory.h"

#include <fstream>
#include <sstream>

namespace paramscale::runtime {

namespace {
// "VmRSS:\t    1234 kB" -> bytes; -1 when the unit is not kB or the number is malformed.
int64_t parse_kb(const std::string& rest) {
  std::istringstream in(rest);
  int64_t value = -1;
  std::string unit;
  if (!(in >> value) || !(in >> unit) || unit != "kB" || value < 0) return -1;
  return value * 1024;
}
}  // namespace

Result<ProcMemory> parse_proc_status(const std::string& text) {
  ProcMemory m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    int64_t* field = key == "VmRSS"    ? &m.rss
                     : key == "VmHWM"  ? &m.hwm
                     : key == "VmSize" ? &m.size
                     : key == "VmPeak" ? &m.peak
                                       : nullptr;
    if (!field) continue;
    *field = parse_kb(line.substr(colon + 1));
    if (*field < 0) return failure("malformed " + key + " line in process status: '" + line + "'");
  }
  if (m.rss < 0 || m.hwm < 0) return failure("process status has no VmRSS/VmHWM lines");
  return m;
}

Result<ProcMemory> read_proc_memory() {
  std::ifstream in("/proc/self/status");
  if (!in) return failure("cannot read /proc/self/status (not Linux?)");
  std::stringstream text;
  text << in.rdbuf();
  return parse_proc_status(text.str());
}

PeakReset reset_peak_rss() {
  {
    std::ofstream out("/proc/self/clear_refs");
    if (!out) return {false, "cannot open /proc/self/clear_refs for writing"};
    out << "5";
    out.flush();
    if (!out) return {false, "kernel refused the write of '5' to /proc/self/clear_refs"};
  }
  const auto after = read_proc_memory();
  if (!after.ok()) return {false, after.error().message};
  // Right after a reset VmHWM equals VmRSS; allow a few pages for the read itself.
  if (after->hwm > after->rss + 64 * 1024)
    return {false, "VmHWM (" + std::to_string(after->hwm) + " B) stayed above VmRSS (" +
                       std::to_string(after->rss) + " B) after writing '5' to clear_refs"};
  return {true, "VmHWM reset via /proc/self/clear_refs and verified (VmHWM == VmRSS)"};
}

}  // namespace paramscale::runtime
