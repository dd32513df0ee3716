#include "report/plots.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "report/document.h"
#include "util/atomic_file.h"

namespace paramscale::report {

void add_plot(Document& doc, const std::string& out_dir, const std::string& file,
              const std::string& caption, const Result<std::string>& svg,
              std::vector<std::string>& problems) {
  if (!svg.ok()) {
    problems.push_back(svg.error().message);
    return;
  }
  if (Status s = write_file_atomic(out_dir + "/plots/" + file, *svg); !s.ok())
    problems.push_back(s.error().message);
  doc.plot(caption, "plots/" + file, *svg);
}

namespace {

std::string quoted(const std::string& s) {
  std::string o = "\"";
  for (char c : s) o += (c == '"' || c == '\\') ? '_' : c;
  return o + "\"";
}

std::string header(const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  std::ostringstream gp;
  gp << "set terminal svg size 720,420 dynamic font 'sans,11'\nset title " << quoted(title)
     << "\nset xlabel " << quoted(xlabel) << "\nset ylabel " << quoted(ylabel)
     << "\nset key outside right\nset grid\n";
  return gp.str();
}

// Runs gnuplot on a script (its first line sets the terminal; the output file goes after it); the
// SVG element, or an Error naming the plot.
Result<std::string> run_gnuplot(const std::string& body, const std::string& title) {
  char path[] = "/tmp/paramscale-plot-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return failure("cannot create a temp file for a plot");
  close(fd);
  FILE* p = popen("gnuplot 2>/dev/null", "w");
  if (!p) {
    std::remove(path);
    return failure("cannot run gnuplot");
  }
  // The terminal comes first in the body; the output file after it.
  const size_t first_line = body.find('\n') + 1;
  const std::string script =
      body.substr(0, first_line) + "set output " + quoted(path) + "\n" + body.substr(first_line);
  fwrite(script.data(), 1, script.size(), p);
  const int rc = pclose(p);
  std::ifstream in(path);
  std::stringstream svg;
  svg << in.rdbuf();
  std::remove(path);
  const std::string text = svg.str();
  const size_t start = text.find("<svg");
  if (rc != 0 || start == std::string::npos)
    return failure("gnuplot could not draw '" + title + "' (is gnuplot-nox installed?)");
  return text.substr(start);
}

}  // namespace

Result<std::string> draw_svg(const PlotSpec& spec, const PlotExtras& extras) {
  std::ostringstream gp;
  gp << header(spec.title, spec.xlabel, spec.ylabel);
  if (spec.logx) gp << "set logscale x\n";
  if (extras.logy) gp << "set logscale y\n";
  for (const auto& [label, x] : extras.vlines)
    gp << "set arrow from " << x << ", graph 0 to " << x
       << ", graph 1 nohead lw 2 dt 3 lc rgb 'red'\nset label " << quoted(label) << " at " << x
       << ", graph 0.95 left offset 0.5,0 textcolor rgb 'red'\n";
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
  for (size_t i = 0; i < extras.curves.size(); ++i)
    gp << (i || !spec.series.empty() ? ", " : "") << extras.curves[i].formula
       << " with lines lw 2 dt 2 title " << quoted(extras.curves[i].title);
  gp << "\n";
  return run_gnuplot(gp.str(), spec.title);
}

Result<std::string> draw_stacked_svg(const StackedBars& bars) {
  std::ostringstream gp;
  gp << header(bars.title, "", bars.ylabel)
     << "set style data histograms\nset style histogram rowstacked\n"
        "set style fill solid 0.8 border -1\nset boxwidth 0.6\nset yrange [0:*]\n$bars << EOD\n";
  for (size_t c = 0; c < bars.categories.size(); ++c) {
    gp << quoted(bars.categories[c]);
    for (size_t s = 0; s < bars.segments.size(); ++s) gp << " " << bars.values[s][c];
    gp << "\n";
  }
  gp << "EOD\nplot ";
  for (size_t s = 0; s < bars.segments.size(); ++s)
    gp << (s ? ", " : "") << "$bars using " << s + 2 << (s ? "" : ":xtic(1)") << " title "
       << quoted(bars.segments[s]);
  gp << "\n";
  return run_gnuplot(gp.str(), bars.title);
}

}  // namespace paramscale::report
