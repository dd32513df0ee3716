// runtime/board: the state of the board a measurement runs on — what decides whether a latency
// taken on a small device can be trusted.
//
// A Raspberry Pi or a Jetson throttles when hot or under-powered, and its frequency governor may
// scale the clock mid-measurement; numbers taken then describe the throttled board, not the
// network. read_board_state() reads, without root: SoC temperatures (/sys/class/thermal), the
// cpufreq governor and current/maximum frequency of every CPU, x86 thermal-throttle event counters,
// and on a Raspberry Pi the firmware's throttling flags (`vcgencmd get_throttled`). Absent sources
// are simply absent. judge_throttling() compares the states before and after a measurement.
// Never fails; safe to call from any thread (it only reads files and runs vcgencmd if present).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace paramscale::runtime {

struct BoardState {
  std::vector<std::pair<std::string, double>> temperatures_c;  // thermal zone type -> °C
  std::string governor;                                        // cpu0's cpufreq governor
  int64_t cur_khz = 0, max_khz = 0;                            // cpu0, 0 when unknown
  std::optional<uint32_t> firmware_throttled;                  // vcgencmd get_throttled bits
  std::optional<int64_t> throttle_events;  // x86: sum of core/package throttle counts
};

BoardState read_board_state();
nlohmann::json to_json(const BoardState& s);

// Parses vcgencmd's "throttled=0x50005" (whitespace tolerated); nullopt for anything else.
std::optional<uint32_t> parse_vcgencmd_throttled(const std::string& text);

struct ThrottleVerdict {
  bool throttled = false;
  std::string method;  // how it was decided: "vcgencmd", "thermal_throttle counters", "none"
  std::string detail;  // one line, e.g. "soft temperature limit active after the runs"
};

// Throttled when the firmware reports throttling, capping, a soft temperature limit or
// under-voltage as active after the runs, or a sticky "has occurred" bit newly set since before;
// or when x86 throttle event counters grew. "none" when the board offers neither source.
ThrottleVerdict judge_throttling(const BoardState& before, const BoardState& after);

}  // namespace paramscale::runtime
