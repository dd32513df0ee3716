#!/usr/bin/env bash
# The README's test command: install dependencies, build, build both device bundles (the bundle
# tests check them), run every test; then build the torch-free code once more with clang-14 under
# AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer, run the tests again there (without
# the bundle tests: the bundles are not sanitizer builds) and every fuzz target for 30 s from the
# same tree (scripts/fuzz.sh; README "Reliability contract").
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
start=$(date +%s)
scripts/install-deps.sh
t_install=$(date +%s)
scripts/build.sh
t_build=$(date +%s)
scripts/build-bundle.sh x86_64
scripts/build-bundle.sh aarch64
t_bundle=$(date +%s)
# The Slurm executor's tests run on a real cluster here; they fail instead of skipping when
# slurm-wlm or munge is missing, so CI cannot pass without them.
PARAMSCALE_REQUIRE_SLURM=1 ctest --test-dir build --output-on-failure -j2
t_test=$(date +%s)
# One clang tree serves both sanitizer passes: its libraries, tests and fuzz targets are built with
# ASan + UBSan (and libFuzzer's coverage hooks), so the torch-free code is compiled once more
# after the host build, not twice more.
CC=clang-14 CXX=clang++-14 PARAMSCALE_BUILD_DIR=$repo/build-asan scripts/build.sh -DPARAMSCALE_FUZZ=ON -DPARAMSCALE_WITH_TORCH=OFF
t_asan_build=$(date +%s)
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$repo/scripts/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j2 -E '^bundle_test\.'
t_asan=$(date +%s)
PARAMSCALE_FUZZ_BUILD_DIR=$repo/build-asan scripts/fuzz.sh "${PARAMSCALE_FUZZ_SECONDS:-30}"
t_fuzz=$(date +%s)
echo "test.sh: install $((t_install - start)) s, build $((t_build - t_install)) s, bundles $((t_bundle - t_build)) s, tests $((t_test - t_bundle)) s, sanitizer build $((t_asan_build - t_test)) s, sanitizer tests $((t_asan - t_asan_build)) s, fuzzing $((t_fuzz - t_asan)) s; total $((t_fuzz - start)) s" >&2
