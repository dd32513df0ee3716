#include "cli/command.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "util/cores.h"
#include "util/limits.h"

namespace paramscale::cli {

void non_negative_seed(CLI::Option* option) {
  // CLI11 would wrap "-1" into an unsigned seed (2^64 - 1); a seed is a non-negative integer.
  option->check(CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
          return "must be a non-negative integer, got '" + text + "'";
        return {};
      },
      "SEED"));
}

Result<std::vector<int>> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno == ERANGE || v < 1 || v > (1 << 24))
      return bad_input(what + ": '" + item + "' is not a positive integer");
    out.push_back(static_cast<int>(v));
  }
  if (out.empty() || text.back() == ',') return bad_input(what + ": empty entry in '" + text + "'");
  return out;
}

int resolve_threads(int flag) {
  if (flag < 0 || flag > kMaxThreads)
    fail_usage("--threads must be 0 (every core) or 1.." + std::to_string(kMaxThreads) + ", got " +
               std::to_string(flag));
  if (flag > 0) return flag;
  return usable_cores();
}

}  // namespace paramscale::cli
