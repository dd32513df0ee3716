// The training loop; see trainer.h.
#include "nn/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "nn/batches.h"
#include "nn/checkpoint.h"
#include "nn/model.h"
#include "util/files.h"
#include "util/limits.h"

namespace paramscale::nn {

namespace {

std::vector<int> milestones_for(const TrainOptions& o) {
  if (!o.milestones.empty()) return o.milestones;
  std::vector<int> m;
  for (double f : {1.0 / 3, 2.0 / 3, 5.0 / 6}) {
    const int e = static_cast<int>(std::lround(o.epochs * f));
    if (e > 0 && e < o.epochs) m.push_back(e);
  }
  return m;
}

// Learning rate at global step `step` (0-based) with `steps` steps per epoch.
double lr_at(const TrainOptions& o, const std::vector<int>& milestones, int64_t step,
             int64_t steps) {
  const double t = static_cast<double>(step) / static_cast<double>(steps);  // epochs elapsed
  if (t < o.warmup_epochs) return o.lr * static_cast<double>(step + 1) / (o.warmup_epochs * steps);
  if (o.schedule == "cosine") {
    const double span = o.epochs - o.warmup_epochs;
    return 0.5 * o.lr * (1 + std::cos(M_PI * (t - o.warmup_epochs) / span));
  }
  const int64_t epoch_index = step / steps;
  double lr = o.lr;
  for (int m : milestones)
    if (epoch_index >= m) lr *= o.gamma;
  return lr;
}

std::string settings_text(const arch::Network& net, const DataSplits& d, const TrainOptions& o) {
  std::ostringstream s;
  s.precision(15);
  s << "family=" << static_cast<int>(net.family) << "\nwidths=";
  for (int w : net.widths) s << w << ',';
  s << "\ndataset=" << d.name << "\ntrain_images=" << d.train.size()
    << "\nval_images=" << d.val.size() << "\nepochs=" << o.epochs << "\nbatch_size=" << o.batch_size
    << "\nlr=" << o.lr << "\nmomentum=" << o.momentum << "\nnesterov=" << o.nesterov
    << "\nweight_decay=" << o.weight_decay << "\nschedule=" << o.schedule << "\nmilestones=";
  for (int m : milestones_for(o)) s << m << ',';
  s << "\ngamma=" << o.gamma << "\nwarmup_epochs=" << o.warmup_epochs << "\naugment=" << o.augment
    << "\nseed=" << o.seed << '\n';
  return s.str();
}

Status check_data_fits(const arch::Network& net, const DataSplits& d) {
  const arch::Shape in = net.layers.at(0).out;
  if (d.train.channels != in.c || d.train.height != in.h || d.train.width != in.w)
    return bad_input("dataset '" + d.name + "' has " + std::to_string(d.train.channels) + "x" +
                     std::to_string(d.train.height) + "x" + std::to_string(d.train.width) +
                     " images but the network takes " + std::to_string(in.c) + "x" +
                     std::to_string(in.h) + "x" + std::to_string(in.w));
  if (d.classes != net.dataset.classes)
    return bad_input("dataset '" + d.name + "' has " + std::to_string(d.classes) +
                     " classes but the network has " + std::to_string(net.dataset.classes));
  if (d.train.size() < 2)
    return bad_input("dataset '" + d.name + "' has fewer than 2 training images");
  return {};
}

}  // namespace

Status validate(const TrainOptions& o) {
  if (o.epochs < 1) return bad_input("--epochs must be positive, got " + std::to_string(o.epochs));
  if (o.batch_size < 2 || o.batch_size > kMaxBatch)
    return bad_input("--batch-size must be at least 2 and at most " + std::to_string(kMaxBatch) +
                     ", got " + std::to_string(o.batch_size));
  if (!(o.lr > 0) || !std::isfinite(o.lr)) return bad_input("--lr must be a positive number");
  if (!(o.momentum >= 0 && o.momentum < 1)) return bad_input("--momentum must be in [0, 1)");
  if (o.nesterov && o.momentum == 0) return bad_input("--nesterov needs a positive --momentum");
  if (!(o.weight_decay >= 0 && std::isfinite(o.weight_decay)))
    return bad_input("--weight-decay must be a finite number, at least 0");
  if (o.schedule != "multistep" && o.schedule != "cosine")
    return bad_input("unknown --schedule '" + o.schedule + "' (expected multistep or cosine)");
  if (!(o.warmup_epochs >= 0 && o.warmup_epochs < o.epochs) || !std::isfinite(o.warmup_epochs))
    return bad_input("--warmup must be at least 0 and less than --epochs");
  if (!(o.gamma > 0 && o.gamma <= 1)) return bad_input("--gamma must be in (0, 1]");
  for (int m : o.milestones)
    if (m < 1 || m >= o.epochs) return bad_input("--milestones entries must be in [1, epochs)");
  if (o.threads < 1 || o.threads > kMaxThreads)
    return bad_input("--threads must be between 1 and " + std::to_string(kMaxThreads));
  if (o.run_dir.empty()) return bad_input("an output directory (-o) is required");
  if (o.stop_after < 0) return bad_input("--stop-after must not be negative");
  return {};
}

Result<TrainSummary> train(const arch::Network& net, const DataSplits& data,
                           const TrainOptions& o) {
  if (Status s = validate(o); !s) return s.error();
  if (Status s = check_data_fits(net, data); !s) return s.error();
  const Result<torch::Device> device = resolve_device(o.device);
  if (!device) return device.error();
  std::error_code ec;
  std::filesystem::create_directories(o.run_dir, ec);
  if (ec) return failure("cannot create " + o.run_dir + ": " + ec.message());
  remove_stale_temp_files(o.run_dir);  // a killed run's half-written files
  const std::string ckpt = o.run_dir + "/checkpoint.pt";
  if (!o.resume && std::filesystem::exists(ckpt))
    return bad_input(o.run_dir +
                     " already holds a checkpoint: pass --resume to continue it, or choose "
                     "another output directory");

  torch::set_num_threads(o.threads);
  set_up_cpu_math();
  keep_freed_memory_for_reuse();
  torch::manual_seed(o.seed);
  Model model(net);
  model->to(*device);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(o.lr)
                                                       .momentum(o.momentum)
                                                       .nesterov(o.nesterov)
                                                       .weight_decay(o.weight_decay));
  TrainState st;
  st.settings = settings_text(net, data, o);
  TrainSummary sum;
  if (o.resume) {
    if (Status s = load_checkpoint(ckpt, model, optimizer, &st); !s) return s.error();
    sum.resumed_from_epoch = st.epoch;
  }
  const auto lut = make_lut(data);
  const auto milestones = milestones_for(o);
  const int64_t n = data.train.size();
  // Drop a final batch of one image (BatchNorm cannot normalise a single sample).
  const int64_t steps = (n + o.batch_size - 1) / o.batch_size - (n % o.batch_size == 1 ? 1 : 0);
  const auto start = Clock::now();
  const double elapsed_before = st.total_seconds;
  for (int epoch = st.epoch + 1; epoch <= o.epochs; ++epoch) {
    const auto t0 = Clock::now();
    model->train();
    Rng rng{o.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch)};
    const auto perm = permutation(n, rng);
    double loss_sum = 0, lr = o.lr;
    int64_t correct = 0, seen = 0;
    for (int64_t s = 0; s < steps; ++s) {
      lr = lr_at(o, milestones, (epoch - 1) * steps + s, steps);
      for (auto& group : optimizer.param_groups())
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      const int64_t b = std::min<int64_t>(o.batch_size, n - s * o.batch_size);
      torch::Tensor labels;
      torch::Tensor x = make_batch(data.train, perm.data() + s * o.batch_size, b, lut,
                                   o.augment ? &rng : nullptr, &labels);
      x = x.to(*device);
      torch::Tensor y = labels.to(*device);
      torch::Tensor logits = model->forward(x);
      torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>() * static_cast<double>(b);
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      seen += b;
    }
    const double train_s = seconds_since(t0);
    const auto t1 = Clock::now();
    EpochRecord r;
    r.epoch = epoch;
    r.lr = lr;
    r.train_loss = loss_sum / static_cast<double>(seen);
    r.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    r.val_accuracy = evaluate(model, data.val, lut, *device);
    r.test_accuracy = evaluate(model, data.test, lut, *device);
    r.images_per_second = static_cast<double>(seen) / train_s;
    r.epoch_seconds = seconds_since(t0);
    r.elapsed_seconds = elapsed_before + seconds_since(start);
    st.train_seconds += train_s;
    st.eval_seconds += seconds_since(t1);
    st.total_seconds = r.elapsed_seconds;
    st.history.push_back(r);
    st.epoch = epoch;
    if (Status s = save_checkpoint(ckpt, model, optimizer, st); !s) return s.error();
    if (Status s = write_log_csv(o.run_dir + "/log.csv", st.history); !s) return s.error();
    if (o.progress) {
      const double eta = (st.total_seconds / epoch) * (o.epochs - epoch);
      char val[16] = "-";
      if (r.val_accuracy >= 0) std::snprintf(val, sizeof val, "%.2f%%", 100 * r.val_accuracy);
      std::fprintf(
          stderr,
          "epoch %d/%d  lr %.4g  loss %.4f  train %.2f%%  val %s  test %.2f%%  %.0f img/s  "
          "elapsed %s  eta %s\n",
          epoch, o.epochs, lr, r.train_loss, 100 * r.train_accuracy, val, 100 * r.test_accuracy,
          r.images_per_second, duration_text(r.elapsed_seconds).c_str(),
          duration_text(eta).c_str());
    }
    if (o.stop_after == epoch && epoch < o.epochs) break;
  }
  sum.epochs_done = st.epoch;
  sum.finished = st.epoch >= o.epochs;
  sum.history = st.history;
  sum.threads = o.threads;
  for (const auto& p : model->parameters()) sum.parameters += p.numel();
  sum.train_seconds = st.train_seconds;
  sum.eval_seconds = st.eval_seconds;
  sum.total_seconds = st.total_seconds;
  const bool by_val = !data.val.labels.empty();
  sum.best_selected_by = by_val ? "validation" : "test";
  double best = -1;
  for (const EpochRecord& r : st.history) {
    const double key = by_val ? r.val_accuracy : r.test_accuracy;
    if (key > best) best = key, sum.best_epoch = r.epoch, sum.best_test_accuracy = r.test_accuracy;
  }
  const int64_t per_epoch = std::min<int64_t>(n, steps * o.batch_size);
  if (st.train_seconds > 0)
    sum.images_per_second = static_cast<double>(per_epoch) * st.epoch / st.train_seconds;
  if (!st.history.empty()) sum.final_test_accuracy = st.history.back().test_accuracy;
  if (sum.finished) {
    if (Status s = arch::write_weights(o.run_dir + "/weights.psw", model->to_weights()); !s)
      return s.error();
  }
  return sum;
}

}  // namespace paramscale::nn
