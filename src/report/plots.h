// report/plots: SVG plots drawn by gnuplot (Debian's gnuplot-nox), data passed inline.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::report {

struct Document;

struct Series {
  std::string title;
  std::vector<std::pair<double, double>> xy;
  bool lines = false;  // connect points in order
};

// A line drawn from a formula in x (gnuplot syntax), e.g. a roofline's ceilings.
struct Curve {
  std::string title, formula;
};

struct PlotSpec {
  std::string title, xlabel, ylabel;
  bool logx = false;
  std::vector<Series> series;
};

// What some plots add: a logarithmic y axis and formula lines (a roofline's ceilings).
struct PlotExtras {
  bool logy = false;
  std::vector<Curve> curves;
  std::vector<std::pair<std::string, double>> vlines;  // (label, x): limits drawn across the plot
};

// The SVG element (from "<svg"), or an Error naming why gnuplot could not draw it.
Result<std::string> draw_svg(const PlotSpec& spec, const PlotExtras& extras = {});

// A drawn plot into the report: written to OUT_DIR/plots/FILE and inlined under `caption`; a
// plot gnuplot could not draw (or a file that could not be written) becomes a problem line.
void add_plot(Document& doc, const std::string& out_dir, const std::string& file,
              const std::string& caption, const Result<std::string>& svg,
              std::vector<std::string>& problems);

// Stacked bars: one bar per category, one stacked segment per entry of `segments`;
// values[s][c] is segment s of category c.
struct StackedBars {
  std::string title, ylabel;
  std::vector<std::string> categories, segments;
  std::vector<std::vector<double>> values;
};
Result<std::string> draw_stacked_svg(const StackedBars& bars);

}  // namespace paramscale::report
