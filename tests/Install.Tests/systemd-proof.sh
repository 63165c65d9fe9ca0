#!/usr/bin/env bash
# shellcheck disable=SC2016 # the checks are single-quoted inner scripts that read their arguments ($0, $1)
# systemd-proof.sh: proves install.sh's units under a REAL systemd as PID 1. It takes about 20 s,
# plus about a minute for the first debootstrap (the rootfs is cached).
#
# A Debian 12 rootfs (debootstrap, cached in $CLUSTER_SYSTEMD_ROOTFS) is copied, booted with
# systemd-nspawn (systemd is its PID 1; the host needs none), and given the host's .NET
# runtime (read-only), this checkout (read-only, as /src), the programs published from this
# checkout's build, the docker CLI, and the lab's manager engine socket as /srv/docker.sock.
# Inside it, `install.sh all-in-one` runs with systemd units, and the script checks:
# - readiness (Type=notify) and journald logging;
# - the hardening, seen from inside the running leader: user, no capabilities, NoNewPrivs,
#   read-only system, a writable data dir, a private /tmp;
# - restart on failure;
# - upgrade;
# - uninstall --purge.
# Then it powers the container off and deletes the copy.
#
# Needs root, the lab up (tests/lab/lab.sh up), a build ($CLUSTER_CONFIGURATION, default Release),
# and Debian's debootstrap and systemd-container packages (installed when missing). The rootfs
# comes from the Debian mirror this machine's apt uses. tests/Install.Tests runs this script
# (SystemdProofTests); it can also be run alone.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${CLUSTER_SYSTEMD_ROOTFS:-/var/tmp/cluster-systemd-rootfs}
lab_env=${CLUSTER_LAB_DIR:-/tmp/clab}/lab.env
passed=0 failed=0
run=""
nspawn_pid=""

check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then echo "PASS $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
die() { echo "systemd-proof: $*" >&2; finish 1; }

finish() {
  if [ -n "$nspawn_pid" ] && [ -d "/proc/$nspawn_pid" ]; then
    [ -n "${C:-}" ] && nsenter -t "$C" -a -- /bin/systemctl poweroff >/dev/null 2>&1
    for _ in $(seq 60); do [ -d "/proc/$nspawn_pid" ] || break; sleep 0.5; done
    [ -d "/proc/$nspawn_pid" ] && kill -KILL "$nspawn_pid" 2>/dev/null
  fi
  [ -n "$run" ] && [ -d "$run" ] && rm -rf --one-file-system "$run" "$run.boot.log"
  echo "systemd proof: $passed passed, $failed failed"
  exit "${1:-$([ "$failed" = 0 ] && echo 0 || echo 1)}"
}
trap 'finish 1' INT TERM

[ "$(id -u)" = 0 ] || die "run as root"
[ -f "$lab_env" ] || die "the lab is not up: bash tests/lab/lab.sh up"
manager_sock=$(sed -n 's|^LAB_MANAGER_SOCK=unix://||p' "$lab_env")
if ! command -v debootstrap >/dev/null || ! command -v systemd-nspawn >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq debootstrap systemd-container >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq debootstrap systemd-container >/dev/null; } ||
    die "cannot install debootstrap and systemd-container"
fi

if [ ! -f "$cache/.complete" ]; then
  echo "== debootstrap (bookworm, minbase + systemd) into $cache"
  rm -rf "$cache"
  # The Debian mirror this machine's apt already uses.
  mirror=$(apt-cache policy 2>/dev/null | awk '$3 == "bookworm/main" && $2 ~ /^https?:/ {print $2; exit}')
  [ -n "$mirror" ] || die "no bookworm/main source in this machine's apt configuration (apt-get update first)"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,openssl,iproute2,procps,libicu72,ca-certificates \
    bookworm "$cache" "$mirror" >/tmp/cluster-debootstrap.log 2>&1 || die "debootstrap failed: /tmp/cluster-debootstrap.log"
  touch "$cache/.complete"
fi

run=$(mktemp -d /var/tmp/cluster-systemd-run.XXXXXX)
echo "== preparing a copy of the rootfs in $run"
cp -a "$cache/." "$run/"
chroot "$run" groupadd -g "$(getent group docker | cut -d: -f3)" docker || die "groupadd docker"
ln -sf /usr/share/dotnet/dotnet "$run/usr/bin/dotnet"
mkdir -p "$run/usr/share/dotnet" "$run/src" "$run/pub"
cp "$(command -v docker)" "$run/usr/bin/docker"
touch "$run/srv/docker.sock"
echo citsd >"$run/etc/hostname"
configuration=${CLUSTER_CONFIGURATION:-Release}
(cd "$repo" && dotnet msbuild deploy/publish.proj -t:Publish "-p:PublishRoot=$run/pub/lib/" -p:NoBuild=true "-p:Configuration=$configuration" -nologo -v:q -clp:ErrorsOnly) ||
  die "publishing the $configuration build failed (dotnet build -c $configuration first)"

echo "== booting it with systemd-nspawn (systemd as PID 1)"
setsid systemd-nspawn -D "$run" -b --register=no --keep-unit -M citsd --console=passive \
  --bind-ro=/usr/share/dotnet --bind-ro="$repo:/src" --bind="$manager_sock:/srv/docker.sock" >"$run.boot.log" 2>&1 </dev/null &
nspawn_pid=$!
C=""
for _ in $(seq 60); do
  C=$(ps -o pid= --ppid "$nspawn_pid" 2>/dev/null | head -n 1 | tr -d ' ')
  if [ -n "$C" ] && state=$(nsenter -t "$C" -a -- /bin/systemctl is-system-running 2>/dev/null) && { [ "$state" = running ] || [ "$state" = degraded ]; }; then break; fi
  sleep 1
done
[ -n "$C" ] || die "the container did not boot: $(cat "$run.boot.log")"
cin() { nsenter -t "$C" -a -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
check "systemd is PID 1 in the container" test "$(cin cat /proc/1/comm)" = systemd

port=$((20000 + RANDOM % 10000))
while [ -n "$(ss -Hltn "( sport = :$port )" 2>/dev/null)" ]; do port=$((20000 + RANDOM % 10000)); done
echo "== install.sh all-in-one (systemd units), leader on 127.0.0.1:$port"
out=$(cin bash /src/install.sh all-in-one --yes --binaries /pub --docker-host unix:///srv/docker.sock --listen "127.0.0.1:$port" --wait 120 2>&1)
rc=$?
echo "$out" | sed -n '/^==/p;/^   /p'
check "install exits 0 and its self-check passes" bash -c '[ "$0" = 0 ] && grep -q "self-check passed" <<<"$1"' "$rc" "$out"
check "install chose systemd" grep -q "(systemd services" <<<"$out"
for svc in cluster-leader cluster-agent cluster-builder; do
  props=$(cin systemctl show "$svc" -p Type,ActiveState,SubState,User --no-pager)
  check "$svc: Type=notify, active (running), User=cluster" bash -c 'grep -qx Type=notify <<<"$0" && grep -qx ActiveState=active <<<"$0" && grep -qx SubState=running <<<"$0" && grep -qx User=cluster <<<"$0"' "$props"
done
check "the leader logs to journald" bash -c 'nsenter -t "$0" -a -- journalctl -u cluster-leader --no-pager -o cat | grep -q "cluster-leader listening on"' "$C"

cin touch /tmp/.host-marker
P=$(cin systemctl show -p MainPID --value cluster-leader)
status=$(cin cat "/proc/$P/status")
check "leader: NoNewPrivs=1" grep -qP '^NoNewPrivs:\t1$' <<<"$status"
check "leader: no effective capabilities" grep -qP '^CapEff:\t0+$' <<<"$status"
check "leader: runs as user cluster" test "$(awk '/^Uid:/ {print $2}' <<<"$status")" = "$(cin id -u cluster)"
# shellcheck disable=SC2317 # called through check
inside() { cin nsenter -t "$P" -m -- setpriv --reuid=cluster --regid=cluster --clear-groups sh -c "$1" >/dev/null 2>&1; }
check "leader: /etc and /opt are read-only (ProtectSystem=strict)" bash -c '! nsenter -t "$0" -a -- nsenter -t "$1" -m -- setpriv --reuid=cluster --regid=cluster --clear-groups sh -c "touch /etc/x || touch /opt/cluster/x" 2>/dev/null' "$C" "$P"
check "leader: its data dir is writable (ReadWritePaths)" inside 'touch /var/lib/cluster/leader/.w && rm /var/lib/cluster/leader/.w'
check "leader: /tmp is private (PrivateTmp)" bash -c '! nsenter -t "$0" -a -- nsenter -t "$1" -m -- test -e /tmp/.host-marker' "$C" "$P"

A=$(cin systemctl show -p MainPID --value cluster-agent)
cin kill -KILL "$A"
restarted=0
for _ in $(seq 60); do
  props=$(cin systemctl show cluster-agent -p NRestarts,ActiveState,MainPID)
  n=$(sed -n 's/^NRestarts=//p' <<<"$props"); state=$(sed -n 's/^ActiveState=//p' <<<"$props"); pid=$(sed -n 's/^MainPID=//p' <<<"$props")
  if [ "${n:-0}" -ge 1 ] && [ "$state" = active ] && [ "$pid" != "$A" ]; then restarted=1; break; fi
  sleep 0.5
done
check "Restart=on-failure: a killed agent is restarted" test "$restarted" = 1

before=$(cin systemctl show -p MainPID --value cluster-leader)
out=$(cin bash /src/install.sh all-in-one --binaries /pub --wait 120 2>&1)
rc=$?
check "re-run (upgrade) exits 0 and its self-check passes" bash -c '[ "$0" = 0 ] && grep -q "self-check passed" <<<"$1"' "$rc" "$out"
check "upgrade restarted the leader" test "$(cin systemctl show -p MainPID --value cluster-leader)" != "$before"

out=$(cin bash /src/install.sh uninstall --purge 2>&1)
rc=$?
check "uninstall --purge exits 0" test "$rc" = 0
check "no unit, program, config, data or user is left" bash -c '
  nsenter -t "$0" -a -- sh -c "ls /etc/systemd/system/cluster-* /opt/cluster /etc/cluster /var/lib/cluster /usr/local/bin/clusterctl 2>/dev/null; getent passwd cluster; systemctl list-units \"cluster-*\" --all --no-legend" | grep -q . && exit 1 || exit 0' "$C"

finish
