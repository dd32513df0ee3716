#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan, no libtorch) into build-fuzz/ and runs each
# for SECONDS (default 30) from the checked-in seeds (fuzz/corpus/<t>) and past crash inputs
# (fuzz/regressions/<t>). Fails on any crash, leak, timeout (one input over 10 s) or out-of-memory
# (2 GiB); the input that did it is in build-fuzz/artifacts/<t>/ — add it to fuzz/regressions/<t>/
# with the fix, and ctest replays it in every build. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
# wait -n -p (below) needs bash 5.1 (Debian 12 has 5.2).
if [ "${BASH_VERSINFO[0]}" -lt 5 ] || { [ "${BASH_VERSINFO[0]}" -eq 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; then
  echo "fuzz: needs bash 5.1 or newer (this is $BASH_VERSION)" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx cifar jpeg trace fit config record weights arch_json model_info)
build=${PARAMSCALE_FUZZ_BUILD_DIR:-$repo/build-fuzz}
mkdir -p "$build"
CC=clang-14 CXX=clang++-14 cmake -S "$repo" -B "$build" -G Ninja -DPARAMSCALE_DEPS_DIR="$repo/build/deps" \
  -DPARAMSCALE_FUZZ=ON -DPARAMSCALE_WITH_TORCH=OFF >"$build.cmake.log" 2>&1 ||
  { cat "$build.cmake.log" >&2; echo "fuzz: cmake configure failed" >&2; exit 1; }
ninja -C "$build" -j2 fuzz_targets
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$repo/scripts/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One fuzzer per core at a time (each is single-threaded and still gets its SECONDS): on 2 cores
# the ten targets take half the wall time they did one after the other.
fuzz_one() {
  trap - EXIT
  local t=$1 work=$build/corpus/$1 artifacts=$build/artifacts/$1 log=$build/$1.log max_len=4096
  rm -rf "$work" "$artifacts" && mkdir -p "$work" "$artifacts"
  # -max_len: ONNX seeds are a few KB; the other formats' interesting structure is in their first KB.
  if [ "$t" = model_info ] || [ "$t" = cifar ]; then max_len=16384; fi
  local seeds=("$repo/fuzz/corpus/$t")
  [ -d "$repo/fuzz/regressions/$t" ] && seeds+=("$repo/fuzz/regressions/$t")
  if "$build/fuzz/${t}_fuzz" "$work" "${seeds[@]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=$max_len \
      -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
    local execs
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}') || true
    echo "fuzz: $t: ${execs:-?} executions in ${seconds} s, no crash" >&2
  else
    { echo "fuzz: $t: FAILED (see $log; input in $artifacts/)"
      grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log" || tail -5 "$log"; } >&2
    return 1
  fi
}
# At most 4 at a time whatever the core count: each may use up to 2 GiB (-rss_limit_mb).
slots=${PARAMSCALE_FUZZ_JOBS:-$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)}
[ "$slots" -ge 1 ] 2>/dev/null || { echo "fuzz: PARAMSCALE_FUZZ_JOBS must be a positive integer" >&2; exit 2; }
[ "$slots" -le 4 ] || slots=4
declare -A running=()  # pid -> target
# A killed or failing script takes its fuzzers with it (each runs under a subshell of this one).
stop_fuzzers() {
  [ "$BASHPID" = "$$" ] || return 0
  local p
  for p in "${!running[@]}"; do pkill -P "$p" 2>/dev/null || true; done
}
trap stop_fuzzers EXIT
failed=()
reap() {  # waits for one fuzzer to end and records whether it failed
  local pid
  wait -n -p pid "${!running[@]}" && true
  local rc=$?
  [ $rc -eq 0 ] || failed+=("${running[$pid]}")
  unset "running[$pid]"
}
for t in "${targets[@]}"; do
  while [ ${#running[@]} -ge "$slots" ]; do reap; done
  fuzz_one "$t" &
  running[$!]=$t
done
while [ ${#running[@]} -gt 0 ]; do reap; done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: crashes in: ${failed[*]}" >&2; exit 1; }
