#!/usr/bin/env bash
# Issue #5 benchmark: one `clusterctl deploy` of a new image (pre-pull on every node in parallel,
# then a pinned swarm update) against a plain `docker service update --with-registry-auth
# --image ... --detach=false` of the same change, with the same update config, on the lab's real
# 3-node swarm with each node's link shaped like a separate machine's.
#
#   sudo bash bench/Deploy/deploy-bench.sh          # build the solution first (Release)
#
# One run of this script:
#   1. brings the lab up (tests/lab/lab.sh up), shapes every node's veth with tbf;
#   2. starts a real cluster-leader on the lab bridge and one real cluster-agent per node,
#      inside the node's network namespace, as tests/Lab.Tests/Agents/AgentCluster.cs does;
#   3. builds FROM-scratch images on node 1 (busybox + a fresh incompressible layer per
#      version), pushes them to the lab registry and removes them from node 1 again;
#   4. makes two services of 3 replicas: "ours" (an app deployed through the leader) and
#      "plain" (docker service create with the leader's update config);
#   5. runs ours and plain alternately, BENCH_RUNS times each, every run deploying a version
#      no node has (checked on every node right before the run); times each command from start
#      to its successful return (both wait for convergence), then checks that all 3 running
#      tasks run the new pinned image and reads each node's engine events for when it pulled
#      and when it started the new task;
#   6. prints the table (per run, medians, median ratio ours/plain) and the config;
#   7. cleans up whatever happens (trap): services, leader and agents (by their pids), tc qdiscs,
#      temp dir, then `lab.sh down` and `lab.sh check-clean` (BENCH_KEEP_LAB=1 skips those two).
# If the lab goes away under the benchmark (it is shared with test runs), the affected run is
# redone after bringing the lab and the whole setup up again.
#
# Settings (environment): BENCH_RUNS (5), BENCH_LAYER_MB (200), BENCH_RATE (200mbit),
# BENCH_BURST (512kb), BENCH_LATENCY (100ms), BENCH_KEEP_LAB (0), BENCH_DEADLINE_S (1800),
# LAB_DOCKER_CLI (/usr/bin/docker), BENCH_RESULTS (a file to copy the final table into).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_SH="$ROOT/tests/lab/lab.sh"
LAB_DIR=${CLUSTER_LAB_DIR:-/tmp/clab}
RUNS=${BENCH_RUNS:-5}
LAYER_MB=${BENCH_LAYER_MB:-200}
RATE=${BENCH_RATE:-200mbit}
BURST=${BENCH_BURST:-512kb}
LATENCY=${BENCH_LATENCY:-100ms}
KEEP_LAB=${BENCH_KEEP_LAB:-0}
DEADLINE_S=${BENCH_DEADLINE_S:-1800}
DOCKER=${LAB_DOCKER_CLI:-/usr/bin/docker}
LEADER_BIN="$ROOT/src/Leader/bin/Release/net10.0/cluster-leader"
AGENT_BIN="$ROOT/src/NodeAgent/bin/Release/net10.0/cluster-agent"
CTL_BIN="$ROOT/src/Cli/bin/Release/net10.0/clusterctl"
OURS=bench-deploy-ours
PLAIN=bench-deploy-plain
# The leader's UpdateConfig (src/Leader/Deployments/ServiceSpecs.cs, no published ports), given
# to the plain service at creation and again on every plain update.
UPDATE_FLAGS=(--update-parallelism 1 --update-order start-first --update-monitor 5s --update-failure-action rollback --update-max-failure-ratio 0)
CREATE_FLAGS=("${UPDATE_FLAGS[@]}" --rollback-parallelism 1 --rollback-order start-first --rollback-monitor 5s --rollback-failure-action pause
  --restart-condition any --restart-delay 2s)

export DOCKER_BUILDKIT=0
START_S=${EPOCHREALTIME%.*}
WORK=""
LEADER_PID=""
AGENT_PIDS=()
SHAPED=()
NODES=0
LAB_FINGERPRINT=""
SETUP_DONE=0
LEADER_ADDR=""
IMAGE=""
VERSION=0
declare -A DIGEST=()
RESULTS=()   # "pair kind version seconds tasks-on-nodes pulls starts load"

BENCH_NAME=bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"   # say, die, alive, stop_pid, ctl, bench_free_port (the leader and agents are started here: setup redoes them after a lab loss)
CTL=$CTL_BIN

# ---------------------------------------------------------------------------------------------
# helpers

labenv() { sed -n "s/^$1=//p" "$LAB_DIR/lab.env" 2>/dev/null; }

# dk N ARGS: the docker CLI against lab node N, with the benchmark's private DOCKER_CONFIG.
dk() {
  local node=$1; shift
  DOCKER_CONFIG="$WORK/cli" "$DOCKER" -H "unix://$LAB_DIR/n$node/docker.sock" "$@"
}

# Prefixes every line with the epoch time it arrived at.
stamp() { local line; while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }

lab_same() {
  [[ $SETUP_DONE == 1 ]] || return 1
  bash "$LAB_SH" status >/dev/null 2>&1 || return 1
  [[ "$(labenv LAB_REGISTRY_PASSWORD)/$(dk 1 info --format '{{.Swarm.Cluster.ID}}' 2>/dev/null)" == "$LAB_FINGERPRINT" ]] || return 1
  alive "$LEADER_PID" || return 1
  local p; for p in "${AGENT_PIDS[@]}"; do alive "$p" || return 1; done
  return 0
}

check_deadline() {
  (( ${EPOCHREALTIME%.*} - START_S < DEADLINE_S )) || die "over the ${DEADLINE_S} s deadline"
}

check_disk() {
  local avail; avail=$(df -Pk /tmp | awk 'NR==2 {print $4}')
  (( avail > 6 * 1024 * 1024 )) || die "less than 6 GB free on /tmp ($((avail / 1024)) MB)"
}

# ---------------------------------------------------------------------------------------------
# setup and teardown of the benchmark's own pieces (not the lab)

teardown_ours() {
  local p i
  if [[ -S "$LAB_DIR/n1/docker.sock" && -n "$WORK" ]]; then
    dk 1 service rm "$OURS" "$PLAIN" >/dev/null 2>&1
  fi
  for p in "${AGENT_PIDS[@]}"; do stop_pid "$p"; done
  AGENT_PIDS=()
  stop_pid "$LEADER_PID"; LEADER_PID=""
  for i in "${SHAPED[@]}"; do tc qdisc del dev "$i" root 2>/dev/null; done
  SHAPED=()
  SETUP_DONE=0
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  say "cleaning up"
  teardown_ours
  [[ -n "$WORK" && -d "$WORK" ]] && rm -rf "$WORK"
  if [[ $KEEP_LAB != 1 ]]; then
    bash "$LAB_SH" down >/dev/null 2>&1 || { say "lab.sh down failed"; rc=1; }
    bash "$LAB_SH" check-clean || { say "lab.sh check-clean found leftovers"; rc=1; }
  fi
  say "done (exit $rc)"
  exit $rc
}

# build_push TAG: a FROM-scratch image with busybox and a fresh LAYER_MB incompressible layer,
# built on node 1, pushed to the lab registry, then removed from node 1 (so no node has it).
build_push() {
  local tag=$1 ctx="$WORK/ctx" out digest
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp /bin/busybox "$ctx/busybox"
  head -c "${LAYER_MB}M" /dev/urandom >"$ctx/data"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
COPY data /data
CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
EOF
  dk 1 build -q -t "$IMAGE:$tag" "$ctx" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; return 1; }
  rm -rf "$ctx"
  out=$(dk 1 push "$IMAGE:$tag" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
  digest=$(printf '%s\n' "$out" | sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p' | tail -1)
  [[ -n "$digest" ]] || { printf '%s\n' "$out" >&2; return 1; }
  DIGEST[$tag]=$digest
  dk 1 image rm "$IMAGE:$tag" >/dev/null 2>&1
}

# Removes TAG's image from every node (by digest and by tag) and checks that none has it.
remove_everywhere() {
  local tag=$1 i id
  for ((i = 1; i <= NODES; i++)); do
    id=$(dk "$i" image inspect --format '{{.ID}}' "$IMAGE@${DIGEST[$tag]}" 2>/dev/null)
    [[ -n "$id" ]] && dk "$i" image rm -f "$id" >/dev/null 2>&1
    dk "$i" image rm -f "$IMAGE:$tag" >/dev/null 2>&1
  done
  for ((i = 1; i <= NODES; i++)); do
    if dk "$i" image inspect "$IMAGE@${DIGEST[$tag]}" >/dev/null 2>&1 || dk "$i" image inspect "$IMAGE:$tag" >/dev/null 2>&1; then
      say "node $i still has $IMAGE:$tag"; return 1
    fi
  done
}

setup() {
  local i pw
  check_deadline
  say "lab up"
  bash "$LAB_SH" up >/dev/null || return 1
  NODES=$(labenv LAB_NODES)
  (( NODES >= 3 )) || { say "the lab has $NODES nodes; this benchmark needs 3"; return 1; }
  NODES=3
  IMAGE="$(labenv LAB_REGISTRY)/bench/app"
  pw=$(labenv LAB_REGISTRY_PASSWORD)
  LAB_FINGERPRINT="$pw/$(dk 1 info --format '{{.Swarm.Cluster.ID}}' 2>/dev/null)"

  for ((i = 1; i <= NODES; i++)); do
    local veth; veth=$(labenv "LAB_NODE${i}_VETH")
    tc qdisc replace dev "$veth" root tbf rate "$RATE" burst "$BURST" latency "$LATENCY" || return 1
    SHAPED+=("$veth")
  done
  say "shaped ${SHAPED[*]}: tbf rate $RATE burst $BURST latency $LATENCY"

  rm -rf "$WORK/cli" "$WORK/leader" "$WORK"/n*; mkdir -p "$WORK/cli"; chmod 700 "$WORK/cli"
  printf '%s' "$pw" | dk 1 login "$(labenv LAB_REGISTRY)" -u "$(labenv LAB_REGISTRY_USER)" --password-stdin >/dev/null || return 1
  dk 1 service rm "$OURS" "$PLAIN" >/dev/null 2>&1

  LEADER_ADDR="$(labenv LAB_HOST_IP):$(bench_free_port)"
  "$LEADER_BIN" --data-dir "$WORK/leader" --listen "$LEADER_ADDR" --docker-host "$(labenv LAB_MANAGER_SOCK)" >"$WORK/leader.log" 2>&1 &
  LEADER_PID=$!
  for ((i = 0; i < 240; i++)); do
    grep -q "listening on $LEADER_ADDR" "$WORK/leader.log" && break
    alive "$LEADER_PID" || break
    sleep 0.25
  done
  grep -q "listening on $LEADER_ADDR" "$WORK/leader.log" || { tail -20 "$WORK/leader.log" >&2; return 1; }
  install -m 600 /dev/null "$WORK/join.token"
  cat "$WORK/leader/join.token" >"$WORK/join.token"
  for ((i = 1; i <= NODES; i++)); do
    mkdir -p "$WORK/n$i"
    nsenter --net="/var/run/netns/$(labenv "LAB_NODE${i}_NETNS")" -- "$AGENT_BIN" --leader "$LEADER_ADDR" \
      --join-token-file "$WORK/join.token" --state-dir "$WORK/n$i/state" --docker-host "$(labenv "LAB_NODE${i}_SOCK")" \
      >"$WORK/agent-n$i.log" 2>&1 &
    AGENT_PIDS+=($!)
  done
  local ready=0
  for ((i = 0; i < 120; i++)); do
    ready=$(ctl node list -o json 2>/dev/null | jq '[.[] | select(.status == "ready")] | length' 2>/dev/null)
    [[ "$ready" == "$NODES" ]] && break
    sleep 0.5
  done
  [[ "$ready" == "$NODES" ]] || { ctl node list >&2; tail -5 "$WORK"/agent-n*.log >&2; return 1; }
  say "leader $LEADER_ADDR (pid $LEADER_PID), agents ${AGENT_PIDS[*]}: $NODES nodes ready"

  printf '%s' "$pw" | ctl registry add lab --provider generic --url "$(labenv LAB_REGISTRY)" \
    --username "$(labenv LAB_REGISTRY_USER)" --password-stdin --insecure >/dev/null || return 1

  VERSION=$((VERSION + 1)); local v0="v$VERSION"
  say "building the initial image $IMAGE:$v0"
  build_push "$v0" || return 1
  ctl app remove "$OURS" >/dev/null 2>&1
  ctl app create "$OURS" --image "$IMAGE:$v0" --replicas 3 >/dev/null || return 1
  ctl deploy "$OURS" >"$WORK/initial-ours.log" 2>&1 || { cat "$WORK/initial-ours.log" >&2; return 1; }
  dk 1 service create --name "$PLAIN" --replicas 3 --with-registry-auth --detach=false "${CREATE_FLAGS[@]}" \
    "$IMAGE:$v0" >"$WORK/initial-plain.log" 2>&1 || { cat "$WORK/initial-plain.log" >&2; return 1; }
  say "services $OURS and $PLAIN run $v0 on: $(task_nodes "$OURS") / $(task_nodes "$PLAIN")"
  SETUP_DONE=1
}

# Hostnames of the nodes running the service's tasks, sorted ("lab-node1,lab-node2,...").
task_nodes() {
  local ids; ids=$(dk 1 service ps -q --filter desired-state=running "$1" 2>/dev/null)
  [[ -n "$ids" ]] || { echo "-"; return; }
  # shellcheck disable=SC2086
  dk 1 inspect --format '{{.NodeID}}' $ids 2>/dev/null | while read -r n; do dk 1 node inspect --format '{{.Description.Hostname}}' "$n"; done |
    sed 's/^lab-node/n/' | sort | paste -sd, -
}

# verify SERVICE TAG: the spec is pinned to TAG@digest and exactly 3 tasks run it.
verify() {
  local svc=$1 tag=$2 want spec ids ok
  want="$IMAGE:$tag@${DIGEST[$tag]}"
  spec=$(dk 1 service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$svc")
  [[ "$spec" == "$want" ]] || { say "$svc spec image is $spec, expected $want"; return 1; }
  ids=$(dk 1 service ps -q --filter desired-state=running "$svc")
  # shellcheck disable=SC2086
  ok=$(dk 1 inspect --format '{{.Status.State}} {{.Spec.ContainerSpec.Image}}' $ids | grep -c "^running $want\$")
  [[ "$ok" == 3 ]] || { say "$svc: $ok of 3 tasks run $want"; dk 1 service ps "$svc" >&2; return 1; }
}

# Per node, from its engine's events between T0 and now: when the new image's pull finished
# and when a task container of the new image started, as seconds after T0.
# Prints "pulls=n1:12.3,n2:12.9,... starts=n1:13.8,..."
event_times() {
  local tag=$1 t0=$2 i pulls=() starts=() p s
  for ((i = 1; i <= NODES; i++)); do
    dk "$i" events --since "$t0" --until "$EPOCHREALTIME" --format '{{json .}}' >"$WORK/events-n$i.json" 2>/dev/null
    p=$(jq -r --arg d "${DIGEST[$tag]}" 'select(.Type == "image" and .Action == "pull" and (.id | contains($d))) | .timeNano' "$WORK/events-n$i.json" | sort -n | tail -1)
    s=$(jq -r --arg d "${DIGEST[$tag]}" 'select(.Type == "container" and .Action == "start" and ((.Actor.Attributes.image // "") | contains($d))) | .timeNano' "$WORK/events-n$i.json" | sort -n | paste -sd' ' -)
    [[ -n "$p" ]] && pulls+=("n$i:$(awk -v a="$p" -v b="$t0" 'BEGIN { printf "%.1f", a / 1e9 - b }')")
    for x in $s; do starts+=("$(awk -v a="$x" -v b="$t0" 'BEGIN { printf "%.1f", a / 1e9 - b }'):n$i"); done
  done
  local sorted; sorted=$(printf '%s\n' "${starts[@]}" | sort -n | awk -F: 'NF == 2 { printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }')
  printf 'pulls=%s starts=%s' "$(IFS=,; echo "${pulls[*]:--}")" "${sorted:--}"
}

# run_one KIND PAIR: one measured run. Returns 1 if it failed.
run_one() {
  local kind=$1 pair=$2 tag t0 t1 rc secs load svc log
  VERSION=$((VERSION + 1)); tag="v$VERSION"
  svc=$([[ $kind == ours ]] && echo "$OURS" || echo "$PLAIN")
  log="$WORK/run-$pair-$kind.log"
  say "run $pair $kind: building $IMAGE:$tag"
  build_push "$tag" || return 1
  remove_everywhere "$tag" || return 1
  sleep 2   # let node 1's engine settle after the build
  load=$(cut -d' ' -f1 /proc/loadavg)
  say "run $pair $kind: deploying $tag (load $load)"
  local j0 j1; j0=$(cpu_jiffies)
  t0=$EPOCHREALTIME
  if [[ $kind == ours ]]; then
    ctl deploy "$OURS" --tag "$tag" 2>&1 | stamp >"$log"
    rc=${PIPESTATUS[0]}
  else
    dk 1 service update --with-registry-auth --image "$IMAGE:$tag" --detach=false "${UPDATE_FLAGS[@]}" "$PLAIN" 2>&1 | stamp >"$log"
    rc=${PIPESTATUS[0]}
  fi
  t1=$EPOCHREALTIME
  j1=$(cpu_jiffies)
  load="$load/$(awk -v a="$j0" -v b="$j1" 'BEGIN { split(a, x, " "); split(b, y, " "); db = y[1] - x[1]; di = y[2] - x[2]; printf "%d%%", (db + di) ? 100 * db / (db + di) : 0 }')"
  secs=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
  if [[ $rc != 0 ]]; then
    say "run $pair $kind exited $rc after $secs s"; tail -20 "$log" >&2; return 1
  fi
  verify "$svc" "$tag" || { tail -20 "$log" >&2; return 1; }
  local nodes events
  nodes=$(task_nodes "$svc")
  events=$(event_times "$tag" "$t0")
  say "run $pair $kind: $secs s, tasks on $nodes, $events"
  if [[ $kind == ours ]]; then
    awk -v b="$t0" '{ printf "  +%5.1f %s\n", $1 - b, substr($0, index($0, " ") + 1) }' "$log" >&2
  fi
  RESULTS+=("$pair $kind $tag $secs $nodes ${events// /;} $load")
}

# "busy idle" jiffies of all CPUs, from /proc/stat
cpu_jiffies() { awk '/^cpu / { idle = $5 + $6; busy = 0; for (i = 2; i <= NF; i++) busy += $i; print busy - idle, idle }' /proc/stat; }

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'; }

report() {
  local pair ours plain r line kind tag secs nodes ev load
  declare -A T=() N=() E=() L=()
  for line in "${RESULTS[@]}"; do
    read -r pair kind tag secs nodes ev load <<<"$line"
    T[$pair.$kind]=$secs; N[$pair.$kind]="$tag on $nodes"; E[$pair.$kind]=${ev//;/ }; L[$pair.$kind]=$load
  done
  echo
  echo "| run | ours: clusterctl deploy (s) | plain: docker service update (s) | ours/plain |"
  echo "|---:|---:|---:|---:|"
  local ratios=() os=() ps=()
  for ((pair = 1; pair <= RUNS; pair++)); do
    ours=${T[$pair.ours]:-}; plain=${T[$pair.plain]:-}
    r=$(awk -v a="$ours" -v b="$plain" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }')
    echo "| $pair | ${ours:--} | ${plain:--} | $r |"
    [[ $r != - ]] && ratios+=("$r"); [[ -n $ours ]] && os+=("$ours"); [[ -n $plain ]] && ps+=("$plain")
  done
  local mo mp mr
  mo=$(printf '%s\n' "${os[@]}" | median); mp=$(printf '%s\n' "${ps[@]}" | median); mr=$(printf '%s\n' "${ratios[@]}" | median)
  echo "| **median** | **$mo** | **$mp** | **$mr** |"
  echo
  echo "Median ratio ours/plain (median of the per-run ratios): $mr (target <= 0.70: $(awk -v r="$mr" 'BEGIN { print (r != "-" && r <= 0.70) ? "met" : "MISSED" }')); ratio of the medians: $(awk -v a="$mo" -v b="$mp" 'BEGIN { printf "%.2f", a / b }')."
  echo
  echo "Per run, seconds after the command started: when each node's engine finished pulling the new"
  echo "image (its \"pull\" event) and when each new task's container started (in order); load = 1-min load average before the run / CPU busy during the run (all processes; the lab is shared)."
  echo
  echo "| run | kind | version, tasks on | pull finished | new task started | load / CPU busy |"
  echo "|---:|---|---|---|---|---:|"
  for ((pair = 1; pair <= RUNS; pair++)); do
    for kind in ours plain; do
      [[ -n ${T[$pair.$kind]:-} ]] || continue
      ev=${E[$pair.$kind]}
      local pl st; pl=${ev#pulls=}; pl=${pl%% starts=*}; st=${ev##*starts=}
      echo "| $pair | $kind | ${N[$pair.$kind]} | ${pl//,/ } | ${st//,/ } | ${L[$pair.$kind]} |"
    done
  done
  echo
  echo "Config: $NODES nodes (1 manager + 2 workers, Docker Engine $(dk 1 version --format '{{.Server.Version}}' 2>/dev/null)), $(nproc) cores shared;"
  echo "each node's veth: \`tc qdisc replace dev clab-v<i> root tbf rate $RATE burst $BURST latency $LATENCY\`;"
  echo "image: FROM scratch, busybox + ${LAYER_MB} MB from /dev/urandom (new layer per version), \`trap 'exit 0' TERM\` loop;"
  echo "3 replicas, no constraint, no published port; update config of both: parallelism 1, order start-first,"
  echo "monitor 5s, failure action rollback, max failure ratio 0; plain: \`docker service update --with-registry-auth"
  echo "--image IMAGE:vN --detach=false\` ($("$DOCKER" --version | sed 's/,.*//')); ours: \`clusterctl deploy APP --tag vN\`;"
  echo "runs alternate ours, plain; each version is new and absent from every node when its run starts."
}

# ---------------------------------------------------------------------------------------------
main() {
  [[ $(id -u) == 0 ]] || die "run as root (the lab needs it)"
  local b; for b in "$LEADER_BIN" "$AGENT_BIN" "$CTL_BIN"; do
    [[ -x "$b" ]] || die "$b is missing: cd $ROOT && dotnet build -c Release Cluster.sln"
  done
  { command -v jq >/dev/null && command -v tc >/dev/null && [[ -x /bin/busybox && -x "$DOCKER" ]]; } ||
    die "needs jq, tc (iproute2), /bin/busybox (busybox-static) and $DOCKER: bash tests/lab/lab.sh install; apt-get install -y jq"
  check_disk
  WORK=$(mktemp -d /tmp/deploy-bench-XXXXXX)
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  local setups=0 pair kind failures
  for ((pair = 1; pair <= RUNS; pair++)); do
    for kind in ours plain; do
      failures=0
      while :; do
        check_deadline; check_disk
        if ! lab_same; then
          (( SETUP_DONE == 1 )) && say "the lab changed or a daemon of ours died: setting everything up again"
          teardown_ours
          (( ++setups <= 3 )) || die "set up 3 times already"
          setup || { say "setup failed"; continue; }
        fi
        run_one "$kind" "$pair" && break
        if lab_same; then
          (( ++failures < 2 )) || { tail -30 "$WORK/leader.log" >&2; die "run $pair $kind failed twice on a healthy lab"; }
          say "run $pair $kind failed on a healthy lab; trying it once more"
        else
          say "the lab went away during run $pair $kind; redoing it"
        fi
      done
    done
  done

  local table; table=$(report)
  printf '%s\n' "$table"
  [[ -n "${BENCH_RESULTS:-}" ]] && printf '%s\n' "$table" >"$BENCH_RESULTS"
  say "leader log: $(grep -c . "$WORK/leader.log") lines; warnings/errors: $(grep -ciE 'warn|fail|error' "$WORK/leader.log")"
  grep -iE 'warn|fail|error' "$WORK/leader.log" "$WORK"/agent-n*.log | tail -20 >&2
  return 0
}

main "$@"
