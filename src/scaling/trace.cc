#include "scaling/trace.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"
#include "util/files.h"
#include "util/limits.h"

namespace paramscale::scaling {

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string f;
  while (std::getline(in, f, ',')) fields.push_back(trim(f));
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

bool parse_double(const std::string& s, double* out) {
  char* end = nullptr;
  *out = s.empty() ? NAN : std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

bool is_header(const std::vector<std::string>& fields) {
  double unused;
  for (const std::string& f : fields)
    if (!f.empty() && !parse_double(f, &unused)) return true;
  return false;
}

}  // namespace

Result<Trace> parse_trace(const std::string& text, const std::string& source) {
  Trace trace;
  std::stringstream in(text);
  std::string line;
  int line_no = 0;
  int tau_column = -1;
  size_t columns = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = split_fields(line);
    const std::string where = "trace '" + source + "' line " + std::to_string(line_no);
    if (columns == 0 && is_header(fields)) {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "tau")
          tau_column = static_cast<int>(i);
        else
          trace.width_names.push_back(fields[i]);
      }
      columns = fields.size();
      if (trace.width_names.empty()) return bad_input(where + ": the header names no widths");
      continue;
    }
    if (columns == 0) columns = fields.size();
    if (fields.size() != columns)
      return bad_input(where + ": " + std::to_string(fields.size()) + " columns, expected " +
                       std::to_string(columns));
    std::vector<int> widths;
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string& f = fields[i];
      const std::string at = where + " column " + std::to_string(i + 1);
      if (static_cast<int>(i) == tau_column) {
        double tau;
        if (!parse_double(f, &tau) || !std::isfinite(tau) || tau <= 0)
          return bad_input(at + ": tau '" + f + "' is not a positive number");
        trace.tau.push_back(tau);
        continue;
      }
      char* end = nullptr;
      errno = 0;
      const long w = f.empty() ? 0 : std::strtol(f.c_str(), &end, 10);
      if (f.empty() || *end != '\0' || errno == ERANGE || w < 1 || w > kMaxWidth)
        return bad_input(at + ": width '" + f + "' is not a positive integer");
      widths.push_back(static_cast<int>(w));
    }
    trace.rows.push_back(std::move(widths));
  }
  if (trace.rows.empty()) return bad_input("trace '" + source + "' has no rows of widths");
  return trace;
}

Result<Trace> read_trace(const std::string& path) {
  auto text = read_regular_file(path, "trace file", kMaxTextFileBytes,
                                "cannot open trace file '" + path + "'");
  if (!text.ok()) return text.error();
  return parse_trace(*text, path);
}

Status write_trace(const std::string& path, const Trace& trace) {
  std::ostringstream s;
  const int n = trace.layer_count();
  for (int i = 0; i < n; ++i) {
    if (i) s << ',';
    s << (static_cast<size_t>(i) < trace.width_names.size() ? trace.width_names[i]
                                                            : "w" + std::to_string(i));
  }
  const bool with_tau = trace.tau.size() == trace.rows.size() && !trace.rows.empty();
  s << (with_tau ? ",tau\n" : "\n");
  s.precision(17);
  for (size_t r = 0; r < trace.rows.size(); ++r) {
    for (int i = 0; i < n; ++i) s << (i ? "," : "") << trace.rows[r][i];
    if (with_tau) s << ',' << trace.tau[r];
    s << '\n';
  }
  return write_file_atomic(path, s.str());
}

}  // namespace paramscale::scaling
