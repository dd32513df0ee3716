// tests/nn/tiny_runs: the small synthetic-data train and search command lines that the nn/ CLI
// tests build on (each run takes seconds on 2 cores), and the test helpers they all use.
// Test-only header: its using-declarations are for the test files that include it.
#pragma once

#include <string>

#include "support/run_command.h"
#include "support/temp_dir.h"

using paramscale::test::expect_one_line_error;
using paramscale::test::run_command;
using paramscale::test::run_paramscale;
using paramscale::test::slurp;
using paramscale::test::TempDir;

namespace paramscale::test {

// VGG-11 at small widths on the synthetic task (CIFAR-10's shape).
inline const std::string kTinyTrain =
    "train --model vgg11 --dataset synthetic --widths 8,8,16,16,16,16,16,16 ";
// The search from 16 channels per width on 192 synthetic images: 6 minibatches of 32 per epoch,
// one warm-up epoch.
inline const std::string kTinySearch =
    "search --model vgg11 --dataset synthetic --start-widths 16,16,16,16,16,16,16,16 "
    "--subset 192 --batch-size 32 --warmup 1 ";

}  // namespace paramscale::test
