#!/usr/bin/env bash
# bench/harness_overhead.sh — issue 6's two targets for `paramscale bench`:
#  - overhead: its median latency is within 2% of a bare loop of Ort::Session::Run calls in one
#    process (bench/ort_bare_loop.cc, same options and input);
#  - repeatability: two consecutive `paramscale bench` runs of one model agree within 5% (median).
# Pairs are interleaved (bare, bench, bare, bench, ...) so a load change hits both alike; the table
# gives every repetition, bench ÷ bare per repetition, the median of those ratios, and the spread of
# bench's medians (max ÷ min − 1) and its reported coefficient of variation.
#
#   bench/harness_overhead.sh      # PARAMSCALE=... REPS=3 THREADS=1 RUNS=4000 OUT=/tmp/...
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PS=${PARAMSCALE:-$repo/build/paramscale}
ORT=${ORT:-$repo/build/deps/onnxruntime-1.30.0}
REPS=${REPS:-3}
THREADS=${THREADS:-1}
RUNS=${RUNS:-4000}
OUT=${OUT:-$(mktemp -d /tmp/paramscale-overhead-XXXXXX)}
mkdir -p "$OUT"

g++ -O2 -std=c++17 "$repo/bench/ort_bare_loop.cc" -I"$ORT/include" "$ORT/lib/x64/libonnxruntime.so.1" \
  -Wl,-rpath,"$ORT/lib/x64" -o "$OUT/ort_bare_loop"
# shellcheck source=bench/lib/timing_models.sh
. "$repo/bench/lib/timing_models.sh"
models=$timing_models
export_timing_models "$PS" "$OUT"

: >"$OUT/pairs.txt"
for rep in $(seq "$REPS"); do
  for m in $models; do
    bare=$("$OUT/ort_bare_loop" "$OUT/$m.onnx" "$THREADS" "$RUNS" | awk '{print $NF}')
    "$PS" bench "$OUT/$m.onnx" --threads "$THREADS" --min-runs "$RUNS" --min-seconds 0 --no-layout \
      --output jsonl >"$OUT/$m.$rep.jsonl"
    echo "$m $rep $bare $OUT/$m.$rep.jsonl" >>"$OUT/pairs.txt"
    echo "rep $rep $m: bare $bare ms" >&2
  done
done

python3 - "$OUT/pairs.txt" "$THREADS" "$RUNS" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m, rep, bare, path = line.split()
    rec = json.loads(open(path).readline())
    rows.setdefault(m, []).append((float(bare), rec["latency_ms"]["median"], rec["latency_ms"]["cv"]))
print(f"{sys.argv[2]} thread(s), {sys.argv[3]} timed runs per measurement, batch 1, level all, arena on\n")
print("| model (random weights) | bare loop ms | bench ms | bench ÷ bare | median ratio | bench spread | bench cv |")
print("|---|---|---|---|---|---|---|")
for m, rs in rows.items():
    bare = ", ".join(f"{b:.4f}" for b, _, _ in rs)
    bench = ", ".join(f"{x:.4f}" for _, x, _ in rs)
    ratios = [x / b for b, x, _ in rs]
    medians = [x for _, x, _ in rs]
    spread = max(medians) / min(medians) - 1
    cvs = ", ".join(f"{100 * c:.0f}%" for _, _, c in rs)
    print(f"| {m} | {bare} | {bench} | {', '.join(f'{r:.3f}' for r in ratios)} | "
          f"{statistics.median(ratios):.3f} | {100 * spread:.1f}% | {cvs} |")
PY
