#!/usr/bin/env bash
# Training throughput and peak memory: `paramscale train` (C++, Debian's libtorch 1.13) against the
# same network and loop in PyTorch's Python frontend on the same libtorch (Debian python3-torch).
#
# Measures, per case (VGG-11 and MobileNetV2 at params:0.25 and params:1.0 on Fashion-MNIST):
#   img/s     training-loop images per second, evaluation excluded. Each side times each epoch's
#             loop (permutation, batch building, step, bookkeeping) and the first epoch is an
#             untimed warm-up when EPOCHS >= 2: img/s = images / seconds over epochs 2..EPOCHS.
#             C++: summary.json's per-epoch images_per_second; Python: the same clock placement.
#   peak RSS  of each whole process (kernel high-water mark via getrusage(RUSAGE_CHILDREN)).
# "Same loop": the Python net is built from `paramscale arch --json` (parameter count asserted
# equal to the C++ run's); same training images (the subset and per-epoch order use paramscale's
# seeded Rng), uint8 -> float via the same normalisation table, batch 128, SGD lr 0.05 momentum 0.9
# weight decay 5e-4 (constant lr), no augmentation, cross-entropy, zero_grad, backward, step,
# loss.item() and an argmax-eq-sum per step; 2 intra-op threads, OpenBLAS 1 thread. The untimed
# per-epoch work of `paramscale train` (test-set evaluation in batches of 500, checkpoint, final
# weights) is mirrored too, so the peak-RSS columns compare processes doing the same work.
#
# Run (on an idle machine; needs python3-torch):
#   bench/train_throughput.sh [CSV]          # CSV default: $TRAIN_THROUGHPUT_CSV or ./train_throughput.csv
# Settings (env): SUBSET=6400 EPOCHS=2 REPEATS=1 THREADS=2 PARAMSCALE=<binary with `train`>
#   TEST_SUBSET=auto PYTHON=/usr/bin/python3 CASES="vgg11:params:0.25 ..." KEEP_WORK=1 (keep runs)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
SUBSET=${SUBSET:-6400}
EPOCHS=${EPOCHS:-2}
REPEATS=${REPEATS:-1}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}  # Debian's interpreter: the one python3-torch installs into
CASES=${CASES:-vgg11:params:0.25 vgg11:params:1.0 mobilenetv2:params:0.25 mobilenetv2:params:1.0}
CSV=${1:-${TRAIN_THROUGHPUT_CSV:-$PWD/train_throughput.csv}}
PY="$here/train_throughput.py"

die() { echo "train_throughput: $*" >&2; exit 1; }

if [ -z "${PARAMSCALE:-}" ]; then  # the first build that has the libtorch `train` command
  for c in "$repo/build/paramscale" "$repo/build-nn/paramscale"; do
    if [ -x "$c" ] && "$c" train --help >/dev/null 2>&1; then PARAMSCALE=$c; break; fi
  done
fi
[ -n "${PARAMSCALE:-}" ] && "$PARAMSCALE" train --help >/dev/null 2>&1 ||
  die "no paramscale binary with the train command (build with libtorch, or set PARAMSCALE)"
# Evaluation is untimed but slow (10000 test images after every epoch, on both sides); binaries
# with --test-subset evaluate TEST_SUBSET images instead (auto: 1000 where supported, else all).
help=$("$PARAMSCALE" train --help)
TEST_SUBSET=${TEST_SUBSET:-auto}
if [ "$TEST_SUBSET" = auto ]; then
  if [[ $help == *--test-subset* ]]; then TEST_SUBSET=1000; else TEST_SUBSET=0; fi
fi
[[ $TEST_SUBSET =~ ^[0-9]+$ ]] || die "TEST_SUBSET must be auto or a number, got '$TEST_SUBSET'"
test_args=()
if [ "$TEST_SUBSET" -gt 0 ]; then
  [[ $help == *--test-subset* ]] || die "TEST_SUBSET=$TEST_SUBSET: $PARAMSCALE has no --test-subset"
  test_args=(--test-subset "$TEST_SUBSET")
fi
"$PYTHON" -c 'import torch, numpy' 2>/dev/null ||
  die "$PYTHON cannot import torch and numpy (apt-get install --no-install-recommends python3-torch)"

work=$(mktemp -d "${TMPDIR:-/tmp}/train_throughput.XXXXXX")
if [ "${KEEP_WORK:-0}" = 1 ]; then echo "train_throughput: run directories in $work" >&2
else trap 'rm -rf "$work"' EXIT; fi
export OPENBLAS_NUM_THREADS=1  # both sides (paramscale also calls openblas_set_num_threads(1))

mkdir -p "$(dirname "$CSV")"
: >"$CSV"

# Idle-process RSS of each side, to read the peak-RSS columns against.
"$PYTHON" "$PY" measure "$work/base_cxx.json" -- "$PARAMSCALE" --version >/dev/null
"$PYTHON" "$PY" measure "$work/base_py.json" -- "$PYTHON" -c 'import torch' >/dev/null
"$PYTHON" -c 'import json, sys
b = {k: json.load(open(f))["peak_rss_kib"] for k, f in (("cxx_kib", sys.argv[1]), ("py_kib", sys.argv[2]))}
json.dump(b, open(sys.argv[3], "w"))' "$work/base_cxx.json" "$work/base_py.json" "$work/baseline.json"

echo "train_throughput: $PARAMSCALE vs $PYTHON; $SUBSET images, $EPOCHS epoch(s), $THREADS threads," \
  "$REPEATS repeat(s), test images evaluated per epoch: $([ "$TEST_SUBSET" -gt 0 ] && echo "$TEST_SUBSET" || echo all)" >&2
for rep in $(seq 1 "$REPEATS"); do
  for case in $CASES; do
    model=${case%%:*}
    budget=${case#*:}
    d="$work/$model-${budget//:/}-$rep"
    mkdir -p "$d"
    "$PARAMSCALE" arch --model "$model" --dataset fashion-mnist --budget "$budget" --json >"$d/arch.json"

    "$PYTHON" "$PY" measure "$d/cxx_measure.json" -- \
      "$PARAMSCALE" train --model "$model" --dataset fashion-mnist --budget "$budget" \
      --epochs "$EPOCHS" --subset "$SUBSET" --batch-size 128 --lr 0.05 --momentum 0.9 \
      --weight-decay 5e-4 --gamma 1 --augment off --threads "$THREADS" --seed 0 "${test_args[@]}" \
      -q -o "$d/cxx" >/dev/null
    params=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["parameters"])' \
      "$d/cxx/summary.json")

    "$PYTHON" "$PY" measure "$d/py_measure.json" -- \
      "$PYTHON" "$PY" train --arch-json "$d/arch.json" --epochs "$EPOCHS" --subset "$SUBSET" \
      --batch-size 128 --lr 0.05 --momentum 0.9 --weight-decay 5e-4 --threads "$THREADS" --seed 0 \
      "${test_args[@]}" --expect-params "$params" --out-dir "$d/py" --result "$d/py_result.json"

    "$PYTHON" "$PY" collect --csv "$CSV" --case "$model $budget" --model "$model" \
      --budget "$budget" --repeat "$rep" --cxx-summary "$d/cxx/summary.json" \
      --cxx-measure "$d/cxx_measure.json" --py-result "$d/py_result.json" \
      --py-measure "$d/py_measure.json" --baseline "$work/baseline.json"
    [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$d"
  done
done

"$PYTHON" "$PY" table "$CSV"
echo "train_throughput: raw numbers in $CSV" >&2
