// paramscale eval: the accuracy a deployed model gets — top-1 (and top-5 with more than 10
// classes) on a dataset's test split, run through ONNX Runtime, OpenCV DNN or libtorch, with the
// same normalisation training uses. A training run directory is run as it is by libtorch and
// through its export (BatchNorm kept, as bench does) by the ONNX runtimes. Progress on stderr (a
// terminal, or --progress), the result on stdout, the record to --json.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <numeric>

#include "cli/command.h"
#include "cli/image_data.h"
#include "cli/torch_handoff.h"
#include "export/onnx_export.h"
#include "rundir/run_dir.h"
#include "runtime/backend.h"
#include "runtime/environment.h"
#include "runtime/evaluate.h"
#include "runtime/model_info.h"
#include "util/atomic_file.h"
#include "util/sha256.h"

namespace paramscale::cli {

namespace {

namespace rt = paramscale::runtime;
using nlohmann::json;

struct EvalArgs {
  std::string model;
  nn::DataOptions data;
  std::string runtime = "ort";
  int batch = 0;  // 0: the model's fixed batch, else 64
  int threads = 0;
  std::string json_path;
  bool progress = false;
};

constexpr int kDefaultBatch = 64;

// A run directory's export for the ONNX runtimes, in a temporary directory removed at exit.
class TempExport {
 public:
  ~TempExport() {
    if (!path_.empty()) std::remove(path_.c_str());
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  std::string make(const std::string& run_dir) {
    auto run = unwrap(rundir::read_run_dir(run_dir));
    char t[] = "/tmp/paramscale-eval-XXXXXX";
    if (!mkdtemp(t)) throw CliError{failure("cannot create a temporary directory for the export")};
    dir_ = t;
    path_ = dir_ + "/model.onnx";
    unwrap(onnx_export::write_onnx(path_, run.network, run.weights));
    return path_;
  }

 private:
  std::string dir_, path_;
};

// The batch to feed: the model's fixed batch, or --batch (default 64) for a dynamic one.
std::vector<int64_t> feed(const rt::ModelInfo& info, int batch_flag) {
  int batch = batch_flag > 0 ? batch_flag : kDefaultBatch;
  if (batch_flag == 0 && info.input_shape.size() == 4 && info.input_shape[0] > 0)
    batch = static_cast<int>(info.input_shape[0]);
  return unwrap(rt::feed_shape(info, batch));
}

void write_progress(int64_t done, int64_t total, double seconds, bool last) {
  std::fprintf(stderr, "\reval: %lld/%lld images (%.0f%%), %.0f img/s%s",
               static_cast<long long>(done), static_cast<long long>(total),
               100.0 * static_cast<double>(done) / static_cast<double>(total),
               seconds > 0 ? static_cast<double>(done) / seconds : 0.0, last ? "\n" : "");
}

void check_json_path(const std::string& path) {
  if (path.empty()) return;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (access(dir.c_str(), W_OK) != 0) fail_usage("--json: directory '" + dir + "' is not writable");
}

// Everything checked before the first inference: flags, model, data, the batch to feed.
struct EvalSetup {
  rt::BackendOptions backend;
  bool run_dir = false;
  nn::DataSplits data;
  std::vector<int64_t> shape;
};

EvalSetup set_up(const EvalArgs& a) {
  if (a.batch < 0) fail_usage("--batch must be a positive integer");
  if (a.data.test_subset < 0) fail_usage("--subset must be positive (0: the whole test split)");
  EvalSetup s;
  s.backend.runtime = a.runtime;
  s.backend.threads = resolve_threads(a.threads);
  unwrap(rt::check_backend_options(s.backend));
  s.run_dir = rt::is_run_dir(a.model);
  if (a.runtime == "torch" && !s.run_dir)
    fail_usage("'" + a.model + "': the torch runtime runs a training run directory, not a file");
  if (!s.run_dir && access(a.model.c_str(), R_OK) != 0)
    fail_usage("cannot read model '" + a.model + "'");
  const rt::ModelInfo info =
      unwrap(s.run_dir ? rt::read_run_dir_info(a.model) : rt::read_model_info(a.model));
  check_json_path(a.json_path);
  s.data = unwrap(nn::load_dataset(a.data));
  check_images_fit(info.input_shape, s.data.test, a.data.dataset);
  s.shape = feed(info, a.batch);
  return s;
}

json eval_record(const EvalArgs& a, const EvalSetup& s, const rt::Backend& b,
                 const rt::EvalCounts& c, double seconds, bool exported) {
  const bool top5 = s.data.classes > 10;
  json model = {{"path", a.model}, {"format", s.run_dir ? "run directory" : "onnx"}};
  model["sha256"] =
      unwrap(sha256_file(s.run_dir ? rundir::file_in(a.model, rundir::kWeightsFile) : a.model));
  if (exported) model["exported"] = "onnx, batch-norm kept";
  return {{"schema", "paramscale.eval/1"},
          {"model", model},
          {"dataset",
           {{"name", a.data.dataset},
            {"split", "test"},
            {"classes", s.data.classes},
            {"images", c.images},
            {"subset", a.data.test_subset},
            {"data_dir", a.data.data_dir}}},
          {"runtime", {{"name", b.name()}, {"version", b.version()}, {"options", b.options()}}},
          {"batch", s.shape[0]},
          {"threads", s.backend.threads},
          {"top1", c.images ? double(c.top1) / c.images : 0.0},
          {"top1_correct", c.top1},
          {"top5", top5 && c.images ? json(double(c.top5) / c.images) : json()},
          {"top5_correct", top5 ? json(c.top5) : json()},
          {"seconds", seconds},
          {"images_per_second", seconds > 0 ? c.images / seconds : 0.0},
          {"environment", rt::environment()}};
}

int run_eval(const EvalArgs& a) {
  const EvalSetup s = set_up(a);
  TempExport exported;
  const std::string path = s.run_dir && a.runtime != "torch" ? exported.make(a.model) : a.model;
  auto backend = unwrap(rt::make_backend(s.backend));
  unwrap(backend->load(path, s.shape));
  const nn::PixelLut lut = nn::make_lut(s.data);
  std::vector<int64_t> order(static_cast<size_t>(s.data.test.size()));
  std::iota(order.begin(), order.end(), 0);
  const bool progress = a.progress || isatty(2);
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const rt::EvalCounts c = unwrap(rt::evaluate(
      *backend, s.shape, s.data.test.labels, s.data.classes,
      [&](int64_t first, int64_t n, float* out) {
        nn::normalize_images(s.data.test, order.data() + first, n, lut, out);
      },
      [&](int64_t done, int64_t total) {
        if (progress) write_progress(done, total, elapsed(), done == total);
      }));
  const double seconds = elapsed();
  std::printf("%s: top-1 %.2f%% (%lld/%lld)", a.model.c_str(),
              c.images ? 100.0 * c.top1 / c.images : 0.0, static_cast<long long>(c.top1),
              static_cast<long long>(c.images));
  if (s.data.classes > 10)
    std::printf(", top-5 %.2f%%", c.images ? 100.0 * c.top5 / c.images : 0.0);
  std::printf(" on %s test; %s, %d thread(s), batch %lld; %.0f img/s\n", a.data.dataset.c_str(),
              a.runtime.c_str(), s.backend.threads, static_cast<long long>(s.shape[0]),
              seconds > 0 ? c.images / seconds : 0.0);
  if (!a.json_path.empty())
    unwrap(write_file_atomic(
        a.json_path, eval_record(a, s, *backend, c, seconds, path != a.model).dump(2) + "\n"));
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", torch_command_description("eval"));
  cmd->add_option("model", a->model, "ONNX model file, or a training run directory")->required();
  cmd->add_option("--dataset", a->data.dataset,
                  "fashion-mnist|cifar10|cifar100|tinyimagenet|synthetic")
      ->required();
  cmd->add_option("--data-dir", a->data.data_dir,
                  std::string("dataset folder (default for fashion-mnist: ") +
                      nn::default_fashion_mnist_dir() + ")");
  cmd->add_option("--subset", a->data.test_subset,
                  "evaluate this many test images: the fixed, seed-independent sample that "
                  "train --test-subset uses (0: all)");
  cmd->add_option("--runtime", a->runtime, "ort|opencv|torch (torch: a run directory)")
      ->capture_default_str();
  cmd->add_option("--batch", a->batch,
                  "images per inference (default: the model's fixed batch, else 64)");
  cmd->add_option("--threads,-t", a->threads, "threads (0: every core)")->capture_default_str();
  cmd->add_option("--seed", a->data.seed, "seed of the synthetic dataset (as given to train)")
      ->capture_default_str();
  cmd->add_option("--json", a->json_path, "write the record (JSON) to this file");
  cmd->add_flag("--progress", a->progress, "progress on stderr even when it is not a terminal");
  cmd->callback([a, action] { *action = [a] { return run_eval(*a); }; });
}

}  // namespace paramscale::cli
