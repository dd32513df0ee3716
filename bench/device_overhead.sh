#!/usr/bin/env bash
# bench/device_overhead.sh — issue 13's ratio: is a latency measured through a device the same as
# one measured here? The device is this machine: a real OpenSSH server on a free loopback port
# (key-only login, its own host key), running the x86-64 device bundle (scripts/build-bundle.sh
# x86_64). The same protocol (bench's defaults: at least 30 runs and 1 s, then until the median's
# 95% interval is within +-1%) runs locally and through
# the device, interleaved (local, device, local, device, ...) so load changes hit both alike; the
# table gives each pair's medians, device ÷ local per pair, and the median of those ratios.
#
#   bench/device_overhead.sh      # PARAMSCALE=... REPS=3 THREADS=1 OUT=/tmp/...
# Needs root (sshd's privilege separation directory) and /usr/sbin/sshd (openssh-server).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PS=${PARAMSCALE:-$repo/build/paramscale}
REPS=${REPS:-3}
THREADS=${THREADS:-1}
OUT=${OUT:-$(mktemp -d /tmp/paramscale-device-overhead-XXXXXX)}
mkdir -p "$OUT"

# --- a loopback "device" --------------------------------------------------------------------------
for k in host_key client_key; do ssh-keygen -q -t ed25519 -N '' -f "$OUT/$k" <<<y >/dev/null; done
cp "$OUT/client_key.pub" "$OUT/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$OUT/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $OUT/host_key
PidFile $OUT/sshd.pid
AuthorizedKeysFile $OUT/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
LogLevel ERROR
EOF
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$OUT/host_key.pub")" >"$OUT/known_hosts"
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$OUT/sshd_config" 2>"$OUT/sshd.log" &
sshd_pid=$!
trap 'kill $sshd_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
"$PS" device add loopback --host 127.0.0.1 --port "$port" --user "$(id -un)" \
  --identity "$OUT/client_key" --known-hosts "$OUT/known_hosts" --workdir "$OUT/device" \
  --devices "$OUT/devices.json" >/dev/null

# --- models -----------------------------------------------------------------------------------------
declare -A spec=([vgg11-p0.25]="--model vgg11 --dataset cifar10 --budget params:0.25"
                 [vgg11-p1.0]="--model vgg11 --dataset cifar10 --budget params:1.0"
                 [mobilenetv2-p0.25]="--model mobilenetv2 --dataset cifar10 --budget params:0.25"
                 [resnet50-p0.25]="--model resnet50 --dataset cifar10 --budget params:0.25")
models="vgg11-p0.25 vgg11-p1.0 mobilenetv2-p0.25 resnet50-p0.25"
for m in $models; do
  # shellcheck disable=SC2086
  "$PS" export ${spec[$m]} --seed 1 -o "$OUT/$m.onnx" >/dev/null
done
# The bundle's first push is not part of any measurement.
"$PS" device check loopback --devices "$OUT/devices.json" >"$OUT/check.txt"

median_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[0]['latency_ms']['median'])" "$1"; }
echo "uptime before: $(uptime)" >&2
: >"$OUT/pairs.txt"
for rep in $(seq "$REPS"); do
  for m in $models; do
    for where in local loopback; do
      "$PS" bench "$OUT/$m.onnx" --threads "$THREADS" --device "$where" --devices "$OUT/devices.json" \
        --no-layout --json "$OUT/$m.$where.$rep.json" >/dev/null
    done
    l=$(median_of "$OUT/$m.local.$rep.json")
    d=$(median_of "$OUT/$m.loopback.$rep.json")
    echo "$m $rep $l $d" >>"$OUT/pairs.txt"
    echo "rep $rep $m: local $l ms, through the device $d ms" >&2
  done
done
echo "uptime after: $(uptime)" >&2

python3 - "$OUT/pairs.txt" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
print("| model | rep | local median ms | device median ms | device ÷ local |")
print("|---|---|---|---|---|")
ratios = {}
for m, rep, l, d in rows:
    r = float(d) / float(l)
    ratios.setdefault(m, []).append(r)
    print(f"| {m} | {rep} | {float(l):.4f} | {float(d):.4f} | {r:.3f} |")
print()
for m, rs in ratios.items():
    print(f"{m}: median device ÷ local {statistics.median(rs):.3f} over {len(rs)} pairs")
allr = [r for rs in ratios.values() for r in rs]
print(f"all: median {statistics.median(allr):.3f}, min {min(allr):.3f}, max {max(allr):.3f}")
EOF
