#!/usr/bin/env bash
# bench/repeatability.sh — how repeatable `paramscale bench` is under its default stopping rule
# (at least 30 runs and 1 s, then on until the median's 95% interval is within ±1%, capped at 30 s):
# REPS consecutive bench runs of each model, nothing else changed, and for each model the medians,
# the largest difference between consecutive medians, the spread (max ÷ min − 1), the achieved
# interval, the timed runs and seconds, and whether any run stopped at the cap.
#
#   bench/repeatability.sh      # PARAMSCALE=... REPS=6 THREADS=1 BENCH_ARGS=... OUT=/tmp/...
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PS=${PARAMSCALE:-$repo/build/paramscale}
REPS=${REPS:-6}
THREADS=${THREADS:-1}
BENCH_ARGS=${BENCH_ARGS:-}  # e.g. "--min-seconds 5" to compare with the default rule
OUT=${OUT:-$(mktemp -d /tmp/paramscale-repeat-XXXXXX)}
mkdir -p "$OUT"

# shellcheck source=bench/lib/timing_models.sh
. "$repo/bench/lib/timing_models.sh"
models=$timing_models
export_timing_models "$PS" "$OUT"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/load.txt"
start=$(date +%s)
for rep in $(seq "$REPS"); do
  for m in $models; do
    # shellcheck disable=SC2086
    "$PS" bench "$OUT/$m.onnx" --threads "$THREADS" $BENCH_ARGS --output jsonl >"$OUT/$m.$rep.jsonl"
    echo "rep $rep $m done" >&2
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); wall $(($(date +%s) - start)) s" |
  tee -a "$OUT/load.txt"

python3 - "$OUT" "$REPS" "$THREADS" "${BENCH_ARGS:-(defaults)}" $models <<'PY'
import json, sys
out, reps, threads, flags, models = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
print(f"{threads} thread(s), {reps} consecutive runs per model, bench flags: {flags}\n")
print("| model (random weights) | medians ms | largest consecutive diff | spread | ±CI achieved | timed runs | timed s | stopped at cap |")
print("|---|---|---|---|---|---|---|---|")
for m in models:
    recs = [json.loads(open(f"{out}/{m}.{r}.jsonl").readline()) for r in range(1, reps + 1)]
    lat = [r["latency_ms"] for r in recs]
    med = [l["median"] for l in lat]
    diff = max((abs(b / a - 1) for a, b in zip(med, med[1:])), default=0.0)
    ci = [100 * l["median_ci95_relative"] for l in lat]
    runs = [l["runs"] for l in lat]
    secs = [l["total"] / 1000 for l in lat]
    capped = sum(1 for l in lat if not l["converged"])
    print(f"| {m} | {', '.join(f'{x:.4f}' for x in med)} | {100 * diff:.1f}% | "
          f"{100 * (max(med) / min(med) - 1):.1f}% | {min(ci):.2f}–{max(ci):.2f}% | "
          f"{min(runs)}–{max(runs)} | {min(secs):.1f}–{max(secs):.1f} | {capped} of {reps} |")
PY
