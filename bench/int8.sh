#!/usr/bin/env bash
# bench/int8.sh — issue 14's benchmark: FP32 vs INT8 (paramscale quantize, QDQ) median ONNX Runtime
# latency and runtime memory for the four families at four parameter budgets, uniform and
# NeuralScale, at 1 and 2 threads; and the NeuralScale ÷ uniform latency ratio under INT8 next to
# FP32's. Writes bench/README.md's tables to stdout. Not a test: run it on an idle machine.
#
#   bench/int8.sh          # PARAMSCALE=path/to/paramscale REPS=3 OUT=/tmp/... FITS=dir
#   FAMILIES=vgg11 BUDGETS=0.25 REPS=1 MIN_SECONDS=0.5 bench/int8.sh   # a quick subset
#   PREPARE_ONLY=1 bench/int8.sh   # export and quantize only (needs no idle machine)
#
# Networks are built in CIFAR-10 shapes with seeded random weights and quantized on seeded noise
# (--random-calibration): int8 kernels take the same time whatever the scales, so latency and
# memory do not depend on the weights (accuracy does: bench/int8_accuracy.sh). NeuralScale widths
# come from the published fits in $FITS (VGG-11, MobileNetV2, PreAct-ResNet-18) and the bundled
# ResNet-50 fit. Repetitions are interleaved: each repetition measures every network, its FP32 and
# INT8 models back to back in alternating order, so a load change hits both alike; the reported
# latency is the median over repetitions of each run's median. `uptime` goes to $OUT/load.txt.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PS=${PARAMSCALE:-$repo/build/paramscale}
FITS=${FITS:-$repo/../shared/reference/neuralscale/fits}
OUT=${OUT:-/tmp/paramscale-int8}
REPS=${REPS:-3}
THREADS=${THREADS:-1,2}
MIN_SECONDS=${MIN_SECONDS:-2}
MAX_SECONDS=${MAX_SECONDS:-6}
BUDGETS=${BUDGETS:-"0.25 0.5 0.75 1.0"}
FAMILIES=${FAMILIES:-"vgg11 mobilenetv2 preact_resnet18 resnet50"}
METHODS=${METHODS:-"uniform neuralscale"}
mkdir -p "$OUT"
: >"$OUT/bench.jsonl"
: >"$OUT/load.txt"

fit_for() {
  case $1 in
    vgg11) echo "$FITS/vgg11_cifar10.json" ;;
    mobilenetv2) echo "$FITS/mobilenetv2_cifar100.json" ;;
    preact_resnet18) echo "$FITS/preact_resnet18_cifar100.json" ;;
    resnet50) echo "$repo/data/fits/resnet50_fashion-mnist.json" ;;
  esac
}

echo "exporting and quantizing into $OUT" >&2
for m in $FAMILIES; do
  for b in $BUDGETS; do
    for meth in $METHODS; do
      n="$m-$b-$meth"
      flags="--model $m --dataset cifar10 --method $meth --budget params:$b"
      [ "$meth" = neuralscale ] && flags="$flags --fit $(fit_for "$m")"
      # Models already in $OUT are kept: they can be made beforehand, under load (PREPARE_ONLY=1).
      [ -f "$OUT/$n.int8.json" ] && continue
      # shellcheck disable=SC2086
      "$PS" export $flags --seed 1 -o "$OUT/$n.fp32.onnx" >&2
      "$PS" quantize "$OUT/$n.fp32.onnx" -o "$OUT/$n.int8.onnx" --random-calibration \
        --calibration-images 64 --json "$OUT/$n.int8.json" >&2
    done
  done
done

[ "${PREPARE_ONLY:-0}" = 1 ] && exit 0
for rep in $(seq 1 "$REPS"); do
  echo "rep $rep: $(uptime)" | tee -a "$OUT/load.txt" >&2
  i=0
  for m in $FAMILIES; do
    for b in $BUDGETS; do
      for meth in $METHODS; do
        n="$m-$b-$meth"
        if [ $(((i + rep) % 2)) -eq 0 ]; then order="fp32 int8"; else order="int8 fp32"; fi
        models=()
        for p in $order; do models+=("$OUT/$n.$p.onnx"); done
        "$PS" bench "${models[@]}" --runtime ort --threads "$THREADS" --opt-level all \
          --warmup-ms 300 --min-seconds "$MIN_SECONDS" --max-seconds "$MAX_SECONDS" --min-runs 20 \
          --output jsonl \
          >>"$OUT/bench.jsonl"
        i=$((i + 1))
      done
    done
  done
done
echo "after: $(uptime)" | tee -a "$OUT/load.txt" >&2

python3 - "$OUT" <<'EOF'
import json, os, statistics, sys
out = sys.argv[1]
lat, mem, conv, size = {}, {}, {}, {}
for line in open(os.path.join(out, "bench.jsonl")):
    r = json.loads(line)
    name = os.path.basename(r["request"]["model"])[:-5]  # vgg11-0.25-uniform.int8
    t = r["request"]["backend"]["threads"]
    lat.setdefault((name, t), []).append(r["latency_ms"]["median"])
    mem.setdefault((name, t), []).append(r["memory"]["runtime_memory_bytes"] / 1e6)
    lay = r.get("layout", {})
    if "int8_convs" in lay:
        conv[name] = (lay["int8_convs"], lay["convs"])
    size[name] = r["model"].get("file_bytes", 0)
threads = [int(t) for t in os.environ.get("THREADS", "1,2").split(",")]
fams = os.environ.get("FAMILIES", "vgg11 mobilenetv2 preact_resnet18 resnet50").split()
budgets = os.environ.get("BUDGETS", "0.25 0.5 0.75 1.0").split()
methods = os.environ.get("METHODS", "uniform neuralscale").split()
med = lambda d, k: statistics.median(d[k]) if k in d else float("nan")
head = "| family | budget | method | int8 convs | file INT8÷FP32 |"
for t in threads:
    head += f" FP32 ms {t}t | INT8 ms {t}t | INT8÷FP32 {t}t | runtime MB FP32 / INT8 {t}t |"
print(head)
print("|" + "---|" * (5 + 4 * len(threads)))
slower = []
for m in fams:
    for b in budgets:
        for meth in methods:
            n = f"{m}-{b}-{meth}"
            c = conv.get(n + ".int8", (0, 0))
            row = f"| {m} | params:{b} | {meth} | {c[0]}/{c[1]} | {size[n + '.int8'] / size[n + '.fp32']:.3f} |"
            for t in threads:
                f, q = med(lat, (n + ".fp32", t)), med(lat, (n + ".int8", t))
                if q > f:
                    slower.append(f"{n} {t}t ({q / f:.2f}x)")
                row += (f" {f:.3f} | {q:.3f} | **{q / f:.2f}** | {med(mem, (n + '.fp32', t)):.0f} / "
                        f"{med(mem, (n + '.int8', t)):.0f} |")
            print(row)
print()
print("INT8 slower than FP32: " + ("; ".join(slower) if slower else "none"))
print()
if "uniform" in methods and "neuralscale" in methods:
    head = "| family | budget |"
    for t in threads:
        head += f" NS÷U latency FP32 {t}t | NS÷U latency INT8 {t}t |"
    print(head)
    print("|" + "---|" * (2 + 2 * len(threads)))
    for m in fams:
        for b in budgets:
            row = f"| {m} | params:{b} |"
            for t in threads:
                for p in ("fp32", "int8"):
                    u, ns = med(lat, (f"{m}-{b}-uniform.{p}", t)), med(lat, (f"{m}-{b}-neuralscale.{p}", t))
                    row += f" {ns / u:.2f} |"
            print(row)
EOF
