#include "explain/peak.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "explain/peak_models.h"
#include "runtime/backend.h"
#include "runtime/environment.h"
#include "runtime/measure.h"
#include "util/atomic_file.h"
#include "util/json_file.h"

namespace paramscale::explain {

namespace {

using Clock = std::chrono::steady_clock;

// Seconds of the fastest run of a model on ONNX Runtime (3 warm-up runs, then at least 5 runs and
// 1 s): a peak is what the machine attains at best, not what it usually does.
Result<double> time_model(const MicroModel& m, int threads, std::string* version) {
  runtime::BackendOptions o;
  o.threads = threads;
  auto b = runtime::make_backend(o);
  if (!b.ok()) return b.error();
  if (Status s = (*b)->load(m.path, m.input_shape); !s.ok()) return s.error();
  int64_t n = 1;
  for (int64_t d : m.input_shape) n *= d;
  if (Status s = (*b)->set_input(runtime::seeded_input(static_cast<size_t>(n), 1)); !s.ok())
    return s.error();
  for (int i = 0; i < 3; ++i)
    if (Status s = (*b)->run(); !s.ok()) return s.error();
  std::vector<double> seconds;
  const auto start = Clock::now();
  while (seconds.size() < 5 || Clock::now() - start < std::chrono::seconds(1)) {
    const auto t0 = Clock::now();
    if (Status s = (*b)->run(); !s.ok()) return s.error();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  *version = (*b)->version();
  return *std::min_element(seconds.begin(), seconds.end());
}

// Bytes read plus written per second by a streaming copy of 256 MiB, split over `threads`.
double copy_bandwidth(int threads) {
  const size_t bytes = size_t(256) << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  std::vector<double> seconds;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    const size_t slice = bytes / static_cast<size_t>(threads);
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(
          [&, t] { std::memcpy(dst.data() + t * slice, src.data() + t * slice, slice); });
    for (auto& th : pool) th.join();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  seconds.erase(seconds.begin());  // the first copy also faults the pages in
  return 2.0 * static_cast<double>(bytes) / *std::min_element(seconds.begin(), seconds.end()) / 1e9;
}

std::string utc_now() {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return stamp;
}

}  // namespace

std::optional<std::string> int8_dot_product() {
#if defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 11))) return "avx512_vnni";
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4))) return "avx_vnni";
  return std::nullopt;
#elif defined(__aarch64__)
  if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) return "asimddp";
  return std::nullopt;
#else
  return std::nullopt;
#endif
}

nlohmann::json to_json(const Peak& p) {
  return {{"threads", p.threads},
          {"fp32_gflops", p.fp32_gflops},
          {"conv_gflops", p.conv_gflops},
          {"matmul_gflops", p.matmul_gflops},
          {"int8_gops", p.int8_gops ? nlohmann::json(*p.int8_gops) : nlohmann::json(nullptr)},
          {"int8_note", p.int8_note},
          {"bandwidth_gbs", p.bandwidth_gbs},
          {"cpu_model", p.cpu_model},
          {"runtime_version", p.runtime_version},
          {"measured_utc", p.measured_utc}};
}

Result<Peak> peak_from_json(const nlohmann::json& j) {
  try {
    Peak p;
    p.threads = j.at("threads").get<int>();
    p.fp32_gflops = j.at("fp32_gflops").get<double>();
    p.conv_gflops = j.at("conv_gflops").get<double>();
    p.matmul_gflops = j.at("matmul_gflops").get<double>();
    if (!j.at("int8_gops").is_null()) p.int8_gops = j.at("int8_gops").get<double>();
    p.int8_note = j.at("int8_note").get<std::string>();
    p.bandwidth_gbs = j.at("bandwidth_gbs").get<double>();
    p.cpu_model = j.at("cpu_model").get<std::string>();
    p.runtime_version = j.at("runtime_version").get<std::string>();
    p.measured_utc = j.at("measured_utc").get<std::string>();
    return p;
  } catch (const std::exception& e) {
    return bad_input(std::string("malformed peak entry: ") + e.what());
  }
}

Result<Peak> measure_peak(int threads) {
  if (threads < 1 || threads > 1024) return bad_input("peak: threads must be 1..1024");
  char dir[] = "/tmp/paramscale-peak-XXXXXX";
  if (!mkdtemp(dir)) return failure("cannot create a temporary directory for the peak models");
  const std::string d = dir;
  Peak p;
  p.threads = threads;
  p.cpu_model = runtime::environment().value("cpu_model", "unknown");
  p.measured_utc = utc_now();
  auto run = [&](Result<MicroModel> m, double* gflops) -> Status {
    if (!m.ok()) return m.error();
    auto s = time_model(*m, threads, &p.runtime_version);
    std::remove(m->path.c_str());
    if (!s.ok()) return s.error();
    *gflops = 2.0 * static_cast<double>(m->macs) / *s / 1e9;
    return {};
  };
  // The convolution's rate depends on its shape (cache fit, blocking): the best of the CNN-like
  // shapes (channels x resolution of the families' stages) is the attainable one.
  Status s;
  for (const auto& [c, hw] :
       {std::pair<int64_t, int64_t>{64, 56}, {128, 28}, {256, 14}, {256, 56}}) {
    double gflops = 0;
    s = run(write_conv_model(d + "/conv.onnx", false, c, hw), &gflops);
    if (!s.ok()) break;
    p.conv_gflops = std::max(p.conv_gflops, gflops);
  }
  if (s.ok()) s = run(write_matmul_model(d + "/matmul.onnx"), &p.matmul_gflops);
  if (s.ok()) {
    if (const auto dot = int8_dot_product()) {
      double gops = 0;
      s = run(write_conv_model(d + "/conv-int8.onnx", true), &gops);
      p.int8_gops = gops;
      p.int8_note = "QDQ convolution (QLinearConv) with " + *dot;
    } else {
      p.int8_note = "this CPU has no int8 dot-product instructions (VNNI / dotprod)";
    }
  }
  rmdir(dir);
  if (!s.ok()) return s.error();
  p.fp32_gflops = std::max(p.conv_gflops, p.matmul_gflops);
  p.bandwidth_gbs = copy_bandwidth(threads);
  return p;
}

std::string peak_cache_path() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg     ? std::string(xdg)
                           : home && *home ? std::string(home) + "/.cache"
                                           : std::string("/tmp");
  return base + "/paramscale/peak.json";
}

Result<Peak> machine_peak(int threads, bool refresh) {
  const std::string path = peak_cache_path();
  const std::string cpu = runtime::environment().value("cpu_model", "unknown");
  nlohmann::json cache = {{"schema", "paramscale.peak/1"}, {"entries", nlohmann::json::array()}};
  if (const Result<nlohmann::json> read = read_json_file(path, "peak cache"); read.ok()) {
    const nlohmann::json& j = *read;
    if (j.is_object() && j.value("schema", "") == "paramscale.peak/1" && j.contains("entries") &&
        j["entries"].is_array())
      cache = j;  // an unreadable cache is simply measured again and replaced
  }
  std::string version;
  {
    auto b = runtime::make_backend({});
    if (b.ok()) version = (*b)->version();
  }
  for (const auto& e : cache["entries"]) {
    auto p = peak_from_json(e);
    if (!refresh && p.ok() && p->threads == threads && p->cpu_model == cpu &&
        p->runtime_version == version)
      return p;
  }
  auto p = measure_peak(threads);
  if (!p.ok()) return p.error();
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& e : cache["entries"]) {
    auto q = peak_from_json(e);
    if (q.ok() && !(q->threads == threads && q->cpu_model == cpu)) kept.push_back(e);
  }
  kept.push_back(to_json(*p));
  cache["entries"] = kept;
  const std::string dir = path.substr(0, path.rfind('/'));
  ::mkdir(dir.substr(0, dir.rfind('/')).c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  // A cache that cannot be written costs a re-measurement next time, nothing else.
  (void)write_file_atomic(path, cache.dump(2) + "\n");
  return p;
}

}  // namespace paramscale::explain
