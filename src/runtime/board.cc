#include "runtime/board.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace paramscale::runtime {

namespace {

std::optional<std::string> first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

std::optional<int64_t> read_int(const std::string& path) {
  auto line = first_line(path);
  if (!line || line->empty()) return std::nullopt;
  char* end = nullptr;
  const long long v = std::strtoll(line->c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

std::vector<std::string> entries(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  closedir(d);
  return out;
}

// The firmware's flags, only where vcgencmd is installed (Raspberry Pi OS).
std::optional<uint32_t> firmware_throttled() {
  const char* candidates[] = {"/usr/bin/vcgencmd", "/opt/vc/bin/vcgencmd"};
  for (const char* path : candidates) {
    if (access(path, X_OK) != 0) continue;
    const std::string command = std::string(path) + " get_throttled 2>/dev/null";
    FILE* p = popen(command.c_str(), "r");
    if (!p) return std::nullopt;
    char buf[128] = {};
    const size_t n = fread(buf, 1, sizeof buf - 1, p);
    pclose(p);
    return parse_vcgencmd_throttled(std::string(buf, n));
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint32_t> parse_vcgencmd_throttled(const std::string& text) {
  const size_t eq = text.find("throttled=");
  if (eq == std::string::npos) return std::nullopt;
  std::string value = text.substr(eq + 10);
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ' || value.back() == '\r'))
    value.pop_back();
  if (value.size() < 3 || value.size() > 10 || value.rfind("0x", 0) != 0) return std::nullopt;
  char* end = nullptr;
  const unsigned long v = std::strtoul(value.c_str() + 2, &end, 16);
  if (*end != '\0') return std::nullopt;
  return static_cast<uint32_t>(v);
}

BoardState read_board_state() {
  BoardState s;
  const std::string thermal = "/sys/class/thermal/";
  for (const auto& zone : entries(thermal, "thermal_zone")) {
    const auto milli = read_int(thermal + zone + "/temp");
    if (!milli) continue;
    const std::string type = first_line(thermal + zone + "/type").value_or(zone);
    s.temperatures_c.emplace_back(type, static_cast<double>(*milli) / 1000.0);
  }
  const std::string freq = "/sys/devices/system/cpu/cpu0/cpufreq/";
  s.governor = first_line(freq + "scaling_governor").value_or("");
  s.cur_khz = read_int(freq + "scaling_cur_freq").value_or(0);
  s.max_khz = read_int(freq + "cpuinfo_max_freq").value_or(0);
  s.firmware_throttled = firmware_throttled();
  const std::string cpus = "/sys/devices/system/cpu/";
  int64_t events = 0;
  bool any = false;
  for (const auto& cpu : entries(cpus, "cpu")) {
    for (const char* counter : {"core_throttle_count", "package_throttle_count"}) {
      if (auto v = read_int(cpus + cpu + "/thermal_throttle/" + counter)) {
        events += *v;
        any = true;
      }
    }
  }
  if (any) s.throttle_events = events;
  return s;
}

nlohmann::json to_json(const BoardState& s) {
  nlohmann::json j = nlohmann::json::object();
  nlohmann::json temps = nlohmann::json::object();
  for (const auto& [zone, c] : s.temperatures_c) temps[zone] = c;
  j["temperatures_c"] = temps;
  j["governor"] = s.governor.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.governor);
  j["cur_khz"] = s.cur_khz > 0 ? nlohmann::json(s.cur_khz) : nlohmann::json(nullptr);
  j["max_khz"] = s.max_khz > 0 ? nlohmann::json(s.max_khz) : nlohmann::json(nullptr);
  if (s.firmware_throttled) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", *s.firmware_throttled);
    j["firmware_throttled"] = hex;
  }
  if (s.throttle_events) j["throttle_events"] = *s.throttle_events;
  return j;
}

ThrottleVerdict judge_throttling(const BoardState& before, const BoardState& after) {
  if (after.firmware_throttled) {
    // Raspberry Pi firmware bits: 0 under-voltage, 1 frequency capped, 2 throttled, 3 soft
    // temperature limit (now); bits 16..19 the same "has occurred since boot".
    const uint32_t now = *after.firmware_throttled & 0xFu;
    const uint32_t sticky_before = before.firmware_throttled.value_or(0) & 0xF0000u;
    const uint32_t sticky_new = (*after.firmware_throttled & 0xF0000u) & ~sticky_before;
    static const char* names[] = {"under-voltage", "frequency capped", "throttled",
                                  "soft temperature limit"};
    std::string what;
    for (int bit = 0; bit < 4; ++bit)
      if ((now >> bit & 1u) || (sticky_new >> (16 + bit) & 1u))
        what += (what.empty() ? "" : ", ") + std::string(names[bit]);
    if (!what.empty()) return {true, "vcgencmd", what + " during the measurement"};
    return {false, "vcgencmd", "no throttling reported by the firmware"};
  }
  if (before.throttle_events && after.throttle_events) {
    const int64_t grew = *after.throttle_events - *before.throttle_events;
    if (grew > 0)
      return {true, "thermal_throttle counters",
              std::to_string(grew) + " CPU throttle event(s) during the measurement"};
    return {false, "thermal_throttle counters", "no CPU throttle events"};
  }
  return {false, "none", "this board reports no throttling source"};
}

}  // namespace paramscale::runtime
