// The training loop; see trainer.h.
#include "nn/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "arch/families.h"
#include "nn/batches.h"
#include "nn/checkpoint.h"
#include "nn/epoch_progress.h"
#include "nn/training.h"
#include "rundir/run_dir.h"
#include "util/limits.h"
#include "util/text.h"

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
  s << "family=" << arch::family_name(net.family) << "\nwidths=";
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
  return validate_checkpoint_minutes(o.checkpoint_minutes);
}

Status validate_checkpoint_minutes(double minutes) {
  if (minutes >= 0 && std::isfinite(minutes)) return {};
  return bad_input(format(
      "--checkpoint-minutes must be a finite number of minutes, at least 0, got %g", minutes));
}

namespace {

// Minibatches per epoch: a final batch of one image is dropped (BatchNorm cannot normalise a
// single sample).
int64_t steps_per_epoch(int64_t images, int batch_size) {
  return (images + batch_size - 1) / batch_size - (images % batch_size == 1 ? 1 : 0);
}

// One call of train(): the epochs from the checkpoint's position to the end (or to stop_after).
class TrainingRun {
 public:
  TrainingRun(const arch::Network& net, const DataSplits& data, const TrainOptions& o,
              const torch::Device& device, std::string checkpoint)
      : data_(data),
        o_(o),
        checkpoint_(std::move(checkpoint)),
        learner_(net, device, o.seed, {o.lr, o.momentum, o.weight_decay, /*nesterov=*/o.nesterov}),
        device_(device),
        lut_(make_lut(data)),
        milestones_(milestones_for(o)),
        images_(data.train.size()),
        steps_(steps_per_epoch(images_, o.batch_size)),
        progress_(o.progress),
        timer_(o.checkpoint_minutes, o.kill_after_checkpoints) {
    state_.settings = settings_text(net, data, o);
  }

  Status resume();
  Status run();
  TrainSummary summary();
  arch::Weights weights() const { return learner_.model->to_weights(); }

 private:
  Status train_epoch(int epoch);
  Status finish_epoch(int epoch);
  Status save();
  void print_epoch(const EpochRecord& r) const;

  const DataSplits& data_;
  const TrainOptions& o_;
  const std::string checkpoint_;
  Learner learner_;
  torch::Device device_;
  const PixelLut lut_;
  const std::vector<int> milestones_;
  const int64_t images_, steps_;
  TrainState state_;
  int resumed_from_epoch_ = 0;
  double lr_ = 0;  // of the epoch's last minibatch
  RunClock clock_;
  EpochProgress progress_;
  CheckpointTimer timer_;
};

Status TrainingRun::resume() {
  if (Status s = load_checkpoint(checkpoint_, learner_, &state_); !s) return s;
  const EpochPosition& p = state_.position;
  if (p.batch < 0 || p.batch >= steps_ || p.seen < 0 || p.correct < 0)
    return bad_input("checkpoint " + checkpoint_ + " is inconsistent (its position in epoch " +
                     std::to_string(state_.epoch + 1) + " is outside it)");
  resumed_from_epoch_ = state_.epoch;
  if (o_.progress && p.batch > 0)
    progress_.line(format("train: resuming epoch %d at minibatch %lld of %lld", state_.epoch + 1,
                          static_cast<long long>(p.batch), static_cast<long long>(steps_)));
  return {};
}

Status TrainingRun::run() {
  clock_.start(state_.total_seconds);
  for (int epoch = state_.epoch + 1; epoch <= o_.epochs; ++epoch) {
    if (Status s = train_epoch(epoch); !s) return s;
    if (Status s = finish_epoch(epoch); !s) return s;
    if (o_.stop_after == epoch && epoch < o_.epochs) break;
  }
  return {};
}

// The epoch's minibatches from the checkpoint's position, with a time checkpoint when one is due.
Status TrainingRun::train_epoch(int epoch) {
  EpochPosition& p = state_.position;
  Rng rng{o_.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch)};
  const std::vector<int64_t> order = permutation(images_, rng);
  if (p.batch > 0) rng.state = p.shuffle_rng;  // the augmentation draws continue from there
  learner_.model->train();
  progress_.start_epoch(format("epoch %d/%d", epoch, o_.epochs), steps_, p.batch,
                        o_.epochs - epoch);
  while (p.batch < steps_) {
    const auto t0 = Clock::now();
    lr_ = lr_at(o_, milestones_, (epoch - 1) * steps_ + p.batch, steps_);
    const int64_t first = p.batch * o_.batch_size;
    const int64_t count = std::min<int64_t>(o_.batch_size, images_ - first);
    const Learner::Step step = learner_.step(data_.train, order.data() + first, count, lut_,
                                             o_.augment ? &rng : nullptr, lr_);
    p.loss_sum += step.loss * static_cast<double>(count);
    p.correct += step.correct;
    p.seen += count;
    p.shuffle_rng = rng.state;
    ++p.batch;
    p.train_seconds += seconds_since(t0);
    progress_.batch_done(count, step.loss);
    if (p.batch < steps_ && timer_.due()) {
      state_.total_seconds = clock_.elapsed();
      if (Status s = save(); !s) return s;
    }
  }
  progress_.end_epoch();
  return {};
}

// Evaluation, the epoch's log row, its checkpoint and its line.
Status TrainingRun::finish_epoch(int epoch) {
  const EpochPosition p = state_.position;
  const auto t1 = Clock::now();
  EpochRecord r;
  r.epoch = epoch;
  r.lr = lr_;
  r.train_loss = p.loss_sum / static_cast<double>(p.seen);
  r.train_accuracy = static_cast<double>(p.correct) / static_cast<double>(p.seen);
  r.val_accuracy = evaluate(learner_.model, data_.val, lut_, device_);
  r.test_accuracy = evaluate(learner_.model, data_.test, lut_, device_);
  r.images_per_second = static_cast<double>(p.seen) / p.train_seconds;
  r.epoch_seconds = p.train_seconds + seconds_since(t1);
  r.elapsed_seconds = clock_.elapsed();
  state_.train_seconds += p.train_seconds;
  state_.eval_seconds += seconds_since(t1);
  state_.total_seconds = r.elapsed_seconds;
  state_.history.push_back(r);
  state_.epoch = epoch;
  state_.position = {};
  if (Status s = save(); !s) return s;
  if (Status s = write_log_csv(rundir::file_in(o_.run_dir, rundir::kLogFile), state_.history); !s)
    return s;
  print_epoch(r);
  return {};
}

Status TrainingRun::save() {
  if (Status s = save_checkpoint(checkpoint_, learner_, state_); !s) return s;
  timer_.saved();
  return {};
}

void TrainingRun::print_epoch(const EpochRecord& r) const {
  if (!o_.progress) return;
  const double eta = (state_.total_seconds / r.epoch) * (o_.epochs - r.epoch);
  char val[16] = "-";
  if (r.val_accuracy >= 0) std::snprintf(val, sizeof val, "%.2f%%", 100 * r.val_accuracy);
  std::fprintf(stderr,
               "epoch %d/%d  lr %.4g  loss %.4f  train %.2f%%  val %s  test %.2f%%  %.0f img/s  "
               "elapsed %s  eta %s\n",
               r.epoch, o_.epochs, r.lr, r.train_loss, 100 * r.train_accuracy, val,
               100 * r.test_accuracy, r.images_per_second, duration_text(r.elapsed_seconds).c_str(),
               duration_text(eta).c_str());
}

TrainSummary TrainingRun::summary() {
  const TrainState& st = state_;
  TrainSummary sum;
  sum.resumed_from_epoch = resumed_from_epoch_;
  sum.epochs_done = st.epoch;
  sum.finished = st.epoch >= o_.epochs;
  sum.history = st.history;
  sum.threads = o_.threads;
  for (const auto& p : learner_.model->parameters()) sum.parameters += p.numel();
  sum.train_seconds = st.train_seconds;
  sum.eval_seconds = st.eval_seconds;
  sum.total_seconds = st.total_seconds;
  const bool by_val = !data_.val.labels.empty();
  sum.best_selected_by = by_val ? "validation" : "test";
  double best = -1;
  for (const EpochRecord& r : st.history) {
    const double key = by_val ? r.val_accuracy : r.test_accuracy;
    if (key > best) best = key, sum.best_epoch = r.epoch, sum.best_test_accuracy = r.test_accuracy;
  }
  const int64_t per_epoch = std::min<int64_t>(images_, steps_ * o_.batch_size);
  if (st.train_seconds > 0)
    sum.images_per_second = static_cast<double>(per_epoch) * st.epoch / st.train_seconds;
  if (!st.history.empty()) sum.final_test_accuracy = st.history.back().test_accuracy;
  return sum;
}

}  // namespace

Result<TrainSummary> train(const arch::Network& net, const DataSplits& data,
                           const TrainOptions& o) {
  if (Status s = validate(o); !s) return s.error();
  if (Status s = check_data_fits(net, data); !s) return s.error();
  const Result<torch::Device> device = resolve_device(o.device);
  if (!device) return device.error();
  const Result<std::string> checkpoint = prepare_output_dir(
      o.run_dir, o.resume,
      "already holds a checkpoint: pass --resume to continue it, or choose another output "
      "directory",
      /*create_exit_code=*/1);
  if (!checkpoint) return checkpoint.error();
  set_up_training(o.threads);
  TrainingRun run(net, data, o, *device, *checkpoint);
  if (o.resume)
    if (Status s = run.resume(); !s) return s.error();
  if (Status s = run.run(); !s) return s.error();
  TrainSummary sum = run.summary();
  if (sum.finished)
    if (Status s =
            arch::write_weights(rundir::file_in(o.run_dir, rundir::kWeightsFile), run.weights());
        !s)
      return s.error();
  return sum;
}

}  // namespace paramscale::nn
