#!/usr/bin/env bash
# Configures and builds paramscale into build/ (or $PARAMSCALE_BUILD_DIR). Extra arguments go to
# cmake, e.g. scripts/build.sh -DPARAMSCALE_SANITIZE=ON.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${PARAMSCALE_BUILD_DIR:-$repo/build}
cmake -S "$repo" -B "$build" -G Ninja -DPARAMSCALE_DEPS_DIR="$repo/build/deps" "$@" >"$build.cmake.log" 2>&1 ||
  { cat "$build.cmake.log" >&2; echo "build: cmake configure failed" >&2; exit 1; }
ninja -C "$build"
