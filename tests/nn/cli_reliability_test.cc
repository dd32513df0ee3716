// Issue 17 for the libtorch commands (train, search): bad values, size claims, a full disk and
// huge networks give one line with the right exit code; no temp file is left behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nn/tiny_runs.h"

namespace {

const std::string kTrain = paramscale::test::kTinyTrain + "--subset 192 -q ";
const std::string kSearch =
    paramscale::test::kTinySearch + "--prune-fraction 0.05 --frequency 1 --iterations 1 -q ";

struct BadInput {
  std::string args;
  std::string message;
};
std::ostream& operator<<(std::ostream& o, const BadInput& b) { return o << b.args; }

class TorchReliability : public ::testing::TestWithParam<BadInput> {};

TEST_P(TorchReliability, OneLineErrorExit2) {
  TempDir dir;
  expect_one_line_error(run_paramscale(GetParam().args + " -o " + (dir / "out")),
                        GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Class1To6, TorchReliability,
    ::testing::Values(
        // Class 1 / 3: thread counts that crashed OpenCV or deadlocked libtorch.
        BadInput{kTrain + "--threads 100000", "--threads must be 0 (every core) or 1..1024"},
        BadInput{kSearch + "--threads 100000", "--threads must be 0 (every core) or 1..1024"},
        // Class 5: values that were silently accepted.
        BadInput{kTrain + "--threads -1", "--threads must be 0 (every core) or 1..1024, got -1"},
        BadInput{kTrain + "--weight-decay inf", "--weight-decay must be a finite number"},
        BadInput{kTrain + "--warmup nan", "--warmup"},
        BadInput{kTrain + "--seed -1", "must be a non-negative integer, got '-1'"},
        BadInput{kSearch + "--lr-decay inf", "--lr-decay finite"},
        BadInput{kSearch + "--weight-decay inf", "--weight-decay must be a finite number"},
        BadInput{kSearch + "--seed -5", "must be a non-negative integer"},
        BadInput{kTrain + "--batch-size 100000000", "--batch-size must be at least 2 and at most"},
        // Class 6: huge widths name the limit instead of a libtorch backtrace or bad_alloc.
        BadInput{"train --model vgg11 --dataset synthetic --widths 60000,60000,60000,8,8,8,8,8",
                 "paramscale builds weights for"},
        BadInput{"search --model vgg11 --dataset synthetic --start-widths "
                 "60000,60000,60000,8,8,8,8,8",
                 "paramscale builds weights for"}));

// Class 2: a 16-byte IDX header claiming 10 million images is a truncated file, not a 7.8 GB
// allocation; so is a gzipped one.
TEST(TorchReliability, IdxHeaderClaimingTenMillionImagesIsTruncation) {
  TempDir dir;
  const auto be32 = [](uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  std::ofstream(dir / "train-images-idx3-ubyte.gz", std::ios::binary)
      << be32(0x803) + be32(10000000) + be32(28) + be32(28);
  const auto r = run_paramscale("train --model vgg11 --data-dir " + dir.path() +
                                " --widths 8,8,8,8,8,8,8,8 -o " + (dir / "run"));
  expect_one_line_error(r, dir / "train-images-idx3-ubyte.gz is truncated");
  const std::string idx = dir / "train-images-idx3-ubyte.gz";
  ASSERT_EQ(run_command("gzip -c " + idx + " > " + idx + ".z && mv " + idx + ".z " + idx).exit_code,
            0);
  expect_one_line_error(run_paramscale("train --model vgg11 --data-dir " + dir.path() +
                                       " --widths 8,8,8,8,8,8,8,8 -o " + (dir / "run")),
                        "is truncated");
}

// Class 1: a full disk (here a file-size limit: writes fail with EFBIG) while writing the
// checkpoint is a one-line runtime failure (exit 1), and no temp file is left.
TEST(TorchReliability, FullDiskWhileCheckpointingIsOneLineAndLeavesNoTempFile) {
  TempDir dir;
  const auto r = run_command("ulimit -f 16; trap '' XFSZ; exec " + std::string(PARAMSCALE_BINARY) +
                             " " + kTrain + "--epochs 1 -o " + (dir / "run"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("(disk full?)"), std::string::npos) << r.err;
  for (const auto& e : std::filesystem::directory_iterator(dir / "run"))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

}  // namespace
