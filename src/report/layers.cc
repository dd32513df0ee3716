#include "report/layers.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "explain/compare.h"
#include "report/plots.h"
#include "util/text.h"

namespace paramscale::report {

namespace {

std::string file_id(const Comparison& c) {
  std::string id = c.model + "_" + c.budget + "_" + c.device + "_" + c.runtime + "_t" +
                   std::to_string(c.threads);
  for (char& ch : id)
    if (ch == ':' || ch == '/' || ch == ' ') ch = '-';
  return id;
}

// The seven layers that take longest in either network, then everything else as one segment.
StackedBars stacked(const Comparison& c, const explain::Explanation& u,
                    const explain::Explanation& n) {
  std::map<std::string, std::pair<double, double>> ms;  // layer -> (uniform, NeuralScale)
  for (const auto& r : u.rows) ms[r.layer].first += r.median_us / 1000;
  for (const auto& r : n.rows) ms[r.layer].second += r.median_us / 1000;
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [layer, t] : ms) order.emplace_back(std::max(t.first, t.second), layer);
  std::sort(order.rbegin(), order.rend());
  StackedBars bars{"Time per layer, " + c.model + " at " + c.budget + " (" + c.runtime + ", " +
                       std::to_string(c.threads) + " thread(s))",
                   "median ms per layer (profiled)",
                   {"uniform", "NeuralScale"},
                   {},
                   {}};
  std::pair<double, double> rest{0, 0};
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& t = ms[order[i].second];
    if (i < 7) {
      bars.segments.push_back(order[i].second);
      bars.values.push_back({t.first, t.second});
    } else {
      rest.first += t.first;
      rest.second += t.second;
    }
  }
  if (order.size() > 7) {
    bars.segments.push_back("other layers");
    bars.values.push_back({rest.first, rest.second});
  }
  return bars;
}

Series roofline_points(const std::string& title, const explain::Explanation& e) {
  Series s{title, {}, false};
  for (const auto& r : e.rows)
    if (r.macs > 0 && r.bytes > 0 && r.gflops > 0) s.xy.emplace_back(r.intensity(), r.gflops);
  return s;
}

}  // namespace

void layer_sections(Document& doc, const Metrics& m, const std::string& out_dir,
                    std::vector<std::string>& problems) {
  bool any = false;
  for (const Comparison& c : m.comparisons) {
    if (!c.uniform.explain.is_object() || !c.neuralscale.explain.is_object()) continue;
    auto u =
        explain::explanation_from_json(c.uniform.explain.value("explanation", nlohmann::json()));
    auto n = explain::explanation_from_json(
        c.neuralscale.explain.value("explanation", nlohmann::json()));
    if (!u.ok() || !n.ok()) {
      problems.push_back(c.model + " " + c.budget + ": " + (u.ok() ? n : u).error().message);
      continue;
    }
    if (!any) doc.heading("Why, measured layer by layer");
    any = true;
    const explain::Comparison cmp = explain::compare(*u, *n);
    std::string why = c.model + " at " + c.budget + " (" + c.runtime + ", " +
                      std::to_string(c.threads) + " thread(s)" +
                      (c.device == "local" ? "" : ", on " + c.device) +
                      "): NeuralScale's layers take " + fixed(std::abs(cmp.gap_us) / 1000, 3) +
                      " ms " + (cmp.gap_us >= 0 ? "more" : "less") + " than uniform's (" +
                      fixed(n->node_sum_us / 1000, 3) + " vs " + fixed(u->node_sum_us / 1000, 3) +
                      " ms, profiled). ";
    why += std::to_string(cmp.accounting.size()) + " layer(s) account for " +
           fixed(100 * cmp.accounted_fraction, 0) + "% of it: ";
    for (size_t i = 0; i < cmp.accounting.size(); ++i)
      why += (i ? "; " : "") + explain::describe_delta(cmp.layers[cmp.accounting[i]]);
    why += ".";
    doc.paragraph(why);
    const std::string id = file_id(c);
    add_plot(doc, out_dir, "layer_time_" + id + ".svg",
             "Time per layer, " + c.model + " at " + c.budget, draw_stacked_svg(stacked(c, *u, *n)),
             problems);
    PlotExtras ceilings;
    ceilings.logy = true;
    const nlohmann::json peak = c.uniform.explain.value("peak", nlohmann::json());
    if (peak.is_object() && peak.value("fp32_gflops", 0.0) > 0 &&
        peak.value("bandwidth_gbs", 0.0) > 0) {
      const std::string p = fixed(peak["fp32_gflops"].get<double>(), 3);
      const std::string bw = fixed(peak["bandwidth_gbs"].get<double>(), 3);
      ceilings.curves = {
          {"roof: min(FP32 peak " + p + " GFLOP/s, copy bandwidth " + bw + " GB/s x intensity)",
           "(" + bw + "*x < " + p + " ? " + bw + "*x : " + p + ")"}};
    }
    add_plot(doc, out_dir, "roofline_" + id + ".svg", "Roofline, " + c.model + " at " + c.budget,
             draw_svg({"Roofline, " + c.model + " at " + c.budget + " (each point a layer)",
                       "arithmetic intensity (FLOP per byte moved)",
                       "achieved GFLOP/s",
                       true,
                       {roofline_points("uniform", *u), roofline_points("NeuralScale", *n)}},
                      ceilings),
             problems);
  }
}

}  // namespace paramscale::report
