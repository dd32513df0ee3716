// The NeuralScale search loop; see search.h.
#include "nn/search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "arch/analysis.h"
#include "nn/batches.h"
#include "nn/epoch_progress.h"
#include "nn/pruning.h"
#include "nn/search_state.h"
#include "nn/trainer.h"
#include "nn/training.h"
#include "scaling/neuralscale.h"
#include "scaling/trace.h"
#include "util/limits.h"
#include "util/text.h"

namespace paramscale::nn {

namespace {

// The paper's search schedule: lr until the end of warm-up, then lr_after_warmup divided by
// lr_decay every lr_decay_epochs epochs.
double lr_at(const SearchOptions& o, int64_t step, int64_t warmup_steps, int64_t steps_per_epoch) {
  if (step < warmup_steps) return o.lr;
  const int64_t decays = (step - warmup_steps) / (steps_per_epoch * o.lr_decay_epochs);
  return o.lr_after_warmup / std::pow(o.lr_decay, static_cast<double>(decays));
}

}  // namespace

Status validate(const SearchOptions& o) {
  if (o.iterations < 1) return bad_input("--iterations must be at least 1");
  if (!(o.warmup_epochs >= 0 && std::isfinite(o.warmup_epochs)))
    return bad_input("--warmup must be a finite number of epochs, at least 0");
  if (o.prune_per_step < 1) return bad_input("--prune-per-step must be at least 1");
  if (!(o.prune_fraction >= 0 && o.prune_fraction < 1))
    return bad_input("--prune-fraction must be in [0, 1)");
  if (o.frequency < 1) return bad_input("--frequency must be at least 1 minibatch");
  if (!(o.stop_fraction > 0 && o.stop_fraction < 1))
    return bad_input("--stop-fraction must be in (0, 1)");
  if (o.min_width < 1) return bad_input("--min-width must be at least 1");
  if (o.max_epochs < 1) return bad_input("--max-epochs must be at least 1");
  if (o.batch_size < 2 || o.batch_size > kMaxBatch)
    return bad_input("--batch-size must be at least 2 and at most " + std::to_string(kMaxBatch));
  if (!(o.lr > 0) || !(o.lr_after_warmup > 0) || !(o.lr_decay >= 1) || !std::isfinite(o.lr) ||
      !std::isfinite(o.lr_after_warmup) || !std::isfinite(o.lr_decay))
    return bad_input(
        "learning rates must be positive and finite, --lr-decay finite and at least 1");
  if (o.lr_decay_epochs < 1) return bad_input("--lr-decay-epochs must be at least 1");
  if (!(o.momentum >= 0 && o.momentum < 1)) return bad_input("--momentum must be in [0, 1)");
  if (!(o.weight_decay >= 0 && std::isfinite(o.weight_decay)))
    return bad_input("--weight-decay must be a finite number, at least 0");
  if (o.threads < 1 || o.threads > kMaxThreads)
    return bad_input("--threads must be between 1 and " + std::to_string(kMaxThreads));
  if (o.dir.empty()) return bad_input("an output directory (-o) is required");
  return validate_checkpoint_minutes(o.checkpoint_minutes);
}

namespace {

// What every iteration of one search() call shares: its inputs, derived sizes, clock, progress
// and checkpoint timer.
struct SearchRun {
  SearchRun(arch::Family f, const arch::DatasetShape& sh, const DataSplits& d,
            const SearchOptions& opt, const torch::Device& dev, std::string ckpt)
      : family(f),
        shape(sh),
        data(d),
        o(opt),
        device(dev),
        checkpoint(std::move(ckpt)),
        settings(search_settings(f, sh, d, opt)),
        start_widths(opt.start_widths.empty() ? arch::base_widths(f) : opt.start_widths),
        images(d.train.size()),
        steps_per_epoch(images / opt.batch_size),  // whole batches only: BN needs > 1 sample
        warmup_steps(std::llround(opt.warmup_epochs * static_cast<double>(steps_per_epoch))),
        max_steps(int64_t{opt.max_epochs} * steps_per_epoch),
        progress(opt.progress),
        timer(opt.checkpoint_minutes, opt.kill_after_checkpoints) {}

  // Iteration 1's network must be buildable; descent iterations keep its parameter count (its
  // "1.0x" budget).
  Status set_up_budget();
  // Writes the checkpoint (model, optimizer and scores when given) and restarts the timer.
  Status save(SearchState& st, Learner* learner, const ChannelScores* scores);

  const arch::Family family;
  const arch::DatasetShape& shape;
  const DataSplits& data;
  const SearchOptions& o;
  const torch::Device device;
  const std::string checkpoint, settings;
  const std::vector<int> start_widths;
  scaling::Budget start_budget;
  PixelLut lut;
  const int64_t images, steps_per_epoch, warmup_steps, max_steps;
  RunClock clock;
  EpochProgress progress;
  CheckpointTimer timer;
};

Status SearchRun::set_up_budget() {
  if (Result<arch::Network> start = arch::build_network(family, shape, start_widths); !start)
    return start.error();
  else if (Status s = arch::check_materialisable(*start); !s)
    return s;
  start_budget = {scaling::BudgetKind::Params,
                  static_cast<double>(scaling::count_params(family, shape, start_widths, o.count)) /
                      static_cast<double>(scaling::count_params(
                          family, shape, arch::base_widths(family), o.count))};
  return {};
}

Status SearchRun::save(SearchState& st, Learner* learner, const ChannelScores* scores) {
  if (Status s = save_search_checkpoint(checkpoint, st, settings, learner, scores); !s) return s;
  timer.saved();
  return {};
}

// One architecture-descent iteration: its gated network, trained and pruned until it stops,
// then its trace fitted. Steps: set_up(), prune_until_stop(), finish().
class SearchIteration {
 public:
  SearchIteration(SearchRun& run, SearchState& st)
      : run_(run), o_(run.o), st_(st), it_(st.iteration) {}

  // The network (from the last fit after iteration 1) and its learner, resumed when the
  // checkpoint is within this iteration.
  Status set_up();
  // Trains and prunes; true once pruning stopped, false when the stop_after_steps hook paused it.
  Result<bool> prune_until_stop();
  // The trace and its fit, the iteration's files, the next iteration's checkpoint, search.json.
  Status finish();

 private:
  void train_minibatch();  // the schedule, the epoch's order, augmentation, the step, scoring
  bool prune();            // one pruning step; true when the iteration stops
  void report_pruning(int live, int pruned_total);
  void end_epoch(bool pruning);
  Status save() {
    st_.iteration_seconds = clock_.elapsed();
    st_.seconds = run_.clock.elapsed();
    return run_.save(st_, learner_.get(), scores_.get());
  }

  SearchRun& run_;
  const SearchOptions& o_;
  SearchState& st_;
  const int it_;
  std::vector<int> widths_, live_;
  int total_channels_ = 0;
  std::unique_ptr<Learner> learner_;
  std::unique_ptr<ChannelScores> scores_;
  RunClock clock_;  // this iteration's seconds across resumes
  std::vector<int64_t> order_;
  int64_t order_epoch_ = -1;
  double last_loss_ = 0, last_accuracy_ = 0;
  Clock::time_point last_report_ = Clock::now() - std::chrono::seconds(60);
};

Status SearchIteration::set_up() {
  widths_ = run_.start_widths;
  if (!st_.done.empty()) {
    const auto sol = scaling::scale_neuralscale(run_.family, run_.shape, st_.done.back().laws,
                                                run_.start_budget, o_.count);
    if (!sol) return bad_input("iteration " + std::to_string(it_) + ": " + sol.error().message);
    widths_ = sol->widths;
  }
  const Result<arch::Network> net =
      arch::build_network(run_.family, run_.shape, widths_, /*gated=*/true);
  if (!net) return net.error();
  learner_ = std::make_unique<Learner>(*net, run_.device,
                                       o_.seed * 1000003ull + static_cast<uint64_t>(it_),
                                       SgdSettings{o_.lr, o_.momentum, o_.weight_decay});
  scores_ = std::make_unique<ChannelScores>(learner_->model);
  if (st_.step > 0) {
    if (Status s = load_search_model(run_.checkpoint, *learner_, *scores_); !s) return s;
  } else {
    st_.pruning_steps = 0;
    st_.rows.clear();
    st_.iteration_seconds = st_.interval_loss = 0;
    st_.interval_correct = st_.interval_seen = 0;
  }
  for (auto& [w, g] : learner_->model->gates()) g.requires_grad_(true);
  live_ = live_widths(learner_->model);
  for (int w : widths_) total_channels_ += w;
  clock_.start(st_.iteration_seconds);
  learner_->model->train();
  return {};
}

Result<bool> SearchIteration::prune_until_stop() {
  const int64_t per_epoch = run_.steps_per_epoch;
  for (bool stop = false; !stop;) {
    if (st_.step >= run_.max_steps)
      return failure("iteration " + std::to_string(it_) + " was still pruning after --max-epochs " +
                     std::to_string(o_.max_epochs) +
                     " epochs: raise --prune-per-step or --max-epochs");
    if (st_.step % per_epoch == 0 || order_epoch_ < 0)
      run_.progress.start_epoch(format("search iteration %d/%d  epoch %lld", it_, o_.iterations,
                                       static_cast<long long>(st_.step / per_epoch + 1)),
                                per_epoch, st_.step % per_epoch);
    train_minibatch();
    const bool pruning = st_.step > run_.warmup_steps;
    // Scheduled checkpoints: every warm-up epoch, the end of warm-up, every pruning step.
    bool scheduled = !pruning && (st_.step % per_epoch == 0 || st_.step == run_.warmup_steps);
    if (pruning && scores_->batches() == o_.frequency) {
      stop = prune();
      scheduled = true;
    }
    if (st_.step % per_epoch == 0) end_epoch(pruning);
    if (stop || !(scheduled || run_.timer.due())) continue;
    if (Status s = save(); !s) return s.error();
    if (scheduled && pruning && o_.stop_after_steps > 0 &&
        st_.total_pruning_steps >= o_.stop_after_steps)
      return false;  // as if killed right after this checkpoint
  }
  return true;
}

void SearchIteration::train_minibatch() {
  const int64_t per_epoch = run_.steps_per_epoch;
  const int64_t epoch = st_.step / per_epoch, pos = st_.step % per_epoch;
  if (epoch != order_epoch_) {  // the epoch's order depends only on (seed, iteration, epoch)
    Rng order{(o_.seed * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(it_) << 32) ^
              static_cast<uint64_t>(epoch)};
    order_ = permutation(run_.images, order);
    order_epoch_ = epoch;
  }
  Rng augment{o_.seed * 0xBF58476D1CE4E5B9ull + static_cast<uint64_t>(st_.step) +
              (static_cast<uint64_t>(it_) << 40)};
  const double lr = lr_at(o_, st_.step, run_.warmup_steps, per_epoch);
  const auto t0 = Clock::now();
  const Learner::Step step =
      learner_->step(run_.data.train, order_.data() + pos * o_.batch_size, o_.batch_size, run_.lut,
                     o_.augment ? &augment : nullptr, lr);
  ++st_.step;
  st_.step_seconds += seconds_since(t0);
  last_loss_ = step.loss;
  run_.progress.batch_done(o_.batch_size, step.loss);
  if (st_.step <= run_.warmup_steps) return;
  const auto b0 = Clock::now();
  scores_->accumulate();
  st_.bookkeeping_seconds += seconds_since(b0);
  st_.interval_loss += step.loss;
  st_.interval_correct += step.correct;
  st_.interval_seen += o_.batch_size;
}

bool SearchIteration::prune() {
  int live_total = 0;
  for (int l : live_) live_total += l;
  int k = o_.prune_per_step;
  if (o_.prune_fraction > 0) k = static_cast<int>(std::ceil(o_.prune_fraction * live_total));
  const auto b0 = Clock::now();
  const int pruned = prune_lowest(learner_->model, scores_->average(), k, o_.min_width, &live_);
  st_.bookkeeping_seconds += seconds_since(b0);
  ++st_.pruning_steps;
  ++st_.total_pruning_steps;
  last_accuracy_ =
      static_cast<double>(st_.interval_correct) / static_cast<double>(st_.interval_seen);
  bool every_layer_pruned = true, at_minimum = pruned == 0;
  for (size_t w = 0; w < live_.size(); ++w) {
    every_layer_pruned = every_layer_pruned && live_[w] < widths_[w];
    at_minimum = at_minimum || live_[w] <= o_.min_width;
  }
  if (every_layer_pruned) st_.rows.push_back(live_);
  const int pruned_total = total_channels_ - live_total + pruned;
  const bool stop = at_minimum || pruned_total >= o_.stop_fraction * total_channels_;
  if (o_.progress && (stop || seconds_since(last_report_) >= 5))
    report_pruning(live_total - pruned, pruned_total);
  scores_->reset();
  st_.interval_correct = st_.interval_seen = 0;
  st_.interval_loss = 0;
  return stop;
}

void SearchIteration::report_pruning(int live, int pruned_total) {
  last_report_ = Clock::now();
  run_.progress.line(format(
      "search iteration %d/%d  epoch %.1f  step %d  live %d/%d (%.0f%% pruned, stop at %.0f%%)  "
      "rows %zu  loss %.3f  train %.1f%%  elapsed %s",
      it_, o_.iterations, static_cast<double>(st_.step) / run_.steps_per_epoch, st_.pruning_steps,
      live, total_channels_, 100.0 * pruned_total / total_channels_, 100 * o_.stop_fraction,
      st_.rows.size(), st_.interval_loss / static_cast<double>(scores_->batches()),
      100 * last_accuracy_, duration_text(run_.clock.elapsed()).c_str()));
}

void SearchIteration::end_epoch(bool pruning) {
  run_.progress.end_epoch();
  if (o_.progress && !pruning)
    run_.progress.line(
        format("search iteration %d/%d  warm-up epoch %lld/%g  loss %.3f  elapsed %s", it_,
               o_.iterations, static_cast<long long>(st_.step / run_.steps_per_epoch),
               o_.warmup_epochs, last_loss_, duration_text(run_.clock.elapsed()).c_str()));
}

Status SearchIteration::finish() {
  scaling::Trace trace;
  trace.width_names = arch::width_names(run_.family);
  trace.rows = st_.rows;
  const auto taus = scaling::trace_taus(run_.family, run_.shape, trace, o_.count);
  if (!taus) return taus.error();
  trace.tau = *taus;
  Result<scaling::PowerLaws> laws = scaling::fit_trace(run_.family, run_.shape, trace, o_.count);
  if (!laws)
    return bad_input("iteration " + std::to_string(it_) + " recorded " +
                     std::to_string(st_.rows.size()) + " trace rows, too few to fit (" +
                     laws.error().message +
                     "): prune more slowly (--prune-per-step, --frequency) or on more data");
  laws->iteration = it_;
  IterationResult r;
  r.iteration = it_;
  r.start_widths = widths_;
  r.trace_rows = static_cast<int>(st_.rows.size());
  r.pruning_steps = st_.pruning_steps;
  r.epochs = static_cast<double>(st_.step) / run_.steps_per_epoch;
  r.seconds = clock_.elapsed();
  r.final_train_accuracy = last_accuracy_;
  r.laws = *laws;
  st_.done.push_back(r);
  st_.step = 0;
  st_.seconds = run_.clock.elapsed();
  if (Status s = write_iteration_files(o_.dir, run_.family, run_.shape, o_, trace, st_); !s)
    return s;
  SearchState next = st_;
  ++next.iteration;
  next.pruning_steps = 0;
  next.rows.clear();
  if (Status s = run_.save(next, nullptr, nullptr); !s) return s;
  if (Status s = write_search_json(o_.dir, run_.settings, st_, it_ == o_.iterations); !s) return s;
  double min_r2 = 1;
  for (double v : r.laws.r2) min_r2 = std::min(min_r2, v);
  if (o_.progress)
    run_.progress.line(format(
        "search iteration %d/%d done: %d trace rows, fit min R^2 %.3f, "
        "%.1f epochs, %s",
        it_, o_.iterations, r.trace_rows, min_r2, r.epochs, duration_text(r.seconds).c_str()));
  return {};
}

}  // namespace

Result<SearchSummary> search(arch::Family family, const arch::DatasetShape& shape,
                             const DataSplits& data, const SearchOptions& o) {
  if (Status s = validate(o); !s) return s.error();
  const Result<torch::Device> device = resolve_device(o.device);
  if (!device) return device.error();
  if (data.classes != shape.classes || data.train.channels != shape.channels ||
      data.train.height != shape.height || data.train.width != shape.width)
    return bad_input("dataset '" + data.name + "' does not match the network's input or classes");
  if (data.train.size() < o.batch_size)
    return bad_input("the training set (" + std::to_string(data.train.size()) +
                     " images) is smaller than one batch");
  const Result<std::string> checkpoint = prepare_output_dir(
      o.dir, o.resume,
      "already holds a search: pass --resume to continue it, or choose another directory",
      /*create_exit_code=*/2);
  if (!checkpoint) return checkpoint.error();
  SearchRun run(family, shape, data, o, *device, *checkpoint);
  SearchState st;
  if (o.resume) {
    Result<SearchState> loaded = load_search_state(run.checkpoint, run.settings);
    if (!loaded) return loaded.error();
    st = *loaded;
    if (o.progress)
      run.progress.line(
          format("search: resuming iteration %d at minibatch %lld (pruning step %d of it), %zu "
                 "iterations done",
                 st.iteration, static_cast<long long>(st.step), st.pruning_steps, st.done.size()));
  }
  if (Status s = run.set_up_budget(); !s) return s.error();
  set_up_training(o.threads);
  run.lut = make_lut(data);
  run.clock.start(st.seconds);
  SearchSummary sum;
  for (; st.iteration <= o.iterations; ++st.iteration) {
    SearchIteration iteration(run, st);
    if (Status s = iteration.set_up(); !s) return s.error();
    const Result<bool> stopped = iteration.prune_until_stop();
    if (!stopped) return stopped.error();
    if (!*stopped) {
      sum.seconds = st.seconds;
      sum.iterations = st.done;
      return sum;  // finished = false: paused by stop_after_steps
    }
    if (Status s = iteration.finish(); !s) return s.error();
  }
  sum.finished = true;
  sum.iterations = st.done;
  sum.seconds = st.seconds;
  sum.step_seconds = st.step_seconds;
  sum.bookkeeping_seconds = st.bookkeeping_seconds;
  return sum;
}

}  // namespace paramscale::nn
