// Checkpoint save/load and the CSV log; see checkpoint.h.
#include "nn/checkpoint.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"

namespace paramscale::nn {

namespace {

constexpr int64_t kVersion = 2;  // 2: with the position within an epoch
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

torch::Tensor history_tensor(const std::vector<EpochRecord>& history) {
  auto hist = torch::zeros({static_cast<int64_t>(history.size()), kFields}, torch::kFloat64);
  auto h = hist.accessor<double, 2>();
  for (size_t i = 0; i < history.size(); ++i) {
    const EpochRecord& r = history[i];
    const double v[kFields] = {double(r.epoch),     r.lr,
                               r.train_loss,        r.train_accuracy,
                               r.val_accuracy,      r.test_accuracy,
                               r.images_per_second, r.epoch_seconds,
                               r.elapsed_seconds};
    for (int k = 0; k < kFields; ++k) h[i][k] = v[k];
  }
  return hist;
}

std::vector<EpochRecord> history_from(torch::Tensor hist) {
  hist = hist.to(torch::kFloat64);
  auto h = hist.accessor<double, 2>();
  std::vector<EpochRecord> history;
  for (int64_t i = 0; i < hist.size(0); ++i) {
    EpochRecord r;
    r.epoch = static_cast<int>(h[i][0]);
    r.lr = h[i][1], r.train_loss = h[i][2], r.train_accuracy = h[i][3], r.val_accuracy = h[i][4];
    r.test_accuracy = h[i][5], r.images_per_second = h[i][6], r.epoch_seconds = h[i][7];
    r.elapsed_seconds = h[i][8];
    history.push_back(r);
  }
  return history;
}

// IValues hold doubles and 64-bit integers exactly (the generator state as its bit pattern).
void write_position(torch::serialize::OutputArchive& ar, const EpochPosition& p) {
  ar.write("batch", c10::IValue(p.batch));
  ar.write("shuffle_rng", c10::IValue(static_cast<int64_t>(p.shuffle_rng)));
  ar.write("loss_sum", c10::IValue(p.loss_sum));
  ar.write("correct", c10::IValue(p.correct));
  ar.write("seen", c10::IValue(p.seen));
  ar.write("epoch_train_seconds", c10::IValue(p.train_seconds));
}

EpochPosition position_from(torch::serialize::InputArchive& ar) {
  EpochPosition p;
  c10::IValue v;
  ar.read("batch", v), p.batch = v.toInt();
  ar.read("shuffle_rng", v), p.shuffle_rng = static_cast<uint64_t>(v.toInt());
  ar.read("loss_sum", v), p.loss_sum = v.toDouble();
  ar.read("correct", v), p.correct = v.toInt();
  ar.read("seen", v), p.seen = v.toInt();
  ar.read("epoch_train_seconds", v), p.train_seconds = v.toDouble();
  return p;
}

}  // namespace

Status check_version(torch::serialize::InputArchive& archive, int64_t version,
                     const std::string& what) {
  c10::IValue v;
  archive.read("version", v);
  if (v.toInt() == version) return {};
  return bad_input(what + " has version " + std::to_string(v.toInt()) + " but this paramscale " +
                   "resumes version " + std::to_string(version) +
                   " only: start again in a new directory");
}

Status save_checkpoint(const std::string& path, Learner& learner, const TrainState& state) {
  torch::serialize::OutputArchive ar;
  try {
    learner.save(ar);
    ar.write("version", c10::IValue(kVersion));
    ar.write("epoch", c10::IValue(int64_t{state.epoch}));
    ar.write("settings", c10::IValue(state.settings));
    ar.write("history", history_tensor(state.history));
    ar.write("times", torch::tensor({state.train_seconds, state.eval_seconds, state.total_seconds},
                                    torch::kFloat64));
    write_position(ar, state.position);
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    ar.write("torch_rng", gen.get_state());
  } catch (const std::exception& e) {
    return failure("cannot build checkpoint " + path + ": " + first_line(e.what()));
  }
  return save_archive(ar, path, "checkpoint");
}

Status load_checkpoint(const std::string& path, Learner& learner, TrainState* state) {
  if (!std::ifstream(path))
    return bad_input("no checkpoint to resume: " + path + " does not exist");
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    if (Status s = check_version(ar, kVersion, "checkpoint " + path); !s) return s;
    c10::IValue v;
    ar.read("settings", v);
    const std::string saved = v.toStringRef();
    if (saved != state->settings)
      return bad_input("cannot resume " + path + ": " +
                       settings_difference(state->settings, saved));
    learner.load(ar);
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
    state->history = history_from(hist);
    times = times.to(torch::kFloat64);
    auto t = times.accessor<double, 1>();
    state->train_seconds = t[0], state->eval_seconds = t[1], state->total_seconds = t[2];
    state->position = position_from(ar);
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
