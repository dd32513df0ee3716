// Checkpoint save/load and the CSV log; see checkpoint.h.
#include "nn/checkpoint.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"

namespace paramscale::nn {

namespace {

constexpr int64_t kVersion = 1;
constexpr int kFields = 9;

// The first "key=value" line of `want` that `have` does not match, as a message.
std::string settings_difference(const std::string& want, const std::string& have) {
  std::istringstream a(want), b(have);
  std::string la, lb;
  while (std::getline(a, la)) {
    if (!std::getline(b, lb)) lb.clear();
    if (la != lb) {
      const auto eq = la.find('=');
      return la.substr(0, eq) + " is " + (lb.empty() ? "?" : lb.substr(eq + 1)) +
             " in the checkpoint but " + la.substr(eq + 1) + " now";
    }
  }
  return "settings differ";
}

}  // namespace

Status save_checkpoint(const std::string& path, Model& model, torch::optim::Optimizer& optimizer,
                       const TrainState& state) {
  torch::serialize::OutputArchive ar;
  try {
    torch::serialize::OutputArchive model_ar, opt_ar;
    model->save(model_ar);
    optimizer.save(opt_ar);
    ar.write("model", model_ar);
    ar.write("optimizer", opt_ar);
    ar.write("version", c10::IValue(kVersion));
    ar.write("epoch", c10::IValue(int64_t{state.epoch}));
    ar.write("settings", c10::IValue(state.settings));
    auto hist =
        torch::zeros({static_cast<int64_t>(state.history.size()), kFields}, torch::kFloat64);
    auto h = hist.accessor<double, 2>();
    for (size_t i = 0; i < state.history.size(); ++i) {
      const EpochRecord& r = state.history[i];
      const double v[kFields] = {double(r.epoch),     r.lr,
                                 r.train_loss,        r.train_accuracy,
                                 r.val_accuracy,      r.test_accuracy,
                                 r.images_per_second, r.epoch_seconds,
                                 r.elapsed_seconds};
      for (int k = 0; k < kFields; ++k) h[i][k] = v[k];
    }
    ar.write("history", hist);
    ar.write("times", torch::tensor({state.train_seconds, state.eval_seconds, state.total_seconds},
                                    torch::kFloat64));
    {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      ar.write("torch_rng", gen.get_state());
    }
  } catch (const std::exception& e) {
    return failure("cannot build checkpoint " + path + ": " + first_line(e.what()));
  }
  return save_archive(ar, path, "checkpoint");
}

Status load_checkpoint(const std::string& path, Model& model, torch::optim::Optimizer& optimizer,
                       TrainState* state) {
  if (!std::ifstream(path))
    return bad_input("no checkpoint to resume: " + path + " does not exist");
  try {
    torch::serialize::InputArchive ar, model_ar, opt_ar;
    ar.load_from(path);
    c10::IValue v;
    ar.read("version", v);
    if (v.toInt() != kVersion)
      return bad_input("checkpoint " + path + " has version " + std::to_string(v.toInt()));
    ar.read("settings", v);
    const std::string saved = v.toStringRef();
    if (saved != state->settings)
      return bad_input("cannot resume " + path + ": " +
                       settings_difference(state->settings, saved));
    ar.read("model", model_ar);
    model->load(model_ar);
    ar.read("optimizer", opt_ar);
    optimizer.load(opt_ar);
    ar.read("epoch", v);
    state->epoch = static_cast<int>(v.toInt());
    torch::Tensor hist, times, rng;
    ar.read("history", hist);
    ar.read("times", times);
    ar.read("torch_rng", rng);
    if (hist.dim() != 2 || hist.size(1) != kFields || hist.size(0) != state->epoch ||
        times.numel() != 3)
      return bad_input("checkpoint " + path +
                       " is inconsistent (history does not match its epoch)");
    hist = hist.to(torch::kFloat64);
    auto h = hist.accessor<double, 2>();
    state->history.clear();
    for (int64_t i = 0; i < hist.size(0); ++i) {
      EpochRecord r;
      r.epoch = static_cast<int>(h[i][0]);
      r.lr = h[i][1], r.train_loss = h[i][2], r.train_accuracy = h[i][3], r.val_accuracy = h[i][4];
      r.test_accuracy = h[i][5], r.images_per_second = h[i][6], r.epoch_seconds = h[i][7];
      r.elapsed_seconds = h[i][8];
      state->history.push_back(r);
    }
    times = times.to(torch::kFloat64);
    auto t = times.accessor<double, 1>();
    state->train_seconds = t[0], state->eval_seconds = t[1], state->total_seconds = t[2];
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng);
  } catch (const std::exception& e) {
    return bad_input("checkpoint " + path + " is corrupt or unreadable: " + first_line(e.what()));
  }
  return {};
}

Status write_log_csv(const std::string& path, const std::vector<EpochRecord>& history) {
  std::string csv =
      "epoch,lr,train_loss,train_accuracy,val_accuracy,test_accuracy,images_per_second,"
      "epoch_seconds,elapsed_seconds\n";
  char line[512];
  for (const EpochRecord& r : history) {
    std::snprintf(line, sizeof line, "%d,%.6g,%.6f,%.6f,%s,%.6f,%.1f,%.2f,%.2f\n", r.epoch, r.lr,
                  r.train_loss, r.train_accuracy,
                  r.val_accuracy < 0 ? "" : std::to_string(r.val_accuracy).c_str(), r.test_accuracy,
                  r.images_per_second, r.epoch_seconds, r.elapsed_seconds);
    csv += line;
  }
  return write_file_atomic(path, csv);
}

Status save_archive(torch::serialize::OutputArchive& archive, const std::string& path,
                    const std::string& what) {
  // Serialised in memory, then written by write_file_atomic: libtorch's file writer throws from its
  // destructor when the disk is full (std::terminate) and leaves its temp file behind; the atomic
  // writer reports a full disk as an error and removes its temp file.
  std::string bytes;
  try {
    archive.save_to([&bytes](const void* data, size_t n) {
      bytes.append(static_cast<const char*>(data), n);
      return n;
    });
  } catch (const std::exception& e) {
    return failure("cannot write " + what + " " + path + ": " + first_line(e.what()));
  }
  if (Status s = write_file_atomic(path, bytes); !s) return s;
  std::remove((path + ".tmp").c_str());  // what the old file writer left when it was killed
  return {};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace paramscale::nn
