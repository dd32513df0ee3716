// report/plots: SVG plots drawn by gnuplot (Debian's gnuplot-nox), data passed inline.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::report {

struct Series {
  std::string title;
  std::vector<std::pair<double, double>> xy;
  bool lines = false;  // connect points in order
};

struct PlotSpec {
  std::string title, xlabel, ylabel;
  bool logx = false;
  std::vector<Series> series;
};

// The SVG element (from "<svg"), or an Error naming why gnuplot could not draw it.
Result<std::string> draw_svg(const PlotSpec& spec);

}  // namespace paramscale::report
