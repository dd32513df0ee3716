// nn/trainer: learning, bit-identical determinism, resume equivalence, checkpoint safety, and a
// smoke test on a real Fashion-MNIST subset.
#include "nn/trainer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "arch/families.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace paramscale;
using paramscale::test::slurp;
using paramscale::test::TempDir;

namespace {

arch::Network tiny_vgg(const std::string& dataset = "cifar10") {
  return *arch::build_network(arch::Family::VGG11, *arch::dataset_preset(dataset),
                              {8, 8, 16, 16, 16, 16, 16, 16});
}

nn::DataSplits synthetic(int64_t train = 512, int64_t val = 0) {
  nn::DataOptions d;
  d.dataset = "synthetic";
  d.synthetic_train = train;
  d.val = val;
  return *nn::load_dataset(d);
}

nn::TrainOptions options(const std::string& dir, int epochs) {
  nn::TrainOptions o;
  o.epochs = epochs;
  o.batch_size = 32;
  o.lr = 0.05;
  o.momentum = 0.9;
  o.schedule = "cosine";
  o.threads = 2;
  o.seed = 11;
  o.run_dir = dir;
  o.progress = false;
  return o;
}

}  // namespace

// The synthetic task is separable: the tiny network gets (nearly) every test image right — all 128
// on an AVX-512 Xeon, 127 on an AVX2-only EPYC, whose float sums round differently; chance is 10%.
TEST(Trainer, TinyModelLearnsSeparableTask) {
  TempDir dir;
  nn::TrainOptions o = options(dir / "run", 5);
  o.batch_size = 16;
  o.lr = 0.02;
  o.threads = 1;
  auto s = nn::train(tiny_vgg(), synthetic(512, 64), o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->finished);
  EXPECT_GE(s->final_test_accuracy, 0.98);
  EXPECT_EQ(s->best_selected_by, "validation");
  EXPECT_EQ(s->history.size(), 5u);
  EXPECT_GT(s->images_per_second, 0);
  EXPECT_TRUE(std::filesystem::exists(dir / "run/weights.psw"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/checkpoint.pt"));
  const std::string log = slurp(dir / "run/log.csv");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 6);
  EXPECT_EQ(log.rfind("epoch,lr,train_loss", 0), 0u);
}

TEST(Trainer, SameSeedSameThreadsGivesIdenticalWeights) {
  TempDir dir;
  const auto data = synthetic(256);
  nn::TrainOptions o = options(dir / "a", 1);
  o.augment = true;
  ASSERT_TRUE(nn::train(tiny_vgg(), data, o).ok());
  o.run_dir = dir / "b";
  ASSERT_TRUE(nn::train(tiny_vgg(), data, o).ok());
  o.run_dir = dir / "c";
  o.seed = 12;
  ASSERT_TRUE(nn::train(tiny_vgg(), data, o).ok());
  const std::string a = slurp(dir / "a/weights.psw");
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, slurp(dir / "b/weights.psw"));
  EXPECT_NE(a, slurp(dir / "c/weights.psw"));
}

TEST(Trainer, ResumedRunEndsBitIdenticalToUninterruptedRun) {
  TempDir dir;
  const auto data = synthetic(256, 32);
  nn::TrainOptions o = options(dir / "whole", 3);
  o.augment = true;
  o.schedule = "multistep";
  o.warmup_epochs = 0.5;
  auto whole = nn::train(tiny_vgg(), data, o);
  ASSERT_TRUE(whole.ok()) << whole.error().message;

  o.run_dir = dir / "killed";
  o.stop_after = 1;
  auto first = nn::train(tiny_vgg(), data, o);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->finished);
  EXPECT_FALSE(std::filesystem::exists(dir / "killed/weights.psw"));
  o.stop_after = 0;
  o.resume = true;
  auto rest = nn::train(tiny_vgg(), data, o);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(rest->resumed_from_epoch, 1);
  EXPECT_EQ(slurp(dir / "whole/weights.psw"), slurp(dir / "killed/weights.psw"));
  EXPECT_EQ(whole->final_test_accuracy, rest->final_test_accuracy);
  EXPECT_EQ(whole->best_epoch, rest->best_epoch);
  ASSERT_EQ(rest->history.size(), 3u);
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(whole->history[e].train_loss, rest->history[e].train_loss);
    EXPECT_EQ(whole->history[e].val_accuracy, rest->history[e].val_accuracy);
  }
}

TEST(Trainer, CheckpointMisuseIsRefusedWithoutTouchingIt) {
  TempDir dir;
  const auto data = synthetic(64);
  nn::TrainOptions o = options(dir / "run", 2);
  o.stop_after = 1;
  ASSERT_TRUE(nn::train(tiny_vgg(), data, o).ok());
  const std::string good = slurp(dir / "run/checkpoint.pt");

  auto fresh = nn::train(tiny_vgg(), data, o);  // no --resume into a directory with a checkpoint
  ASSERT_FALSE(fresh.ok());
  EXPECT_NE(fresh.error().message.find("already holds a checkpoint"), std::string::npos);

  o.resume = true;
  o.lr = 0.2;
  auto changed = nn::train(tiny_vgg(), data, o);
  ASSERT_FALSE(changed.ok());
  EXPECT_NE(changed.error().message.find("lr is 0.05"), std::string::npos)
      << changed.error().message;
  EXPECT_EQ(slurp(dir / "run/checkpoint.pt"), good);

  std::filesystem::create_directories(dir / "bad");
  std::ofstream(dir / "bad/checkpoint.pt", std::ios::binary) << good.substr(0, good.size() / 2);
  o.lr = 0.05;
  o.run_dir = dir / "bad";
  auto corrupt = nn::train(tiny_vgg(), data, o);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().exit_code, 2);
  EXPECT_NE(corrupt.error().message.find("corrupt or unreadable"), std::string::npos);
  EXPECT_EQ(corrupt.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(slurp(dir / "bad/checkpoint.pt"), good.substr(0, good.size() / 2));

  o.run_dir = dir / "none";
  auto none = nn::train(tiny_vgg(), data, o);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no checkpoint to resume"), std::string::npos);
}

TEST(Trainer, RejectsDataTheNetworkCannotTake) {
  TempDir dir;
  auto s = nn::train(tiny_vgg("fashion-mnist"), synthetic(64), options(dir / "run", 1));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("3x32x32 images but the network takes 1x32x32"),
            std::string::npos)
      << s.error().message;
  nn::TrainOptions o = options(dir / "run", 0);
  EXPECT_FALSE(nn::validate(o).ok());
  o.epochs = 2;
  o.batch_size = 0;
  EXPECT_FALSE(nn::validate(o).ok());
}

TEST(Trainer, SmokeOnRealFashionMnistSubset) {
  nn::DataOptions d;
  d.subset = 2000;
  auto data = nn::load_dataset(d);
  if (!data.ok()) GTEST_SKIP() << data.error().message;
  TempDir dir;
  const auto net = *arch::build_network(arch::Family::VGG11, *arch::dataset_preset("fashion-mnist"),
                                        {16, 32, 64, 64, 128, 128, 128, 128});  // width:0.25
  nn::TrainOptions o = options(dir / "run", 1);
  auto s = nn::train(net, *data, o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_GT(s->final_test_accuracy, 0.5);
}
