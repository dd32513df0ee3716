// The NeuralScale search loop; see search.h.
#include "nn/search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "arch/analysis.h"
#include "nn/batches.h"
#include "nn/checkpoint.h"
#include "nn/model.h"
#include "nn/pruning.h"
#include "scaling/fit_file.h"
#include "scaling/neuralscale.h"
#include "scaling/trace.h"
#include "util/atomic_file.h"
#include "util/files.h"
#include "util/limits.h"

namespace paramscale::nn {

namespace {

using nlohmann::json;
constexpr int64_t kCheckpointVersion = 1;

// Everything but the model and optimizer that a resumed search needs, kept as JSON in
// checkpoint.pt.
struct SearchState {
  int iteration = 1;      // the iteration in progress
  int64_t step = 0;       // minibatches done in it (0: its network is not built yet)
  int pruning_steps = 0;  // in this iteration
  int total_pruning_steps = 0;
  std::vector<std::vector<int>> rows;  // trace rows so far
  double seconds = 0, step_seconds = 0, bookkeeping_seconds = 0, iteration_seconds = 0;
  std::vector<IterationResult> done;
};

json laws_json(const scaling::PowerLaws& l) {
  return {{"iteration", l.iteration},
          {"alpha", l.alpha},
          {"beta", l.beta},
          {"r2", l.r2},
          {"rows", l.rows}};
}
scaling::PowerLaws laws_from(const json& j) {
  scaling::PowerLaws l;
  l.iteration = j.at("iteration");
  l.alpha = j.at("alpha").get<std::vector<double>>();
  l.beta = j.at("beta").get<std::vector<double>>();
  l.r2 = j.at("r2").get<std::vector<double>>();
  l.rows = j.at("rows");
  return l;
}

json iteration_json(const IterationResult& r) {
  return {{"iteration", r.iteration},
          {"start_widths", r.start_widths},
          {"trace_rows", r.trace_rows},
          {"pruning_steps", r.pruning_steps},
          {"epochs", r.epochs},
          {"seconds", r.seconds},
          {"final_train_accuracy", r.final_train_accuracy},
          {"laws", laws_json(r.laws)}};
}
IterationResult iteration_from(const json& j) {
  IterationResult r;
  r.iteration = j.at("iteration");
  r.start_widths = j.at("start_widths").get<std::vector<int>>();
  r.trace_rows = j.at("trace_rows");
  r.pruning_steps = j.at("pruning_steps");
  r.epochs = j.at("epochs");
  r.seconds = j.at("seconds");
  r.final_train_accuracy = j.at("final_train_accuracy");
  r.laws = laws_from(j.at("laws"));
  return r;
}

json state_json(const SearchState& s) {
  json done = json::array();
  for (const auto& r : s.done) done.push_back(iteration_json(r));
  return {{"iteration", s.iteration},
          {"step", s.step},
          {"pruning_steps", s.pruning_steps},
          {"total_pruning_steps", s.total_pruning_steps},
          {"rows", s.rows},
          {"seconds", s.seconds},
          {"step_seconds", s.step_seconds},
          {"bookkeeping_seconds", s.bookkeeping_seconds},
          {"iteration_seconds", s.iteration_seconds},
          {"done", done}};
}
SearchState state_from(const json& j) {
  SearchState s;
  s.iteration = j.at("iteration");
  s.step = j.at("step");
  s.pruning_steps = j.at("pruning_steps");
  s.total_pruning_steps = j.at("total_pruning_steps");
  s.rows = j.at("rows").get<std::vector<std::vector<int>>>();
  s.seconds = j.at("seconds");
  s.step_seconds = j.at("step_seconds");
  s.bookkeeping_seconds = j.at("bookkeeping_seconds");
  s.iteration_seconds = j.at("iteration_seconds");
  for (const auto& r : j.at("done")) s.done.push_back(iteration_from(r));
  return s;
}

// The settings a resumed search must share with the one that wrote the checkpoint.
std::string settings_text(arch::Family family, const arch::DatasetShape& shape, const DataSplits& d,
                          const SearchOptions& o) {
  std::ostringstream s;
  s.precision(15);
  s << "family=" << arch::family_name(family) << " classes=" << shape.classes
    << " dataset=" << d.name << " train_images=" << d.train.size() << " iterations=" << o.iterations
    << " warmup=" << o.warmup_epochs << " k=" << o.prune_per_step
    << " fraction=" << o.prune_fraction << " frequency=" << o.frequency
    << " stop=" << o.stop_fraction << " min_width=" << o.min_width << " batch=" << o.batch_size
    << " lr=" << o.lr << "," << o.lr_after_warmup << "," << o.lr_decay << "," << o.lr_decay_epochs
    << " momentum=" << o.momentum << " wd=" << o.weight_decay << " augment=" << o.augment
    << " count=" << scaling::count_mode_name(o.count) << " seed=" << o.seed << " start=";
  for (int w : o.start_widths) s << w << ',';
  return s.str();
}

Status save_state(const std::string& path, const SearchState& st, const std::string& settings,
                  Model* model, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive ar;
  try {
    ar.write("version", c10::IValue(kCheckpointVersion));
    ar.write("settings", c10::IValue(settings));
    ar.write("state", c10::IValue(state_json(st).dump()));
    if (model) {
      torch::serialize::OutputArchive model_ar, opt_ar;
      (*model)->save(model_ar);
      optimizer->save(opt_ar);
      ar.write("model", model_ar);
      ar.write("optimizer", opt_ar);
    }
  } catch (const std::exception& e) {
    return failure("cannot build search checkpoint " + path + ": " + first_line(e.what()));
  }
  return save_archive(ar, path, "search checkpoint");
}

Result<SearchState> load_state(const std::string& path, const std::string& settings) {
  if (!std::filesystem::exists(path))
    return bad_input("no search to resume: " + path + " does not exist");
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    c10::IValue v;
    ar.read("version", v);
    if (v.toInt() != kCheckpointVersion)
      return bad_input("search checkpoint " + path + " has version " + std::to_string(v.toInt()));
    ar.read("settings", v);
    if (v.toStringRef() != settings)
      return bad_input("cannot resume " + path + ": it was started with other settings (" +
                       v.toStringRef() + ")");
    ar.read("state", v);
    return state_from(json::parse(v.toStringRef()));
  } catch (const std::exception& e) {
    return bad_input("search checkpoint " + path +
                     " is corrupt or unreadable: " + first_line(e.what()));
  }
}

Status load_model(const std::string& path, Model& model, torch::optim::Optimizer& optimizer) {
  try {
    torch::serialize::InputArchive ar, model_ar, opt_ar;
    ar.load_from(path);
    ar.read("model", model_ar);
    model->load(model_ar);
    ar.read("optimizer", opt_ar);
    optimizer.load(opt_ar);
  } catch (const std::exception& e) {
    return bad_input("search checkpoint " + path + " is corrupt: " + first_line(e.what()));
  }
  return {};
}

// The paper's search schedule: lr until the end of warm-up, then lr_after_warmup divided by
// lr_decay every lr_decay_epochs epochs.
double lr_at(const SearchOptions& o, int64_t step, int64_t warmup_steps, int64_t steps_per_epoch) {
  if (step < warmup_steps) return o.lr;
  const int64_t decays = (step - warmup_steps) / (steps_per_epoch * o.lr_decay_epochs);
  return o.lr_after_warmup / std::pow(o.lr_decay, static_cast<double>(decays));
}

Status write_iteration_files(const std::string& dir, arch::Family family,
                             const arch::DatasetShape& shape, const SearchOptions& o,
                             const scaling::Trace& trace, const SearchState& st) {
  const int i = st.done.back().iteration;
  const std::string trace_name = "trace_" + std::to_string(i) + ".csv";
  if (Status s = scaling::write_trace(dir + "/" + trace_name, trace); !s) return s;
  scaling::FitFile fit;
  fit.model = arch::family_name(family);
  fit.dataset = shape.name;
  fit.num_classes = shape.classes;
  fit.count = o.count;
  for (const IterationResult& r : st.done) {
    fit.traces.push_back("trace_" + std::to_string(r.iteration) + ".csv");
    fit.iterations.push_back(r.laws);
  }
  scaling::FitFile one = fit;
  one.traces = {trace_name};
  one.iterations = {st.done.back().laws};
  if (Status s = scaling::write_fit_file(dir + "/fit_" + std::to_string(i) + ".json", one); !s)
    return s;
  return scaling::write_fit_file(dir + "/fit.json", fit);
}

Status write_summary(const std::string& dir, const std::string& settings, const SearchState& st,
                     bool finished) {
  json its = json::array();
  for (const auto& r : st.done) its.push_back(iteration_json(r));
  const json j = {{"schema", "paramscale.search.summary/1"},
                  {"settings", settings},
                  {"finished", finished},
                  {"seconds", st.seconds},
                  {"step_seconds", st.step_seconds},
                  {"bookkeeping_seconds", st.bookkeeping_seconds},
                  {"iterations", its}};
  return write_file_atomic(dir + "/search.json", j.dump(2) + "\n");
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
  return {};
}

Result<SearchSummary> search(arch::Family family, const arch::DatasetShape& shape,
                             const DataSplits& data, const SearchOptions& o) {
  if (Status s = validate(o); !s) return s.error();
  const Result<torch::Device> device = resolve_device(o.device);
  if (!device) return device.error();
  if (data.classes != shape.classes || data.train.channels != shape.channels ||
      data.train.height != shape.height || data.train.width != shape.width)
    return bad_input("dataset '" + data.name + "' does not match the network's input or classes");
  const int64_t n = data.train.size();
  const int64_t steps_per_epoch = n / o.batch_size;  // whole batches only: BN needs > 1 sample
  if (steps_per_epoch < 1)
    return bad_input("the training set (" + std::to_string(n) +
                     " images) is smaller than one batch");
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) return bad_input("cannot create " + o.dir + ": " + ec.message());
  remove_stale_temp_files(o.dir);  // a killed search's half-written files
  const std::string ckpt = o.dir + "/checkpoint.pt";
  if (!o.resume && std::filesystem::exists(ckpt))
    return bad_input(
        o.dir +
        " already holds a search: pass --resume to continue it, or choose another directory");
  const std::string settings = settings_text(family, shape, data, o);
  SearchState st;
  if (o.resume) {
    Result<SearchState> loaded = load_state(ckpt, settings);
    if (!loaded) return loaded.error();
    st = *loaded;
    if (o.progress)
      std::fprintf(stderr,
                   "search: resuming iteration %d at minibatch %lld (pruning step %d of it), %zu "
                   "iterations done\n",
                   st.iteration, static_cast<long long>(st.step), st.pruning_steps, st.done.size());
  }
  const std::vector<int> start_widths =
      o.start_widths.empty() ? arch::base_widths(family) : o.start_widths;
  if (Result<arch::Network> start = arch::build_network(family, shape, start_widths); !start)
    return start.error();
  else if (Status s = arch::check_materialisable(*start); !s)
    return s.error();
  // Descent iterations keep iteration 1's parameter count (its "1.0x" budget).
  const scaling::Budget start_budget{
      scaling::BudgetKind::Params,
      static_cast<double>(scaling::count_params(family, shape, start_widths, o.count)) /
          static_cast<double>(
              scaling::count_params(family, shape, arch::base_widths(family), o.count))};
  torch::set_num_threads(o.threads);
  set_up_cpu_math();
  keep_freed_memory_for_reuse();
  const PixelLut lut = make_lut(data);
  const int64_t warmup_steps = std::llround(o.warmup_epochs * static_cast<double>(steps_per_epoch));
  const int64_t max_steps = int64_t{o.max_epochs} * steps_per_epoch;
  const auto started = Clock::now();
  const double seconds_before = st.seconds;
  SearchSummary sum;

  for (; st.iteration <= o.iterations; ++st.iteration) {
    const int it = st.iteration;
    std::vector<int> widths = start_widths;
    if (!st.done.empty()) {
      const auto sol =
          scaling::scale_neuralscale(family, shape, st.done.back().laws, start_budget, o.count);
      if (!sol) return bad_input("iteration " + std::to_string(it) + ": " + sol.error().message);
      widths = sol->widths;
    }
    const Result<arch::Network> net = arch::build_network(family, shape, widths, /*gated=*/true);
    if (!net) return net.error();
    torch::manual_seed(o.seed * 1000003ull + static_cast<uint64_t>(it));
    Model model(*net);
    model->to(*device);
    torch::optim::SGD optimizer(
        model->parameters(),
        torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
    if (st.step > 0) {
      if (Status s = load_model(ckpt, model, optimizer); !s) return s.error();
    } else {
      st.pruning_steps = 0;
      st.rows.clear();
      st.iteration_seconds = 0;
    }
    for (auto& [w, g] : model->gates()) g.requires_grad_(true);
    std::vector<int> live = live_widths(model);
    int total_channels = 0;
    for (int w : widths) total_channels += w;
    const auto it_started = Clock::now();
    const double it_seconds_before = st.iteration_seconds;
    ChannelScores scores(model);
    int64_t interval_correct = 0, interval_seen = 0;
    double interval_loss = 0, last_accuracy = 0;
    auto last_print = Clock::now() - std::chrono::seconds(60);
    bool stop = false;
    std::vector<int64_t> perm;
    int64_t perm_epoch = -1;
    model->train();
    while (!stop) {
      if (st.step >= max_steps)
        return failure("iteration " + std::to_string(it) +
                       " was still pruning after --max-epochs " + std::to_string(o.max_epochs) +
                       " epochs: raise --prune-per-step or --max-epochs");
      const int64_t epoch = st.step / steps_per_epoch, pos = st.step % steps_per_epoch;
      if (epoch != perm_epoch) {  // the epoch's order depends only on (seed, iteration, epoch)
        Rng order{(o.seed * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(it) << 32) ^
                  static_cast<uint64_t>(epoch)};
        perm = permutation(n, order);
        perm_epoch = epoch;
      }
      Rng augment{o.seed * 0xBF58476D1CE4E5B9ull + static_cast<uint64_t>(st.step) +
                  (static_cast<uint64_t>(it) << 40)};
      const double lr = lr_at(o, st.step, warmup_steps, steps_per_epoch);
      for (auto& group : optimizer.param_groups())
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      const auto t0 = Clock::now();
      torch::Tensor labels;
      torch::Tensor x = make_batch(data.train, perm.data() + pos * o.batch_size, o.batch_size, lut,
                                   o.augment ? &augment : nullptr, &labels)
                            .to(*device);
      const torch::Tensor y = labels.to(*device);
      const torch::Tensor logits = model->forward(x);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      optimizer.zero_grad();
      for (auto& [w, g] : model->gates())
        if (g.grad().defined()) g.mutable_grad().zero_();
      loss.backward();
      optimizer.step();
      ++st.step;
      st.step_seconds += seconds_since(t0);
      const bool pruning = st.step > warmup_steps;
      if (pruning) {
        const auto b0 = Clock::now();
        scores.accumulate();
        st.bookkeeping_seconds += seconds_since(b0);
        interval_loss += loss.item<double>();
        interval_correct += logits.argmax(1).eq(y).sum().item<int64_t>();
        interval_seen += o.batch_size;
      }
      bool checkpoint = !pruning && (st.step % steps_per_epoch == 0 || st.step == warmup_steps);
      if (pruning && scores.batches() == o.frequency) {
        int live_total = 0;
        for (int l : live) live_total += l;
        int k = o.prune_per_step;
        if (o.prune_fraction > 0) k = static_cast<int>(std::ceil(o.prune_fraction * live_total));
        const auto b0 = Clock::now();
        const int pruned = prune_lowest(model, scores.average(), k, o.min_width, &live);
        st.bookkeeping_seconds += seconds_since(b0);
        ++st.pruning_steps;
        ++st.total_pruning_steps;
        last_accuracy = static_cast<double>(interval_correct) / static_cast<double>(interval_seen);
        bool every_layer_pruned = true, at_minimum = pruned == 0;
        for (size_t w = 0; w < live.size(); ++w) {
          every_layer_pruned = every_layer_pruned && live[w] < widths[w];
          at_minimum = at_minimum || live[w] <= o.min_width;
        }
        if (every_layer_pruned) st.rows.push_back(live);
        const int pruned_total = total_channels - live_total + pruned;
        stop = at_minimum || pruned_total >= o.stop_fraction * total_channels;
        if (o.progress && (stop || seconds_since(last_print) >= 5)) {
          last_print = Clock::now();
          std::fprintf(
              stderr,
              "search iteration %d/%d  epoch %.1f  step %d  live %d/%d (%.0f%% pruned, stop at "
              "%.0f%%)  rows %zu  loss %.3f  train %.1f%%  elapsed %s\n",
              it, o.iterations, static_cast<double>(st.step) / steps_per_epoch, st.pruning_steps,
              live_total - pruned, total_channels, 100.0 * pruned_total / total_channels,
              100 * o.stop_fraction, st.rows.size(), interval_loss / scores.batches(),
              100 * last_accuracy, duration_text(seconds_before + seconds_since(started)).c_str());
        }
        scores.reset();
        interval_correct = interval_seen = 0;
        interval_loss = 0;
        checkpoint = true;
      }
      if (o.progress && !pruning && st.step % steps_per_epoch == 0)
        std::fprintf(
            stderr, "search iteration %d/%d  warm-up epoch %lld/%g  loss %.3f  elapsed %s\n", it,
            o.iterations, static_cast<long long>(st.step / steps_per_epoch), o.warmup_epochs,
            loss.item<double>(), duration_text(seconds_before + seconds_since(started)).c_str());
      if (checkpoint && !stop) {
        st.iteration_seconds = it_seconds_before + seconds_since(it_started);
        st.seconds = seconds_before + seconds_since(started);
        if (Status s = save_state(ckpt, st, settings, &model, &optimizer); !s) return s.error();
        if (o.stop_after_steps > 0 && st.total_pruning_steps >= o.stop_after_steps && pruning) {
          sum.seconds = st.seconds;
          sum.iterations = st.done;
          return sum;  // finished = false: as if killed right after this checkpoint
        }
      }
    }

    scaling::Trace trace;
    trace.width_names = arch::width_names(family);
    trace.rows = st.rows;
    const auto taus = scaling::trace_taus(family, shape, trace, o.count);
    if (!taus) return taus.error();
    trace.tau = *taus;
    Result<scaling::PowerLaws> laws = scaling::fit_trace(family, shape, trace, o.count);
    if (!laws)
      return bad_input("iteration " + std::to_string(it) + " recorded " +
                       std::to_string(st.rows.size()) + " trace rows, too few to fit (" +
                       laws.error().message +
                       "): prune more slowly (--prune-per-step, --frequency) or on more data");
    laws->iteration = it;
    IterationResult r;
    r.iteration = it;
    r.start_widths = widths;
    r.trace_rows = static_cast<int>(st.rows.size());
    r.pruning_steps = st.pruning_steps;
    r.epochs = static_cast<double>(st.step) / steps_per_epoch;
    r.seconds = it_seconds_before + seconds_since(it_started);
    r.final_train_accuracy = last_accuracy;
    r.laws = *laws;
    st.done.push_back(r);
    st.step = 0;
    st.seconds = seconds_before + seconds_since(started);
    if (Status s = write_iteration_files(o.dir, family, shape, o, trace, st); !s) return s.error();
    SearchState next = st;
    ++next.iteration;
    next.pruning_steps = 0;
    next.rows.clear();
    if (Status s = save_state(ckpt, next, settings, nullptr, nullptr); !s) return s.error();
    if (Status s = write_summary(o.dir, settings, st, it == o.iterations); !s) return s.error();
    if (o.progress) {
      double min_r2 = 1;
      for (double v : r.laws.r2) min_r2 = std::min(min_r2, v);
      std::fprintf(
          stderr, "search iteration %d/%d done: %d trace rows, fit min R^2 %.3f, %.1f epochs, %s\n",
          it, o.iterations, r.trace_rows, min_r2, r.epochs, duration_text(r.seconds).c_str());
    }
  }
  sum.finished = true;
  sum.iterations = st.done;
  sum.seconds = st.seconds;
  sum.step_seconds = st.step_seconds;
  sum.bookkeeping_seconds = st.bookkeeping_seconds;
  return sum;
}

}  // namespace paramscale::nn
