// nn/checkpoint and the search's checkpoint: a checkpoint of another format version (version 1
// had no position within an epoch) is refused with one line naming both versions, and left as it
// was.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "arch/families.h"
#include "nn/search.h"
#include "nn/trainer.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace paramscale;
using paramscale::test::slurp;
using paramscale::test::TempDir;

namespace {

// What version 1 wrote first: its version and a settings string.
void write_version_1(const std::string& dir) {
  std::filesystem::create_directories(dir);
  torch::serialize::OutputArchive archive;
  archive.write("version", c10::IValue(int64_t{1}));
  archive.write("settings", c10::IValue(std::string("family=0\n")));
  archive.save_to(dir + "/checkpoint.pt");
}

nn::DataSplits synthetic() {
  nn::DataOptions d;
  d.dataset = "synthetic";
  d.synthetic_train = 64;
  return *nn::load_dataset(d);
}

void expect_refused(const Error& e, const std::string& what) {
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(what + " has version 1 but this paramscale resumes version 2 only"),
            std::string::npos)
      << e.message;
}

}  // namespace

TEST(CheckpointVersion, Version1IsRefusedWithOneLine) {
  TempDir dir;
  const auto data = synthetic();
  write_version_1(dir / "train");
  const std::string before = slurp(dir / "train/checkpoint.pt");
  nn::TrainOptions t;
  t.epochs = 1;
  t.batch_size = 32;
  t.run_dir = dir / "train";
  t.resume = true;
  t.progress = false;
  const auto net = arch::build_network(arch::Family::VGG11, *arch::dataset_preset("cifar10"),
                                       {4, 4, 4, 4, 4, 4, 4, 4});
  const auto trained = nn::train(*net, data, t);
  ASSERT_FALSE(trained.ok());
  expect_refused(trained.error(), "checkpoint " + (dir / "train/checkpoint.pt"));
  EXPECT_EQ(slurp(dir / "train/checkpoint.pt"), before);

  write_version_1(dir / "search");
  nn::SearchOptions s;
  s.batch_size = 32;
  s.dir = dir / "search";
  s.resume = true;
  s.progress = false;
  const auto searched = nn::search(arch::Family::VGG11, *arch::dataset_preset("cifar10"), data, s);
  ASSERT_FALSE(searched.ok());
  expect_refused(searched.error(), "search checkpoint " + (dir / "search/checkpoint.pt"));
}
