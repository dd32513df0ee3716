#include "util/text.h"

#include <cstdarg>
#include <cstdio>

namespace paramscale {

std::string fixed(double v, int decimals) { return format("%.*f", decimals, v); }

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string format(const char* printf_format, ...) {
  va_list args;
  va_start(args, printf_format);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, printf_format, args);
  va_end(args);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, printf_format, again);
  va_end(again);
  return out;
}

}  // namespace paramscale
