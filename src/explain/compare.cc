#include "explain/compare.h"
#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace paramscale::explain {

Comparison compare(const Explanation& a, const Explanation& b) {
  Comparison c;
  std::map<std::string, size_t> at;
  for (const LayerRow& r : a.rows) {
    at[r.layer] = c.layers.size();
    c.layers.push_back({r.layer, &r, nullptr});
  }
  for (const LayerRow& r : b.rows) {
    if (auto it = at.find(r.layer); it != at.end()) {
      c.layers[it->second].b = &r;
    } else {
      at[r.layer] = c.layers.size();
      c.layers.push_back({r.layer, nullptr, &r});
    }
  }
  c.gap_us = b.node_sum_us - a.node_sum_us;
  std::vector<size_t> order(c.layers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const double sign = c.gap_us >= 0 ? 1.0 : -1.0;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return sign * c.layers[x].delta_us() > sign * c.layers[y].delta_us();
  });
  double covered = 0;
  for (size_t i : order) {
    const double d = sign * c.layers[i].delta_us();
    if (d <= 0 || (c.gap_us != 0 && covered >= 0.8 * std::fabs(c.gap_us))) break;
    c.accounting.push_back(i);
    covered += d;
  }
  c.accounted_fraction = c.gap_us != 0 ? covered / std::fabs(c.gap_us) : 0;
  return c;
}

std::string describe_delta(const ComparedLayer& c) {
  std::string s = c.layer + " " + format("%+.3f ms", c.delta_us() / 1000.0);
  if (!c.a || !c.b) return s + (c.a ? " (only in A)" : " (only in B)");
  std::vector<std::string> why;
  if (c.a->macs > 0 && c.b->macs > 0)
    why.push_back(format("%.2fx the MACs", static_cast<double>(c.b->macs) / c.a->macs));
  if (c.a->gflops > 0 && c.b->gflops > 0)
    why.push_back(format("at %.2fx the GFLOP/s", c.b->gflops / c.a->gflops));
  if (c.a->execution != c.b->execution) why.push_back(c.a->execution + " -> " + c.b->execution);
  if (why.empty()) return s;
  std::string joined;
  for (const auto& w : why) joined += (joined.empty() ? "" : ", ") + w;
  return s + " (" + joined + ")";
}

nlohmann::json to_json(const Comparison& c) {
  nlohmann::json layers = nlohmann::json::array();
  for (const ComparedLayer& l : c.layers)
    layers.push_back({{"layer", l.layer},
                      {"a_us", l.a ? nlohmann::json(l.a->median_us) : nlohmann::json(nullptr)},
                      {"b_us", l.b ? nlohmann::json(l.b->median_us) : nlohmann::json(nullptr)},
                      {"delta_us", l.delta_us()},
                      {"a_gflops", l.a ? nlohmann::json(l.a->gflops) : nlohmann::json(nullptr)},
                      {"b_gflops", l.b ? nlohmann::json(l.b->gflops) : nlohmann::json(nullptr)},
                      {"a_execution", l.a ? l.a->execution : ""},
                      {"b_execution", l.b ? l.b->execution : ""}});
  nlohmann::json accounting = nlohmann::json::array();
  for (size_t i : c.accounting) accounting.push_back(describe_delta(c.layers[i]));
  return {{"gap_us", c.gap_us},
          {"layers", layers},
          {"accounting", accounting},
          {"accounted_fraction", c.accounted_fraction}};
}

}  // namespace paramscale::explain
