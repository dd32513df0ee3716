#!/usr/bin/env bash
# bench/alignment_accuracy.sh — issue 8's accuracy question: what does rounding NeuralScale's widths
# to multiples of K (so ONNX Runtime runs every conv in its blocked layout) cost in test accuracy?
# Trains VGG-11 on Fashion-MNIST with NeuralScale widths from FIT, unaligned (K = 1) and aligned
# (K = 8), and uniform widths for reference, at each budget and seed; prints one markdown row per
# (method, budget, K) with the mean and every seed's final test accuracy.
#
#   FIT=STUDY/search/vgg11/fit.json bench/alignment_accuracy.sh OUT_DIR
#   # BUDGETS="0.25 0.5" SEEDS="1 2 3" EPOCHS=2 SUBSET=5000 TEST_SUBSET=2000 THREADS=2 PARAMSCALE=...
#
# A finished run (summary.json present) is reused, so a killed benchmark continues where it stopped.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PS=${PARAMSCALE:-$repo/build-nn/paramscale}
FIT=${FIT:?set FIT to a VGG-11 NeuralScale fit (e.g. STUDY/search/vgg11/fit.json of a quick study)}
BUDGETS=${BUDGETS:-0.25 0.5}
SEEDS=${SEEDS:-1 2 3}
EPOCHS=${EPOCHS:-2}
SUBSET=${SUBSET:-5000}
TEST_SUBSET=${TEST_SUBSET:-2000}
THREADS=${THREADS:-$(nproc)}
OUT=${1:?usage: FIT=... bench/alignment_accuracy.sh OUT_DIR}
mkdir -p "$OUT"

runs=()
for b in $BUDGETS; do
  for cell in "uniform 1" "neuralscale 1" "neuralscale 8"; do
    set -- $cell
    for seed in $SEEDS; do
      d="$OUT/$1-p$b-k$2-s$seed"
      runs+=("$d")
      [[ -f "$d/summary.json" ]] && continue
      rm -rf "$d"
      fit_flag=()
      [[ $1 == neuralscale ]] && fit_flag=(--fit "$FIT")
      echo "training $d" >&2
      "$PS" train --model vgg11 --dataset fashion-mnist --method "$1" "${fit_flag[@]}" \
        --budget "params:$b" --align "$2" --epochs "$EPOCHS" --subset "$SUBSET" \
        --test-subset "$TEST_SUBSET" --batch-size 128 --lr 0.05 --momentum 0.9 --schedule cosine \
        --seed "$seed" --threads "$THREADS" -q -o "$d" >/dev/null
    done
  done
done

python3 - "${runs[@]}" <<'PY'
import json, statistics, sys
from collections import OrderedDict
cells = OrderedDict()
for d in sys.argv[1:]:
    s = json.load(open(f"{d}/summary.json"))
    a = json.load(open(f"{d}/arch.json"))
    st = s["settings"]
    key = (st["method"], st["budget"], st.get("align", 1))
    c = cells.setdefault(key, {"acc": [], "params": s["parameters"], "widths": a["widths"]})
    c["acc"].append(s["final_test_accuracy"])
print("| method | budget | K | params | widths | mean test acc | per seed |")
print("|---|---|---|---|---|---|---|")
for (m, b, k), c in cells.items():
    per = ", ".join(f"{100 * x:.2f}" for x in c["acc"])
    print(f"| {m} | {b} | {k} | {c['params']:,} | {','.join(map(str, c['widths']))} | "
          f"{100 * statistics.mean(c['acc']):.2f}% | {per} |")
PY
