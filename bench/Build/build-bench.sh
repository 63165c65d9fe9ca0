#!/usr/bin/env bash
# Issue #10 benchmark: build and deploy the same app (one changed source file between builds) on
# one node of the lab, from command to converged service, three ways:
#   - ours, push and pull: `clusterctl deploy APP --from-dir CTX` on the lab's multi-node swarm
#     (so the image must go through the build registry, the lab registry): the build server on
#     node 1 builds and pushes, node 1's agent pre-pulls, the service (constrained to node 1) is
#     updated pinned by digest and confirmed;
#   - ours, registry-less: the same command on a one-node swarm (the workers leave it for that
#     phase): no push, no pull, the service runs the build's local tag;
#   - the plain script a user would write, on node 1: `docker build -t IMAGE:vN CTX && docker push
#     IMAGE:vN && docker service update --with-registry-auth --image IMAGE:vN --detach=false SVC`.
#
#   bench/Build/build-bench.sh [--runs N] [--warmup N] [--deps-mb MB] [--app-mb MB] [--binaries DIR]
#                              [--keep DIR]
#
# As root, with the lab up with at least 2 nodes (tests/lab/lab.sh up; only one user of the lab
# at a time), after a Release build of the solution (or --binaries DIR with DIR/<program>/<program>).
# Two phases, each alternating its two kinds run by run (which goes first alternates too):
#   A. the swarm as it is (node 1 manager, the others workers): ours push-and-pull vs plain;
#   B. the workers leave the swarm (as tests/Lab.Tests/Builds/MigrationTests do): ours
#      registry-less vs plain again (the same plain service; its runs show what the swarm's size
#      does to the baseline).
# Each phase first creates its services (not timed) and runs --warmup untimed runs of each kind
# (default 1: the registry gets the unchanged layers once, the engine's build cache warms), then
# --runs timed runs of each kind (default 5). A run is timed from the command's start to its
# successful return; all three wait for the service to converge (swarm's 5 s monitor included:
# the plain service has the leader's update config). After each run the script checks, untimed,
# that the service's spec changed and a task runs the new image; in phase B that ours' image is
# the local `127.0.0.1:1/cluster-build/...` tag, and counts the lab registry's requests during ours'
# runs (registry-less: expected 0).
# The app: FROM scratch, busybox, a RUN making a --deps-mb (default 64) layer of dependencies
# that the build cache keeps (as a package install from a lockfile), the source folder with the
# one file that changes, and a RUN that "compiles" it into a fresh --app-mb (default 16) layer.
# The build context is busybox and the source (about 2 MB), sent as docker build sends it.
# Prints a Markdown table with every run and the medians. Stops every process it started (by
# pid), removes its apps, services, images and temp dir, and puts the swarm back as it was (the
# workers join again, stale node entries removed, availability and labels restored), also on
# failure or Ctrl-C (trap); a failed run leaves its logs in /tmp/build-bench-failed/. Pushed
# images stay in the lab registry (the lab's down removes them). --keep DIR keeps, for every run,
# what shows where its time went: ours' clusterctl output and `deployment show -o json` (each
# step's start and end on the leader's clock) with the command's start and end, the plain
# script's output with its three commands' ends, and the daemons' logs at the end.
set -euo pipefail

BENCH_NAME=build-bench
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/../lib.sh"
RUNS=5
WARMUP=1
DEPS_MB=64
APP_MB=16
BINARIES=""
KEEP=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --deps-mb) DEPS_MB=$2; shift 2 ;;
    --app-mb) APP_MB=$2; shift 2 ;;
    --binaries) BINARIES=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    -h|--help) sed -n '2,42p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$RUNS" "$WARMUP" "$DEPS_MB" "$APP_MB"; do [[ $n =~ ^[0-9]+$ ]] || die "--runs, --warmup, --deps-mb and --app-mb take whole numbers"; done
((RUNS >= 1 && APP_MB >= 1)) || die "--runs and --app-mb must be at least 1"
if [[ -n $KEEP ]]; then mkdir -p "$KEEP" || die "--keep $KEEP: cannot make that directory"; KEEP=$(cd "$KEEP" && pwd); fi

[[ $(id -u) == 0 ]] || die "run as root (the agent and the build server run in the lab node's network namespace)"
[[ -f $LAB_DIR/lab.env ]] || die "no lab at $LAB_DIR (tests/lab/lab.sh up)"
for tool in jq nsenter docker curl ss timeout; do command -v "$tool" >/dev/null || die "$tool is missing"; done
bench_binaries "$BINARIES"
for p in "$LEADER" "$AGENT" "$BUILDER" "$CTL"; do [[ -x $p ]] || die "no $p (dotnet build -c Release Cluster.sln, or --binaries DIR)"; done

export DOCKER_BUILDKIT=0   # the classic builder, as cluster-builder's engine builds
NODES=$(labenv LAB_NODES)
NODE1=$(labenv LAB_NODE1_SOCK)
NODE1_HOST=$(labenv LAB_NODE1_HOSTNAME)
REGISTRY=$(labenv LAB_REGISTRY)
REG_LOG=$(labenv LAB_REGISTRY_LOG)
[[ $(labenv LAB_MANAGER_SOCK) == "$NODE1" ]] || die "the lab's swarm manager is not node 1"
((NODES >= 2)) || die "the push-and-pull phase needs a swarm with workers: tests/lab/lab.sh up --nodes 3"
[[ -f $REG_LOG ]] || die "no registry access log at $REG_LOG"

WORK=$(mktemp -d /tmp/build-bench.XXXXXX)
SUFFIX=$(tr -dc 'a-z0-9' </dev/urandom | head -c 6 || true)
OURS_PUSH=bb-push-$SUFFIX
OURS_LOCAL=bb-local-$SUFFIX
PLAIN=bb-plain-$SUFFIX
PLAIN_IMAGE=$REGISTRY/build-bench-$SUFFIX/plain
NAMESPACE=$REGISTRY/build-bench-$SUFFIX
CTX=$WORK/ctx
LEFT=()        # lab node numbers this script took out of the swarm (cleanup joins them again)
RESTORE=0      # 1 once the swarm's state was recorded: cleanup puts it back
PLAIN_VERSION=0
declare -A TIMES=() REQUESTS=()
mkdir -p "$WORK/cli"; chmod 700 "$WORK/cli"
# docker against node 1 (the manager), with this run's own login: what a user on node 1 types.
dk() { DOCKER_CONFIG="$WORK/cli" timeout --foreground 900 docker -H "$1" "${@:2}"; }
# The engine API of node N (for joining without the join token in any argv).
api() { local sock; sock=$(labenv "LAB_NODE$1_SOCK"); curl -sS --fail --unix-socket "${sock#unix://}" "${@:2}"; }

# ---------------------------------------------------------------------------------------------
# The swarm: what it was, taking the workers out, and putting them back.

# node_state ID: "HOSTNAME ROLE AVAILABILITY STATE"
node_state() { dk "$NODE1" node inspect -f '{{.Description.Hostname}} {{.Spec.Role}} {{.Spec.Availability}} {{.Status.State}}' "$1"; }

# The manager's node list as "HOSTNAME ROLE AVAILABILITY STATE LABELS-JSON" lines, sorted.
swarm_state() {
  local id
  for id in $(dk "$NODE1" node ls -q); do
    # Labels as sorted JSON, none as {} (the engine says null or {} for none).
    printf '%s %s\n' "$(node_state "$id")" "$(dk "$NODE1" node inspect -f '{{json .Spec.Labels}}' "$id" | jq -cS '. // {}')"
  done | sort
}

# `docker node rm --force ID`, retried while the manager still sees the node up; gone counts as removed.
remove_node() {
  local i
  for ((i = 0; i < 20; i++)); do
    dk "$NODE1" node rm --force "$1" >/dev/null 2>&1 && return 0
    dk "$NODE1" node inspect "$1" >/dev/null 2>&1 || return 0
    sleep 0.5
  done
  return 1
}

workers_leave() {
  local i sock id
  for ((i = 2; i <= NODES; i++)); do
    sock=$(labenv "LAB_NODE${i}_SOCK")
    id=$(dk "$sock" info -f '{{.Swarm.NodeID}}')
    [[ -n $id ]] || continue
    LEFT+=("$i")
    dk "$sock" swarm leave --force >/dev/null || die "node $i did not leave the swarm"
    remove_node "$id" || die "the manager did not remove node $i ($id)"
  done
  [[ $(dk "$NODE1" node ls -q | wc -l) == 1 ]] || { dk "$NODE1" node ls >&2; die "the swarm still has more than one node"; }
}

# Joins every node that left again as a worker (swarm join through the engine API, the worker
# token piped from the manager's API: never in an argv), removes the stale entries of its earlier
# membership, then restores availability and labels as recorded. Best effort: says what it could
# not do and goes on.
workers_rejoin() {
  local i ip host id stale want
  for i in "${LEFT[@]}"; do
    ip=$(labenv "LAB_NODE${i}_IP"); host=$(labenv "LAB_NODE${i}_HOSTNAME")
    if [[ $(dk "$(labenv "LAB_NODE${i}_SOCK")" info -f '{{.Swarm.LocalNodeState}}') != active ]]; then
      api 1 http://localhost/swarm |
        jq -c --arg remote "$(labenv LAB_SWARM_ADDR)" --arg adv "$ip" --arg listen "$ip:2377" \
          '{JoinToken: .JoinTokens.Worker, RemoteAddrs: [$remote], AdvertiseAddr: $adv, ListenAddr: $listen}' |
        api "$i" -X POST -H 'Content-Type: application/json' --data-binary @- http://localhost/swarm/join >/dev/null ||
        { say "WARNING: node $i did not join the swarm again: join it by hand (tests/lab/lab.sh down && up rebuilds the lab)"; continue; }
    fi
    id=$(dk "$(labenv "LAB_NODE${i}_SOCK")" info -f '{{.Swarm.NodeID}}')
    for stale in $(dk "$NODE1" node ls -q); do
      [[ $stale != "$id" && $(node_state "$stale") == "$host "* ]] && { remove_node "$stale" || say "WARNING: stale entry $stale of $host not removed"; }
    done
  done
  for ((i = 0; i < 120; i++)); do
    [[ $(dk "$NODE1" node ls --format '{{.Status}}' | grep -cx Ready) -ge $(wc -l <"$WORK/swarm-before") ]] && break
    sleep 0.5
  done
  # Availability and labels as they were (a node that joined again has the defaults).
  for id in $(dk "$NODE1" node ls -q); do
    host=$(node_state "$id" | cut -d' ' -f1)
    want=$(grep "^$host " "$WORK/swarm-before" || true)
    [[ -n $want ]] || continue
    dk "$NODE1" node update --availability "$(cut -d' ' -f3 <<<"$want")" "$id" >/dev/null || say "WARNING: availability of $host not restored"
    while IFS= read -r label; do
      [[ -n $label ]] && { dk "$NODE1" node update --label-add "$label" "$id" >/dev/null || say "WARNING: label $label of $host not restored"; }
    done < <(cut -d' ' -f5- <<<"$want" | jq -r '(. // {}) | to_entries[] | "\(.key)=\(.value)"')
  done
}

cleanup() {
  local rc=$? app
  trap - EXIT HUP INT TERM
  set +e   # every step below is attempted, whatever failed before it
  if [[ -n $LEADER_ADDR && -f $WORK/leader/admin.token ]]; then
    for app in "$OURS_PUSH" "$OURS_LOCAL"; do ctl app remove "$app" >/dev/null 2>&1 || true; done
  fi
  dk "$NODE1" service rm "$OURS_PUSH" "$OURS_LOCAL" "$PLAIN" >/dev/null 2>&1 || true
  # The leader stops before any worker joins again: it would migrate the registry-less app.
  bench_stop_all
  [[ -z $KEEP ]] || cp "$WORK"/*.log "$KEEP/" 2>/dev/null || true
  if ((rc != 0)); then   # keep the logs of a failed run (no secrets: the daemons never log any)
    mkdir -p /tmp/build-bench-failed && cp "$WORK"/*.log /tmp/build-bench-failed/ 2>/dev/null &&
      say "logs of the failed run: /tmp/build-bench-failed/"
  fi
  if ((RESTORE)); then
    ((${#LEFT[@]} == 0)) || { say "the workers join the swarm again"; workers_rejoin; }
    if [[ $(swarm_state) != "$(cat "$WORK/swarm-before")" ]]; then
      say "WARNING: the swarm is not as it was. Before:"; cat "$WORK/swarm-before" >&2
      say "now:"; swarm_state >&2 || true
      ((rc != 0)) || rc=1
    fi
  fi
  dk "$NODE1" image ls --format '{{.Repository}}:{{.Tag}}' 2>/dev/null |
    grep -E "^($NAMESPACE/|127\.0\.0\.1:1/cluster-build/$OURS_LOCAL:|cluster-build\.invalid/$OURS_LOCAL:)" | while read -r ref; do dk "$NODE1" image rm "$ref" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
# A signal ends the script through exit, so the EXIT trap (cleanup) runs: bash does not run it
# when an untrapped signal kills it.
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

# The swarm as found: node 1 the only manager, every node ready (else it could not be put back as it was).
swarm_state >"$WORK/swarm-before"
RESTORE=1
[[ $(wc -l <"$WORK/swarm-before") == "$NODES" ]] || { cat "$WORK/swarm-before" >&2; die "the swarm does not have the lab's $NODES nodes"; }
while read -r host role _ state _; do
  [[ $state == ready ]] || die "node $host is $state; bring the lab up again first"
  [[ $role == worker || $host == "$NODE1_HOST" ]] || die "node $host is a manager: the workers leave the swarm in phase B, a manager cannot"
done <"$WORK/swarm-before"

# ---------------------------------------------------------------------------------------------
# The app and its one changing file.
mkdir -p "$CTX/src"
cp /bin/busybox "$CTX/busybox"
cat >"$CTX/Dockerfile" <<EOF
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /deps && /bin/busybox dd if=/dev/urandom of=/deps/libs.bin bs=1048576 count=$DEPS_MB 2>/dev/null"]
COPY src /src
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /app && /bin/busybox dd if=/dev/urandom of=/app/app.bin bs=1048576 count=$APP_MB 2>/dev/null && /bin/busybox cp /src/main.txt /app/main.txt"]
CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
EOF
change_source() { printf 'package main // %s %s\n' "$1" "$(date +%s%N)" >"$CTX/src/main.txt"; }

now_ns() { date +%s%N; }
seconds() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.1f", (e - s) / 1e9 }'; }
registry_requests() { grep -c 'msg="response completed"' "$REG_LOG" || true; }
service_image() { dk "$NODE1" service inspect "$1" -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' 2>/dev/null || true; }

# check_converged SERVICE BEFORE: the spec names a new image and a task runs it (untimed).
check_converged() {
  local image i tasks
  image=$(service_image "$1")
  [[ -n $image && $image != "$2" ]] || die "$1: the service's image did not change (still '$image')"
  for ((i = 0; i < 40; i++)); do
    tasks=$(dk "$NODE1" service ps --no-trunc --filter desired-state=running --format '{{.Image}} {{.CurrentState}}' "$1" || true)
    grep -qF "$image Running" <<<"$tasks" && { CONVERGED=$image; return 0; }
    sleep 0.25
  done
  dk "$NODE1" service ps --no-trunc "$1" >&2 || true
  die "$1: no task runs $image after the command returned"
}

# ours APP LABEL [timed]: clusterctl deploy APP --from-dir CTX; records the time under LABEL when timed.
ours() {
  local app=$1 label=$2 before start end requests
  change_source "$label"
  before=$(service_image "$app")
  requests=$(registry_requests)
  start=$(now_ns)
  CLUSTER_LEADER="$LEADER_ADDR" CLUSTER_TOKEN="$(cat "$WORK/leader/admin.token")" CLUSTER_CONFIG=/dev/null \
    timeout --foreground 900 "$CTL" deploy "$app" --from-dir "$CTX" >"$WORK/deploy.log" 2>&1 ||
    { tail -30 "$WORK/deploy.log" >&2; die "clusterctl deploy $app ($label) failed"; }
  end=$(now_ns)
  requests=$(($(registry_requests) - requests))
  check_converged "$app" "$before"
  case "$label" in
    push*) [[ $CONVERGED == "$NAMESPACE/$app:"*"@sha256:"* ]] || die "$app: expected an image pushed to $NAMESPACE, pinned by digest; the service runs $CONVERGED" ;;
    local*) [[ $CONVERGED == "127.0.0.1:1/cluster-build/$app:"* ]] || die "$app: expected the registry-less local tag; the service runs $CONVERGED (is the swarm one node?)" ;;
  esac
  if [[ ${3:-} == timed ]]; then TIMES[$label]=$(seconds "$start" "$end"); REQUESTS[$label]=$requests; fi
  say "$label: $(seconds "$start" "$end") s, $requests registry requests, $CONVERGED"
  if [[ -n $KEEP ]]; then
    local id
    id=$(grep -oE 'deployment [0-9a-z-]+ succeeded' "$WORK/deploy.log" | tail -1 | cut -d' ' -f2)
    { echo "command start $(date -u -d "@${start:0:10}.${start:10:3}" +%H:%M:%S.%3N) end $(date -u -d "@${end:0:10}.${end:10:3}" +%H:%M:%S.%3N)"
      cat "$WORK/deploy.log"; } >"$KEEP/$label.deploy.log"
    [[ -z $id ]] || ctl deployment show "$id" -o json >"$KEEP/$label.deployment.json" 2>&1 || true
  fi
}

# plain LABEL [timed]: the user's script, on node 1.
plain() {
  local label=$1 before start end tag
  PLAIN_VERSION=$((PLAIN_VERSION + 1)); tag=v$PLAIN_VERSION
  change_source "$label"
  before=$(service_image "$PLAIN")
  start=$(now_ns)
  { dk "$NODE1" build -t "$PLAIN_IMAGE:$tag" "$CTX" && echo "== build ended $(date -u +%H:%M:%S.%3N)" &&
    dk "$NODE1" push "$PLAIN_IMAGE:$tag" && echo "== push ended $(date -u +%H:%M:%S.%3N)" &&
    dk "$NODE1" service update --with-registry-auth --image "$PLAIN_IMAGE:$tag" --detach=false "$PLAIN"; } >"$WORK/plain.log" 2>&1 ||
    { tail -30 "$WORK/plain.log" >&2; die "the plain script failed ($label)"; }
  end=$(now_ns)
  check_converged "$PLAIN" "$before"
  [[ $CONVERGED == "$PLAIN_IMAGE:$tag"* ]] || die "$PLAIN: expected $PLAIN_IMAGE:$tag; the service runs $CONVERGED"
  if [[ ${2:-} == timed ]]; then TIMES[$label]=$(seconds "$start" "$end"); fi
  say "$label: $(seconds "$start" "$end") s, $CONVERGED"
  [[ -z $KEEP ]] || { echo "command start $(date -u -d "@${start:0:10}.${start:10:3}" +%H:%M:%S.%3N) end $(date -u -d "@${end:0:10}.${end:10:3}" +%H:%M:%S.%3N)"
    cat "$WORK/plain.log"; } >"$KEEP/$label.plain.log"
}

# phase OURS_KIND OURS_APP PLAIN_KIND: --warmup untimed pairs, then --runs timed pairs, which
# kind goes first alternating.
phase() {
  local kind=$1 app=$2 pkind=$3 r
  for ((r = 1; r <= WARMUP; r++)); do ours "$app" "$kind-warmup$r"; plain "$pkind-warmup$r"; done
  for ((r = 1; r <= RUNS; r++)); do
    if ((r % 2)); then ours "$app" "$kind$r" timed; plain "$pkind$r" timed
    else plain "$pkind$r" timed; ours "$app" "$kind$r" timed; fi
  done
}

# ---------------------------------------------------------------------------------------------
say "starting cluster-leader, and an agent and a build server on node 1 ($NODE1_HOST)"
bench_start_leader "$LEADER"
bench_start_agent "$AGENT" 1
bench_start_builder "$BUILDER" 1
bench_wait_agents 1
bench_wait_builder
printf '%s' "$(labenv LAB_REGISTRY_PASSWORD)" | ctl registry add bench --provider generic --url "$REGISTRY" \
  --username "$(labenv LAB_REGISTRY_USER)" --password-stdin --insecure >/dev/null || die "registry add failed"
ctl cluster set-registry bench --namespace "$NAMESPACE" >/dev/null || die "cluster set-registry failed"
printf '%s' "$(labenv LAB_REGISTRY_PASSWORD)" | dk "$NODE1" login "$REGISTRY" -u "$(labenv LAB_REGISTRY_USER)" --password-stdin >/dev/null 2>&1 ||
  die "docker login to the lab registry failed"

# Phase A: the swarm with its workers; every service on node 1.
[[ $(ctl cluster show -o json | jq -r .registryNeeded) == true ]] || die "phase A: the leader says no registry is needed with $NODES nodes"
say "phase A ($NODES-node swarm): creating the services"
ctl app create "$OURS_PUSH" --from-dir --replicas 1 --constraint "node.hostname==$NODE1_HOST" >/dev/null || die "app create $OURS_PUSH failed"
ours "$OURS_PUSH" push-create
change_source plain-create
{ dk "$NODE1" build -t "$PLAIN_IMAGE:v0" "$CTX" && dk "$NODE1" push "$PLAIN_IMAGE:v0" &&
  dk "$NODE1" service create --name "$PLAIN" --with-registry-auth --detach=false --replicas 1 --constraint "node.hostname==$NODE1_HOST" \
    --update-parallelism 1 --update-order start-first --update-monitor 5s --update-failure-action rollback --update-max-failure-ratio 0 \
    --rollback-parallelism 1 --rollback-order start-first --rollback-monitor 5s --rollback-failure-action pause \
    --restart-condition any --restart-delay 2s "$PLAIN_IMAGE:v0"; } >"$WORK/plain.log" 2>&1 ||
  { tail -30 "$WORK/plain.log" >&2; die "creating the plain service failed"; }
phase push "$OURS_PUSH" plainA

# Phase B: the workers leave; the swarm is node 1 alone, with its build server.
say "phase B: the workers leave the swarm"
workers_leave
for ((i = 0; i < 40; i++)); do
  [[ $(ctl cluster show -o json | jq -r .registryNeeded) == false ]] && break
  sleep 0.5
done
[[ $(ctl cluster show -o json | jq -r .registryNeeded) == false ]] || { ctl cluster show >&2 || true; die "phase B: the leader still says a registry is needed"; }
ctl app create "$OURS_LOCAL" --from-dir --replicas 1 --constraint "node.hostname==$NODE1_HOST" >/dev/null || die "app create $OURS_LOCAL failed"
ours "$OURS_LOCAL" local-create
phase local "$OURS_LOCAL" plainB

# ---------------------------------------------------------------------------------------------
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", (a[int((NR + 1) / 2)] + a[int(NR / 2) + 1]) / 2 }'; }
times_of() { local r out=""; for ((r = 1; r <= RUNS; r++)); do out+="${TIMES[$1$r]} "; done; echo "$out"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v <= t) print "holds"; else print "**missed**" }'; }
M_PUSH=$(times_of push | median); M_PLAIN_A=$(times_of plainA | median)
M_LOCAL=$(times_of local | median); M_PLAIN_B=$(times_of plainB | median)
R_LOCAL=$(ratio "$M_LOCAL" "$M_PUSH"); R_PUSH=$(ratio "$M_PUSH" "$M_PLAIN_A")
LOCAL_REQUESTS=0; for ((r = 1; r <= RUNS; r++)); do LOCAL_REQUESTS=$((LOCAL_REQUESTS + ${REQUESTS[local$r]})); done
cat <<EOF

Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release), load average $(cut -d' ' -f1 /proc/loadavg) at the end;
dockerd $(dk "$NODE1" version -f '{{.Server.Version}}'), docker CLI $(dk "$NODE1" version -f '{{.Client.Version}}'), classic builder. The app: FROM scratch, busybox,
a cached ${DEPS_MB} MB dependencies layer, one changed source file per build, a RUN making a fresh ${APP_MB} MB layer;
1 replica on $NODE1_HOST; $WARMUP untimed run(s) of each kind per phase first. Seconds from the command to its successful return (converged).

| run | A: ours, push + pull | A: plain script | B: ours, registry-less | B: plain script |
|---:|---:|---:|---:|---:|
$(for ((r = 1; r <= RUNS; r++)); do echo "| $r | ${TIMES[push$r]} | ${TIMES[plainA$r]} | ${TIMES[local$r]} | ${TIMES[plainB$r]} |"; done)
| **median** | **$M_PUSH** | **$M_PLAIN_A** | **$M_LOCAL** | **$M_PLAIN_B** |

A: the lab's $NODES-node swarm (the image goes through the lab registry); B: the same swarm with its workers
out (one node: ours keeps the image local). Lab registry requests during ours' registry-less runs: $LOCAL_REQUESTS.

Registry-less / push and pull: ${R_LOCAL}x (target <= 0.5x: $(verdict "$R_LOCAL" 0.5)).
Ours push and pull / the plain script: ${R_PUSH}x (target <= 1.1x: $(verdict "$R_PUSH" 1.1)).
EOF
