#!/usr/bin/env bash
# Issue #14 benchmark: how much the platform takes from a small server, next to Docker itself.
#
#   bench/Footprint/footprint-bench.sh [--binaries DIR] [--settle SECONDS] [--runs N] [--long [SECONDS]]
#
# As root, with the lab up (tests/lab/lab.sh up; only one user of the lab at a time). It
#   1. publishes the four programs as install.sh does (deploy/publish.proj: all four compiled
#      ahead of time when clang is there), or takes them from --binaries DIR (DIR/<program>/<program>);
#   2. starts the all-in-one daemons as published: cluster-leader on the lab's swarm manager
#      (node 1), cluster-agent and cluster-builder in node 1's network namespace on node 1's engine;
#   3. lets them settle, then reads each daemon's RSS (median of 5 reads, 1 s apart) next to node 1's
#      dockerd: idle; after a credential change (registry add, until the agent acknowledged it);
#      after a deployment (a small image built and pushed to the lab registry, deployed to node 1);
#   4. times clusterctl (node list, app list -o json, image parse) against docker (node ls, image
#      inspect) in the same run: wall time with hyperfine (median of --runs, default 10, after 2
#      warm-ups), peak RSS with /usr/bin/time (median of --runs);
#   5. --long [SECONDS] (default 3600; not for CI): then leaves the daemons idle, heartbeating,
#      and reads RSS every 60 s; reports growth from the first read to the last (target <= 10 %).
# Prints a Markdown table. Stops every process it started (by pid), removes its service and
# temp dir, also on failure.
set -euo pipefail

BENCH_NAME=footprint
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/../lib.sh"
DOCKER=${DOCKER:-docker}
BINARIES=""
SETTLE=30
RUNS=10
LONG=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binaries) BINARIES=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --long) LONG=3600; if [[ ${2:-} =~ ^[0-9]+$ ]]; then LONG=$2; shift; fi; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "footprint-bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

[[ $(id -u) == 0 ]] || die "run as root (the agent runs in the lab node's network namespace)"
[[ -f $LAB_DIR/lab.env ]] || die "no lab at $LAB_DIR (tests/lab/lab.sh up)"
for tool in hyperfine jq nsenter /usr/bin/time; do command -v "$tool" >/dev/null || die "$tool is missing (apt-get install hyperfine jq util-linux time)"; done

WORK=$(mktemp -d /tmp/footprint-bench.XXXXXX)
APP=footprint-bench
dk() { DOCKER_CONFIG="$WORK/cli" "$DOCKER" -H "$(labenv LAB_NODE1_SOCK)" "$@"; }
cleanup() {
  local rc=$?
  if [[ -n $LEADER_ADDR && -f $WORK/leader/admin.token ]]; then ctl app remove "$APP" >/dev/null 2>&1 || true; fi
  dk service rm "$APP" >/dev/null 2>&1 || true
  bench_stop_all
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
# A signal ends the script through exit, so the EXIT trap (cleanup) runs: bash does not run it
# when an untrapped signal kills it.
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
if [[ -n $BINARIES ]]; then
  BIN=$(cd "$BINARIES" && pwd)
else
  BIN=$WORK/pub
  say "publishing the programs (deploy/publish.proj, as install.sh does)"
  aot=true; { command -v clang >/dev/null && [[ -f /usr/include/zlib.h ]]; } || { aot=false; say "no clang/zlib1g-dev: clusterctl is published without AOT"; }
  dotnet msbuild "$ROOT/deploy/publish.proj" -restore -t:Publish -nologo -v:q -clp:ErrorsOnly \
    "-p:PublishRoot=$BIN/" -p:Configuration=Release "-p:Aot=$aot" >"$WORK/publish.log" 2>&1 || { tail -30 "$WORK/publish.log" >&2; die "publish failed"; }
fi
for p in cluster-leader cluster-agent cluster-builder clusterctl; do [[ -x $BIN/$p/$p ]] || die "no $BIN/$p/$p"; done
bench_binaries "$BIN"
kind() { if [[ -f $BIN/$1/$1.dll ]]; then echo "JIT"; else echo "native (AOT)"; fi; }

# ---------------------------------------------------------------------------------------------
# RSS in MB (VmRSS), median of 5 reads 1 s apart, for each pid given.
rss_of() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }
declare -A RSS=()
sample() { # PHASE NAME=PID...
  local phase=$1; shift
  local i pair name pid
  declare -A reads=()
  for ((i = 0; i < 5; i++)); do
    for pair in "$@"; do name=${pair%%=*}; pid=${pair#*=}; reads[$name]+="$(rss_of "$pid") "; done
    sleep 1
  done
  for pair in "$@"; do
    name=${pair%%=*}
    RSS[$phase/$name]=$(tr ' ' '\n' <<<"${reads[$name]}" | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  done
  say "$phase: $(for pair in "$@"; do name=${pair%%=*}; printf '%s %s MB  ' "$name" "${RSS[$phase/$name]}"; done)"
}

DOCKERD_PID=$(cat "$LAB_DIR/n1/docker.pid")
alive "$DOCKERD_PID" || die "node 1's dockerd (pid file $LAB_DIR/n1/docker.pid) is not running"
say "starting cluster-leader ($(kind cluster-leader)), agent ($(kind cluster-agent)) and builder ($(kind cluster-builder)) on node 1"
bench_start_leader "$LEADER"
say "cluster-leader listens on $LEADER_ADDR"
bench_start_agent "$AGENT" 1
AGENT_PID=$BENCH_LAST_PID
bench_start_builder "$BUILDER" 1
BUILDER_PID=$BENCH_LAST_PID
# Ready: the agent's session is up (node list). The builder only has to run (it shows in node
# list with role builder once its session is up).
bench_wait_agents 1
alive "$BUILDER_PID" || { tail -5 "$WORK/builder.log" >&2; die "the builder exited"; }
say "agent ready, builder running; settling ${SETTLE} s"
sleep "$SETTLE"
DAEMONS=("leader=$LEADER_PID" "agent=$AGENT_PID" "builder=$BUILDER_PID" "dockerd=$DOCKERD_PID")
sample idle "${DAEMONS[@]}"

# A credential change: the leader seals and stores it, the agent receives and checks it.
registry=$(labenv LAB_REGISTRY)
mkdir -p "$WORK/cli"; chmod 700 "$WORK/cli"
printf '%s' "$(labenv LAB_REGISTRY_PASSWORD)" | ctl registry add footprint --provider generic --url "$registry" \
  --username "$(labenv LAB_REGISTRY_USER)" --password-stdin --insecure >/dev/null || die "registry add failed"
revision=$(ctl registry show footprint -o json | jq -r .revision)
for ((i = 0; i < 120; i++)); do
  # This run's agent only: node list also shows the lab's other swarm nodes (no agent, id "")
  # and the builder (it holds no pull credentials).
  held=$(ctl node list -o json | jq -r '[.[] | select(.role != "builder" and .id != "") | .credentialRevision] | min')
  (( held >= revision )) && break
  sleep 0.5
done
(( held >= revision )) || { ctl node list -o json >&2 || true; ctl registry show footprint -o json >&2 || true; tail -20 "$WORK/agent.log" >&2; die "the agent did not acknowledge credential revision $revision"; }
sleep 10
sample credential "${DAEMONS[@]}"

# A deployment of a small image (busybox on scratch) to node 1.
printf '%s' "$(labenv LAB_REGISTRY_PASSWORD)" | dk login "$registry" -u "$(labenv LAB_REGISTRY_USER)" --password-stdin >/dev/null 2>&1 || die "docker login to the lab registry failed"
mkdir -p "$WORK/ctx"; cp /bin/busybox "$WORK/ctx/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "sh", "-c", "trap '"'"'exit 0'"'"' TERM; while true; do sleep 1; done"]\n' >"$WORK/ctx/Dockerfile"
IMAGE="$registry/footprint-bench:$(date +%s)"
dk build -q -t "$IMAGE" "$WORK/ctx" >/dev/null || die "docker build failed"
dk push "$IMAGE" >/dev/null || die "docker push failed"
ctl app create "$APP" --image "$IMAGE" --registry footprint --replicas 1 --constraint "node.hostname==$(labenv LAB_NODE1_HOSTNAME)" >/dev/null || die "app create failed"
ctl deploy "$APP" >"$WORK/deploy.log" 2>&1 || { cat "$WORK/deploy.log" >&2; die "deploy failed"; }
sleep 10
sample deployment "${DAEMONS[@]}"

# ---------------------------------------------------------------------------------------------
# The CLI, against docker in the same run.
say "timing the CLIs (hyperfine, $RUNS runs each)"
export CLUSTER_LEADER=$LEADER_ADDR CLUSTER_CONFIG=/dev/null
CLUSTER_TOKEN=$(cat "$WORK/leader/admin.token"); export CLUSTER_TOKEN
export DOCKER_CONFIG=$WORK/cli
DOCKER_BIN=$(command -v "$DOCKER")
NODE1=$(labenv LAB_NODE1_SOCK)
CTL=$BIN/clusterctl/clusterctl
declare -A CMD=(
  [ctl-node-list]="$CTL node list"
  [ctl-app-list-json]="$CTL app list -o json"
  [ctl-image-parse]="$CTL image parse $IMAGE"
  [docker-node-ls]="$DOCKER_BIN -H $NODE1 node ls"
  [docker-image-inspect]="$DOCKER_BIN -H $NODE1 image inspect $IMAGE"
)
ORDER=(ctl-node-list docker-node-ls ctl-app-list-json ctl-image-parse docker-image-inspect)
declare -A WALL=() PEAK=()
for key in "${ORDER[@]}"; do
  # shellcheck disable=SC2086
  ${CMD[$key]} >/dev/null || die "'${CMD[$key]}' failed"
  hyperfine -N --runs "$RUNS" --warmup 2 --export-json "$WORK/$key.json" "${CMD[$key]}" >/dev/null 2>&1 || die "hyperfine '${CMD[$key]}' failed"
  WALL[$key]=$(jq -r '.results[0].median * 1000 | . * 10 | round / 10' "$WORK/$key.json")
  peaks=()
  for ((i = 0; i < RUNS; i++)); do
    # shellcheck disable=SC2086
    peaks+=("$(/usr/bin/time -f %M ${CMD[$key]} 2>&1 >/dev/null | tail -n 1)")
  done
  PEAK[$key]=$(printf '%s\n' "${peaks[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1024 }')
  say "$key: ${WALL[$key]} ms, ${PEAK[$key]} MB"
done

# ---------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v <= t) print "holds"; else print "**missed**" }'; }
{
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release), load average $(cut -d' ' -f1 /proc/loadavg) at the end;"
  echo "dockerd $(dk version --format '{{.Server.Version}}'), docker CLI $(dk version --format '{{.Client.Version}}'); leader $(kind cluster-leader), agent $(kind cluster-agent), builder $(kind cluster-builder), clusterctl $(kind clusterctl)."
  echo
  echo "| RSS (MB, median of 5 reads) | idle | after a credential change | after a deployment | target (idle) |"
  echo "|---|---:|---:|---:|---|"
  echo "| cluster-leader (1 agent, 1 builder) | ${RSS[idle/leader]} | ${RSS[credential/leader]} | ${RSS[deployment/leader]} | (with 10 agents: <= 100, see bench/Propagation N = 10) |"
  echo "| cluster-agent | ${RSS[idle/agent]} | ${RSS[credential/agent]} | ${RSS[deployment/agent]} | <= 40: $(verdict "${RSS[idle/agent]}" 40) |"
  echo "| cluster-builder | ${RSS[idle/builder]} | ${RSS[credential/builder]} | ${RSS[deployment/builder]} | <= 40: $(verdict "${RSS[idle/builder]}" 40) |"
  echo "| dockerd (node 1, for scale) | ${RSS[idle/dockerd]} | ${RSS[credential/dockerd]} | ${RSS[deployment/dockerd]} | |"
  echo
  echo "| command (median of $RUNS) | wall time | peak RSS |"
  echo "|---|---:|---:|"
  for key in "${ORDER[@]}"; do
    label=${CMD[$key]//$BIN\/clusterctl\//}; label=${label//$DOCKER_BIN -H $NODE1/docker}; label=${label//$IMAGE/IMAGE}
    echo "| \`$label\` | ${WALL[$key]} ms | ${PEAK[$key]} MB |"
  done
  echo
  echo "\`clusterctl node list\` / \`docker node ls\`: $(ratio "${WALL[ctl-node-list]}" "${WALL[docker-node-ls]}") wall time (target <= 2x: $(verdict "$(awk -v a="${WALL[ctl-node-list]}" -v b="${WALL[docker-node-ls]}" 'BEGIN { print a / b }')" 2))."
}

if (( LONG > 0 )); then
  say "long mode: ${LONG} s of idle heartbeats, RSS every 60 s"
  first=(); last=(); peak=()
  names=(leader agent builder)
  pids=("$LEADER_PID" "$AGENT_PID" "$BUILDER_PID")
  for ((t = 0; t <= LONG; t += 60)); do
    for i in 0 1 2; do
      alive "${pids[$i]}" || die "${names[$i]} exited during the long run"
      v=$(rss_of "${pids[$i]}")
      [[ -n ${first[$i]:-} ]] || first[i]=$v
      last[i]=$v
      peak[i]=$(awk -v a="${peak[$i]:-0}" -v b="$v" 'BEGIN { print (b > a) ? b : a }')
    done
    say "t=${t}s leader ${last[0]} agent ${last[1]} builder ${last[2]} MB"
    (( t + 60 <= LONG )) && sleep 60
  done
  echo
  echo "Long mode, ${LONG} s of idle heartbeats (RSS in MB, first read / last / peak, growth first to last; target <= 10 %):"
  echo
  echo "| daemon | first | last | peak | growth |"
  echo "|---|---:|---:|---:|---:|"
  for i in 0 1 2; do
    echo "| ${names[$i]} | ${first[$i]} | ${last[$i]} | ${peak[$i]} | $(awk -v a="${first[$i]}" -v b="${last[$i]}" 'BEGIN { printf "%+.1f %%", (b - a) * 100 / a }') |"
  done
fi
