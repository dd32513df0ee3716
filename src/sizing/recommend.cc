#include "sizing/recommend.h"
#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace paramscale::sizing {

namespace {

// a dominates b: no worse in every objective, better in one (accuracy only when both have one).
bool dominates(const Candidate& a, const Candidate& b) {
  const bool acc = a.accuracy && b.accuracy;
  const bool no_worse = a.latency_ms <= b.latency_ms && a.memory_mb <= b.memory_mb &&
                        (!acc || *a.accuracy >= *b.accuracy);
  const bool better = a.latency_ms < b.latency_ms || a.memory_mb < b.memory_mb ||
                      (acc && *a.accuracy > *b.accuracy);
  return no_worse && better;
}

Verdict judge(const Candidate& c, size_t index, const RecommendLimits& l) {
  Verdict v;
  v.candidate = index;
  if (c.latency_ms > l.max_latency_ms)
    v.broken.push_back(format("latency %.3f ms > %g ms (%+.0f%%)", c.latency_ms, l.max_latency_ms,
                              100 * (c.latency_ms / l.max_latency_ms - 1)));
  if (c.memory_mb > l.max_memory_mb)
    v.broken.push_back(format("memory %.1f MB > %g MB (%+.0f%%)", c.memory_mb, l.max_memory_mb,
                              100 * (c.memory_mb / l.max_memory_mb - 1)));
  if (l.min_accuracy && (!c.accuracy || *c.accuracy < *l.min_accuracy))
    v.broken.push_back(c.accuracy ? format("accuracy %.2f%% < %g%%", *c.accuracy, *l.min_accuracy)
                                  : std::string("accuracy not measured (not trained)"));
  v.fits = v.broken.empty();
  if (!v.fits) return v;
  const double lat = 1 - c.latency_ms / l.max_latency_ms, mem = 1 - c.memory_mb / l.max_memory_mb;
  v.binding = lat <= mem ? "latency" : "memory";
  v.margin = std::min(lat, mem);
  v.margin_text = lat <= mem ? format("%.3f ms under %g ms (%.0f%%)",
                                      l.max_latency_ms - c.latency_ms, l.max_latency_ms, 100 * lat)
                             : format("%.1f MB under %g MB (%.0f%%)", l.max_memory_mb - c.memory_mb,
                                      l.max_memory_mb, 100 * mem);
  if (l.min_accuracy && c.accuracy) {
    const double acc = *c.accuracy / *l.min_accuracy - 1;
    if (acc < v.margin) {
      v.binding = "accuracy";
      v.margin = acc;
      v.margin_text =
          format("%.2f points over %g%%", *c.accuracy - *l.min_accuracy, *l.min_accuracy);
    }
  }
  return v;
}

}  // namespace

Status check_recommend_limits(const RecommendLimits& l) {
  if (!std::isfinite(l.max_latency_ms) || l.max_latency_ms <= 0)
    return bad_input("--max-latency-ms must be a positive number of milliseconds, got " +
                     format("%g", l.max_latency_ms));
  if (!std::isfinite(l.max_memory_mb) || l.max_memory_mb <= 0)
    return bad_input("--max-memory-mb must be a positive number of megabytes, got " +
                     format("%g", l.max_memory_mb));
  if (l.min_accuracy &&
      (!std::isfinite(*l.min_accuracy) || *l.min_accuracy < 0 || *l.min_accuracy > 100))
    return bad_input("--min-accuracy is a percentage between 0 and 100, got " +
                     format("%g", *l.min_accuracy));
  return {};
}

std::vector<size_t> pareto_front(const std::vector<Candidate>& cs) {
  std::vector<size_t> front;
  for (size_t i = 0; i < cs.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < cs.size() && !dominated; ++j)
      dominated = j != i && dominates(cs[j], cs[i]);
    if (!dominated) front.push_back(i);
  }
  std::stable_sort(front.begin(), front.end(),
                   [&](size_t a, size_t b) { return cs[a].latency_ms < cs[b].latency_ms; });
  return front;
}

Result<Recommendation> recommend(const std::vector<Candidate>& cs, const RecommendLimits& l) {
  if (Status s = check_recommend_limits(l); !s.ok()) return s.error();
  if (cs.empty()) return bad_input("no measured networks to choose from");
  Recommendation r;
  r.by_accuracy = std::all_of(cs.begin(), cs.end(), [](const Candidate& c) { return c.accuracy; });
  std::vector<Verdict> all;
  for (size_t i = 0; i < cs.size(); ++i) all.push_back(judge(cs[i], i, l));
  r.pareto = pareto_front(cs);
  for (size_t i : r.pareto) all[i].pareto = true;
  for (const Verdict& v : all) (v.fits ? r.ranked : r.failing).push_back(v);
  std::stable_sort(r.ranked.begin(), r.ranked.end(), [&](const Verdict& a, const Verdict& b) {
    const Candidate &x = cs[a.candidate], &y = cs[b.candidate];
    return r.by_accuracy ? *x.accuracy > *y.accuracy : x.latency_ms < y.latency_ms;
  });
  if (r.ranked.empty()) {
    size_t fastest = 0, smallest = 0;
    for (size_t i = 1; i < cs.size(); ++i) {
      if (cs[i].latency_ms < cs[fastest].latency_ms) fastest = i;
      if (cs[i].memory_mb < cs[smallest].memory_mb) smallest = i;
    }
    r.nothing_fits = "no measured network meets the limits; the smallest latency measured was " +
                     format("%.3f ms", cs[fastest].latency_ms) + " (" + cs[fastest].name +
                     "), the smallest runtime memory " + format("%.1f MB", cs[smallest].memory_mb) +
                     " (" + cs[smallest].name + ")";
  }
  return r;
}

}  // namespace paramscale::sizing
