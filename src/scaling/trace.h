// scaling/trace: pruning trajectories on disk — one row of scalable widths per pruning step.
//
// The CSV format is the NeuralScale authors' (no header, one row of integer widths per line, in the
// family's reference width order). Traces we write add a header row (the width names) and a last
// `tau` column (the parameter count the search measured for that row); read_trace accepts both.
// Every width must be a positive integer and every row must have the same number of widths.
// Errors are one line naming the file, line and offending value.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::scaling {

struct Trace {
  std::vector<std::string> width_names;  // from the header; empty for header-less traces
  std::vector<std::vector<int>> rows;    // widths after each pruning step
  std::vector<double> tau;               // the recorded tau column; empty when the file has none
  int layer_count() const { return rows.empty() ? 0 : static_cast<int>(rows[0].size()); }
};

Result<Trace> read_trace(const std::string& path);
Result<Trace> parse_trace(const std::string& text, const std::string& source);

// Writes a header (trace.width_names, or w0..wN-1) and, when trace.tau is set, the tau column.
Status write_trace(const std::string& path, const Trace& trace);

}  // namespace paramscale::scaling
