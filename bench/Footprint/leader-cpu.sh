#!/usr/bin/env bash
# What one `clusterctl node list` costs the leader and the client, without the lab (issue #14).
#
#   bench/Footprint/leader-cpu.sh CLUSTER_LEADER_BINARY CLUSTERCTL [--calls 40] [--warmup 5]
#
# Starts the given cluster-leader (fresh temp data dir, 127.0.0.1, a free port) on a fake engine
# (fake-engine.py: a unix socket answering /info and a 3-node /nodes), runs `clusterctl node list`
# --warmup times, then --calls times, and prints the leader's CPU time per call (utime + stime
# from /proc/PID/stat over the calls), the wall time per call, and the leader's RSS after them;
# then the client's own CPU per call (hyperfine -N, 20 runs) next to `clusterctl --help`, which is
# process start alone. CPU time, unlike wall time, stays meaningful on a loaded machine. Needs
# python3 and hyperfine. Stops what it started (by pid) and removes its temp dir.
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
LEADER=$(readlink -f "$1"); CTL=$(readlink -f "$2"); shift 2
CALLS=40; WARMUP=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --calls) CALLS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    *) echo "leader-cpu: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
TMP=$(mktemp -d /tmp/leader-cpu.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
python3 "$HERE/fake-engine.py" "$TMP/docker.sock" & PIDS+=($!)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$LEADER" --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" --docker-host "unix://$TMP/docker.sock" > "$TMP/leader.log" 2>&1 & LPID=$!; PIDS+=("$LPID")
for _ in $(seq 240); do grep -q "listening on" "$TMP/leader.log" 2>/dev/null && break; sleep 0.5; done
grep -q "listening on" "$TMP/leader.log" || { echo "leader-cpu: the leader did not start:" >&2; tail "$TMP/leader.log" >&2; exit 1; }
CLUSTER_TOKEN=$(cat "$TMP/data/admin.token"); export CLUSTER_TOKEN CLUSTER_LEADER="127.0.0.1:$PORT"
for _ in $(seq "$WARMUP"); do "$CTL" node list > /dev/null; done
cpu() { awk '{print $14 + $15}' "/proc/$LPID/stat"; }
HZ=$(getconf CLK_TCK)
before=$(cpu); start=$(date +%s%N)
for _ in $(seq "$CALLS"); do "$CTL" node list > /dev/null; done
after=$(cpu); end=$(date +%s%N)
echo "leader CPU per node list (calls $((WARMUP + 1))-$((WARMUP + CALLS))): $(( (after - before) * 1000 / HZ / CALLS )) ms;" \
  "wall per call $(( (end - start) / 1000000 / CALLS )) ms; leader RSS $(awk '/VmRSS/{printf "%.0f", $2 / 1024}' "/proc/$LPID/status") MB;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 2 -r 20 "$CTL node list" "$CTL --help" 2>&1 | grep -E "Benchmark|Time"
