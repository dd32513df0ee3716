#include "runtime/measure.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "runtime/bench_record.h"
#include "runtime/board.h"
#include "runtime/environment.h"
#include "runtime/memory.h"
#include "runtime/model_info.h"
#include "runtime/stats.h"
#include "util/cores.h"
#include "util/sha256.h"

namespace paramscale::runtime {

namespace {

using Clock = std::chrono::steady_clock;

// The run loop: the clock and the call, nothing else, until at least min_runs AND min_ms. The
// warm-up is exactly that; timed runs then continue by the interval rule (timed_runs below).
Status run_loop(Backend& b, size_t min_runs, double min_ms, std::vector<double>* ms) {
  const auto start = Clock::now();
  const auto min_duration = std::chrono::duration<double, std::milli>(min_ms);
  while (ms->size() < min_runs || Clock::now() - start < min_duration) {
    const auto t0 = Clock::now();
    const Status s = b.run();
    const auto t1 = Clock::now();
    if (!s.ok()) return s;
    ms->push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return {};
}

struct Stop {
  bool converged = true;
  std::string reason;
  MedianInterval interval;
};

// Timed runs by the Protocol's stopping rule. The interval is checked whenever the sample has
// grown by a quarter since the last check (linear work in total), never inside a timed call.
Result<Stop> timed_runs(Backend& b, const Protocol& p, std::vector<double>* ms) {
  const auto start = Clock::now();
  if (Status s = run_loop(b, static_cast<size_t>(p.min_runs), p.min_seconds * 1000.0, ms); !s.ok())
    return s.error();
  Stop stop;
  stop.interval = median_ci95(*ms);
  if (!(p.target_ci > 0)) {
    stop.reason = "min runs and seconds (no interval rule)";
    return stop;
  }
  // The cap never cuts the minimum short (--min-seconds above it simply wins).
  const auto cap = std::chrono::duration<double>(std::max(p.max_seconds, p.min_seconds));
  size_t next_check = ms->size();
  while (stop.interval.relative > p.target_ci) {
    if (Clock::now() - start >= cap) {
      stop.converged = false;
      stop.reason = "time cap";
      return stop;
    }
    const auto t0 = Clock::now();
    const Status s = b.run();
    const auto t1 = Clock::now();
    if (!s.ok()) return s.error();
    ms->push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (ms->size() >= next_check) {
      stop.interval = median_ci95(*ms);
      next_check = ms->size() + ms->size() / 4 + 1;
    }
  }
  stop.reason = "median interval within target";
  return stop;
}

// ORT only, after every measurement: the optimised graph's convolutions by layout and precision.
LayoutRecord layout_probe(const MeasureRequest& r, const std::vector<int64_t>& shape) {
  LayoutRecord l;
  auto c = probe_ort_layout(r.model_path, r.backend, shape);
  if (!c.ok()) {
    l.error = c.error().message;
    return l;
  }
  l.convs = c->convs;
  l.nchwc_convs = c->nchwc_convs;
  l.nchwc_fraction = c->convs > 0 ? double(c->nchwc_convs) / c->convs : 0.0;
  l.int8_convs = c->int8_convs;
  l.int8_ops = c->int8_ops;
  l.qdq_nodes = c->qdq_nodes;
  return l;
}

// libtorch runs the network a training run directory describes; the ONNX runtimes run .onnx files.
Status check_model_kind(const MeasureRequest& r, bool run_dir) {
  const bool torch = r.backend.runtime_kind() == RuntimeKind::kTorch;
  if (torch && !run_dir)
    return bad_input("'" + r.model_path +
                     "': the torch runtime runs a training run directory (arch.json + "
                     "weights.psw), not a model file");
  if (!torch && run_dir)
    return bad_input("'" + r.model_path + "' is a directory; runtime " + r.backend.runtime +
                     " needs an .onnx file (paramscale export --run DIR -o model.onnx)");
  return {};
}

}  // namespace

Result<ConvLayout> probe_ort_layout(const std::string& model_path, const BackendOptions& options,
                                    const std::vector<int64_t>& shape) {
  char path[] = "/tmp/paramscale-optimized-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return failure("cannot create a temporary file for the optimised model");
  close(fd);
  BackendOptions o = options;
  o.runtime = to_string(RuntimeKind::kOrt);
  o.optimized_model_path = path;
  auto b = make_backend(o);
  Status s = b.ok() ? (*b)->load(model_path, shape) : Status(b.error());
  auto c = s.ok() ? count_conv_layout(path) : Result<ConvLayout>(s.error());
  std::remove(path);
  return c;
}

nlohmann::json timing_validity(const nlohmann::json& environment, const ThrottleVerdict& throttle) {
  const Validity v = judge_validity(environment, throttle);
  return {{"timings_valid", v.timings_valid}, {"reasons", v.reasons}};
}

Status check_protocol(const Protocol& p) {
  if (p.batch < 1) return bad_input("batch must be at least 1, got " + std::to_string(p.batch));
  if (p.warmup_runs < 0) return bad_input("warm-up runs must be >= 0");
  if (!(p.warmup_ms >= 0) || !std::isfinite(p.warmup_ms))
    return bad_input("warm-up ms must be >= 0");
  if (p.min_runs < 1)
    return bad_input("min runs must be at least 1, got " + std::to_string(p.min_runs));
  if (!(p.min_seconds >= 0) || !std::isfinite(p.min_seconds))
    return bad_input("min seconds must be >= 0");
  if (!(p.target_ci >= 0) || !(p.target_ci < 1))
    return bad_input("the median interval target must be 0 (off) or a fraction below 1");
  if (!(p.max_seconds >= 0) || !std::isfinite(p.max_seconds))
    return bad_input("the time cap must be a finite number of seconds >= 0");
  return {};
}

// The request's JSON: every field by its member's name (the profiler prefix is explain's, never
// sent to a measurement child).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BackendOptions, runtime, threads, opt_level, arena, mem_pattern,
                                   optimized_model_path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Protocol, batch, warmup_runs, warmup_ms, min_runs, min_seconds,
                                   target_ci, max_seconds, seed, layout)

nlohmann::json request_to_json(const MeasureRequest& r) {
  return {{"model", r.model_path}, {"backend", r.backend}, {"protocol", r.protocol}};
}

Result<MeasureRequest> request_from_json(const nlohmann::json& j) {
  try {
    MeasureRequest r;
    r.model_path = j.at("model").get<std::string>();
    j.at("backend").get_to(r.backend);
    nlohmann::json p = j.at("protocol");
    // Requests from bundles built before the interval rule carry neither field.
    for (const char* k : {"target_ci", "max_seconds"})
      if (p.is_object() && !p.contains(k)) p[k] = 0.0;
    p.get_to(r.protocol);
    return r;
  } catch (const std::exception& e) {
    return bad_input(std::string("malformed measurement request: ") + e.what());
  }
}

std::vector<float> seeded_input(size_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(static_cast<double>(gen() >> 11) * 0x1.0p-52 - 1.0);
  return v;
}

nlohmann::json error_record(const MeasureRequest& r, const Error& e) {
  return {{"schema", kRecordSchema},
          {"request", request_to_json(r)},
          {"error", {{"message", e.message}, {"exit_code", e.exit_code}}}};
}

namespace {

ModelFacts model_facts(const MeasureRequest& r, bool run_dir, const ModelInfo& info,
                       const std::vector<int64_t>& shape, const std::string& hash) {
  ModelFacts m;
  m.path = r.model_path;
  m.run_dir = run_dir;
  m.sha256 = hash;
  m.input_name = info.input_name;
  m.input_shape = shape;
  m.weight_bytes = info.weight_bytes;
  m.opset = info.opset;
  // What deploying it costs on disk: the .onnx file, or a run directory's weights file.
  struct stat file {};
  if (::stat((run_dir ? run_dir_weights_file(r.model_path) : r.model_path).c_str(), &file) == 0)
    m.file_bytes = static_cast<int64_t>(file.st_size);
  return m;
}

LatencyRecord latency_record(const std::vector<double>& ms, const Stop& stop) {
  return {summarize(ms), stop.interval, stop.converged, stop.reason};
}

// Room for every timing the run may take, touched before the peak is reset: the samples' own
// storage must not show up as the model's memory during inference.
std::vector<double> timing_storage(const Protocol& p, const LatencyStats& warm) {
  const double longest = p.target_ci > 0 ? std::max(p.min_seconds, p.max_seconds) : p.min_seconds;
  const double expect = warm.mean > 0 ? longest * 1000.0 / warm.mean : 0.0;
  std::vector<double> ms(
      std::max<size_t>(p.min_runs, static_cast<size_t>(std::min(expect * 1.2, 5e6))));
  ms.clear();
  return ms;
}

}  // namespace

Result<nlohmann::json> measure(const MeasureRequest& request) {
  // Threads 0 = every core this process may use, resolved where it runs (on a device: its cores).
  MeasureRequest r = request;
  if (r.backend.threads == 0) r.backend.threads = usable_cores();
  if (Status s = check_protocol(r.protocol); !s.ok()) return s.error();
  if (Status s = check_backend_options(r.backend); !s.ok()) return s.error();
  // The board before anything runs: temperatures, clock, throttling flags (runtime/board.h).
  const BoardState board_before = read_board_state();
  auto baseline = read_proc_memory();
  if (!baseline.ok()) return baseline.error();
  const bool run_dir = is_run_dir(r.model_path);
  if (Status s = check_model_kind(r, run_dir); !s.ok()) return s.error();
  auto info = run_dir ? read_run_dir_info(r.model_path) : read_model_info(r.model_path);
  if (!info.ok()) return info.error();
  auto shape = feed_shape(*info, r.protocol.batch);
  if (!shape.ok()) return bad_input("'" + r.model_path + "': " + shape.error().message);
  // A run directory is identified by its weights file (arch.json holds its widths and settings).
  auto hash = paramscale::sha256_file(run_dir ? run_dir_weights_file(r.model_path) : r.model_path);
  if (!hash.ok()) return hash.error();

  auto backend = make_backend(r.backend);
  if (!backend.ok()) return backend.error();
  Backend& b = **backend;
  auto after_init = read_proc_memory();
  if (Status s = b.load(r.model_path, *shape); !s.ok()) return s.error();
  auto after_session = read_proc_memory();
  size_t n = 1;
  for (int64_t d : *shape) n *= static_cast<size_t>(d);
  if (Status s = b.set_input(seeded_input(n, r.protocol.seed)); !s.ok()) return s.error();

  std::vector<double> warm;
  if (Status s = run_loop(b, r.protocol.warmup_runs, r.protocol.warmup_ms, &warm); !s.ok())
    return s.error();
  auto after_warmup = read_proc_memory();
  const LatencyStats ws = summarize(warm);
  std::vector<double> ms = timing_storage(r.protocol, ws);
  const PeakReset reset = reset_peak_rss();
  auto stop = timed_runs(b, r.protocol, &ms);
  if (!stop.ok()) return stop.error();
  auto after_runs = read_proc_memory();
  const BoardState board_after = read_board_state();
  if (!after_init.ok() || !after_session.ok() || !after_warmup.ok() || !after_runs.ok())
    return failure("cannot read /proc/self/status during the measurement");

  BenchRecord rec;
  rec.request = r;
  rec.model = model_facts(r, run_dir, *info, *shape, *hash);
  rec.runtime_name = b.name();
  rec.runtime_version = b.version();
  rec.runtime_options = b.options();
  rec.warmup_runs = ws.runs;
  rec.warmup_ms = ws.total;
  rec.latency = latency_record(ms, *stop);
  rec.timings_ms = std::move(ms);
  // The peak during inference is VmHWM after the timed runs: the peak was reset before them.
  rec.memory = {*baseline,   *after_init,     *after_session, *after_warmup,
                *after_runs, after_runs->hwm, reset,          b.allocator_stats()};
  rec.output_shape = b.output_shape();
  // The outputs themselves for small heads (a classifier's logits), so records from two machines
  // (an x86 host and an ARM device) can be compared for agreement, not only for speed.
  if (auto out = b.output(); out.size() <= kMaxRecordedOutputs) rec.output_values = std::move(out);
  rec.environment = environment();
  rec.board_before = to_json(board_before);
  rec.board_after = to_json(board_after);
  rec.throttling = judge_throttling(board_before, board_after);
  rec.validity = judge_validity(rec.environment, rec.throttling);
  if (r.backend.runtime_kind() == RuntimeKind::kOrt && r.protocol.layout)
    rec.layout = layout_probe(r, *shape);
  return rec.to_json();
}

}  // namespace paramscale::runtime
