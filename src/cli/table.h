// cli/table: aligned plain-text tables (markdown pipe style) and human-readable numbers.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "util/text.h"  // fixed(): the tables' numbers

namespace paramscale::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Markdown table; columns after the first are right-aligned when numeric.
  void print(std::ostream& out) const;
  // The same rows as CSV (RFC 4180 quoting).
  void print_csv(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string with_commas(int64_t n);    // 1234567 -> "1,234,567"
std::string megabytes(int64_t bytes);  // MB (10^6 bytes), 3 decimals

}  // namespace paramscale::cli
