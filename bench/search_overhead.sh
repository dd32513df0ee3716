#!/usr/bin/env bash
# bench/search_overhead.sh — issue 5's cost bound: what the NeuralScale search's pruning bookkeeping
# (Taylor score accumulation after every minibatch, the global ranking at every pruning step)
# costs on top of the training steps it rides on, for one family on Fashion-MNIST.
#
#   bench/search_overhead.sh        # MODEL=vgg11 SUBSET=3000 BATCH=64 THREADS=2 PARAMSCALE=...
#
# Two numbers, both from one `paramscale search` run (1 iteration, 1 warm-up epoch, then 5% of live
# channels pruned every 5 minibatches until 95% are gone):
#  - bookkeeping ÷ step time, from search.json (`bookkeeping_seconds` times exactly the score
#    accumulation after each minibatch and the pruning step's ranking);
#  - the search's step throughput (gated network: gates are one multiply per channel) against
#    `paramscale train` on the same widths, batch, threads and images (plain network, 1 epoch).
# Checkpoints (written after every pruning step) are not counted in either.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PS=${PARAMSCALE:-$repo/build/paramscale}
MODEL=${MODEL:-vgg11}
SUBSET=${SUBSET:-3000}
BATCH=${BATCH:-64}
THREADS=${THREADS:-2}
OUT=${OUT:-$(mktemp -d /tmp/paramscale-search-overhead-XXXXXX)}
export OPENBLAS_NUM_THREADS=1

"$PS" search --model "$MODEL" --subset "$SUBSET" --batch-size "$BATCH" --warmup 1 --prune-fraction 0.05 \
  --frequency 5 --iterations 1 --threads "$THREADS" -q -o "$OUT/search" >/dev/null
"$PS" train --model "$MODEL" --subset "$SUBSET" --batch-size "$BATCH" --epochs 1 --momentum 0.5 \
  --threads "$THREADS" --test-subset 500 -q -o "$OUT/train" >/dev/null
python3 - "$OUT" "$SUBSET" "$BATCH" <<'PY'
import json, sys
out, subset, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = json.load(open(f"{out}/search/search.json"))
t = json.load(open(f"{out}/train/summary.json"))
steps = round(s["iterations"][0]["epochs"] * (subset // batch))
search_ips = steps * batch / s["step_seconds"]
print(f"| search minibatches | bookkeeping s | step s | bookkeeping ÷ steps | search img/s (gated) | train img/s (plain) | gated ÷ plain |")
print(f"|---|---|---|---|---|---|---|")
print(f"| {steps} | {s['bookkeeping_seconds']:.2f} | {s['step_seconds']:.1f} | "
      f"{100 * s['bookkeeping_seconds'] / s['step_seconds']:.2f}% | {search_ips:.0f} | "
      f"{t['images_per_second']:.0f} | {search_ips / t['images_per_second']:.3f} |")
PY
