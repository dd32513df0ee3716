#include "cli/table.h"

#include "util/csv.h"

#include <algorithm>
#include <cstdio>

namespace paramscale::cli {

namespace {
bool numeric(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789.,-+e%x") == std::string::npos;
}
}  // namespace

void Table::print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 3);
  for (size_t c = 0; c < header_.size(); ++c) width[c] = std::max(width[c], header_[c].size());
  for (const auto& r : rows_)
    for (size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  auto line = [&](const std::vector<std::string>& r, bool head) {
    out << '|';
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string& s = c < r.size() ? r[c] : std::string();
      const bool right = !head && c > 0 && numeric(s);
      const std::string pad(width[c] - s.size(), ' ');
      out << ' ' << (right ? pad + s : s + pad) << " |";
    }
    out << '\n';
  };
  line(header_, true);
  out << '|';
  for (size_t c = 0; c < width.size(); ++c) out << std::string(width[c] + 2, '-') << '|';
  out << '\n';
  for (const auto& r : rows_) line(r, false);
}

void Table::print_csv(std::ostream& out) const {
  out << csv_line(header_);
  for (const auto& r : rows_) out << csv_line(r);
}

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return n < 0 ? "-" + digits : digits;
}

std::string megabytes(int64_t bytes) { return fixed(static_cast<double>(bytes) / 1e6, 3); }

}  // namespace paramscale::cli
