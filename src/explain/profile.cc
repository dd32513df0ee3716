#include "explain/profile.h"

#include <algorithm>

#include "util/json_file.h"

namespace paramscale::explain {

namespace {

int64_t type_bytes(const std::string& t) {
  if (t == "int8" || t == "uint8" || t == "bool") return 1;
  if (t == "int16" || t == "uint16" || t == "float16" || t == "bfloat16") return 2;
  if (t == "double" || t == "int64" || t == "uint64") return 8;
  return 4;
}

// [{"float": [1, 32, 16, 16]}, ...] -> shapes; anything else -> empty.
std::vector<TensorShape> shapes(const nlohmann::json& args, const char* key) {
  std::vector<TensorShape> out;
  if (!args.contains(key) || !args[key].is_array()) return out;
  for (const auto& entry : args[key]) {
    if (!entry.is_object() || entry.size() != 1) continue;
    TensorShape s;
    s.type = entry.begin().key();
    if (!entry.begin().value().is_array()) continue;
    for (const auto& d : entry.begin().value())
      s.dims.push_back(d.is_number_integer() ? d.get<int64_t>() : -1);
    out.push_back(std::move(s));
  }
  return out;
}

struct Event {
  double ts = 0, dur = 0;
  NodeRun node;
};

}  // namespace

int64_t TensorShape::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d > 0 ? d : 0;
  return n;
}

int64_t TensorShape::bytes() const { return elements() * type_bytes(type); }

Result<Profile> parse_ort_trace(const nlohmann::json& trace, int skip_runs) {
  if (!trace.is_array()) return bad_input("profiler trace is not a JSON array of events");
  std::vector<std::pair<double, double>> runs;  // (ts, dur)
  std::vector<Event> nodes;
  const std::string suffix = "_kernel_time";
  for (const auto& e : trace) {
    if (!e.is_object() || !e.contains("cat") || !e["cat"].is_string()) continue;
    const auto name = e.value("name", nlohmann::json());
    if (!name.is_string() || !e.contains("ts") || !e["ts"].is_number() || !e.contains("dur") ||
        !e["dur"].is_number())
      continue;
    const std::string n = name.get<std::string>();
    const double ts = e["ts"].get<double>(), dur = e["dur"].get<double>();
    if (e["cat"] == "Session" && n == "model_run") runs.emplace_back(ts, dur);
    if (e["cat"] != "Node" || n.size() <= suffix.size() ||
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const nlohmann::json args = e.value("args", nlohmann::json::object());
    if (!args.is_object()) continue;
    Event ev{ts, dur, {}};
    ev.node.name = n.substr(0, n.size() - suffix.size());
    ev.node.op = args.value("op_name", nlohmann::json("")).is_string()
                     ? args.value("op_name", std::string())
                     : std::string();
    ev.node.provider = args.value("provider", nlohmann::json("")).is_string()
                           ? args.value("provider", std::string())
                           : std::string();
    ev.node.us = dur;
    ev.node.inputs = shapes(args, "input_type_shape");
    ev.node.outputs = shapes(args, "output_type_shape");
    nodes.push_back(std::move(ev));
  }
  if (runs.empty()) return bad_input("profiler trace holds no model_run event");
  std::sort(runs.begin(), runs.end());
  std::sort(nodes.begin(), nodes.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
  if (skip_runs < 0 || static_cast<size_t>(skip_runs) >= runs.size())
    return bad_input("profiler trace holds " + std::to_string(runs.size()) +
                     " run(s), not more than the " + std::to_string(skip_runs) + " to skip");
  Profile p;
  size_t next = 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    const auto [ts, dur] = runs[r];
    Run run;
    run.us = dur;
    while (next < nodes.size() && nodes[next].ts < ts) ++next;  // events outside any run
    while (next < nodes.size() && nodes[next].ts <= ts + dur)
      run.nodes.push_back(nodes[next++].node);
    if (static_cast<int>(r) >= skip_runs) p.runs.push_back(std::move(run));
  }
  return p;
}

Result<Profile> read_ort_trace(const std::string& path, int skip_runs) {
  // ONNX Runtime wrote it: a problem with it is a failure of the measurement, not bad input.
  const Result<nlohmann::json> j = read_json_file(path, "profiler trace");
  if (!j.ok()) return failure(j.error().message);
  return parse_ort_trace(*j, skip_runs);
}

}  // namespace paramscale::explain
