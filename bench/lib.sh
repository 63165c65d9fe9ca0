# shellcheck shell=bash
# What the lab benchmarks (bench/*/*-bench.sh) share; sourced, never run:
#   - log lines (say, die) prefixed with BENCH_NAME, which the script sets before sourcing;
#   - the lab's env file (labenv KEY), at LAB_DIR (default /tmp/clab);
#   - the programs: bench_binaries [DIR] sets LEADER, AGENT, BUILDER and CTL (DIR/<program>/<program>,
#     or the Release build of the solution);
#   - a real cluster-leader on the lab's swarm manager, on a free port of the lab bridge
#     (bench_start_leader), and cluster-agent / cluster-builder inside a lab node's network
#     namespace on that node's engine (bench_start_agent, bench_start_builder), each waited for;
#   - ctl: clusterctl against that leader, with its admin token from the environment (never argv);
#   - stopping: every daemon started here is in BENCH_PIDS; bench_stop_all stops them by pid
#     (TERM, then KILL after 15 s), in the order they were started.
# The script makes WORK (its temp dir, removed by its own cleanup) before starting daemons: the
# leader's data dir, the join token copy, the agent's state dir, the builder's work dir and every
# daemon's log are in it.

LAB_DIR=${LAB_DIR:-/tmp/clab}
BENCH_PIDS=()
LEADER_ADDR=""
LEADER_PID=""
BENCH_LAST_PID=""

say() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${BENCH_NAME:-bench}" "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

labenv() { sed -n "s/^$1=//p" "$LAB_DIR/lab.env"; }

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

stop_pid() {
  local pid=$1 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null
  # `wait` returns the stopped program's status (143 after TERM): under a caller's set -e that
  # would end the caller's cleanup there, with 143 (the Shepherd bench did, after its table).
  for ((i = 0; i < 60; i++)); do alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; return 0
}

bench_stop_all() {
  local p
  for p in "${BENCH_PIDS[@]}"; do stop_pid "$p"; done
  BENCH_PIDS=()
}

# bench_binaries [DIR]: the four programs, from DIR/<program>/<program> (published, e.g. by
# deploy/publish.proj) or from the solution's Release build.
# shellcheck disable=SC2034  # set for the sourcing script
bench_binaries() {
  local dir=${1:-} root
  if [[ -n $dir ]]; then
    dir=$(cd "$dir" && pwd) || die "no directory $1"
    LEADER=$dir/cluster-leader/cluster-leader AGENT=$dir/cluster-agent/cluster-agent
    BUILDER=$dir/cluster-builder/cluster-builder CTL=$dir/clusterctl/clusterctl
  else
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    LEADER=$root/src/Leader/bin/Release/net10.0/cluster-leader
    AGENT=$root/src/NodeAgent/bin/Release/net10.0/cluster-agent
    BUILDER=$root/src/BuildServer/bin/Release/net10.0/cluster-builder
    CTL=$root/src/Cli/bin/Release/net10.0/clusterctl
  fi
}

ctl() { CLUSTER_LEADER="$LEADER_ADDR" CLUSTER_TOKEN="$(cat "$WORK/leader/admin.token")" CLUSTER_CONFIG=/dev/null "$CTL" "$@"; }

# bench_free_port: prints a port in 20000-39999 that nothing listens on now (50 tries; the last
# one tried if all were taken).
bench_free_port() {
  local port i
  for ((i = 0; i < 50; i++)); do
    port=$((20000 + RANDOM % 20000))
    [[ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]] && break
  done
  echo "$port"
}

# bench_start_leader PROGRAM [ARG]...: cluster-leader with --data-dir WORK/leader on a free port
# of the lab's host address, on the swarm manager's engine, logging to WORK/leader.log; returns
# once it listens. Sets LEADER_ADDR and LEADER_PID, and copies the join token to WORK/join.token
# (0600) for the node daemons.
bench_start_leader() {
  local program=$1 i
  shift
  LEADER_ADDR="$(labenv LAB_HOST_IP):$(bench_free_port)"
  "$program" --data-dir "$WORK/leader" --listen "$LEADER_ADDR" --docker-host "$(labenv LAB_MANAGER_SOCK)" "$@" >"$WORK/leader.log" 2>&1 &
  LEADER_PID=$!; BENCH_PIDS+=("$LEADER_PID")
  for ((i = 0; i < 480; i++)); do
    grep -qs "listening on $LEADER_ADDR" "$WORK/leader.log" && break
    alive "$LEADER_PID" || break
    sleep 0.25
  done
  grep -qs "listening on $LEADER_ADDR" "$WORK/leader.log" || { tail -20 "$WORK/leader.log" >&2; die "the leader did not start"; }
  install -m 600 /dev/null "$WORK/join.token"; cat "$WORK/leader/join.token" >"$WORK/join.token"
}

# bench_start_in_node NODE LOG PROGRAM [ARG]...: PROGRAM --leader LEADER_ADDR --join-token-file
# WORK/join.token ARG... inside lab node NODE's network namespace, logging to LOG. Sets BENCH_LAST_PID.
bench_start_in_node() {
  local node=$1 log=$2 program=$3
  shift 3
  nsenter --net="/var/run/netns/$(labenv "LAB_NODE${node}_NETNS")" -- "$program" --leader "$LEADER_ADDR" --join-token-file "$WORK/join.token" "$@" >"$log" 2>&1 &
  BENCH_LAST_PID=$!; BENCH_PIDS+=("$BENCH_LAST_PID")
}

# bench_start_agent PROGRAM NODE: cluster-agent on node NODE's engine (state in WORK/agent,
# log WORK/agent.log). Sets BENCH_LAST_PID.
bench_start_agent() { bench_start_in_node "$2" "$WORK/agent.log" "$1" --state-dir "$WORK/agent" --docker-host "$(labenv "LAB_NODE$2_SOCK")"; }

# bench_start_builder PROGRAM NODE: cluster-builder on node NODE's engine (work dir WORK/builder,
# log WORK/builder.log). Sets BENCH_LAST_PID.
bench_start_builder() { bench_start_in_node "$2" "$WORK/builder.log" "$1" --work-dir "$WORK/builder" --docker-host "$(labenv "LAB_NODE$2_SOCK")"; }

# bench_wait_agents N: until N agents' sessions are up (node list: ready, with an agent id; the
# lab's swarm nodes without an agent and build servers do not count), at most 120 s.
bench_wait_agents() {
  local want=$1 ready=0 i
  for ((i = 0; i < 240; i++)); do
    ready=$(ctl node list -o json 2>/dev/null | jq '[.[] | select(.status == "ready" and .id != "" and .role != "builder")] | length' 2>/dev/null || echo 0)
    [[ $ready -ge $want ]] && return 0
    sleep 0.5
  done
  ctl node list >&2 || true; tail -5 "$WORK"/*.log >&2
  die "$ready of $want agents became ready within 120 s"
}

# bench_wait_builder: until a build server's session is up (node list: role builder, ready), at most 120 s.
bench_wait_builder() {
  local i
  for ((i = 0; i < 240; i++)); do
    [[ $(ctl node list -o json 2>/dev/null | jq '[.[] | select(.role == "builder" and .status == "ready")] | length' 2>/dev/null || echo 0) -ge 1 ]] && return 0
    sleep 0.5
  done
  ctl node list >&2 || true; tail -5 "$WORK/builder.log" >&2
  die "no build server became ready within 120 s"
}
