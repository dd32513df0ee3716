#include "study/record.h"

#include <cstdint>
#include <initializer_list>

#include "arch/analysis.h"
#include "arch/families.h"
#include "runtime/bench_record.h"
#include "study/store.h"

namespace paramscale::study {

namespace {

// The first (only) record in a bench --json file, as written and as read.
struct BenchResult {
  const nlohmann::json* raw = nullptr;
  runtime::BenchRecord record;
};

Result<BenchResult> first_result(const nlohmann::json& file) {
  const nlohmann::json* r = &file;
  if (file.is_object() && file.contains("results")) r = &file["results"];
  if (r->is_array()) {
    if (r->empty()) return failure("bench file holds no result");
    r = &(*r)[0];
  }
  auto record = runtime::BenchRecord::parse(*r);
  if (!record.ok()) return record.error();
  return BenchResult{r, std::move(record).value()};
}

// The bench's memory stages as it wrote them, plus the headline runtime_bytes.
nlohmann::json memory_block(const BenchResult& b) {
  nlohmann::json m = (*b.raw)["memory"];
  m["runtime_bytes"] = b.record.memory.runtime_bytes();
  return m;
}

}  // namespace

Result<nlohmann::json> bench_result(const nlohmann::json& file) {
  auto b = first_result(file);
  if (!b.ok()) return b.error();
  return *b->raw;
}

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
  auto b = first_result(bench);
  if (!b.ok()) return b.error();
  return memory_block(*b);
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

// The cell as measured: "all cores" on a device becomes the count the device resolved it to.
nlohmann::json cell_block(const StudyConfig& config, const Cell& cell,
                          const runtime::BenchRecord& bench) {
  nlohmann::json c = cell_to_json(cell);
  if (cell.threads <= 0) c["threads"] = bench.request ? bench.request->backend.threads : 0;
  c["dataset"] = config.dataset;
  return c;
}

// The network's exact analysis, with the MACs and activation bytes of the layers each scalable
// width sets.
nlohmann::json analysis_block(arch::Family family, const arch::Network& net,
                              const std::vector<int>& widths, int batch) {
  const arch::Analysis a = arch::analyze(net, batch);
  const std::vector<std::string> names = arch::width_names(family);
  std::vector<int64_t> w_macs(widths.size(), 0), w_act(widths.size(), 0);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const int w = net.layers[i].width_index;
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
  nlohmann::json block = analysis_totals(a);
  block["per_width"] = per_width;
  return block;
}

// The first model's explanation in `paramscale explain --json` output; null when there is none.
nlohmann::json explain_block(const nlohmann::json& explain) {
  if (!explain.is_object() || !explain.contains("models") || !explain["models"].is_array() ||
      explain["models"].empty() || !explain["models"][0].is_object())
    return nullptr;
  const nlohmann::json& m = explain["models"][0];
  return {{"explanation", m.value("explanation", nlohmann::json())},
          {"profiling_overhead", m.value("profiling_overhead", nlohmann::json())},
          {"peak", explain.value("peak", nlohmann::json())},
          {"threads", explain.value("threads", nlohmann::json())}};
}
}  // namespace

nlohmann::json analysis_totals(const arch::Analysis& a) {
  return {{"params", a.params},
          {"proxy_params", a.proxy_params},
          {"macs", a.macs},
          {"weight_bytes", a.weight_bytes},
          {"activation_sum_bytes", a.activation_sum_bytes},
          {"peak_activation_bytes", a.peak_activation_bytes},
          {"batch", a.batch}};
}

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
  auto measured = first_result(bench_file);
  if (!measured.ok()) return measured.error();
  const nlohmann::json& bench = *measured->raw;
  const runtime::BenchRecord& b = measured->record;

  nlohmann::json accuracy = nullptr;
  if (!train.is_null())
    accuracy = {{"final_test", train.value("final_test_accuracy", nlohmann::json())},
                {"best_test", train.value("best_test_accuracy", nlohmann::json())}};
  nlohmann::json record{
      {"schema_version", kRecordSchemaVersion},
      {"key", cell.key()},
      {"cell", cell_block(config, cell, b)},
      {"widths", widths},
      {"analysis", analysis_block(*family, *net, widths, config.bench.batch)},
      {"accuracy", accuracy},
      {"deployed_accuracy", deployed_accuracy(deployment)},
      {"quantization", quantization(deployment)},
      {"model_file_bytes",
       b.model.file_bytes ? nlohmann::json(*b.model.file_bytes) : nlohmann::json()},
      // The bench's blocks as it wrote them (records from older bundles stay as they were).
      {"latency_ms", bench["latency_ms"]},
      {"memory", memory_block(*measured)},
      {"environment", record_environment(bench)},
      {"device", bench.value("device", nlohmann::json{{"name", cell.device}})},
      {"validity", bench.value("validity", nlohmann::json{{"timings_valid", true},
                                                          {"reasons", nlohmann::json::array()}})},
      {"train", train},
      {"bench", bench}};
  if (nlohmann::json e = explain_block(explain); !e.is_null()) record["explain"] = std::move(e);
  return record;
}

}  // namespace paramscale::study
