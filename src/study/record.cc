#include "study/record.h"

#include <cstdint>
#include <initializer_list>

#include "arch/analysis.h"
#include "arch/families.h"
#include "study/store.h"

namespace paramscale::study {

Result<nlohmann::json> bench_result(const nlohmann::json& file) {
  const nlohmann::json* r = &file;
  if (file.is_object() && file.contains("results")) r = &file["results"];
  if (r->is_array()) {
    if (r->empty()) return failure("bench file holds no result");
    r = &(*r)[0];
  }
  if (r->is_object() && r->contains("error")) {
    const nlohmann::json& e = (*r)["error"];
    const bool text = e.is_object() && e.contains("message") && e["message"].is_string();
    return failure("bench failed: " + (text ? e["message"].get<std::string>() : e.dump()));
  }
  if (!r->is_object() || !r->contains("latency_ms") || !(*r)["latency_ms"].is_object())
    return failure("bench file has no latency_ms in its result");
  return *r;
}

namespace {
const nlohmann::json* at(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return nullptr;
    p = &(*p)[k];
  }
  return p->is_number() ? p : nullptr;
}
}  // namespace

namespace {

bool is_int(const nlohmann::json& v) {
  return v.is_number_integer() && v.get<int64_t>() >= INT32_MIN && v.get<int64_t>() <= INT32_MAX;
}

// "" when r[name] is absent (and allowed to be) or passes `ok`; else the field's name.
template <typename Check>
std::string bad_field(const nlohmann::json& r, const char* name, bool required, Check ok) {
  if (!r.contains(name)) return required ? name : "";
  return ok(r[name]) ? "" : name;
}

std::string bad_cell(const nlohmann::json& c) {
  const auto str = [](const nlohmann::json& v) { return v.is_string(); };
  for (const char* k : {"model", "method", "budget", "runtime", "opt_level"})
    if (auto b = bad_field(c, k, true, str); !b.empty()) return "cell." + b;
  // Absent in records older than the dimension (the report has defaults for them).
  for (const char* k : {"dataset", "device"})
    if (auto b = bad_field(c, k, false, str); !b.empty()) return "cell." + b;
  for (const char* k : {"seed", "threads"})
    if (auto b = bad_field(c, k, true, is_int); !b.empty()) return "cell." + b;
  if (auto b = bad_field(c, "align", false, is_int); !b.empty()) return "cell." + b;
  return "";
}

std::string bad_record_field(const nlohmann::json& r) {
  if (!r.contains("cell") || !r["cell"].is_object()) return "cell";
  if (std::string b = bad_cell(r["cell"]); !b.empty()) return b;
  const auto object = [](const nlohmann::json& v) { return v.is_object(); };
  const auto object_or_null = [](const nlohmann::json& v) { return v.is_object() || v.is_null(); };
  const auto widths = [](const nlohmann::json& v) {
    if (!v.is_array()) return false;
    for (const auto& w : v)
      if (!is_int(w) || w.get<int>() < 1) return false;
    return true;
  };
  const auto validity = [](const nlohmann::json& v) {
    if (!v.is_object()) return false;
    if (v.contains("timings_valid") && !v["timings_valid"].is_boolean()) return false;
    return !v.contains("reasons") || v["reasons"].is_array();
  };
  for (const char* k : {"analysis", "latency_ms", "memory"})
    if (auto b = bad_field(r, k, true, object); !b.empty()) return b;
  for (const char* k : {"environment", "bench", "device"})
    if (auto b = bad_field(r, k, false, object); !b.empty()) return b;
  for (const char* k : {"accuracy", "train"})
    if (auto b = bad_field(r, k, false, object_or_null); !b.empty()) return b;
  if (auto b = bad_field(r, "widths", true, widths); !b.empty()) return b;
  return bad_field(r, "validity", false, validity);
}

}  // namespace

Status check_record(const nlohmann::json& r, const std::string& key) {
  if (!r.is_object()) return bad_input("not a JSON object");
  if (!r.contains("schema_version") || r["schema_version"] != kRecordSchemaVersion)
    return bad_input("not a paramscale study record (schema " +
                     std::to_string(kRecordSchemaVersion) + ")");
  if (!r.contains("key") || !r["key"].is_string())
    return bad_input("field 'key' is missing or not a string");
  if (!key.empty() && r["key"].get<std::string>() != key)
    return bad_input("holds the record of another cell");
  if (std::string b = bad_record_field(r); !b.empty())
    return bad_input("field '" + b + "' is missing or has the wrong type");
  return {};
}

Result<nlohmann::json> record_memory(const nlohmann::json& bench) {
  nlohmann::json m = bench.value("memory", nlohmann::json::object());
  if (!m.is_object()) return failure("bench result's memory is not an object");
  if (at(m, {"runtime_bytes"})) return m;  // already in record form
  const nlohmann::json* peak = at(m, {"peak_inference_rss"});
  const nlohmann::json* base = at(m, {"baseline", "vm_rss"});
  if (!peak || !base || !peak->is_number_integer() || !base->is_number_integer())
    return failure("bench result lacks memory.peak_inference_rss or memory.baseline.vm_rss");
  m["runtime_bytes"] = peak->get<int64_t>() - base->get<int64_t>();
  return m;
}

nlohmann::json record_environment(const nlohmann::json& bench) {
  nlohmann::json e = bench.value("environment", nlohmann::json::object());
  for (const char* k : {"runtime", "protocol"})
    if (bench.contains(k)) e[k] = bench[k];
  if (bench.contains("model") && bench["model"].contains("sha256"))
    e["model_sha256"] = bench["model"]["sha256"];
  return e;
}

namespace {
int measured_threads(const nlohmann::json& bench) {
  const nlohmann::json* t = at(bench, {"request", "backend", "threads"});
  return t && is_int(*t) ? t->get<int>() : 0;
}
}  // namespace

namespace {
// The eval record's headline: accuracy as deployed (fractions, like training's summary).
nlohmann::json deployed_accuracy(const nlohmann::json& deployment) {
  if (!deployment.contains("eval")) return nullptr;
  const nlohmann::json& e = deployment["eval"];
  return {{"top1", e.value("top1", nlohmann::json())},
          {"top5", e.value("top5", nlohmann::json())},
          {"runtime", e.contains("runtime") ? e["runtime"].value("name", "") : ""},
          {"threads", e.value("threads", nlohmann::json())},
          {"images", e.contains("dataset") ? e["dataset"].value("images", nlohmann::json())
                                           : nlohmann::json()}};
}

// How an INT8 model was made, without the per-tensor list (that stays in its quantize.json).
nlohmann::json quantization(const nlohmann::json& deployment) {
  if (!deployment.contains("quantize")) return nullptr;
  nlohmann::json q = deployment["quantize"];
  q.erase("tensors");
  return q;
}
}  // namespace

Result<nlohmann::json> make_record(const StudyConfig& config, const Cell& cell,
                                   const std::vector<int>& widths, const nlohmann::json& train,
                                   const nlohmann::json& bench_file, const nlohmann::json& explain,
                                   const nlohmann::json& deployment) {
  auto family = arch::family_from_name(cell.model);
  if (!family.ok()) return family.error();
  auto dataset = arch::dataset_preset(config.dataset);
  if (!dataset.ok()) return dataset.error();
  auto net = arch::build_network(*family, *dataset, widths);
  if (!net.ok()) return net.error();
  auto bench = bench_result(bench_file);
  if (!bench.ok()) return bench.error();
  auto memory = record_memory(*bench);
  if (!memory.ok()) return memory.error();
  const arch::Analysis a = arch::analyze(*net, config.bench.batch);

  // Per scalable width: the MACs and activation bytes of the layers whose channels it sets.
  const std::vector<std::string> names = arch::width_names(*family);
  std::vector<int64_t> w_macs(widths.size(), 0), w_act(widths.size(), 0);
  for (size_t i = 0; i < net->layers.size(); ++i) {
    const int w = net->layers[i].width_index;
    if (w < 0) continue;
    w_macs[w] += a.layers[i].macs;
    w_act[w] += a.layers[i].activation_bytes;
  }
  nlohmann::json per_width = nlohmann::json::array();
  for (size_t w = 0; w < widths.size(); ++w)
    per_width.push_back({{"name", names[w]},
                         {"width", widths[w]},
                         {"macs", w_macs[w]},
                         {"activation_bytes", w_act[w]}});

  nlohmann::json accuracy = nullptr;
  if (!train.is_null())
    accuracy = {{"final_test", train.value("final_test_accuracy", nlohmann::json())},
                {"best_test", train.value("best_test_accuracy", nlohmann::json())}};
  nlohmann::json record{
      {"schema_version", kRecordSchemaVersion},
      {"key", cell.key()},
      {"cell",
       {{"model", cell.model},
        {"method", cell.method},
        {"budget", cell.budget},
        {"seed", cell.seed},
        {"runtime", cell.runtime},
        // "all cores" on a device: the count the device resolved it to
        {"threads", cell.threads > 0 ? cell.threads : measured_threads(*bench)},
        {"opt_level", cell.opt_level},
        {"align", cell.align},
        {"device", cell.device},
        {"dataset", config.dataset},
        {"precision", cell.precision}}},
      {"widths", widths},
      {"analysis",
       {{"params", a.params},
        {"proxy_params", a.proxy_params},
        {"macs", a.macs},
        {"weight_bytes", a.weight_bytes},
        {"activation_sum_bytes", a.activation_sum_bytes},
        {"peak_activation_bytes", a.peak_activation_bytes},
        {"batch", a.batch},
        {"per_width", per_width}}},
      {"accuracy", accuracy},
      {"deployed_accuracy", deployed_accuracy(deployment)},
      {"quantization", quantization(deployment)},
      {"model_file_bytes", bench->contains("model")
                               ? (*bench)["model"].value("file_bytes", nlohmann::json())
                               : nlohmann::json()},
      {"latency_ms", (*bench)["latency_ms"]},
      {"memory", *memory},
      {"environment", record_environment(*bench)},
      {"device", bench->value("device", nlohmann::json{{"name", cell.device}})},
      {"validity", bench->value("validity", nlohmann::json{{"timings_valid", true},
                                                           {"reasons", nlohmann::json::array()}})},
      {"train", train},
      {"bench", *bench}};
  if (explain.is_object() && explain.contains("models") && explain["models"].is_array() &&
      !explain["models"].empty() && explain["models"][0].is_object()) {
    const nlohmann::json& m = explain["models"][0];
    record["explain"] = {{"explanation", m.value("explanation", nlohmann::json())},
                         {"profiling_overhead", m.value("profiling_overhead", nlohmann::json())},
                         {"peak", explain.value("peak", nlohmann::json())},
                         {"threads", explain.value("threads", nlohmann::json())}};
  }
  return record;
}

}  // namespace paramscale::study
