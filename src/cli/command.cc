#include "cli/command.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace paramscale::cli {

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
  if (flag > 0) return flag;
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace paramscale::cli
