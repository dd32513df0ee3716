#!/usr/bin/env bash
# The README's main command: install dependencies, build, and run the quick study — VGG-11 on
# Fashion-MNIST, uniform vs NeuralScale at params:0.25/0.5/0.75/1.0, NeuralScale widths from a
# short search the study runs itself, brief training on a subset, measured on ONNX Runtime with all
# cores — leaving its report in study-quick/report/. Rerunning continues a killed study.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
scripts/install-deps.sh
scripts/build.sh
resume=()
[ -f study-quick/config.json ] && resume=(--resume)
# Two workers train two networks side by side, each on half the cores: on 2 cores that beats one
# training on both (README, "What the main job shows").
jobs=1
[ "$(nproc)" -ge 2 ] && jobs=2
time build/paramscale study --preset quick --jobs "$jobs" "${resume[@]}" -o study-quick
echo "report: $repo/study-quick/report/report.md (and report.html)"
