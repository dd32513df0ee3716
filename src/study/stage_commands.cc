#include "study/stage_commands.h"

#include "device/registry.h"

namespace paramscale::study {

std::string join_widths(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

std::vector<std::string> scale_args(const StudyConfig& c, const Cell& cell,
                                    const std::string& fit) {
  return {"scale",     "--model",     cell.model, "--dataset", c.dataset,
          "--method",  "neuralscale", "--fit",    fit,         "--budget",
          cell.budget, "--count",     c.count,    "--align",   std::to_string(cell.align),
          "--json"};
}

std::vector<std::string> search_args(const StudyConfig& c, const std::string& model,
                                     const std::string& out, bool resume) {
  const SearchSettings& z = c.search;
  std::vector<std::string> args = {"search",
                                   "--model",
                                   model,
                                   "--dataset",
                                   c.dataset,
                                   "--subset",
                                   std::to_string(z.subset),
                                   "--batch-size",
                                   std::to_string(z.batch_size),
                                   "--warmup",
                                   std::to_string(z.warmup),
                                   "--prune-fraction",
                                   std::to_string(z.prune_fraction),
                                   "--frequency",
                                   std::to_string(z.frequency),
                                   "--iterations",
                                   std::to_string(z.iterations),
                                   "--count",
                                   c.count,
                                   "-o",
                                   out};
  if (resume) args.push_back("--resume");
  if (!c.train.data_dir.empty()) args.insert(args.end(), {"--data-dir", c.train.data_dir});
  return args;
}

std::vector<std::string> train_args(const StudyConfig& c, const Cell& cell,
                                    const std::vector<int>& widths, const std::string& run,
                                    bool resume) {
  const TrainSettings& t = c.train;
  std::vector<std::string> args = {"train",
                                   "--model",
                                   cell.model,
                                   "--dataset",
                                   c.dataset,
                                   "--widths",
                                   join_widths(widths),
                                   "--epochs",
                                   std::to_string(t.epochs),
                                   "--batch-size",
                                   std::to_string(t.batch_size),
                                   "--lr",
                                   std::to_string(t.lr),
                                   "--momentum",
                                   std::to_string(t.momentum),
                                   "--schedule",
                                   t.schedule,
                                   "--seed",
                                   std::to_string(cell.seed),
                                   "-o",
                                   run};
  // A study killed mid-training continues that training from its last checkpoint.
  if (resume) args.push_back("--resume");
  if (t.subset > 0) args.insert(args.end(), {"--subset", std::to_string(t.subset)});
  if (t.test_subset > 0) args.insert(args.end(), {"--test-subset", std::to_string(t.test_subset)});
  if (!t.data_dir.empty()) args.insert(args.end(), {"--data-dir", t.data_dir});
  return args;
}

std::vector<std::string> export_args(const StudyConfig& c, const Cell& cell,
                                     const std::vector<int>& widths, const std::string& run,
                                     const std::string& onnx) {
  std::vector<std::string> args = {"export", "-o", onnx};
  if (c.train.enabled)
    args.insert(args.end(), {"--run", run});
  else
    args.insert(args.end(), {"--model", cell.model, "--dataset", c.dataset, "--widths",
                             join_widths(widths), "--seed", std::to_string(cell.seed)});
  return args;
}

std::vector<std::string> quantize_args(const StudyConfig& c, const Cell& cell,
                                       const std::string& source, const std::string& onnx,
                                       const std::string& record) {
  const QuantizeSettings& q = c.quantize;
  std::vector<std::string> args = {"quantize",
                                   source,
                                   "-o",
                                   onnx,
                                   "--json",
                                   record,
                                   "--calibration-images",
                                   std::to_string(q.calibration_images),
                                   "--calibration",
                                   q.calibration,
                                   "--percentile",
                                   std::to_string(q.percentile),
                                   "--activations",
                                   q.activations,
                                   "--reduce-range",
                                   q.reduce_range,
                                   "--seed",
                                   std::to_string(cell.seed)};
  // Deployment-only: only latency and memory mean anything, so seeded noise calibrates.
  if (c.train.enabled)
    args.insert(args.end(), {"--dataset", c.dataset});
  else
    args.push_back("--random-calibration");
  if (c.train.enabled && !c.train.data_dir.empty())
    args.insert(args.end(), {"--data-dir", c.train.data_dir});
  return args;
}

std::vector<std::string> eval_args(const StudyConfig& c, const std::string& onnx,
                                   const std::string& out) {
  std::vector<std::string> args = {"eval",      onnx,  "--dataset", c.dataset,
                                   "--runtime", "ort", "--json",    out};
  if (c.train.test_subset > 0)
    args.insert(args.end(), {"--subset", std::to_string(c.train.test_subset)});
  if (!c.train.data_dir.empty()) args.insert(args.end(), {"--data-dir", c.train.data_dir});
  return args;
}

std::vector<std::string> bench_args(const StudyConfig& c, const Cell& cell,
                                    const std::string& target, const std::string& out,
                                    const std::string& devices_file) {
  const BenchSettings& b = c.bench;
  std::vector<std::string> args = {
      "bench",         target,
      "--runtime",     cell.runtime,
      "--threads",     cell.threads > 0 ? std::to_string(cell.threads) : "all",
      "--batch",       std::to_string(b.batch),
      "--warmup-runs", std::to_string(b.warmup_runs),
      "--min-runs",    std::to_string(b.min_runs),
      "--min-seconds", std::to_string(b.min_seconds),
      "--warmup-ms",   std::to_string(b.warmup_ms),
      "--target-ci",   std::to_string(b.target_ci),
      "--max-seconds", std::to_string(b.max_seconds),
      "--json",        out};
  if (cell.runtime_kind() == runtime::RuntimeKind::kOrt)
    args.insert(args.end(), {"--opt-level", cell.opt_level});
  if (cell.device != device::kLocal)
    args.insert(args.end(), {"--device", cell.device, "--devices", devices_file});
  return args;
}

std::vector<std::string> explain_args(const StudyConfig& c, const Cell& cell,
                                      const std::string& onnx, const std::string& out) {
  return {"explain",   onnx,
          "--threads", std::to_string(cell.threads),
          "--runs",    std::to_string(c.explain.runs),
          "--json",    out};
}

}  // namespace paramscale::study
