#include "report/pareto.h"

#include <algorithm>
#include <map>

#include "report/plots.h"
#include "sizing/recommend.h"

namespace paramscale::report {

namespace {

std::string setting_of(const Point& p) {
  return (p.device == "local" ? "this machine" : p.device) + ", " + p.runtime + " " +
         std::to_string(p.threads) + " thread(s)" +
         (shows_opt_level(p.runtime) ? " " + p.opt_level : "");
}

}  // namespace

void pareto_sections(Document& doc, const Metrics& m, const Limits& limits,
                     const std::string& out_dir, std::vector<std::string>& problems) {
  std::map<std::string, std::vector<const Point*>> by_setting;
  for (const Point& p : m.points)
    if (p.timings_valid) by_setting[setting_of(p)].push_back(&p);
  if (by_setting.empty()) return;
  doc.heading("Choices per device: accuracy, latency, memory");
  int n = 0;
  for (const auto& [setting, points] : by_setting) {
    const bool trained =
        std::all_of(points.begin(), points.end(), [](const Point* p) { return p->accuracy; });
    std::vector<sizing::Candidate> cs;
    for (const Point* p : points)
      cs.push_back({p->model + " " + p->method + " " + p->budget,
                    trained ? p->accuracy : std::optional<double>(), p->latency_median_ms,
                    p->runtime_memory_mb(), p->params});
    const std::vector<size_t> front = sizing::pareto_front(cs);
    std::string names;
    for (size_t i : front) names += (names.empty() ? "" : "; ") + cs[i].name;
    doc.paragraph(setting + ": Pareto front (" +
                  (trained ? std::string("accuracy up") : std::string("not trained")) +
                  ", latency and memory down), fastest first: " + names + ".");
    const auto y = [&](const Point* p) { return trained ? *p->accuracy : p->params / 1e6; };
    const std::string ylabel = trained ? "best test accuracy (%)" : "parameters (M)";
    for (const bool memory : {false, true}) {
      std::map<std::string, Series> series;
      for (const Point* p : points) {
        Series& s = series[p->model + " " + p->method];
        s.title = p->model + " " + p->method;
        s.xy.emplace_back(memory ? p->runtime_memory_mb() : p->latency_median_ms, y(p));
      }
      Series f{"Pareto front", {}, true};
      for (size_t i : front)
        f.xy.emplace_back(memory ? cs[i].memory_mb : cs[i].latency_ms, y(points[i]));
      if (memory) std::sort(f.xy.begin(), f.xy.end());
      PlotSpec spec{(trained ? "Accuracy" : "Parameters") + std::string(" vs ") +
                        (memory ? "runtime memory" : "median latency") + ", " + setting,
                    memory ? "runtime memory (MB)" : "median latency (ms)",
                    ylabel,
                    false,
                    {}};
      for (auto& [k, s] : series) spec.series.push_back(s);
      spec.series.push_back(f);
      PlotExtras extras;
      const std::optional<double> limit = memory ? limits.max_memory_mb : limits.max_latency_ms;
      if (limit) extras.vlines.push_back({"limit", *limit});
      add_plot(
          doc, out_dir,
          std::string("pareto_") + (memory ? "memory_" : "latency_") + std::to_string(n) + ".svg",
          spec.title, draw_svg(spec, extras), problems);
    }
    ++n;
  }
}

}  // namespace paramscale::report
