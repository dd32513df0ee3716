#include "report/provenance.h"
#include "util/json_file.h"
#include "util/text.h"

#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace paramscale::report {

namespace {
nlohmann::json read_json(const std::string& path) {
  const Result<nlohmann::json> j = read_json_file(path, "study file");
  return j.ok() ? *j : nullptr;
}

std::string training_text(const nlohmann::json& c) {
  const nlohmann::json t = c.value("train", nlohmann::json::object());
  if (!t.value("enabled", true))
    return "Not trained (deployment-only): seeded random weights; accuracy columns say so.";
  const int subset = t.value("subset", 0), test_subset = t.value("test_subset", 0);
  return "Training: " + std::to_string(t.value("epochs", 0)) + " epoch(s) on " +
         (subset > 0 ? std::to_string(subset) + " images" : std::string("the whole training set")) +
         " of " + c.value("dataset", std::string("?")) + ", batch " +
         std::to_string(t.value("batch_size", 0)) + ", SGD lr " + format("%g", t.value("lr", 0.0)) +
         " momentum " + format("%g", t.value("momentum", 0.0)) + ", " +
         t.value("schedule", std::string("?")) + " schedule; test accuracy on " +
         (test_subset > 0 ? std::to_string(test_subset) + " test images (a fixed sample)"
                          : std::string("the whole test set")) +
         ". Short runs: accuracies compare the methods under the same budget of training, they are "
         "not converged results.";
}

// INT8 models (study config "precisions"): how they were quantized, and the reduce-range rule
// one of them recorded (every INT8 model of a study is quantized on the same machine).
std::string quantization_text(const std::string& dir, const nlohmann::json& c) {
  const auto p = c.value("precisions", std::vector<std::string>{});
  if (std::find(p.begin(), p.end(), "int8") == p.end()) return "";
  const nlohmann::json q = c.value("quantize", nlohmann::json::object());
  const bool trained = c.value("train", nlohmann::json::object()).value("enabled", true);
  std::string s =
      "INT8 models: each network quantized by paramscale quantize (QDQ, batch-norm "
      "folded, int8 per-channel weights), " +
      q.value("calibration", std::string("minmax")) + " calibration on " +
      std::to_string(q.value("calibration_images", 0)) +
      (trained ? " training images of " + c.value("dataset", std::string("?"))
               : std::string(" images of seeded noise (deployment-only: latency and "
                             "memory only)")) +
      ", " + q.value("activations", std::string("u8")) + " activations";
  std::string reason;
  if (DIR* d = ::opendir((dir + "/models").c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() < 14 || n.compare(n.size() - 14, 14, ".quantize.json") != 0) continue;
      const nlohmann::json r = read_json(dir + "/models/" + n);
      if (r.is_object() && r.contains("reduce_range") && r["reduce_range"].is_object())
        reason = r["reduce_range"].value("reason", "");
      if (!reason.empty()) break;
    }
    ::closedir(d);
  }
  return s + "; weights: reduce-range " + q.value("reduce_range", std::string("auto")) +
         (reason.empty() ? "" : " (" + reason + ")") + ".";
}

std::string search_text(const std::string& model, const nlohmann::json& s) {
  const nlohmann::json its = s.value("iterations", nlohmann::json::array());
  if (its.empty()) return model + ": the study's own search has not finished an iteration.";
  const nlohmann::json& last = its.back();
  const std::vector<double> r2 = last["laws"].value("r2", std::vector<double>{});
  const double min_r2 = r2.empty() ? 0 : *std::min_element(r2.begin(), r2.end());
  return model + ": fitted by this study's own NeuralScale search (search/" + model +
         "/fit.json): " + std::to_string(its.size()) + " iteration(s) in " +
         format("%.0f", s.value("seconds", 0.0)) + " s; the last pruned " +
         std::to_string(last.value("pruning_steps", 0)) + " times, recorded " +
         std::to_string(last.value("trace_rows", 0)) +
         " trace rows, fit R^2 >= " + format("%.3f", min_r2) +
         ". Settings: " + s.value("settings", std::string("?"));
}
// A fit file named in the config: what the file itself says about where it came from.
std::string fit_file_text(const std::string& model, const std::string& path) {
  const nlohmann::json f = read_json(path);
  std::string s = model + ": NeuralScale widths from the fit file " + path;
  if (f.is_null()) return s + " (unreadable when the report was made).";
  const auto traces = f.value("traces", std::vector<std::string>{});
  std::string from;
  for (const auto& t : traces) from += (from.empty() ? "" : ", ") + t;
  const auto its = f.value("iterations", nlohmann::json::array());
  return s + ": fitted on " + f.value("dataset", std::string("an unnamed dataset")) + " with the " +
         f.value("count", std::string("proxy")) + " parameter count, " +
         std::to_string(its.size()) + " iteration(s)" + (from.empty() ? "" : ", from " + from) +
         "; the last iteration's laws are used.";
}

// One study's paragraphs; throws nlohmann::json::exception on a field of the wrong type.
void study_provenance(Document& doc, const std::string& dir, bool several) {
  const nlohmann::json c = read_json(dir + "/config.json");
  if (c.is_null() || !c.is_object()) {
    doc.paragraph(dir + ": no readable config.json.");
    return;
  }
  if (several) doc.paragraph("Study " + dir + ":");
  doc.paragraph(training_text(c));
  if (const std::string q = quantization_text(dir, c); !q.empty()) doc.paragraph(q);
  const auto methods = c.value("methods", std::vector<std::string>{});
  if (std::find(methods.begin(), methods.end(), "neuralscale") == methods.end()) return;
  const nlohmann::json fits = c.value("fits", nlohmann::json::object());
  for (const std::string& model : c.value("models", std::vector<std::string>{})) {
    if (fits.contains(model)) {
      doc.paragraph(fit_file_text(model, fits[model].get<std::string>()));
      continue;
    }
    const nlohmann::json s = read_json(dir + "/search/" + model + "/search.json");
    doc.paragraph(s.is_null()
                      ? model + ": no NeuralScale fit (its NeuralScale cells were left out)."
                      : search_text(model, s));
  }
}

}  // namespace

void provenance_section(Document& doc, const std::vector<std::string>& study_dirs) {
  doc.heading("How the networks were made");
  for (const std::string& dir : study_dirs) {
    // A damaged config, search or fit file is named in the report, not a reason to stop it.
    try {
      study_provenance(doc, dir, study_dirs.size() > 1);
    } catch (const nlohmann::json::exception&) {
      doc.paragraph(dir +
                    ": its config.json, search.json or fit file is damaged; provenance "
                    "unknown.");
    }
  }
}

}  // namespace paramscale::report
