// paramscale train: train a scaled network and write RUN_DIR/{weights.psw, arch.json, log.csv,
// summary.json, checkpoint.pt}. Progress on stderr; a one-line result on stdout.
// --dataset synthetic trains on a seeded toy task with the CIFAR-10 network shape (for tests).
#include <nlohmann/json.hpp>

#include "arch/analysis.h"
#include "cli/checkpoint_options.h"
#include "cli/command.h"
#include "cli/network_args.h"
#include "cli/torch_handoff.h"
#include "nn/dataset.h"
#include "nn/trainer.h"
#include "rundir/run_dir.h"
#include "util/version.h"

namespace paramscale::cli {

namespace {

struct TrainArgs {
  NetworkArgs net;
  nn::TrainOptions train;
  nn::DataOptions data;
  std::string augment = "auto";
  std::string milestones;
  int threads = 0;
  bool quiet = false;
};

// libtorch reports an allocation it cannot make (a batch too large for this machine) by throwing,
// with a backtrace in its message: the first line is the error.
Result<nn::TrainSummary> train_guarded(const arch::Network& net, const nn::DataSplits& data,
                                       const nn::TrainOptions& o) {
  try {
    return nn::train(net, data, o);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return failure("training failed: " + what.substr(0, what.find('\n')));
  }
}

// Every setting of the run, as summary.json records it.
nlohmann::json settings_json(const TrainArgs& a, arch::Family family, const ResolvedNetwork& rn,
                             const nn::DataSplits& data) {
  const nn::TrainOptions& o = a.train;
  return {{"model", arch::family_name(family)},
          {"dataset", a.net.dataset},
          {"budget", rn.budget_text},
          {"method", a.net.method},
          {"fit", a.net.fit},
          {"align", rn.align.k},
          {"widths", rn.widths},
          {"data_dir", a.data.data_dir},
          {"subset", a.data.subset},
          {"test_subset", a.data.test_subset},
          {"val", a.data.val},
          {"train_images", data.train.size()},
          {"val_images", data.val.size()},
          {"test_images", data.test.size()},
          {"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"lr", o.lr},
          {"momentum", o.momentum},
          {"nesterov", o.nesterov},
          {"weight_decay", o.weight_decay},
          {"schedule", o.schedule},
          {"milestones", o.milestones},
          {"gamma", o.gamma},
          {"warmup_epochs", o.warmup_epochs},
          {"augment", o.augment},
          {"seed", o.seed},
          {"threads", o.threads},
          {"device", o.device}};
}

nlohmann::json summary_json(const nn::TrainSummary& s, nlohmann::json settings) {
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& r : s.history)
    hist.push_back(
        {{"epoch", r.epoch},
         {"test_accuracy", r.test_accuracy},
         {"val_accuracy", r.val_accuracy < 0 ? nlohmann::json() : nlohmann::json(r.val_accuracy)},
         {"train_loss", r.train_loss},
         {"images_per_second", r.images_per_second}});
  return {{"schema", "paramscale.train.summary/1"},
          {"paramscale_version", PARAMSCALE_VERSION},
          {"final_test_accuracy", s.final_test_accuracy},
          {"best_test_accuracy", s.best_test_accuracy},
          {"best_epoch", s.best_epoch},
          {"best_selected_by", s.best_selected_by},
          {"images_per_second", s.images_per_second},
          {"train_seconds", s.train_seconds},
          {"eval_seconds", s.eval_seconds},
          {"total_seconds", s.total_seconds},
          {"epochs_done", s.epochs_done},
          {"resumed_from_epoch", s.resumed_from_epoch},
          {"parameters", s.parameters},
          {"settings", std::move(settings)},
          {"epochs", hist}};
}

int run_train(TrainArgs a) {
  nn::TrainOptions& o = a.train;
  o.threads = resolve_threads(a.threads);
  o.progress = !a.quiet;
  if (!a.milestones.empty()) o.milestones = unwrap(parse_int_list(a.milestones, "--milestones"));
  if (a.data.subset < 0) fail_usage("--subset must be positive (0: all images)");
  if (a.data.val < 0) fail_usage("--val must not be negative");
  unwrap(nn::validate(o));
  if (a.augment != "auto" && a.augment != "on" && a.augment != "off")
    fail_usage("--augment must be auto, on or off, got '" + a.augment + "'");

  // The synthetic task has CIFAR-10's shape (3x32x32, 10 classes).
  const bool synthetic = a.net.dataset == "synthetic";
  a.data.dataset = a.net.dataset;
  a.data.seed = o.seed;
  NetworkArgs net_args = a.net;
  if (synthetic) net_args.dataset = "cifar10";
  const arch::Family family = unwrap(arch::family_from_name(a.net.model));
  const ResolvedNetwork rn = resolve_network(net_args, family);
  const arch::Network net = unwrap(arch::build_network(family, rn.dataset, rn.widths));
  unwrap(arch::check_materialisable(net));

  const nn::DataSplits data = unwrap(nn::load_dataset(a.data));
  o.augment = a.augment == "on" || (a.augment == "auto" && data.augment_default);

  const nlohmann::json arch_json = {{"model", arch::family_name(family)},
                                    {"dataset", a.net.dataset},
                                    {"widths", rn.widths},
                                    {"method", a.net.method},
                                    {"budget", rn.budget_text},
                                    {"align", rn.align.k}};
  const nn::TrainSummary s = unwrap(train_guarded(net, data, o));
  unwrap(rundir::write_arch(o.run_dir, arch_json));
  if (!s.finished) {
    std::printf("stopped after epoch %d of %d (--stop-after); continue with --resume\n",
                s.epochs_done, o.epochs);
    return 0;
  }
  unwrap(rundir::write_summary(o.run_dir, summary_json(s, settings_json(a, family, rn, data))));
  std::printf(
      "test accuracy %.2f%% final, %.2f%% best (epoch %d, selected by %s); %.0f img/s; "
      "%.0f s; %s\n",
      100 * s.final_test_accuracy, 100 * s.best_test_accuracy, s.best_epoch,
      s.best_selected_by.c_str(), s.images_per_second, s.total_seconds, o.run_dir.c_str());
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<TrainArgs>();
  a->net.dataset = "fashion-mnist";
  CLI::App* cmd = app.add_subcommand("train", torch_command_description("train"));
  add_network_options(cmd, a->net);
  add_method_options(cmd, a->net);
  cmd->get_option("--dataset")->description("fashion-mnist|cifar10|cifar100|synthetic");
  nn::TrainOptions& o = a->train;
  cmd->add_option("--data-dir", a->data.data_dir,
                  std::string("dataset folder (default for fashion-mnist: ") +
                      nn::default_fashion_mnist_dir() + ")");
  cmd->add_option("--epochs", o.epochs, "training epochs")->capture_default_str();
  cmd->add_option("--batch-size", o.batch_size, "minibatch size")->capture_default_str();
  cmd->add_option("--lr", o.lr, "initial learning rate")->capture_default_str();
  cmd->add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str();
  cmd->add_flag("--nesterov", o.nesterov, "Nesterov momentum");
  cmd->add_option("--weight-decay", o.weight_decay, "L2 weight decay")->capture_default_str();
  cmd->add_option("--schedule", o.schedule, "multistep|cosine")->capture_default_str();
  cmd->add_option("--milestones", a->milestones,
                  "multistep epochs, e.g. 100,200,250 (default: 1/3, 2/3, 5/6 of --epochs)");
  cmd->add_option("--gamma", o.gamma, "multistep factor")->capture_default_str();
  cmd->add_option("--warmup", o.warmup_epochs, "linear warm-up epochs")->capture_default_str();
  cmd->add_option("--augment", a->augment,
                  "auto|on|off: random crop (pad 4) + flip; auto = on for CIFAR")
      ->capture_default_str();
  cmd->add_option("--subset", a->data.subset, "train on this many images (0: all)");
  cmd->add_option("--test-subset", a->data.test_subset,
                  "evaluate on this many test images, a fixed seed-independent sample (0: all)");
  cmd->add_option("--val", a->data.val, "hold out this many training images for validation");
  cmd->add_option("--threads,-t", a->threads, "threads (0: every core)")->capture_default_str();
  non_negative_seed(cmd->add_option("--seed", o.seed, "random seed")->capture_default_str());
  cmd->add_option("--device", o.device, "cpu|cuda[:N]")->capture_default_str();
  cmd->add_flag("--resume", o.resume, "continue the run in -o from its checkpoint");
  cmd->add_option("--stop-after", o.stop_after,
                  "stop after this epoch as if killed (tests --resume)");
  add_checkpoint_options(cmd, &o.checkpoint_minutes, &o.kill_after_checkpoints);
  cmd->add_flag("--quiet,-q", a->quiet, "no progress on stderr");
  cmd->add_option("-o,--output", o.run_dir, "run directory")->required();
  cmd->callback([a, action] { *action = [a] { return run_train(*a); }; });
}

}  // namespace paramscale::cli
