#include "report/report.h"

#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <set>

#include "arch/analysis.h"
#include "arch/families.h"
#include "report/data_files.h"
#include "report/document.h"
#include "report/environment.h"
#include "report/layers.h"
#include "report/metrics.h"
#include "report/pareto.h"
#include "report/plots.h"
#include "report/precision.h"
#include "report/provenance.h"
#include "study/store.h"
#include "util/text.h"

namespace paramscale::report {

namespace {
std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string opt(const std::optional<double>& v, int decimals,
                const std::string& none = "not trained") {
  return v ? fixed(*v, decimals) : none;
}
std::string setting(const Point& p) {
  return (p.device == "local" ? "" : "on " + p.device + ": ") + p.runtime + ", " +
         std::to_string(p.threads) + " thread(s)" +
         (shows_opt_level(p.runtime) ? ", opt " + p.opt_level : "") +
         (p.precision == "fp32" ? "" : ", " + upper(p.precision));
}
// A measured cost, or why it is not shown (an emulated or throttled measurement).
std::string cost(const Point& p, double v, int decimals) {
  return p.timings_valid ? fixed(v, decimals)
                         : p.invalid_reason.substr(0, p.invalid_reason.find(':'));
}

void headline_section(Document& doc, const Metrics& m) {
  doc.heading("Headline");
  for (const Headline& h : m.headlines) {
    if (h.model != "all") continue;
    std::string s =
        (h.device == "local"
             ? std::string("On this machine")
             : "On device " + h.device + (h.hardware.empty() ? "" : " (" + h.hardware + ")")) +
        " with " + h.runtime + " (" + std::to_string(h.threads) + " thread(s)" +
        (shows_opt_level(h.runtime) ? ", optimisation " + h.opt_level : "") +
        (h.precision == "fp32" ? "" : ", " + upper(h.precision) + " models") + "), averaged over " +
        std::to_string(h.comparisons) + " family/budget pairs: ";
    s += h.accuracy_per_mb_ratio
             ? "NeuralScale is " + fixed(100 * *h.accuracy_per_mb_ratio, 0) +
                   "% as efficient as uniform in accuracy per MB of runtime memory, "
             : "accuracy per MB: not trained (deployment-only study), ";
    s += "uses " + fixed(h.memory_per_param_ratio, 2) + "x the runtime memory per parameter, and " +
         fixed(h.latency_ratio, 2) + "x the latency.";
    doc.paragraph(s);
  }
  doc.paragraph(
      "Published (SmallSat 2022): on embedded GPUs (TensorRT) NeuralScale was 40% as efficient in "
      "accuracy per MB and used 2.7x the runtime memory per parameter; on an embedded CPU "
      "(Raspberry "
      "Pi 4, ONNX Runtime) it was slightly more efficient in accuracy per MB, with about the same "
      "memory per parameter, but over 2.5x the latency.");
  std::vector<std::vector<std::string>> rows = {
      {"family", "setting", "pairs", "acc/MB NS÷U", "bytes/param NS÷U", "latency NS÷U"}};
  for (const Headline& h : m.headlines)
    rows.push_back({h.model,
                    (h.device == "local" ? "" : h.device + " ") + h.runtime + " t" +
                        std::to_string(h.threads) + " " + h.opt_level +
                        (h.precision == "fp32" ? "" : " " + upper(h.precision)),
                    std::to_string(h.comparisons), opt(h.accuracy_per_mb_ratio, 3),
                    fixed(h.memory_per_param_ratio, 3), fixed(h.latency_ratio, 3)});
  doc.table(rows);
}

void family_sections(Document& doc, const Metrics& m) {
  std::set<std::string> models;
  for (const Point& p : m.points) models.insert(p.model);
  for (const std::string& model : models) {
    doc.heading(model);
    std::vector<std::vector<std::string>> rows = {
        {"budget", "method", "setting", "params", "MACs (M)", "peak act MB", "acc % (best/final)",
         "median ms", "p90 ms", "runtime MB", "acc/MB", "bytes/param", "acc/ms", "NCHWc convs"}};
    for (const Point& p : m.points) {
      if (p.model != model) continue;
      // An INT8 point's accuracy is its deployed one (report/metrics.h): no training epochs.
      const std::string accuracy = !p.accuracy ? "not trained"
                                   : p.precision != "fp32"
                                       ? fixed(*p.accuracy, 2) + " (as deployed, ORT)"
                                       : fixed(*p.accuracy, 2) + " / " + opt(p.final_accuracy, 2);
      rows.push_back({p.budget, p.method, setting(p), fixed(p.params, 0), fixed(p.macs / 1e6, 1),
                      fixed(p.peak_activation_bytes / 1e6, 3), accuracy,
                      cost(p, p.latency_median_ms, 3), cost(p, p.latency_p90_ms, 3),
                      cost(p, p.runtime_memory_mb(), 2),
                      p.timings_valid ? opt(p.accuracy_per_mb(), 3) : cost(p, 0, 0),
                      cost(p, p.memory_per_param(), 2),
                      p.timings_valid ? opt(p.accuracy_per_ms(), 2) : cost(p, 0, 0),
                      p.nchwc_fraction ? fixed(100 * *p.nchwc_fraction, 0) + "%" : "-"});
    }
    doc.table(rows);
    std::vector<std::vector<std::string>> ratio = {
        {"budget", "setting", "acc/MB NS÷U", "bytes/param NS÷U", "latency NS÷U", "MACs NS÷U",
         "peak act NS÷U", "uniform widths", "NeuralScale widths"}};
    auto join = [](const std::vector<int>& w) {
      std::string s;
      for (size_t i = 0; i < w.size(); ++i) s += (i ? "," : "") + std::to_string(w[i]);
      return s;
    };
    for (const Comparison& c : m.comparisons)
      if (c.model == model)
        ratio.push_back({c.budget, setting(c.uniform), opt(c.accuracy_per_mb_ratio(), 3),
                         fixed(c.memory_per_param_ratio(), 3), fixed(c.latency_ratio(), 3),
                         fixed(c.macs_ratio(), 3), fixed(c.peak_activation_ratio(), 3),
                         join(c.uniform.widths), join(c.neuralscale.widths)});
    if (ratio.size() > 1) {
      doc.paragraph("NeuralScale ÷ uniform at equal parameter budgets, with the widths behind it:");
      doc.table(ratio);
    }
  }
}

void plot(Document& doc, const std::string& out_dir, const std::string& file, const PlotSpec& spec,
          std::vector<std::string>& problems) {
  add_plot(doc, out_dir, file, spec.title, draw_svg(spec), problems);
}

// Per-layer output bytes (batch 1, fp32) of both networks of a comparison, from the IR: where the
// runtime memory and the latency go, layer by layer.
void activation_plot(Document& doc, const std::string& out_dir, const Comparison& c,
                     const std::string& file, std::vector<std::string>& problems) {
  const auto family = arch::family_from_name(c.model);
  const auto dataset =
      arch::dataset_preset(c.uniform.dataset.empty() ? "cifar10" : c.uniform.dataset);
  if (!family.ok() || !dataset.ok()) return;
  std::vector<Series> series;
  std::string peaks;
  for (const Point* p : {&c.uniform, &c.neuralscale}) {
    const auto net = arch::build_network(*family, *dataset, p->widths);
    if (!net.ok()) {
      problems.push_back(c.model + " " + c.budget + ": " + net.error().message);
      return;
    }
    const arch::Analysis a = arch::analyze(*net);
    Series s{p == &c.uniform ? "uniform" : "NeuralScale", {}, true};
    for (size_t i = 0; i < a.layers.size(); ++i)
      if (a.layers[i].activation_bytes > 0)
        s.xy.emplace_back(i, a.layers[i].activation_bytes / 1024.0);
    series.push_back(s);
    peaks += (peaks.empty() ? "" : ", ") + s.title + " " + fixed(a.peak_activation_bytes / 1e6, 2) +
             " MB at " + net->layers[a.peak_layer].name;
  }
  plot(doc, out_dir, file,
       {"Output bytes per layer, " + c.model + " at " + c.budget + " (peak live: " + peaks + ")",
        "layer index (execution order)", "output KiB (batch 1, fp32)", false, series},
       problems);
}

void plot_sections(Document& doc, const Metrics& m, const std::string& out_dir,
                   std::vector<std::string>& problems) {
  doc.heading("Plots");
  auto by_series = [&](auto x, auto y, bool need_acc) {
    std::map<std::string, Series> s;
    for (const Point& p : m.points) {
      if (need_acc && !p.accuracy) continue;
      Series& ser = s[p.model + " " + p.method + " (" + setting(p) + ")"];
      ser.title = p.model + " " + p.method + " (" + setting(p) + ")";
      ser.lines = true;
      ser.xy.emplace_back(x(p), y(p));
    }
    std::vector<Series> out;
    for (auto& [k, v] : s) {
      std::sort(v.xy.begin(), v.xy.end());
      out.push_back(v);
    }
    return out;
  };
  const auto params = [](const Point& p) { return p.params / 1e6; };
  plot(doc, out_dir, "latency_vs_params.svg",
       {"Median latency vs parameters", "parameters (M)", "median latency (ms)", false,
        by_series(
            params, [](const Point& p) { return p.latency_median_ms; }, false)},
       problems);
  // Same MACs, different latency: where widths break ONNX Runtime's blocked layout (NCHWc), points
  // of unaligned NeuralScale sit above the aligned and uniform ones (bench/ALIGNMENT.md).
  plot(doc, out_dir, "latency_vs_macs.svg",
       {"Median latency vs MACs", "MACs (M)", "median latency (ms)", false,
        by_series([](const Point& p) { return p.macs / 1e6; },
                  [](const Point& p) { return p.latency_median_ms; }, false)},
       problems);
  plot(doc, out_dir, "memory_per_param.svg",
       {"Runtime memory per parameter", "parameters (M)", "runtime memory (bytes/param)", false,
        by_series(
            params, [](const Point& p) { return p.memory_per_param(); }, false)},
       problems);
  const bool trained = std::any_of(m.points.begin(), m.points.end(),
                                   [](const Point& p) { return p.accuracy.has_value(); });
  if (trained) {
    plot(doc, out_dir, "accuracy_vs_params.svg",
         {"Accuracy vs parameters", "parameters (M)", "best test accuracy (%)", false,
          by_series(
              params, [](const Point& p) { return *p.accuracy; }, true)},
         problems);
    plot(doc, out_dir, "accuracy_vs_memory.svg",
         {"Accuracy vs runtime memory", "runtime memory (MB)", "best test accuracy (%)", false,
          by_series([](const Point& p) { return p.runtime_memory_mb(); },
                    [](const Point& p) { return *p.accuracy; }, true)},
         problems);
  } else {
    doc.paragraph("Accuracy plots: not trained (deployment-only study).");
  }
  // Width profile per family and budget: uniform vs NeuralScale, layer by layer.
  std::set<std::string> seen;
  for (const Comparison& c : m.comparisons) {
    const std::string id = c.model + "_" + c.budget;
    if (!seen.insert(id).second) continue;
    Series u{"uniform", {}, true}, n{"NeuralScale", {}, true};
    for (size_t i = 0; i < c.uniform.widths.size(); ++i) u.xy.emplace_back(i, c.uniform.widths[i]);
    for (size_t i = 0; i < c.neuralscale.widths.size(); ++i)
      n.xy.emplace_back(i, c.neuralscale.widths[i]);
    std::string file = "widths_" + id + ".svg";
    for (char& ch : file)
      if (ch == ':') ch = '-';
    plot(doc, out_dir, file,
         {"Width profile, " + c.model + " at " + c.budget,
          "scalable width index",
          "channels",
          false,
          {u, n}},
         problems);
    activation_plot(doc, out_dir, c, "activations_" + file.substr(7), problems);
  }
}
}  // namespace

namespace {
// Every record of every study directory; unreadable ones become problems of the report.
Result<std::vector<nlohmann::json>> load_records(const std::vector<std::string>& dirs,
                                                 std::vector<std::string>& problems) {
  std::vector<nlohmann::json> records;
  for (const std::string& d : dirs) {
    struct stat st;
    if (::stat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return bad_input("no study directory " + d);
    study::LoadedRecords l = study::Store(d).load();
    records.insert(records.end(), l.records.begin(), l.records.end());
    problems.insert(problems.end(), l.problems.begin(), l.problems.end());
  }
  if (records.empty())
    return bad_input("no study records in " + dirs.front() + "/cells (run paramscale study first)");
  return records;
}

Document report_document(const std::vector<nlohmann::json>& records, const Metrics& m,
                         const std::vector<std::string>& dirs, const std::string& out_dir,
                         const ReportOptions& options, std::vector<std::string>& problems) {
  Document doc;
  doc.heading("paramscale report", 1);
  doc.paragraph(
      std::to_string(records.size()) + " measured cells from " + std::to_string(dirs.size()) +
      " study director" + (dirs.size() == 1 ? "y" : "ies") +
      ". Runtime memory = peak resident memory during inference minus the baseline before "
      "the runtime was loaded (one fresh process per model); latency = batch-1 wall time of "
      "one inference, median and p90 over the timed runs.");
  headline_section(doc, m);
  family_sections(doc, m);
  precision_section(doc, m);
  std::vector<std::string> plot_problems;
  plot_sections(doc, m, out_dir, plot_problems);
  layer_sections(doc, m, out_dir, plot_problems);
  pareto_sections(doc, m, {options.max_latency_ms, options.max_memory_mb}, out_dir, plot_problems);
  problems.insert(problems.end(), plot_problems.begin(), plot_problems.end());
  provenance_section(doc, dirs);
  environment_section(doc, records);
  if (!problems.empty()) {
    doc.heading("Problems");
    for (const std::string& p : problems) doc.paragraph(p);
  }
  return doc;
}
}  // namespace

Result<ReportSummary> write_report(const std::vector<std::string>& dirs, const std::string& out_dir,
                                   const ReportOptions& options) {
  ReportSummary sum;
  Result<std::vector<nlohmann::json>> records = load_records(dirs, sum.problems);
  if (!records) return records.error();
  ::mkdir(out_dir.c_str(), 0755);
  ::mkdir((out_dir + "/plots").c_str(), 0755);
  Metrics m = compute_metrics(*records);
  sum.problems.insert(sum.problems.end(), m.problems.begin(), m.problems.end());
  sum.records = static_cast<int>(records->size());
  sum.comparisons = static_cast<int>(m.comparisons.size());
  const Document doc = report_document(*records, m, dirs, out_dir, options, sum.problems);
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"report.md", to_markdown(doc)},
           {"report.html", to_html(doc, "paramscale report")},
           {"report.csv", points_csv(m)},
           {"report.json", report_json(m, sum.problems).dump(2) + "\n"}})
    if (Status s = write_file_atomic(out_dir + "/" + name, text); !s.ok()) return s.error();
  return sum;
}

}  // namespace paramscale::report
