#!/usr/bin/env bash
# The README's main command: install dependencies, build, and run the quick study (VGG-11 on
# Fashion-MNIST, uniform vs NeuralScale at params:0.25/0.5/0.75/1.0, trained briefly, measured on
# ONNX Runtime with all cores), leaving its report in study-quick/report/.
#
# NeuralScale widths need a fit. Until `paramscale search` exists, the fit comes from the NeuralScale
# authors' published VGG-11 pruning trace where it is present beside the repository
# (../shared/reference, as for developers and CI) — fitted here with `paramscale fit`, never copied.
# Without it the study runs the uniform cells and says the NeuralScale ones were left out.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
scripts/install-deps.sh
scripts/build.sh
fit_args=()
trace=$repo/../shared/reference/neuralscale/traces/vgg_10_eff_c10_14.csv
if [ -f "$trace" ]; then
  build/paramscale fit --model vgg11 --dataset cifar10 --trace "$trace" --count proxy -o build/vgg11_cifar10_fit.json
  fit_args=(--fit vgg11=build/vgg11_cifar10_fit.json)
fi
resume=()
[ -f study-quick/config.json ] && resume=(--resume)
time build/paramscale study --preset quick "${fit_args[@]}" "${resume[@]}" -o study-quick
