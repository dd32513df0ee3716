#include "runtime/bench_record.h"

#include <type_traits>
#include <utility>

namespace paramscale::runtime {

namespace {

using nlohmann::json;

// One value of type T from JSON, or false when it has another type (a whole number is a fine
// double; a double is no integer).
template <typename T>
bool take(const json& v, T* out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) return false;
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) return false;
    if (std::is_unsigned_v<T> && !v.is_number_unsigned()) return false;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) return false;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return false;
  }
  *out = v.get<T>();
  return true;
}

template <typename T>
bool take(const json& v, std::vector<T>* out) {
  if (!v.is_array()) return false;
  out->clear();
  for (const json& e : v) {
    T x{};
    if (!take(e, &x)) return false;
    out->push_back(x);
  }
  return true;
}

bool take(const json& v, json* out) {
  *out = v;
  return true;
}

// Reads the fields of one JSON object by type. The first field that is missing (when required)
// or mistyped is remembered by its path ("memory.baseline.vm_rss"); reads after it do nothing.
class Fields {
 public:
  Fields(const json& j, std::string path, std::string* bad)
      : j_(j), path_(std::move(path)), bad_(bad) {
    if (!j_.is_object()) fail("");
  }

  bool has(const char* key) const { return j_.is_object() && j_.contains(key); }

  template <typename T>
  Fields& required(const char* key, T* out) {
    if (!has(key))
      fail(key);
    else if (bad_->empty() && !take(j_[key], out))
      fail(key);
    return *this;
  }
  template <typename T>
  Fields& optional(const char* key, T* out) {
    return has(key) ? required(key, out) : *this;
  }
  template <typename T>
  Fields& optional(const char* key, std::optional<T>* out) {
    if (!has(key)) return *this;
    T v{};
    required(key, &v);
    *out = v;
    return *this;
  }
  // A nested object (an empty one when absent and not required).
  Fields object(const char* key, bool is_required) {
    if (!has(key)) {
      if (is_required) fail(key);
      return Fields(kEmpty, name(key), bad_);
    }
    return Fields(j_[key], name(key), bad_);
  }

 private:
  std::string name(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  void fail(const char* key) {
    if (bad_->empty()) *bad_ = *key ? name(key) : (path_.empty() ? "(record)" : path_);
  }
  static inline const json kEmpty = json::object();
  const json& j_;
  std::string path_;
  std::string* bad_;
};

// Each struct's fields by their names in the record, so reading and writing them agree.
constexpr std::pair<const char*, double LatencyStats::*> kStats[] = {
    {"min", &LatencyStats::min},       {"mean", &LatencyStats::mean},
    {"p90", &LatencyStats::p90},       {"p95", &LatencyStats::p95},
    {"p99", &LatencyStats::p99},       {"max", &LatencyStats::max},
    {"stddev", &LatencyStats::stddev}, {"cv", &LatencyStats::cv},
    {"total", &LatencyStats::total}};
constexpr std::pair<const char*, int64_t ProcMemory::*> kProc[] = {{"vm_rss", &ProcMemory::rss},
                                                                   {"vm_hwm", &ProcMemory::hwm},
                                                                   {"vm_size", &ProcMemory::size},
                                                                   {"vm_peak", &ProcMemory::peak}};
constexpr std::pair<const char*, std::optional<int> LayoutRecord::*> kCounts[] = {
    {"convs", &LayoutRecord::convs},
    {"nchwc_convs", &LayoutRecord::nchwc_convs},
    {"int8_convs", &LayoutRecord::int8_convs},
    {"int8_ops", &LayoutRecord::int8_ops},
    {"qdq_nodes", &LayoutRecord::qdq_nodes}};

void read_latency(Fields f, LatencyRecord* l) {
  f.optional("runs", &l->stats.runs);
  f.required("median", &l->stats.median);
  for (const auto& [key, field] : kStats) f.optional(key, &(l->stats.*field));
  std::vector<double> ci;
  f.optional("median_ci95", &ci);
  if (ci.size() == 2) {
    MedianInterval m;
    m.lo = ci[0];
    m.hi = ci[1];
    m.median = l->stats.median;
    f.required("median_ci95_relative", &m.relative);
    l->median_ci95 = m;
  }
  f.optional("converged", &l->converged);
  f.optional("stopped_by", &l->stopped_by);
}

void read_validity(Fields f, Validity* v) {
  f.optional("timings_valid", &v->timings_valid);
  f.optional("reasons", &v->reasons);
}

void read_layout(Fields f, LayoutRecord* l) {
  for (const auto& [key, field] : kCounts) f.optional(key, &(l->*field));
  f.optional("nchwc_fraction", &l->nchwc_fraction);
  f.optional("error", &l->error);
}

void read_proc(Fields f, ProcMemory* m) {
  for (const auto& [key, field] : kProc) f.optional(key, &(m->*field));
}

void read_memory(Fields f, MemoryRecord* m) {
  Fields baseline = f.object("baseline", true);
  baseline.required("vm_rss", &m->baseline.rss);
  read_proc(baseline, &m->baseline);
  read_proc(f.object("after_runtime_init", false), &m->after_runtime_init);
  read_proc(f.object("after_session", false), &m->after_session);
  read_proc(f.object("after_warmup", false), &m->after_warmup);
  read_proc(f.object("after_runs", false), &m->after_runs);
  f.required("peak_inference_rss", &m->peak_inference_rss);
  Fields reset = f.object("hwm_reset", false);
  reset.optional("ok", &m->hwm_reset.ok);
  reset.optional("detail", &m->hwm_reset.detail);
  f.optional("allocator_stats", &m->allocator_stats);
}

void read_model(Fields f, ModelFacts* m) {
  f.optional("path", &m->path);
  std::string format;
  f.optional("format", &format);
  m->run_dir = format == "run directory";
  f.optional("sha256", &m->sha256);
  f.optional("input_name", &m->input_name);
  f.optional("input_shape", &m->input_shape);
  f.optional("weight_bytes", &m->weight_bytes);
  f.optional("opset", &m->opset);
  f.optional("file_bytes", &m->file_bytes);
  f.optional("exported_from", &m->exported_from);
  f.optional("device_path", &m->device_path);
}

// A block read on its own (the report's view of a study record's copies).
template <typename T>
Result<T> parse_block(const json& j, const char* name, void (*read)(Fields, T*)) {
  std::string bad;
  T out;
  read(Fields(j, name, &bad), &out);
  if (!bad.empty()) return bad_input("bench record: field '" + bad + "' is missing or mistyped");
  return out;
}

json proc_json(const ProcMemory& m) {
  json j = json::object();
  for (const auto& [key, field] : kProc) j[key] = m.*field;
  return j;
}

json latency_json(const LatencyRecord& l) {
  json j = {{"runs", l.stats.runs}, {"median", l.stats.median}};
  for (const auto& [key, field] : kStats) j[key] = l.stats.*field;
  if (l.median_ci95) {
    j["median_ci95"] = {l.median_ci95->lo, l.median_ci95->hi};
    j["median_ci95_relative"] = l.median_ci95->relative;
  }
  if (l.converged) j["converged"] = *l.converged;
  if (l.stopped_by) j["stopped_by"] = *l.stopped_by;
  return j;
}

json memory_json(const MemoryRecord& m) {
  return {{"baseline", proc_json(m.baseline)},
          {"after_runtime_init", proc_json(m.after_runtime_init)},
          {"after_session", proc_json(m.after_session)},
          {"after_warmup", proc_json(m.after_warmup)},
          {"after_runs", proc_json(m.after_runs)},
          {"peak_inference_rss", m.peak_inference_rss},
          {"peak_scope", m.hwm_reset.ok ? "timed runs" : "whole process (VmHWM reset unavailable)"},
          {"hwm_reset", {{"ok", m.hwm_reset.ok}, {"detail", m.hwm_reset.detail}}},
          {"runtime_memory_bytes", m.runtime_bytes()},
          {"session_bytes", m.session_bytes()},
          {"allocator_stats", m.allocator_stats}};
}

json model_json(const ModelFacts& m) {
  json j = {{"path", m.path},
            {"format", m.run_dir ? "run directory" : "onnx"},
            {"sha256", m.sha256},
            {"input_name", m.input_name},
            {"input_shape", m.input_shape},
            {"weight_bytes", m.weight_bytes},
            {"opset", m.opset}};
  if (m.file_bytes) j["file_bytes"] = *m.file_bytes;
  if (!m.exported_from.empty()) j["exported_from"] = m.exported_from;
  if (!m.device_path.empty()) j["device_path"] = m.device_path;
  return j;
}

json layout_json(const LayoutRecord& l) {
  json j = json::object();
  for (const auto& [key, field] : kCounts)
    if (l.*field) j[key] = *(l.*field);
  if (l.nchwc_fraction) j["nchwc_fraction"] = *l.nchwc_fraction;
  if (l.error) j["error"] = *l.error;
  return j;
}

}  // namespace

std::string BenchRecord::device_name() const {
  return device.is_object() && device.contains("name") && device["name"].is_string()
             ? device["name"].get<std::string>()
             : "local";
}

json BenchRecord::to_json() const {
  json j = {
      {"schema", kRecordSchema},
      {"model", model_json(model)},
      {"runtime",
       {{"name", runtime_name}, {"version", runtime_version}, {"options", runtime_options}}},
      {"warmup", {{"runs", warmup_runs}, {"ms", warmup_ms}}},
      {"latency_ms", latency_json(latency)},
      {"timings_ms", timings_ms},
      {"memory", memory_json(memory)},
      {"output", {{"shape", output_shape}}},
      {"environment", environment},
      {"board",
       {{"before", board_before},
        {"after", board_after},
        {"throttling",
         {{"throttled", throttling.throttled},
          {"method", throttling.method},
          {"detail", throttling.detail}}}}},
      {"validity", {{"timings_valid", validity.timings_valid}, {"reasons", validity.reasons}}}};
  if (request) {
    j["request"] = request_to_json(*request);
    j["protocol"] = j["request"]["protocol"];
  }
  if (output_values) j["output"]["values"] = *output_values;
  if (layout) j["layout"] = layout_json(*layout);
  if (!device.is_null()) j["device"] = device;
  return j;
}

Result<BenchRecord> BenchRecord::parse(const json& r) {
  if (r.is_object() && r.contains("error")) {
    const json& e = r["error"];
    const bool text = e.is_object() && e.contains("message") && e["message"].is_string();
    return failure("bench failed: " + (text ? e["message"].get<std::string>() : e.dump()));
  }
  BenchRecord b;
  std::string bad;
  Fields f(r, "", &bad);
  if (f.has("request") && bad.empty()) {
    auto request = request_from_json(r["request"]);
    if (!request.ok()) return bad_input("bench record: " + request.error().message);
    b.request = std::move(request).value();
  }
  read_model(f.object("model", false), &b.model);
  f.object("runtime", false)
      .optional("name", &b.runtime_name)
      .optional("version", &b.runtime_version)
      .optional("options", &b.runtime_options);
  f.object("warmup", false).optional("runs", &b.warmup_runs).optional("ms", &b.warmup_ms);
  read_latency(f.object("latency_ms", true), &b.latency);
  f.optional("timings_ms", &b.timings_ms);
  read_memory(f.object("memory", true), &b.memory);
  f.object("output", false).optional("shape", &b.output_shape).optional("values", &b.output_values);
  f.optional("environment", &b.environment);
  Fields board = f.object("board", false);
  board.optional("before", &b.board_before).optional("after", &b.board_after);
  board.object("throttling", false)
      .optional("throttled", &b.throttling.throttled)
      .optional("method", &b.throttling.method)
      .optional("detail", &b.throttling.detail);
  read_validity(f.object("validity", false), &b.validity);
  if (f.has("layout")) read_layout(f.object("layout", true), &b.layout.emplace());
  f.optional("device", &b.device);
  if (!bad.empty()) return bad_input("bench record: field '" + bad + "' is missing or mistyped");
  return b;
}

Validity judge_validity(const json& environment, const ThrottleVerdict& throttle) {
  Validity v;
  if (environment.value("emulated", false))
    v.reasons.push_back("emulated: " + environment.value("build_arch", std::string("?")) +
                        " binary on a " + environment.value("kernel_arch", std::string("?")) +
                        " kernel, timings are the emulator's");
  if (throttle.throttled) v.reasons.push_back("throttled: " + throttle.detail);
  v.timings_valid = v.reasons.empty();
  return v;
}

Result<LatencyRecord> parse_latency(const json& j) {
  return parse_block<LatencyRecord>(j, "latency_ms", read_latency);
}
Result<Validity> parse_validity(const json& j) {
  return parse_block<Validity>(j, "validity", read_validity);
}
Result<LayoutRecord> parse_layout(const json& j) {
  return parse_block<LayoutRecord>(j, "layout", read_layout);
}

}  // namespace paramscale::runtime
