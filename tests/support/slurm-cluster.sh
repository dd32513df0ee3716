#!/usr/bin/env bash
# tests/support/slurm-cluster.sh start|stop DIR — a real single-node Slurm cluster on loopback for
# the study's Slurm executor tests: munged, slurmctld and slurmd from Debian's slurm-wlm and munge,
# started by hand (no systemd) with everything (key, sockets, state, spool, logs) in DIR, and
# stopped by PID. `start` prints the SLURM_CONF to export and waits until the node is idle.
# Needs root (munged and slurmd run as root here). Facts: INSTALL-NOTES "Single-node Slurm".
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

stop() {
  for name in slurmd slurmctld munged; do
    local pid_file=$dir/$name.pid
    [ -f "$pid_file" ] || continue
    local pid
    pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        # A zombie counts as gone (reaped lazily here).
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
        [ "$state" = gone ] || [ "$state" = Z ] && break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
  done
}

if [ "$cmd" = stop ]; then
  [ -f "$dir/slurm.conf" ] && SLURM_CONF=$dir/slurm.conf scancel --user="$(id -un)" 2>/dev/null || true
  stop
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
for tool in munged slurmctld slurmd sbatch squeue; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
    { echo "slurm-cluster: $tool not installed (slurm-wlm, munge: scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$dir"/{munge,state,spool,log}
chmod 0700 "$dir/munge"
head -c 1024 /dev/urandom >"$dir/munge/munge.key"
chmod 0400 "$dir/munge/munge.key"
mkdir -p "$dir/munge-run" && chmod 0755 "$dir/munge-run"
/usr/sbin/munged --socket="$dir/munge-run/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munged.pid" --seed-file="$dir/munge/munge.seed" --log-file="$dir/log/munged.log" \
  --force

node=$(slurmd -C | awk '/^NodeName/ {sub(/^NodeName=[^ ]* /, ""); print; exit}')
cat >"$dir/slurm.conf" <<EOF
ClusterName=paramscale-test
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge-run/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=$(( 20000 + RANDOM % 20000 ))
SlurmdPort=$(( 40001 + RANDOM % 20000 ))
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
MailProg=/bin/true
MinJobAge=3600
ReturnToService=2
SchedulerType=sched/backfill
NodeName=localhost $node State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf
/usr/sbin/slurmctld -f "$SLURM_CONF" -i
/usr/sbin/slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 100); do
  state=$(sinfo -h -o '%T' 2>/dev/null | head -n1 || true)
  [ "$state" = idle ] && { echo "$SLURM_CONF"; exit 0; }
  sleep 0.2
done
echo "slurm-cluster: the node did not become idle (see $dir/log)" >&2
stop
exit 1
