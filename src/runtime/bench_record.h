// runtime/bench_record: the bench record (schema kRecordSchema, "paramscale.bench/1") as a type.
//
// measure() fills one per measurement and writes it with to_json(); bench prints and saves them,
// a device sends one back over ssh, and the study keeps one beside each cell's record. parse() is
// the one reader: it checks the type of every field, once, and names the first bad one in a
// one-line error, so bench, size, the study and the report use fields instead of JSON keys.
// Records from older bundles (and hand-made ones) lack newer fields: only the latency median and
// the two memory figures runtime memory is made of are required; everything else is optional and
// absent as the record had it. Blocks nothing here interprets (the environment, board readings,
// allocator statistics, the runtime's applied options, the device) stay JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/board.h"
#include "runtime/measure.h"
#include "runtime/memory.h"
#include "runtime/stats.h"
#include "util/result.h"

namespace paramscale::runtime {

// "model": what was measured.
struct ModelFacts {
  std::string path;
  bool run_dir = false;  // "format": "run directory" (libtorch) or "onnx"
  std::string sha256;    // of the .onnx file, or of a run directory's weights file
  std::string input_name;
  std::vector<int64_t> input_shape;
  int64_t weight_bytes = 0;
  int64_t opset = 0;
  std::optional<int64_t> file_bytes;  // what deploying it costs on disk
  std::string exported_from;          // bench: the run directory the .onnx came from ("": none)
  std::string device_path;            // a device: where the model lies there ("": here)
};

// "latency_ms": statistics of the timed runs, and how the stopping rule ended them.
struct LatencyRecord {
  LatencyStats stats;
  std::optional<MedianInterval> median_ci95;  // lo, hi, relative (records before the rule: none)
  std::optional<bool> converged;              // false: the time cap stopped the runs first
  std::optional<std::string> stopped_by;
};

// "memory": the process's memory at each stage of the measurement.
struct MemoryRecord {
  ProcMemory baseline, after_runtime_init, after_session, after_warmup, after_runs;
  int64_t peak_inference_rss = 0;  // VmHWM after the timed runs
  PeakReset hwm_reset;
  nlohmann::json allocator_stats;  // as the runtime reports them (Backend::allocator_stats)

  // The headline figure, computed here only: peak RSS during inference minus the baseline before
  // the runtime existed. Bench records write it as memory.runtime_memory_bytes, study records as
  // memory.runtime_bytes (both names are on disk).
  int64_t runtime_bytes() const { return peak_inference_rss - baseline.rss; }
  int64_t session_bytes() const { return after_session.rss - baseline.rss; }
};

// "validity": timings from an emulated binary or a throttled board are kept, never reported.
struct Validity {
  bool timings_valid = true;
  std::vector<std::string> reasons;
};

// "layout" (ORT): the optimised graph's convolutions, counted after measuring. Fields are absent
// in records from before they were counted, and all but `error` when the probe failed.
struct LayoutRecord {
  std::optional<int> convs, nchwc_convs, int8_convs, int8_ops, qdq_nodes;
  std::optional<double> nchwc_fraction;
  std::optional<std::string> error;
};

struct BenchRecord {
  std::optional<MeasureRequest> request;  // "request"; its protocol is repeated as "protocol"
  ModelFacts model;
  std::string runtime_name, runtime_version;  // "runtime": the library that ran it
  nlohmann::json runtime_options;             // every option it applied
  size_t warmup_runs = 0;
  double warmup_ms = 0;
  LatencyRecord latency;
  std::vector<double> timings_ms;
  MemoryRecord memory;
  std::vector<int64_t> output_shape;
  std::optional<std::vector<float>> output_values;  // small heads only (kMaxRecordedOutputs)
  nlohmann::json environment;                       // runtime/environment.h
  nlohmann::json board_before, board_after;         // runtime/board.h's readings
  ThrottleVerdict throttling;
  Validity validity;
  std::optional<LayoutRecord> layout;
  nlohmann::json device;  // {"name", ...}: where it was measured (null: not said)

  // "local" unless the record names its device.
  std::string device_name() const;

  // The record as bench --json files hold it (keys in nlohmann's sorted order).
  nlohmann::json to_json() const;
  // One record (not a file of them). A record holding "error" is that failure ("bench failed:
  // ..."); a missing or mistyped field is bad input naming it ("memory.baseline.vm_rss").
  static Result<BenchRecord> parse(const nlohmann::json& record);
};

// Timings from an emulated binary or a board that throttled during the runs are kept in the record
// but must not be reported as the device's: the reasons why, one line each.
Validity judge_validity(const nlohmann::json& environment, const ThrottleVerdict& throttle);

// The blocks a study record copies from its bench record, read the same way (the report reads
// them there).
Result<LatencyRecord> parse_latency(const nlohmann::json& latency_ms);
Result<Validity> parse_validity(const nlohmann::json& validity);
Result<LayoutRecord> parse_layout(const nlohmann::json& layout);

}  // namespace paramscale::runtime
