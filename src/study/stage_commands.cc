#include "study/stage_commands.h"

#include <sstream>

#include "device/registry.h"

namespace paramscale::study {

namespace {

// A stage's command line written as one types it, with "@" for each value in `values`, in order:
// command("bench @ --json @", {target, out}). Values are whole arguments (spaces and all).
std::vector<std::string> command(const std::string& line,
                                 std::initializer_list<std::string> values) {
  std::vector<std::string> args;
  std::istringstream words(line);
  auto value = values.begin();
  for (std::string word; words >> word;)
    args.push_back(word == "@" && value != values.end() ? *value++ : word);
  return args;
}

// Appends `flag value` when `when`.
void add_if(std::vector<std::string>& args, bool when, const char* flag, const std::string& value) {
  if (when) args.insert(args.end(), {flag, value});
}

}  // namespace

std::string join_widths(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

std::vector<std::string> scale_args(const StudyConfig& c, const Cell& cell,
                                    const std::string& fit) {
  return command(
      "scale --model @ --dataset @ --method neuralscale --fit @ --budget @ --count @ "
      "--align @ --json",
      {cell.model, c.dataset, fit, cell.budget, c.count, std::to_string(cell.align)});
}

std::vector<std::string> search_args(const StudyConfig& c, const std::string& model,
                                     const std::string& out, bool resume, int threads) {
  const SearchSettings& z = c.search;
  auto args = command(
      "search --model @ --dataset @ --subset @ --batch-size @ --warmup @ "
      "--prune-fraction @ --frequency @ --iterations @ --count @ -o @",
      {model, c.dataset, std::to_string(z.subset), std::to_string(z.batch_size),
       std::to_string(z.warmup), std::to_string(z.prune_fraction), std::to_string(z.frequency),
       std::to_string(z.iterations), c.count, out});
  if (resume) args.push_back("--resume");
  add_if(args, threads > 0, "--threads", std::to_string(threads));
  add_if(args, !c.train.data_dir.empty(), "--data-dir", c.train.data_dir);
  return args;
}

std::vector<std::string> train_args(const StudyConfig& c, const Cell& cell,
                                    const std::vector<int>& widths, const std::string& run,
                                    bool resume, int threads) {
  const TrainSettings& t = c.train;
  auto args = command(
      "train --model @ --dataset @ --widths @ --epochs @ --batch-size @ --lr @ "
      "--momentum @ --schedule @ --seed @ -o @",
      {cell.model, c.dataset, join_widths(widths), std::to_string(t.epochs),
       std::to_string(t.batch_size), std::to_string(t.lr), std::to_string(t.momentum), t.schedule,
       std::to_string(cell.seed), run});
  // A study killed mid-training continues that training from its last checkpoint.
  if (resume) args.push_back("--resume");
  add_if(args, threads > 0, "--threads", std::to_string(threads));
  add_if(args, t.subset > 0, "--subset", std::to_string(t.subset));
  add_if(args, t.test_subset > 0, "--test-subset", std::to_string(t.test_subset));
  add_if(args, !t.data_dir.empty(), "--data-dir", t.data_dir);
  return args;
}

std::vector<std::string> export_args(const StudyConfig& c, const Cell& cell,
                                     const std::vector<int>& widths, const std::string& run,
                                     const std::string& onnx) {
  if (c.train.enabled) return command("export -o @ --run @", {onnx, run});
  return command("export -o @ --model @ --dataset @ --widths @ --seed @",
                 {onnx, cell.model, c.dataset, join_widths(widths), std::to_string(cell.seed)});
}

std::vector<std::string> quantize_args(const StudyConfig& c, const Cell& cell,
                                       const std::string& source, const std::string& onnx,
                                       const std::string& record) {
  const QuantizeSettings& q = c.quantize;
  auto args = command(
      "quantize @ -o @ --json @ --calibration-images @ --calibration @ "
      "--percentile @ --activations @ --reduce-range @ --seed @",
      {source, onnx, record, std::to_string(q.calibration_images), q.calibration,
       std::to_string(q.percentile), q.activations, q.reduce_range, std::to_string(cell.seed)});
  // Deployment-only: only latency and memory mean anything, so seeded noise calibrates.
  if (c.train.enabled)
    args.insert(args.end(), {"--dataset", c.dataset});
  else
    args.push_back("--random-calibration");
  add_if(args, c.train.enabled && !c.train.data_dir.empty(), "--data-dir", c.train.data_dir);
  return args;
}

std::vector<std::string> eval_args(const StudyConfig& c, const std::string& onnx,
                                   const std::string& out) {
  auto args = command("eval @ --dataset @ --runtime @ --json @",
                      {onnx, c.dataset, runtime::to_string(runtime::RuntimeKind::kOrt), out});
  add_if(args, c.train.test_subset > 0, "--subset", std::to_string(c.train.test_subset));
  add_if(args, !c.train.data_dir.empty(), "--data-dir", c.train.data_dir);
  return args;
}

std::vector<std::string> bench_args(const StudyConfig& c, const Cell& cell,
                                    const std::string& target, const std::string& out,
                                    const std::string& devices_file) {
  const BenchSettings& b = c.bench;
  auto args = command(
      "bench @ --runtime @ --threads @ --batch @ --warmup-runs @ --min-runs @ "
      "--min-seconds @ --warmup-ms @ --target-ci @ --max-seconds @ --json @",
      {target, cell.runtime, cell.threads > 0 ? std::to_string(cell.threads) : "all",
       std::to_string(b.batch), std::to_string(b.warmup_runs), std::to_string(b.min_runs),
       std::to_string(b.min_seconds), std::to_string(b.warmup_ms), std::to_string(b.target_ci),
       std::to_string(b.max_seconds), out});
  add_if(args, cell.runtime_kind() == runtime::RuntimeKind::kOrt, "--opt-level", cell.opt_level);
  if (cell.device != device::kLocal)
    args.insert(args.end(), {"--device", cell.device, "--devices", devices_file});
  return args;
}

std::vector<std::string> explain_args(const StudyConfig& c, const Cell& cell,
                                      const std::string& onnx, const std::string& out) {
  return command("explain @ --threads @ --runs @ --json @",
                 {onnx, std::to_string(cell.threads), std::to_string(c.explain.runs), out});
}

}  // namespace paramscale::study
