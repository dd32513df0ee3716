# bench/lib/timing_models.sh — sourced by the timing benchmarks (harness_overhead.sh,
# repeatability.sh): the two networks they time, exported with seeded weights in CIFAR-10 shapes —
# MobileNetV2 width:0.5 (a fraction of a millisecond) and VGG-11 width:1.0 (a few milliseconds).
# export_timing_models PARAMSCALE OUT_DIR writes OUT_DIR/<name>.onnx; $timing_models names them.
timing_models="mobilenetv2-w0.5 vgg11-w1.0"

export_timing_models() {
  local ps=$1 out=$2
  "$ps" export --model mobilenetv2 --dataset cifar10 --budget width:0.5 -o "$out/mobilenetv2-w0.5.onnx" >/dev/null
  "$ps" export --model vgg11 --dataset cifar10 --budget width:1 -o "$out/vgg11-w1.0.onnx" >/dev/null
}
