#!/usr/bin/env bash
# The README's main command: install dependencies, build, and run the main job.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
scripts/install-deps.sh
scripts/build.sh
build/paramscale arch --model all --dataset fashion-mnist --budget params:0.25
