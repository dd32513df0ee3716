// What a search persists; see search_state.h.
#include "nn/search_state.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nn/checkpoint.h"
#include "nn/pruning.h"
#include "nn/training.h"
#include "scaling/fit_file.h"
#include "util/json_file.h"
#include "util/text.h"

namespace paramscale::nn {

namespace {

using nlohmann::json;
constexpr int64_t kCheckpointVersion = 2;  // 2: with the scores and accumulators between steps

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
          {"interval_loss", s.interval_loss},
          {"interval_correct", s.interval_correct},
          {"interval_seen", s.interval_seen},
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
  s.interval_loss = j.at("interval_loss");
  s.interval_correct = j.at("interval_correct");
  s.interval_seen = j.at("interval_seen");
  for (const auto& r : j.at("done")) s.done.push_back(iteration_from(r));
  return s;
}

}  // namespace

std::string search_settings(arch::Family family, const arch::DatasetShape& shape,
                            const DataSplits& d, const SearchOptions& o) {
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

Status save_search_checkpoint(const std::string& path, const SearchState& st,
                              const std::string& settings, Learner* learner,
                              const ChannelScores* scores) {
  torch::serialize::OutputArchive ar;
  try {
    ar.write("version", c10::IValue(kCheckpointVersion));
    ar.write("settings", c10::IValue(settings));
    ar.write("state", c10::IValue(state_json(st).dump()));
    if (learner) {
      learner->save(ar);
      scores->save(ar);
    }
  } catch (const std::exception& e) {
    return failure("cannot build search checkpoint " + path + ": " + first_line(e.what()));
  }
  return save_archive(ar, path, "search checkpoint");
}

Result<SearchState> load_search_state(const std::string& path, const std::string& settings) {
  if (!std::filesystem::exists(path))
    return bad_input("no search to resume: " + path + " does not exist");
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    if (Status s = check_version(ar, kCheckpointVersion, "search checkpoint " + path); !s)
      return s.error();
    c10::IValue v;
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

Status load_search_model(const std::string& path, Learner& learner, ChannelScores& scores) {
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    learner.load(ar);
    scores.load(ar);
  } catch (const std::exception& e) {
    return bad_input("search checkpoint " + path + " is corrupt: " + first_line(e.what()));
  }
  return {};
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

Status write_search_json(const std::string& dir, const std::string& settings, const SearchState& st,
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
  return write_json_file(dir + "/search.json", j);
}

}  // namespace paramscale::nn
