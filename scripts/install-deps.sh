#!/usr/bin/env bash
# Installs every dependency paramscale uses on a fresh Debian 12 machine. Idempotent: a second run
# checks what is there, prints one line and changes nothing.
#   Debian packages (bookworm)        -> apt-get --no-install-recommends
#   ONNX Runtime 1.30 CPU library     -> the onnxruntime-node npm tarball (npm pack: no install scripts)
#   ONNX Runtime C/C++ headers (1.21) -> Debian trixie's libonnxruntime-dev .deb, fetched through a
#                                        private apt sources list, unpacked with dpkg -x
#   qemu-aarch64 (10.0, static)       -> Debian trixie's qemu-user .deb, the same way; runs the
#                                        aarch64 device bundle's tests (bookworm's 7.2 crashes ORT)
# Everything fetched by hand is checked against a pinned sha256.
# Destination of the ONNX Runtime files and qemu: $PARAMSCALE_DEPS (default: <repo>/build/deps).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/apt-private.sh
source "$repo/scripts/lib/apt-private.sh"
deps=${PARAMSCALE_DEPS:-$repo/build/deps}

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config zlib1g-dev
  libtorch-dev libopenblas0-pthread
  libonnx-dev libprotobuf-dev protobuf-compiler
  libopencv-dnn-dev
  libsqlite3-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dataset-fashion-mnist libonnx-testdata libjpeg-dev
  gnuplot-nox
  ca-certificates dpkg-dev clang-format
  g++-aarch64-linux-gnu  # scripts/build-bundle.sh aarch64: the Raspberry Pi / Jetson device bundle
  python3-torch  # bench/train_throughput.sh: the same training loop in PyTorch's Python frontend
  chromium       # tests/study/report_html_test.cc: report.html as a browser renders it
  openssh-client openssh-server procps  # tests/device: a real sshd on loopback plays the device
  clang-14 libfuzzer-14-dev libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer targets, ASan + UBSan
  slurm-wlm munge  # tests/study/slurm_test.cc: a real single-node Slurm (tests/support/slurm-cluster.sh)
)

ORT_VERSION=1.30.0
ORT_TGZ_SHA256=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75
ORT_X64_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
ORT_ARM64_SHA256=1f549d46250b005580b597f4164984aaf75b3bcb9f3aeb07c7f8a8fe60b23c76
ORT_HEADERS_DEB_VERSION=1.21.0+dfsg-1
ORT_HEADERS_DEB_SHA256=14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08
QEMU_DEB_VERSION=1:10.0.13+ds-0+deb13u1
QEMU_DEB_SHA256=ca6ede739327a20ae5a3498230c8a3a9a072c586e131bc6bcc1201eb1725e336

die() { echo "install-deps: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
check_sha256() { # file expected
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || die "sha256 mismatch for $1: expected $2, got $got (corrupt or changed download; delete it and rerun)"
}

# --- Debian packages -------------------------------------------------------------------------------
missing=()
# npm comes with the machine's Node.js; fall back to Debian's npm only where there is none.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- ONNX Runtime library (npm tarball) ------------------------------------------------------------
ort_dir=$deps/onnxruntime-$ORT_VERSION
if [ ! -f "$ort_dir/lib/x64/libonnxruntime.so.1" ] || [ ! -f "$ort_dir/lib/arm64/libonnxruntime.so.1" ]; then
  echo "install-deps: fetching onnxruntime-node@$ORT_VERSION from the npm registry" >&2
  tmp=$deps/tmp-ort; rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null) || die "npm pack onnxruntime-node@$ORT_VERSION failed"
  check_sha256 "$tmp/onnxruntime-node-$ORT_VERSION.tgz" "$ORT_TGZ_SHA256"
  tar -xzf "$tmp/onnxruntime-node-$ORT_VERSION.tgz" -C "$tmp" package/bin/napi-v6/linux
  check_sha256 "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ORT_X64_SHA256"
  check_sha256 "$tmp/package/bin/napi-v6/linux/arm64/libonnxruntime.so.1" "$ORT_ARM64_SHA256"
  mkdir -p "$ort_dir/lib/x64" "$ort_dir/lib/arm64"
  cp "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ort_dir/lib/x64/"
  cp "$tmp/package/bin/napi-v6/linux/arm64/libonnxruntime.so.1" "$ort_dir/lib/arm64/"
  rm -rf "$tmp"
fi

# --- ONNX Runtime headers (Debian trixie .deb, private apt lists) ----------------------------------
if [ ! -f "$ort_dir/include/onnxruntime_cxx_api.h" ]; then
  echo "install-deps: fetching libonnxruntime-dev=$ORT_HEADERS_DEB_VERSION (headers) from Debian trixie" >&2
  a=$deps/apt-trixie
  apt_private_download "$a" trixie amd64 "libonnxruntime-dev=$ORT_HEADERS_DEB_VERSION" ||
    die "could not download libonnxruntime-dev=$ORT_HEADERS_DEB_VERSION from trixie"
  deb=$(ls "$a"/debs/libonnxruntime-dev_*.deb | head -n1)
  check_sha256 "$deb" "$ORT_HEADERS_DEB_SHA256"
  rm -rf "$a/x"; dpkg -x "$deb" "$a/x"
  mkdir -p "$ort_dir/include"
  cp "$a"/x/usr/include/onnxruntime/*.h "$ort_dir/include/"
  rm -rf "$a/x"
fi

# --- qemu-aarch64 (Debian trixie's qemu-user .deb, private apt lists) -----------------------------
# Only the static usr/bin/qemu-aarch64 is kept (no install, no binfmt registration): the bundle
# tests run the aarch64 bundle with it explicitly.
qemu=$deps/qemu-10/qemu-aarch64
if [ ! -x "$qemu" ]; then
  echo "install-deps: fetching qemu-user=$QEMU_DEB_VERSION (qemu-aarch64) from Debian trixie" >&2
  a=$deps/apt-trixie
  apt_private_download "$a" trixie amd64 "qemu-user=$QEMU_DEB_VERSION" ||
    die "could not download qemu-user=$QEMU_DEB_VERSION from trixie"
  deb=$(find "$a/debs" -name "qemu-user_*${QEMU_DEB_VERSION#*:}_amd64.deb" | head -n1)
  [ -n "$deb" ] || die "qemu-user=$QEMU_DEB_VERSION was downloaded but its .deb is not in $a/debs"
  check_sha256 "$deb" "$QEMU_DEB_SHA256"
  rm -rf "$a/q"; mkdir -p "$a/q" "$deps/qemu-10"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$a/q" ./usr/bin/qemu-aarch64
  install -m 0755 "$a/q/usr/bin/qemu-aarch64" "$qemu.tmp" && mv "$qemu.tmp" "$qemu"
  rm -rf "$a/q" "$deb"  # 71 MB; the 17 MB binary is all that is used
fi

echo "install-deps: all dependencies present (ONNX Runtime in $ort_dir, qemu-aarch64 in $deps/qemu-10)" >&2
