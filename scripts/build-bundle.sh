#!/usr/bin/env bash
# Builds the device bundle: a torch-free paramscale that runs `bench` on ONNX Runtime, with the
# libraries it needs beside it, for a small ARM board (aarch64) or an x86-64 box.
#
#   scripts/build-bundle.sh aarch64|x86_64 [extra cmake arguments]
#
# (Extra arguments must leave CMAKE_CXX_FLAGS alone: the toolchain file's sysroot flags live there.)
#
# 1. A Debian bullseye sysroot (glibc 2.31, libstdc++ of gcc 10) from pinned .debs (version and
#    sha256), cached in build/deps/sysroot-bullseye-<debian arch>/.
# 2. The device build (PARAMSCALE_DEVICE_BUILD, cmake/toolchains/bullseye-<arch>.cmake) in
#    build/bundle-<arch>/.
# 3. build/bundles/paramscale-<version>-linux-<arch>/: bin/paramscale (stripped, RUNPATH
#    $ORIGIN/../lib), lib/libonnxruntime.so.1, bullseye's lib/libstdc++.so.6 and lib/libgcc_s.so.1,
#    and MANIFEST.json (sha256 and size of every file, glibc floor, versions).
# 4. build/bundles/paramscale-<version>-linux-<arch>.tar.gz, reproducible: identical content gives
#    an identical sha256 (sorted names, fixed mtime and owner, gzip -n).
# Idempotent. Fails with one line on a missing cross compiler, a failed download or a sha mismatch.
# Environment: PARAMSCALE_DEPS (default build/deps), PARAMSCALE_JOBS (default 2).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/apt-private.sh
source "$repo/scripts/lib/apt-private.sh"
deps=$(realpath -m "${PARAMSCALE_DEPS:-$repo/build/deps}")
jobs=${PARAMSCALE_JOBS:-2}
ORT_VERSION=1.30.0

die() { echo "build-bundle: $*" >&2; exit 1; }

arch=${1:-}
[ $# -gt 0 ] && shift
case "$arch" in
  aarch64) triple=aarch64-linux-gnu debarch=arm64 ortarch=arm64 cross_pkg=g++-aarch64-linux-gnu ;;
  x86_64) triple=x86_64-linux-gnu debarch=amd64 ortarch=x64 cross_pkg=g++ ;;
  *) die "usage: scripts/build-bundle.sh aarch64|x86_64 [cmake arguments]" ;;
esac

# The sysroot's packages: name, version, sha256 of the arm64 .deb, sha256 of the amd64 .deb.
SYSROOT_SUITE=bullseye
SYSROOT_PACKAGES=(
  "libc6 2.31-13+deb11u11 baaa9aa184e2f21738c5819055e6740cc5b22f198e3f416e33f82b40ff6933d8 05f7264da867b37f4c5ce49266b558ea1e81e05a9464f623152fca70f3550282"
  "libc6-dev 2.31-13+deb11u11 28d478134722dcd4b0bd2045a199301d18713bf95947b9fce66634e7aeacab2e e7f7b45d9c5cfcf37609f0b6efd3c645272c812144703af89dfd32218fcb0fd3"
  "linux-libc-dev 5.10.223-1 8b6374a64412d33eac61d74f77b8f932da4b8a707ea8a614791e2a35b8917618 e3be603bd12377bb90fcfb0f2048ca3a81c886e49d6f09945b82159d1c54f7b2"
  "libstdc++-10-dev 10.2.1-6 cee7ca63613b50a8a51cc670db385c7e6d1181b72c94148fc8b7992e4570782d 20b1f56863dcc5f187d6cb53b2aa6149bd013be4ec67e10c2c31a22fda619a01"
  "libstdc++6 10.2.1-6 7869aa540cc46e9f3d4267d5bde2af0e5b429a820c1d6f1a4cfccfe788c31890 5c155c58935870bf3b4bfe769116841c0d286a74f59eccfd5645693ac23f06b1"
  "libgcc-s1 10.2.1-6 e2fcdb378d3c1ad1bcb64d4fb6b37aab44011152beca12a4944f435a2582df1f e478f2709d8474165bb664de42e16950c391f30eaa55bc9b3573281d83a29daf"
  "libgcc-10-dev 10.2.1-6 80fc73d339ada2e194175afe83cd89014565242153b6e3c2128849d8817da367 3b711374092b84e732c4e73cf33e02cff02e34a5f105eb6467de8d9038e4cd9d"
)

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# The pinned .deb of one package line, downloaded unless a good copy is cached; prints its path.
fetch_deb() { # "name version sha-arm64 sha-amd64"
  local name version sha_arm64 sha_amd64 want deb
  read -r name version sha_arm64 sha_amd64 <<<"$1"
  if [ "$debarch" = arm64 ]; then want=$sha_arm64; else want=$sha_amd64; fi
  deb="$deps/apt-$SYSROOT_SUITE/debs/${name}_${version}_${debarch}.deb"
  if [ ! -f "$deb" ] || [ "$(sha256_of "$deb")" != "$want" ]; then
    rm -f "$deb"
    local log=$deps/apt-$SYSROOT_SUITE/download.log
    mkdir -p "$deps/apt-$SYSROOT_SUITE"
    apt_private_download "$deps/apt-$SYSROOT_SUITE" "$SYSROOT_SUITE" "$debarch" "$name=$version" \
      >"$log" 2>&1 ||
      die "download of $name=$version ($SYSROOT_SUITE/$debarch) failed: $(grep -m1 -E '^(E|W):|apt-private:' "$log")"
    [ -f "$deb" ] || die "download of $name=$version ($SYSROOT_SUITE/$debarch) left no $deb"
    local got
    got=$(sha256_of "$deb")
    [ "$got" = "$want" ] || die "sha256 mismatch for $deb: expected $want, got $got"
  fi
  echo "$deb"
}

# Unpacks the pinned packages into the sysroot (once: a stamp records the pins it was made from)
# and makes every absolute symlink in it relative, so that nothing points at the build machine.
make_sysroot() {
  sysroot=$deps/sysroot-$SYSROOT_SUITE-$debarch
  local stamp
  stamp=$(printf '%s\n' "$SYSROOT_SUITE $debarch" "${SYSROOT_PACKAGES[@]}")
  if [ -f "$sysroot/.paramscale-sysroot" ] && [ "$(cat "$sysroot/.paramscale-sysroot")" = "$stamp" ]; then
    return
  fi
  echo "build-bundle: making the $SYSROOT_SUITE $debarch sysroot in $sysroot" >&2
  local tmp=$sysroot.tmp line deb link target
  rm -rf "$tmp"
  mkdir -p "$tmp"
  for line in "${SYSROOT_PACKAGES[@]}"; do
    deb=$(fetch_deb "$line")
    dpkg-deb -x "$deb" "$tmp" || die "cannot unpack $deb"
  done
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    case "$target" in
      /*) ln -sfn "$(realpath -m -s --relative-to="$(dirname "$link")" "$tmp$target")" "$link" ;;
    esac
  done < <(find "$tmp" -type l -print0)
  printf '%s\n' "$stamp" >"$tmp/.paramscale-sysroot"
  rm -rf "$sysroot"
  mv "$tmp" "$sysroot"
}

# The highest GLIBC_x.y version an ELF file needs from glibc's own libraries (empty if none).
glibc_floor() {
  readelf -W -V "$1" | awk '
    /^Version needs section/ { needs = 1; next }
    /^Version (definition|symbols) section/ { needs = 0 }
    needs && /File:/ { glibc = ($0 ~ /File: (libc|libm|libdl|libpthread|librt|ld-linux[^ ]*)\.so/) }
    needs && glibc && match($0, /Name: GLIBC_[0-9.]+/) { print substr($0, RSTART + 12, RLENGTH - 12) }
  ' | sort -uV | tail -n1
}

configure_and_build() {
  build=$repo/build/bundle-$arch
  local log=$build.cmake.log
  mkdir -p "$build"
  # --fresh: the toolchain's flags only reach a new cache; objects are still reused where unchanged.
  cmake --fresh -S "$repo" -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchains/bullseye-$arch.cmake" \
    -DPARAMSCALE_SYSROOT="$sysroot" -DPARAMSCALE_DEVICE_BUILD=ON -DPARAMSCALE_DEPS_DIR="$deps" \
    -DCMAKE_BUILD_TYPE=Release "$@" >"$log" 2>&1 ||
    { cat "$log" >&2; die "cmake configure of the $arch device build failed (log: $log)"; }
  ninja -C "$build" -j "$jobs" paramscale >&2 || die "the $arch device build failed"
  version=$(sed -n 's/^#define PARAMSCALE_VERSION "\(.*\)"$/\1/p' "$build/generated/util/version.h")
  [ -n "$version" ] || die "no version in $build/generated/util/version.h"
}

# MANIFEST.json of the staged directory $1 (every file but the manifest itself), named $2.
write_manifest() {
  local dir=$1 bundle=$2 floor=$3 f first=1 pkgs="" line name ver
  for line in "${SYSROOT_PACKAGES[@]}"; do
    read -r name ver _ <<<"$line"
    pkgs+="${pkgs:+, }\"$name\": \"$ver\""
  done
  {
    printf '{\n  "schema": "paramscale.bundle/1",\n  "name": "%s",\n' "$bundle"
    printf '  "paramscale_version": "%s",\n  "arch": "%s",\n  "os": "linux",\n' "$version" "$arch"
    printf '  "glibc_floor": "%s",\n  "onnxruntime_version": "%s",\n' "$floor" "$ORT_VERSION"
    printf '  "compiler": "%s %s",\n' "$triple-g++" "$("$triple-g++" -dumpfullversion)"
    printf '  "sysroot": {"suite": "%s", "architecture": "%s", "packages": {%s}},\n' \
      "$SYSROOT_SUITE" "$debarch" "$pkgs"
    printf '  "files": ['
    while IFS= read -r f; do
      printf '%s\n    {"path": "%s", "size": %s, "sha256": "%s", "glibc_floor": "%s"}' \
        "$([ $first = 1 ] || echo ,)" "$f" "$(stat -c %s "$dir/$f")" "$(sha256_of "$dir/$f")" \
        "$(glibc_floor "$dir/$f")"
      first=0
    done < <(cd "$dir" && find . -type f ! -name MANIFEST.json | sed 's|^\./||' | LC_ALL=C sort)
    printf '\n  ]\n}\n'
  } >"$dir/MANIFEST.json"
}

stage() {
  name=paramscale-$version-linux-$arch
  out=$repo/build/bundles
  local dir=$out/$name tmp=$out/$name.tmp f floor="" runpath
  rm -rf "$tmp"
  mkdir -p "$tmp/bin" "$tmp/lib"
  "$triple-strip" --strip-all -o "$tmp/bin/paramscale" "$build/paramscale"
  cp "$deps/onnxruntime-$ORT_VERSION/lib/$ortarch/libonnxruntime.so.1" "$tmp/lib/"
  cp -L "$sysroot/usr/lib/$triple/libstdc++.so.6" "$tmp/lib/libstdc++.so.6"
  cp -L "$sysroot/lib/$triple/libgcc_s.so.1" "$tmp/lib/libgcc_s.so.1"
  chmod 0755 "$tmp" "$tmp/bin" "$tmp/lib" "$tmp/bin/paramscale"
  chmod 0644 "$tmp"/lib/*
  runpath=$(readelf -W -d "$tmp/bin/paramscale" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
  # shellcheck disable=SC2016 # the literal $ORIGIN, which the loader expands
  [ "$runpath" = '$ORIGIN/../lib' ] || die "bin/paramscale has RUNPATH '$runpath', not \$ORIGIN/../lib"
  for f in "$tmp"/bin/* "$tmp"/lib/*; do
    floor=$(printf '%s\n%s\n' "$floor" "$(glibc_floor "$f")" | sed '/^$/d' | sort -V | tail -n1)
  done
  glibc=$floor
  write_manifest "$tmp" "$name" "$floor"
  chmod 0644 "$tmp/MANIFEST.json"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

# A byte-for-byte reproducible tar.gz of the staged directory.
pack() {
  tarball=$out/$name.tar.gz
  LC_ALL=C tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -C "$out" -cf - "$name" | gzip -n -9 >"$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
}

command -v "$triple-g++" >/dev/null 2>&1 ||
  die "cross compiler $triple-g++ not found (install $cross_pkg: scripts/install-deps.sh does)"
command -v "$triple-strip" >/dev/null 2>&1 || die "$triple-strip not found (install binutils for $arch)"
for tool in cmake ninja readelf dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run scripts/install-deps.sh)"
done
[ -f "$deps/onnxruntime-$ORT_VERSION/lib/$ortarch/libonnxruntime.so.1" ] ||
  die "ONNX Runtime $ORT_VERSION ($ortarch) not in $deps: run scripts/install-deps.sh"

start=$(date +%s)
make_sysroot
configure_and_build "$@"
stage
pack
size_tgz=$(stat -c %s "$tarball")
size_dir=$(find "$out/$name" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
echo "build-bundle: $tarball: $(awk -v b="$size_tgz" 'BEGIN { printf "%.1f", b / 1e6 }') MB" \
  "($(awk -v b="$size_dir" 'BEGIN { printf "%.1f", b / 1e6 }') MB unpacked), glibc floor $glibc," \
  "sha256 $(sha256_of "$tarball"), $(($(date +%s) - start)) s"
