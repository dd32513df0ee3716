// paramscale quantize: post-training static quantization of an ONNX model (or of a training run,
// exported with batch-norm folded) into the QDQ format ONNX Runtime runs as int8 kernels,
// calibrated on images of the dataset's *training* split (never the test split) run through ONNX
// Runtime. Writes OUT.onnx atomically only when everything succeeded; prints one summary line,
// including how many convolutions ONNX Runtime actually runs as int8 kernels here.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/command.h"
#include "cli/image_data.h"
#include "cli/quantize_noise.h"
#include "cli/torch_handoff.h"
#include "export/onnx_export.h"
#include "quantize/quantizer.h"
#include "quantize/reduce_range.h"
#include "rundir/run_dir.h"
#include "runtime/measure.h"
#include "runtime/model_info.h"
#include "runtime/ort_outputs.h"
#include "util/atomic_file.h"
#include "util/sha256.h"

namespace paramscale::cli {

namespace {

namespace q = paramscale::quantize;
namespace rt = paramscale::runtime;
using nlohmann::json;

// Fewer images leave each activation's range to a handful of samples.
constexpr int kMinCalibrationImages = 16;
constexpr int kCalibrationBatch = 32;

struct QuantizeArgs {
  std::string model, output, json_path;
  nn::DataOptions data;
  bool random_calibration = false;
  int images = 512;
  std::string calibration = "minmax", activations = "u8", reduce_range = "auto";
  double percentile = q::kDefaultPercentile;
  int threads = 0;
  uint64_t seed = 0;
  bool inputs_only = false;
};

// The float model's bytes and where they came from: an .onnx file, or a run directory exported
// with batch-norm folded.
std::string model_bytes(const QuantizeArgs& a, json* source) {
  if (rt::is_run_dir(a.model)) {
    auto run = unwrap(rundir::read_run_dir(a.model));
    onnx_export::Options o;
    o.fold_batchnorm = true;
    auto m = unwrap(onnx_export::export_onnx(run.network, run.weights, o));
    *source = {
        {"path", a.model},
        {"format", "run directory"},
        {"exported", "onnx, batch-norm folded"},
        {"folded_batchnorms", m.folded_batchnorms},
        {"weights_sha256", unwrap(sha256_file(rundir::file_in(a.model, rundir::kWeightsFile)))}};
    return m.bytes;
  }
  std::ifstream in(a.model, std::ios::binary);
  if (!in) fail_usage("cannot read model '" + a.model + "'");
  std::stringstream s;
  s << in.rdbuf();
  *source = {{"path", a.model}, {"format", "onnx"}, {"sha256", sha256_hex(s.str())}};
  return s.str();
}

// Calibration batches: N training images (a seeded sample), normalised as training does, or
// seeded noise for a deployment-only model (--random-calibration).
std::vector<rt::FloatBatch> calibration_batches(const QuantizeArgs& a,
                                                const std::vector<int64_t>& input, json* data) {
  const int64_t fixed = input[0] > 0 ? input[0] : 0;
  const int64_t per = fixed ? fixed : kCalibrationBatch;
  if (fixed && a.images % fixed != 0)
    fail_usage("--calibration-images " + std::to_string(a.images) +
               " is not a multiple of the model's fixed batch " + std::to_string(fixed));
  const int64_t sample = input[1] * input[2] * input[3];
  std::vector<rt::FloatBatch> batches;
  const auto add = [&](int64_t n) {
    batches.push_back(
        {std::vector<float>(static_cast<size_t>(n * sample)), {n, input[1], input[2], input[3]}});
    return batches.back().data.data();
  };
  if (a.random_calibration) {
    batches = noise_batches(input, a.images, per, a.seed);
    *data = {{"source", "random"},
             {"images", a.images},
             {"seed", a.seed},
             {"note", "seeded uniform noise in [-1, 1): for latency and memory only"}};
    return batches;
  }
  const nn::DataSplits d = unwrap(nn::load_dataset(a.data));
  check_images_fit(input, d.train, a.data.dataset);
  if (a.images > d.train.size())
    fail_usage("--calibration-images " + std::to_string(a.images) + " is more than the " +
               std::to_string(d.train.size()) + " training images of " + a.data.dataset);
  nn::Rng rng{a.seed ^ 0xCA11B4A7Eull};
  const std::vector<int64_t> order = nn::permutation(d.train.size(), rng);
  const nn::PixelLut lut = nn::make_lut(d);
  for (int64_t first = 0; first < a.images; first += per) {
    const int64_t n = std::min<int64_t>(per, a.images - first);
    nn::normalize_images(d.train, order.data() + first, n, lut, add(n));
  }
  *data = {{"source", a.data.dataset},    {"split", "train"},
           {"images", a.images},          {"seed", a.seed},
           {"data_dir", a.data.data_dir}, {"train_images", d.train.size()}};
  return batches;
}

q::QuantizeOptions options(const QuantizeArgs& a, json* reduce) {
  q::QuantizeOptions o;
  o.calibration = unwrap(q::parse_calibration(a.calibration));
  o.percentile = a.percentile;
  o.qdq.activations = unwrap(q::parse_activations(a.activations));
  o.qdq.conv_outputs = !a.inputs_only;
  const q::CpuFeatures cpu = q::detect_cpu();
  const q::ReduceRangeDecision d =
      q::decide_reduce_range(unwrap(q::parse_reduce_range(a.reduce_range)), cpu);
  o.qdq.reduce_range = d.reduce;
  *reduce = {
      {"mode", a.reduce_range},
      {"reduce", d.reduce},
      {"reason", d.reason},
      {"cpu", {{"arch", cpu.arch}, {"avx512_vnni", cpu.avx512_vnni}, {"avx_vnni", cpu.avx_vnni}}}};
  return o;
}

void check_arguments(const QuantizeArgs& a) {
  if (a.random_calibration == !a.data.dataset.empty())
    fail_usage("quantize needs --dataset D (calibration images) or --random-calibration");
  if (a.images < kMinCalibrationImages)
    fail_usage("--calibration-images must be at least " + std::to_string(kMinCalibrationImages) +
               ", got " + std::to_string(a.images));
  if (!(a.percentile > 0 && a.percentile <= 100))
    fail_usage("--percentile must be in (0, 100], got " + std::to_string(a.percentile));
  const size_t slash = a.output.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : a.output.substr(0, slash + 1);
  if (access(dir.c_str(), W_OK) != 0) fail_usage("-o: directory '" + dir + "' is not writable");
}

// Loads the written model in ONNX Runtime and counts what it runs as int8 kernels.
json probe(const std::string& path, const std::vector<int64_t>& input, int threads) {
  rt::BackendOptions o;
  o.threads = threads;
  std::vector<int64_t> shape = input;
  if (shape[0] <= 0) shape[0] = 1;
  const rt::ConvLayout c = unwrap(rt::probe_ort_layout(path, o, shape));
  return {{"opt_level", "all"},
          {"convs", c.convs},
          {"int8_convs", c.int8_convs},
          {"int8_ops", c.int8_ops},
          {"qdq_nodes", c.qdq_nodes}};
}

int run_quantize(const QuantizeArgs& a) {
  check_arguments(a);
  json reduce, source, data;
  q::QuantizeOptions o = options(a, &reduce);
  const std::string bytes = model_bytes(a, &source);
  const q::QdqModel model = unwrap(q::QdqModel::prepare(bytes));
  const std::vector<int64_t> input = model.input_shape();
  const auto batches = calibration_batches(a, input, &data);
  const int threads = resolve_threads(a.threads);
  o.provenance = {{"source", source}, {"calibration_data", data}, {"reduce_range", reduce}};
  q::QuantizedModel out = unwrap(q::quantize_model(
      model, o,
      [&](const std::string& m, const std::vector<std::string>& outputs, const q::TensorSink& s) {
        return rt::run_ort_outputs(m, outputs, batches, threads, s);
      }));
  unwrap(write_file_atomic(a.output, out.bytes));
  auto ort = [&] {
    try {
      return probe(a.output, input, threads);
    } catch (const CliError&) {
      std::remove(a.output.c_str());  // a model ONNX Runtime cannot load is not an output
      throw;
    }
  }();
  out.record["onnx_runtime"] = ort;
  // Batch-norm folded by the export of a run directory, or by the quantizer in an .onnx file.
  const int folded = model.folded_batchnorms() + source.value("folded_batchnorms", 0);
  out.record["folded_batchnorms"] = folded;
  out.record["float_model_bytes"] = bytes.size();
  out.record["int8_model_bytes"] = out.bytes.size();
  if (!a.json_path.empty()) unwrap(write_file_atomic(a.json_path, out.record.dump(2) + "\n"));
  const q::QdqSummary& s = out.summary;
  std::printf(
      "%s: QDQ int8, %d/%d convs quantized, %d batch-norms folded, %d activations absorbed; %s "
      "calibration on %d %s images; %s activations, %d-bit weights (%s); %.2f MB -> %.2f MB "
      "(%.2fx); ONNX Runtime runs %d/%d convolutions as int8 kernels; sha256=%s\n",
      a.output.c_str(), s.quantized_convs, s.convs, folded, s.absorbed_activations,
      a.calibration.c_str(), a.images,
      a.random_calibration ? "random" : (a.data.dataset + " training").c_str(),
      a.activations.c_str(), o.qdq.reduce_range ? 7 : 8,
      reduce["reason"].get<std::string>().c_str(), bytes.size() / 1e6, out.bytes.size() / 1e6,
      double(out.bytes.size()) / bytes.size(), ort["int8_convs"].get<int>(),
      ort["convs"].get<int>(), sha256_hex(out.bytes).c_str());
  if (ort["int8_convs"].get<int>() < s.quantized_convs)
    std::cerr << "paramscale: warning: ONNX Runtime runs only " << ort["int8_convs"].get<int>()
              << " of the " << s.quantized_convs
              << " quantized convolutions as int8 kernels on this machine"
              << (o.qdq.activations == q::Activations::S8
                      ? " (on x86-64 it fuses u8 activations only; use --activations u8)"
                      : "")
              << "; the others run in float between conversions\n";
  return 0;
}

}  // namespace

void add_quantize_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<QuantizeArgs>();
  a->data.dataset.clear();  // required unless --random-calibration
  CLI::App* cmd = app.add_subcommand("quantize", torch_command_description("quantize"));
  cmd->add_option("model", a->model, "ONNX float model, or a training run directory")->required();
  cmd->add_option("-o,--output", a->output, "the quantized .onnx file to write")->required();
  cmd->add_option("--dataset", a->data.dataset,
                  "calibration images: fashion-mnist|cifar10|cifar100|tinyimagenet|synthetic "
                  "(its training split)");
  cmd->add_option("--data-dir", a->data.data_dir,
                  std::string("dataset folder (default for fashion-mnist: ") +
                      nn::default_fashion_mnist_dir() + ")");
  cmd->add_flag("--random-calibration", a->random_calibration,
                "calibrate on seeded noise (deployment-only models: latency and memory only)");
  cmd->add_option("--calibration-images", a->images, "training images to calibrate on")
      ->capture_default_str();
  cmd->add_option("--calibration", a->calibration, "minmax|percentile|entropy")
      ->capture_default_str();
  cmd->add_option("--percentile", a->percentile, "percentile calibration's P")
      ->capture_default_str();
  cmd->add_option("--activations", a->activations, "u8|s8")->capture_default_str();
  cmd->add_option("--reduce-range", a->reduce_range,
                  "auto|on|off: 7-bit weights (auto: on x86-64 CPUs without VNNI)")
      ->capture_default_str();
  cmd->add_option("--threads,-t", a->threads, "calibration threads (0: every core)")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "which calibration images (and the synthetic data's seed)")
      ->capture_default_str();
  cmd->add_flag("--inputs-only", a->inputs_only,
                "Q/DQ on operator inputs only, conv outputs float (for comparison: slow)");
  cmd->add_option("--json", a->json_path, "write the quantization record (JSON) to this file");
  cmd->callback([a, action] {
    a->data.seed = a->seed;
    *action = [a] { return run_quantize(*a); };
  });
}

}  // namespace paramscale::cli
