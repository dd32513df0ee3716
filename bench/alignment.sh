#!/usr/bin/env bash
# bench/alignment.sh — issue 8's evidence: uniform vs NeuralScale vs aligned NeuralScale (K = 8, and
# K = 16 = this machine's `--align auto` on AVX-512) at equal parameter budgets, median ONNX Runtime
# latency at graph optimisation levels "all" and "extended", and the fraction of convolutions ORT
# runs in its blocked NCHWc layout. Writes bench/ALIGNMENT.md's table to stdout.
#
#   bench/alignment.sh                 # PARAMSCALE=path/to/paramscale REPS=3 THREADS=2 OUT=/tmp/...
#
# Models get seeded random weights (latency does not depend on the weight values). Repetitions are
# interleaved: each repetition measures every (family, budget) group, and within a group the four
# variants run back to back in a rotated order, so a load change hits all variants alike. The
# reported latency is the median over repetitions of each run's median.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PS=${PARAMSCALE:-$repo/build/paramscale}
FITS=${FITS:-$repo/../shared/reference/neuralscale/fits}
OUT=${OUT:-/tmp/paramscale-alignment}
REPS=${REPS:-3}
THREADS=${THREADS:-2}
BUDGETS=${BUDGETS:-"0.25 0.5 0.75 1.0"}
FAMILIES=${FAMILIES:-"vgg11:vgg11_cifar10 mobilenetv2:mobilenetv2_cifar100 preact_resnet18:preact_resnet18_cifar100"}
VARIANTS="uniform ns ns-a8 ns-a16"
mkdir -p "$OUT"
: >"$OUT/bench.jsonl"
: >"$OUT/load.txt"

flags() {  # flags() FAMILY FIT VARIANT BUDGET
  local m=$1 fit=$2 v=$3 b=$4
  case $v in
    uniform) echo "--model $m --dataset cifar10 --method uniform --budget width:$b" ;;
    ns) echo "--model $m --dataset cifar10 --method neuralscale --fit $FITS/$fit.json --budget width:$b" ;;
    ns-a8) echo "$(flags "$m" "$fit" ns "$b") --align 8" ;;
    ns-a16) echo "$(flags "$m" "$fit" ns "$b") --align 16" ;;
  esac
}

echo "exporting to $OUT" >&2
for fm in $FAMILIES; do
  m=${fm%%:*} fit=${fm#*:}
  for b in $BUDGETS; do
    for v in $VARIANTS; do
      f=$(flags "$m" "$fit" "$v" "$b")
      # shellcheck disable=SC2086
      "$PS" scale $f --json >"$OUT/$m-$b-$v.json"
      # shellcheck disable=SC2086
      "$PS" export $f --seed 1 -o "$OUT/$m-$b-$v.onnx" >&2
    done
  done
done

for rep in $(seq 1 "$REPS"); do
  echo "rep $rep: $(uptime)" | tee -a "$OUT/load.txt" >&2
  i=0
  for fm in $FAMILIES; do
    m=${fm%%:*}
    for b in $BUDGETS; do
      vs=($VARIANTS)
      models=()
      for j in 0 1 2 3; do models+=("$OUT/$m-$b-${vs[$(((i + rep + j) % 4))]}.onnx"); done
      "$PS" bench "${models[@]}" --runtime ort --threads "$THREADS" --opt-level all,extended \
        --warmup-ms 200 --min-seconds 0.5 --min-runs 20 --output jsonl >>"$OUT/bench.jsonl"
      i=$((i + 1))
    done
  done
done
echo "after: $(uptime)" | tee -a "$OUT/load.txt" >&2

python3 - "$OUT" "$REPS" <<'EOF'
import json, os, statistics, sys
out, reps = sys.argv[1], sys.argv[2]
lat, frac = {}, {}
for line in open(os.path.join(out, "bench.jsonl")):
    r = json.loads(line)
    name = os.path.basename(r["request"]["model"])[:-5]
    level = r["request"]["backend"]["opt_level"]
    lat.setdefault((name, level), []).append(r["latency_ms"]["median"])
    lay = r.get("layout", {})
    if level == "all" and "nchwc_convs" in lay:
        frac[name] = (lay["nchwc_convs"], lay["convs"])
names = {"uniform": "uniform", "ns": "NeuralScale", "ns-a8": "NS align 8", "ns-a16": "NS align 16"}
print("| family | budget | method | params | rel. err % | MACs (M) | widths %8 / %16 | NCHWc convs (all) "
      "| median ms, all | median ms, extended |")
print("|---|---|---|---|---|---|---|---|---|---|")
fams = os.environ.get("FAMILIES", "").split() or ["vgg11", "mobilenetv2", "preact_resnet18"]
for fm in fams:
    m = fm.split(":")[0]
    for b in os.environ.get("BUDGETS", "0.25 0.5 0.75 1.0").split():
        for v in ["uniform", "ns", "ns-a8", "ns-a16"]:
            n = f"{m}-{b}-{v}"
            s = json.load(open(os.path.join(out, n + ".json")))
            w = s["widths"]
            a8 = sum(x % 8 == 0 for x in w); a16 = sum(x % 16 == 0 for x in w)
            nc, c = frac.get(n, (0, 0))
            def med(level):
                xs = lat.get((n, level), [])
                return f"{statistics.median(xs):.3f}" if xs else "-"
            print(f"| {m} | width:{b} | {names[v]} | {s['params']:,} | {100*s['relative_error']:+.2f} "
                  f"| {s['macs']/1e6:.1f} | {a8}/{len(w)} / {a16}/{len(w)} | {nc}/{c} | {med('all')} "
                  f"| {med('extended')} |")
EOF
