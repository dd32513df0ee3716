#!/usr/bin/env bash
# bench/int8_accuracy.sh — issue 14's accuracy bars: networks trained on Fashion-MNIST with the
# README's schedule (3 epochs, cosine, warm-up 0.2, 5,000 images held out), evaluated on the whole
# test split through libtorch and ONNX Runtime in FP32, then quantized with each calibration method
# (512 training images) and evaluated through ONNX Runtime in INT8. Writes bench/README.md's table
# to stdout; everything else (run directories, models, JSON records, uptime) stays in $OUT.
#
#   bench/int8_accuracy.sh     # PARAMSCALE=... OUT=/tmp/... MODELS="vgg11 mobilenetv2" BUDGET=params:0.25
#   EPOCHS=1 SUBSET=2000 MODELS=vgg11 bench/int8_accuracy.sh   # a quick check of the script
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PS=${PARAMSCALE:-$repo/build/paramscale}
OUT=${OUT:-/tmp/paramscale-int8-accuracy}
MODELS=${MODELS:-"vgg11 mobilenetv2"}
BUDGET=${BUDGET:-params:0.25}
EPOCHS=${EPOCHS:-3}
SUBSET=${SUBSET:-0}
THREADS=${THREADS:-2}
IMAGES=${IMAGES:-512}
METHODS=${METHODS:-"minmax percentile entropy"}
mkdir -p "$OUT"
: >"$OUT/load.txt"

for m in $MODELS; do
  run="$OUT/$m-${BUDGET/:/-}"
  echo "train $m: $(uptime)" | tee -a "$OUT/load.txt" >&2
  if [ ! -f "$run/summary.json" ]; then
    extra=()
    [ "$SUBSET" -gt 0 ] && extra=(--subset "$SUBSET")
    "$PS" train --model "$m" --dataset fashion-mnist --budget "$BUDGET" --epochs "$EPOCHS" \
      --batch-size 128 --lr 0.05 --momentum 0.9 --nesterov --schedule cosine --warmup 0.2 \
      --threads "$THREADS" --seed 1 --val 5000 "${extra[@]}" -o "$run" >&2
  fi
  echo "evaluate and quantize $m: $(uptime)" | tee -a "$OUT/load.txt" >&2
  "$PS" eval "$run" --dataset fashion-mnist --runtime torch --threads "$THREADS" \
    --json "$run.torch.eval.json" >&2
  "$PS" eval "$run" --dataset fashion-mnist --runtime ort --threads "$THREADS" \
    --json "$run.fp32.eval.json" >&2
  "$PS" export --run "$run" -o "$run.fp32.onnx" >&2
  for c in $METHODS; do
    "$PS" quantize "$run" -o "$run.$c.onnx" --dataset fashion-mnist --calibration "$c" \
      --calibration-images "$IMAGES" --threads "$THREADS" --json "$run.$c.quantize.json" >&2
    "$PS" eval "$run.$c.onnx" --dataset fashion-mnist --runtime ort --threads "$THREADS" \
      --json "$run.$c.eval.json" >&2
  done
done
echo "after: $(uptime)" | tee -a "$OUT/load.txt" >&2

python3 - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
models = os.environ.get("MODELS", "vgg11 mobilenetv2").split()
budget = os.environ.get("BUDGET", "params:0.25").replace(":", "-")
methods = os.environ.get("METHODS", "minmax percentile entropy").split()
load = lambda p: json.load(open(p))
head = "| network | FP32 libtorch | FP32 ORT |" + "".join(f" INT8 {c} (Δ) |" for c in methods)
head += " int8 convs | file INT8÷FP32 |"
print(head)
print("|" + "---|" * (3 + len(methods) + 2))
for m in models:
    run = os.path.join(out, f"{m}-{budget}")
    t = load(run + ".torch.eval.json")["top1"] * 100
    f = load(run + ".fp32.eval.json")["top1"] * 100
    row = f"| {m} {budget.replace('-', ':')} | {t:.2f} | {f:.2f} |"
    convs, ratio = "-", "-"
    for c in methods:
        q = load(run + f".{c}.eval.json")["top1"] * 100
        row += f" {q:.2f} ({q - f:+.2f}) |"
        rec = load(run + f".{c}.quantize.json")
        o = rec["onnx_runtime"]
        convs = f"{o['int8_convs']}/{o['convs']}"
        ratio = f"{os.path.getsize(run + f'.{c}.onnx') / os.path.getsize(run + '.fp32.onnx'):.3f}"
    print(row + f" {convs} | {ratio} |")
EOF
