// util/csv: CSV as RFC 4180 writes it — a field with a comma, a quote or a line break is quoted,
// quotes doubled — for every CSV paramscale prints (bench --output csv, report.csv). Pure.
#pragma once

#include <string>
#include <vector>

namespace paramscale {

std::string csv_field(const std::string& text);
std::string csv_line(const std::vector<std::string>& fields);  // ends with "\n"

}  // namespace paramscale
