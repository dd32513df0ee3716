#include "report/plots.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace paramscale::report {

namespace {
std::string quoted(const std::string& s) {
  std::string o = "\"";
  for (char c : s) o += (c == '"' || c == '\\') ? '_' : c;
  return o + "\"";
}
}  // namespace

Result<std::string> draw_svg(const PlotSpec& spec) {
  char path[] = "/tmp/paramscale-plot-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return failure("cannot create a temp file for a plot");
  close(fd);
  std::ostringstream gp;
  gp << "set terminal svg size 720,420 dynamic font 'sans,11'\nset output " << quoted(path) << "\n"
     << "set title " << quoted(spec.title) << "\nset xlabel " << quoted(spec.xlabel)
     << "\nset ylabel " << quoted(spec.ylabel) << "\nset key outside right\nset grid\n";
  if (spec.logx) gp << "set logscale x\n";
  for (size_t i = 0; i < spec.series.size(); ++i) {
    gp << "$d" << i << " << EOD\n";
    for (const auto& [x, y] : spec.series[i].xy) gp << x << " " << y << "\n";
    gp << "EOD\n";
  }
  gp << "plot ";
  for (size_t i = 0; i < spec.series.size(); ++i)
    gp << (i ? ", " : "") << "$d" << i << " using 1:2 with "
       << (spec.series[i].lines ? "linespoints" : "points") << " pt 7 title "
       << quoted(spec.series[i].title);
  gp << "\n";
  FILE* p = popen("gnuplot 2>/dev/null", "w");
  if (!p) return failure("cannot run gnuplot");
  const std::string script = gp.str();
  fwrite(script.data(), 1, script.size(), p);
  const int rc = pclose(p);
  std::ifstream in(path);
  std::stringstream svg;
  svg << in.rdbuf();
  std::remove(path);
  const std::string text = svg.str();
  const size_t start = text.find("<svg");
  if (rc != 0 || start == std::string::npos)
    return failure("gnuplot could not draw '" + spec.title + "' (is gnuplot-nox installed?)");
  return text.substr(start);
}

}  // namespace paramscale::report
