#!/usr/bin/env bash
# Issue #11 benchmark: Auto-Sync against a real peer, Shepherd (containrrr/shepherd, a shell
# script over the docker CLI), watching the same 20 services over 5 image refs on the lab's swarm.
#
#   bench/AutoSync/shepherd-bench.sh --shepherd PATH [--interval SECONDS] [--binaries DIR]
#   bench/AutoSync/shepherd-bench.sh --webhooks-only [--binaries DIR]
#
# As root, with the lab up (tests/lab/lab.sh up; only one user of the lab at a time) and a Release
# build of the solution (or --binaries DIR with DIR/<program>/<program>). PATH is Shepherd's
# script (the file `shepherd` of https://github.com/containrrr/shepherd, tested with 1.8.1); it
# runs here as it runs in its container: bash + the docker CLI against the swarm manager.
#
# One run:
#   1. builds 5 images FROM scratch (busybox) on node 1 and pushes them to the lab registry as
#      shepherd-bench/r1..r5:live;
#   2. ours: a real cluster-leader (Auto-Sync interval --interval, default 10 s) and a real
#      cluster-agent in node 1's network namespace; 20 apps (app i on ref i mod 5, pinned to node
#      1), each deployed once, with Auto-Sync on;
#   3. counts manifest requests in the lab registry's own access log over 3 quiet intervals
#      (nothing changes: every request is a check) -> requests per interval;
#   4. pushes a new image to all 5 refs and times push -> all 20 services on the new digests;
#      then, Auto-Sync off, pushes again and times 20 `clusterctl deploy` started at once (the
#      deploy time that the target adds to one interval); then, polling hourly, the same through a
#      second real registry whose push notifications go to the leader's webhook listener
#      (detection = push -> Auto-Sync deployment started);
#   5. Shepherd: 20 plain services (docker service create --with-registry-auth) on the same refs,
#      one quiet pass (RUN_ONCE_AND_EXIT) counted the same way (a pass is one interval's work),
#      then a new image on all 5 refs and one pass, timed to all 20 converged (in polling mode
#      Shepherd adds the wait until its next pass, up to its SLEEP_TIME);
#   6. prints a Markdown table.
# --webhooks-only runs steps 1, 2 and the webhook part of 4 (no Shepherd, no polling phases):
# the webhook detection time alone, in about 6 minutes.
# Stops every process it started (by pid), removes its apps, services and temp dir, also on
# failure (trap). Images it pushed stay in the lab registry (the lab's down removes them).
set -euo pipefail

BENCH_NAME=shepherd-bench
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/../lib.sh"
SHEPHERD=""
WEBHOOKS_ONLY=0
INTERVAL=10
BINARIES=""
SERVICES=20
REFS=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --shepherd) SHEPHERD=$2; shift 2 ;;
    --webhooks-only) WEBHOOKS_ONLY=1; shift ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --binaries) BINARIES=$2; shift 2 ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "shepherd-bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

[[ $(id -u) == 0 ]] || die "run as root (the agent runs in the lab node's network namespace)"
[[ -f $LAB_DIR/lab.env ]] || die "no lab at $LAB_DIR (tests/lab/lab.sh up)"
((WEBHOOKS_ONLY)) || [[ -n $SHEPHERD && -f $SHEPHERD ]] || die "--shepherd PATH: Shepherd's script (git clone https://github.com/containrrr/shepherd; the file 'shepherd')"
if ! [[ $INTERVAL =~ ^[0-9]+$ ]] || ((INTERVAL < 5)); then die "--interval takes whole seconds, at least 5"; fi
for tool in jq nsenter docker; do command -v "$tool" >/dev/null || die "$tool is missing"; done

bench_binaries "$BINARIES"
for p in "$LEADER" "$AGENT" "$CTL"; do [[ -x $p ]] || die "no $p (dotnet build -c Release Cluster.sln, or --binaries DIR)"; done

WORK=$(mktemp -d /tmp/shepherd-bench.XXXXXX)
MANAGER=$(labenv LAB_MANAGER_SOCK)
NODE1=$(labenv LAB_NODE1_SOCK)
NODE1_HOST=$(labenv LAB_NODE1_HOSTNAME)
REGISTRY=$(labenv LAB_REGISTRY)
REG_LOG=$LAB_DIR/reg/registry.log
[[ -f $REG_LOG ]] || die "no registry access log at $REG_LOG"
mkdir -p "$WORK/cli"; chmod 700 "$WORK/cli"
dk() { DOCKER_CONFIG="$WORK/cli" docker -H "$1" "${@:2}"; }
cleanup() {
  local rc=$? i
  if [[ -n $LEADER_ADDR && -f $WORK/leader/admin.token ]]; then
    for ((i = 1; i <= SERVICES; i++)); do ctl app remove "sb-ours-$i" >/dev/null 2>&1 || true; done
  fi
  for ((i = 1; i <= SERVICES; i++)); do dk "$MANAGER" service rm "sb-ours-$i" "sb-shep-$i" >/dev/null 2>&1 || true; done
  bench_stop_all
  if ((rc != 0)); then   # keep the daemons' logs of a failed run (no secrets: they never log any)
    mkdir -p /tmp/shepherd-bench-failed && cp "$WORK"/*.log /tmp/shepherd-bench-failed/ 2>/dev/null &&
      say "logs of the failed run: /tmp/shepherd-bench-failed/"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
# A signal ends the script through exit, so the EXIT trap (cleanup) runs: bash does not run it
# when an untrapped signal kills it.
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

# Manifest requests the lab registry has logged so far (its access log: one "response completed"
# line per request).
manifest_requests() { grep -c 'msg="response completed".*/manifests/' "$REG_LOG" || true; }
ref_of() { echo "$REGISTRY/shepherd-bench/r$(( ($1 - 1) % REFS + 1 )):live"; }

# Builds and pushes a new image to every ref (content differs per ref and per round).
push_round() { # ROUND [TAG]
  local r ctx tag=${2:-live}
  for ((r = 1; r <= REFS; r++)); do
    ctx=$WORK/ctx-$1-$r
    mkdir -p "$ctx"; cp /bin/busybox "$ctx/busybox"
    printf 'round %s ref %s %s\n' "$1" "$r" "$(date +%s%N)" >"$ctx/stamp"
    printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY stamp /stamp\nCMD ["/bin/busybox", "sh", "-c", "trap '"'"'exit 0'"'"' TERM; while true; do sleep 1; done"]\n' >"$ctx/Dockerfile"
    dk "$NODE1" build -q -t "$REGISTRY/shepherd-bench/r$r:$tag" "$ctx" >/dev/null || die "docker build failed"
    dk "$NODE1" push "$REGISTRY/shepherd-bench/r$r:$tag" 2>/dev/null | sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p' >"$WORK/digest-r$r" || die "docker push failed"
    [[ -s $WORK/digest-r$r ]] || die "no digest from the push of r$r"
  done
}

# Waits until every service PREFIX-1..N runs its ref's newest digest; prints the seconds taken.
wait_converged() { # PREFIX START_EPOCH_NS
  local prefix=$1 start=$2 i want image ok deadline=$(( $(date +%s) + 600 ))
  while :; do
    ok=1
    for ((i = 1; i <= SERVICES; i++)); do
      want=$(cat "$WORK/digest-r$(( (i - 1) % REFS + 1 ))")
      image=$(dk "$MANAGER" service inspect "$prefix-$i" -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' 2>/dev/null || true)
      [[ $image == *"@$want" ]] || { ok=0; break; }
      [[ $(dk "$MANAGER" service ps --no-trunc "$prefix-$i" --filter desired-state=running --format '{{.Image}} {{.CurrentState}}' 2>/dev/null | grep -c "@$want Running" || true) -ge 1 ]] || { ok=0; break; }
    done
    ((ok)) && break
    (($(date +%s) < deadline)) || die "$prefix: not all $SERVICES services converged within 600 s"
    sleep 0.5
  done
  awk -v s="$start" -v e="$(date +%s%N)" 'BEGIN { printf "%.1f", (e - s) / 1e9 }'
}

printf '%s' "$(labenv LAB_REGISTRY_PASSWORD)" | dk "$NODE1" login "$REGISTRY" -u "$(labenv LAB_REGISTRY_USER)" --password-stdin >/dev/null 2>&1 ||
  die "docker login to the lab registry failed"
say "pushing $REFS refs"
push_round 0

# ---------------------------------------------------------------------------------------------
# Ours.
say "starting cluster-leader (--auto-sync-interval ${INTERVAL}s) and an agent on node 1"
WEBHOOK_PORT=$(bench_free_port)
WEBHOOK_ADDR="$(labenv LAB_HOST_IP):$WEBHOOK_PORT"
bench_start_leader "$LEADER" --auto-sync-interval "${INTERVAL}s" --webhook-listen "$WEBHOOK_ADDR"
say "cluster-leader listens on $LEADER_ADDR"
bench_start_agent "$AGENT" 1
bench_wait_agents 1
printf '%s' "$(labenv LAB_REGISTRY_PASSWORD)" | ctl registry add bench --provider generic --url "$REGISTRY" \
  --username "$(labenv LAB_REGISTRY_USER)" --password-stdin --insecure >/dev/null || die "registry add failed"
say "creating and deploying $SERVICES apps over $REFS refs"
for ((i = 1; i <= SERVICES; i++)); do
  ctl app create "sb-ours-$i" --image "$(ref_of "$i")" --registry bench --replicas 1 --constraint "node.hostname==$NODE1_HOST" >/dev/null || die "app create sb-ours-$i failed"
  ctl deploy "sb-ours-$i" >"$WORK/deploy.log" 2>&1 || { cat "$WORK/deploy.log" >&2; die "deploy sb-ours-$i failed"; }
  ctl app set "sb-ours-$i" --auto-sync on >/dev/null || die "app set --auto-sync on failed"
done
if ((WEBHOOKS_ONLY == 0)); then
sleep $((INTERVAL + 2))   # every ref has had its first check
# Counted over QUIET intervals: jitter moves a check up to 10 % earlier (never later, so a change
# is seen within one interval), so a window of a few intervals holds a few more than REFS x QUIET.
QUIET=6
before=$(manifest_requests); sleep $((QUIET * INTERVAL)); after=$(manifest_requests)
OURS_PER_INTERVAL=$(awk -v n=$((after - before)) -v q=$QUIET 'BEGIN { printf "%.1f", n / q }')
OURS_PER_REF=$(grep 'msg="response completed".*/manifests/' "$REG_LOG" | tail -n $((after - before)) |
  sed -n 's|.*/v2/shepherd-bench/\(r[0-9]*\)/manifests/.*|\1|p' | sort | uniq -c | awk '{ printf "%s%s: %s", sep, $2, $1; sep = ", " }')
say "ours: $((after - before)) manifest requests in $QUIET quiet intervals ($OURS_PER_REF)"
push_round 1
start=$(date +%s%N)
OURS_CONVERGE=$(wait_converged sb-ours "$start")
say "ours: all $SERVICES services on the new digests ${OURS_CONVERGE} s after the push"
# The deploy time the target allows on top of one interval: the same 20 deployments started by
# hand (Auto-Sync off, all 20 `clusterctl deploy` at once), push -> converged.
for ((i = 1; i <= SERVICES; i++)); do ctl app set "sb-ours-$i" --auto-sync off >/dev/null || die "app set --auto-sync off failed"; done
push_round 3
start=$(date +%s%N)
deployers=()
for ((i = 1; i <= SERVICES; i++)); do ctl deploy "sb-ours-$i" >"$WORK/deploy-$i.log" 2>&1 & deployers+=("$!"); done
for ((i = 1; i <= SERVICES; i++)); do wait "${deployers[i - 1]}" || { cat "$WORK/deploy-$i.log" >&2; die "deploy sb-ours-$i failed"; }; done
OURS_DEPLOY=$(wait_converged sb-ours "$start")
say "ours: 20 deployments by hand took ${OURS_DEPLOY} s to converge"
fi

# Webhooks: a second real registry (distribution, the lab registry's storage and htpasswd) whose
# notifications go to the leader's webhook listener, as an operator configures theirs. Polling is
# slowed to once an hour, so only the notification can start the deployments. A new image is
# pushed to the lab registry as :next, then its manifest PUT as :live through the notifying
# registry (what `docker push` ends with); detection = that PUT -> the first Auto-Sync deployment
# of the ref started (the deployment record's startedAt), converged = the first PUT -> all 20 on
# the new digests.
ctl webhook add bench-push --kind registry -o json >"$WORK/webhook.json" || die "webhook add failed"
OWN_PORT=$WEBHOOK_PORT
while [[ $OWN_PORT == "$WEBHOOK_PORT" ]]; do OWN_PORT=$(bench_free_port); done
OWN="$(labenv LAB_HOST_IP):$OWN_PORT"
mkdir -p "$WORK/own"; chmod 700 "$WORK/own"
cat >"$WORK/own/config.yml" <<YAML
version: 0.1
log: { level: info, fields: { service: shepherd-bench-registry } }
storage:
  filesystem: { rootdirectory: $LAB_DIR/reg/data }
  maintenance: { uploadpurging: { enabled: false } }
http: { addr: $OWN, secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') }
auth: { htpasswd: { realm: shepherd-bench, path: $(labenv LAB_REGISTRY_HTPASSWD) } }
health: { storagedriver: { enabled: false } }
notifications:
  events: { includereferences: true }
  endpoints:
    - name: cluster-leader
      url: $(jq -r .listenerUrl "$WORK/webhook.json")
      headers: { Authorization: [Bearer $(jq -r .secret "$WORK/webhook.json")] }
      timeout: 2s
      threshold: 5
      backoff: 1s
YAML
docker-registry serve "$WORK/own/config.yml" >"$WORK/own-registry.log" 2>&1 &
BENCH_PIDS+=("$!")
for ((i = 0; i < 100; i++)); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$OWN/v2/" || true) == 401 ]] && break
  sleep 0.1
done
for ((i = 1; i <= SERVICES; i++)); do
  ctl app set "sb-ours-$i" --auto-sync on --sync-interval 1h >/dev/null || die "app set --sync-interval 1h failed"
done
sleep $((INTERVAL + 2))   # nothing is deployed by polling from here on
push_round 4 next
# curl reads the registry's login from its config on stdin, never from argv.
reg_curl() { printf 'user = "%s:%s"\n' "$(labenv LAB_REGISTRY_USER)" "$(labenv LAB_REGISTRY_PASSWORD)" | curl -sf -K - "$@"; }
MT=application/vnd.docker.distribution.manifest.v2+json
declare -A PUT_AT
for ((r = 1; r <= REFS; r++)); do
  reg_curl -H "Accept: $MT" -o "$WORK/manifest-r$r" "http://$OWN/v2/shepherd-bench/r$r/manifests/next" || die "GET manifest r$r:next failed"
  PUT_AT[$r]=$(date +%s%N)
  reg_curl -X PUT -H "Content-Type: $MT" --data-binary "@$WORK/manifest-r$r" "http://$OWN/v2/shepherd-bench/r$r/manifests/live" >/dev/null ||
    die "PUT manifest r$r:live through the notifying registry failed"
done
OURS_WEBHOOK_CONVERGE=$(wait_converged sb-ours "${PUT_AT[1]}")
DETECT=()
for ((r = 1; r <= REFS; r++)); do
  first=""
  for ((i = r; i <= SERVICES; i += REFS)); do
    started=$(ctl deployment list "sb-ours-$i" -o json | jq -r '[.[] | select(.trigger == "webhook")] | map(.startedAt) | min // empty')
    [[ -n $started ]] || die "sb-ours-$i: no deployment triggered by the webhook"
    ns=$(date -d "$started" +%s%N)
    [[ -z $first || $ns -lt $first ]] && first=$ns
  done
  DETECT+=("$(awk -v s="${PUT_AT[$r]}" -v e="$first" 'BEGIN { printf "%.2f", (e - s) / 1e9 }')")
done
OURS_WEBHOOK_DETECT=$(printf '%s\n' "${DETECT[@]}" | sort -n | tail -1)
say "ours, webhooks: detection ${DETECT[*]} s per ref (max $OURS_WEBHOOK_DETECT s), all $SERVICES converged ${OURS_WEBHOOK_CONVERGE} s after the first push"
for ((i = 1; i <= SERVICES; i++)); do ctl app remove "sb-ours-$i" >/dev/null 2>&1 || true; dk "$MANAGER" service rm "sb-ours-$i" >/dev/null 2>&1 || true; done

if ((WEBHOOKS_ONLY)); then
  printf '\nMachine: %s cores, load average %s at the end; %s services over %s refs, detection (push -> deployment started) per ref: %s s (max %s), all converged %s s after the first push.\n' \
    "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" "$SERVICES" "$REFS" "${DETECT[*]}" "$OURS_WEBHOOK_DETECT" "$OURS_WEBHOOK_CONVERGE"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Shepherd, as its README configures it for a private registry (and with its Dockerfile's ENV
# defaults, which the script needs under set -u): credentials sent to the swarm
# agents, the registry declared insecure (plain HTTP, as the lab's engines treat it).
say "creating $SERVICES plain services for Shepherd"
for ((i = 1; i <= SERVICES; i++)); do
  dk "$MANAGER" service create -q --detach --with-registry-auth --name "sb-shep-$i" --label bench=shepherd \
    --constraint "node.hostname==$NODE1_HOST" --replicas 1 "$(ref_of "$i")" >/dev/null || die "service create sb-shep-$i failed"
done
# Shepherd logs in from its own config dir, as in its container (the lab registry's login).
mkdir -p "$WORK/shepherd-cli"; cp "$WORK/cli/config.json" "$WORK/shepherd-cli/config.json"
run_shepherd() {
  DOCKER_HOST=$MANAGER DOCKER_CONFIG=$WORK/shepherd-cli FILTER_SERVICES="label=bench=shepherd" RUN_ONCE_AND_EXIT=1 \
    WITH_REGISTRY_AUTH=1 WITH_INSECURE_REGISTRY=1 VERBOSE=false TZ=UTC UPDATE_OPTIONS="" ROLLBACK_OPTIONS="" bash "$SHEPHERD" >>"$WORK/shepherd.log" 2>&1
}
# A first pass settles whatever the new services need (its requests are not counted).
run_shepherd || { tail -20 "$WORK/shepherd.log" >&2; die "shepherd's first pass failed"; }
before=$(manifest_requests); pass_start=$(date +%s%N)
run_shepherd || { tail -20 "$WORK/shepherd.log" >&2; die "shepherd's quiet pass failed"; }
after=$(manifest_requests)
SHEP_PER_PASS=$((after - before))
SHEP_QUIET_PASS=$(awk -v s="$pass_start" -v e="$(date +%s%N)" 'BEGIN { printf "%.1f", (e - s) / 1e9 }')
say "shepherd: $SHEP_PER_PASS manifest requests in one quiet pass (${SHEP_QUIET_PASS} s)"
push_round 2
PUSHED_SHEP=$(date +%s%N)
run_shepherd || { tail -20 "$WORK/shepherd.log" >&2; die "shepherd's update pass failed"; }
SHEP_CONVERGE=$(wait_converged sb-shep "$PUSHED_SHEP")
say "shepherd: all $SERVICES services on the new digests ${SHEP_CONVERGE} s after the push (one pass started at once)"

# ---------------------------------------------------------------------------------------------
cat <<EOF

Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release), load average $(cut -d' ' -f1 /proc/loadavg) at the end;
dockerd $(dk "$MANAGER" version -f '{{.Server.Version}}'), $SERVICES services over $REFS refs on node 1, interval ${INTERVAL} s.

| | manifest requests per interval | push -> all $SERVICES services converged |
|---|---:|---:|
| ours (Auto-Sync, polling) | $OURS_PER_INTERVAL (per ref over $QUIET intervals: $OURS_PER_REF) | $OURS_CONVERGE s (detection within one interval + deploys) |
| ours, the same $SERVICES deployments by hand (the deploy time) | - | $OURS_DEPLOY s |
| ours, a registry's push notifications (polling hourly) | - | $OURS_WEBHOOK_CONVERGE s; detection (push -> deployment started) at most $OURS_WEBHOOK_DETECT s (per ref: ${DETECT[*]}) |
| Shepherd 1.8.1 (one pass = one interval) | $SHEP_PER_PASS | $SHEP_CONVERGE s (+ up to its SLEEP_TIME before the pass starts) |

Targets (issue #11): requests per interval = unique refs ($REFS); by polling, push -> converged within one
interval plus the deploy time: $OURS_CONVERGE s against ${INTERVAL} + $OURS_DEPLOY s.
EOF
