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

// The checkpoint's and search.json's JSON: every field by its member's name. (A fit's laws in the
// search's own records — the authors' fit-file format is scaling/fit_file's.) The serializers sit
// in the types' namespaces, where nlohmann finds them.
namespace paramscale::scaling {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PowerLaws, iteration, alpha, beta, r2, rows)
}  // namespace paramscale::scaling

namespace paramscale::nn {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(IterationResult, iteration, start_widths, trace_rows,
                                   pruning_steps, epochs, seconds, final_train_accuracy, laws)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SearchState, iteration, step, pruning_steps, total_pruning_steps,
                                   rows, seconds, step_seconds, bookkeeping_seconds,
                                   iteration_seconds, interval_loss, interval_correct,
                                   interval_seen, done)

namespace {

using nlohmann::json;
constexpr int64_t kCheckpointVersion = 2;  // 2: with the scores and accumulators between steps

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
    ar.write("state", c10::IValue(json(st).dump()));
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
    return json::parse(v.toStringRef()).get<SearchState>();
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
  const json j = {{"schema", "paramscale.search.summary/1"},
                  {"settings", settings},
                  {"finished", finished},
                  {"seconds", st.seconds},
                  {"step_seconds", st.step_seconds},
                  {"bookkeeping_seconds", st.bookkeeping_seconds},
                  {"iterations", st.done}};
  return write_json_file(dir + "/search.json", j);
}

}  // namespace paramscale::nn
