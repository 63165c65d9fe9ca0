#!/usr/bin/env bash
# engine-sandbox.sh: proves that on a machine without systemd, `install.sh uninstall --purge`
# stops the Docker engine that install.sh itself started under its supervisor (#13 item 10),
# and says so, instead of leaving dockerd running with its supervisor's pid files deleted.
#
# install.sh starts that engine only when none answers at the default socket
# (unix:///var/run/docker.sock), so this script gives it a machine of its own where that is
# true, without touching this one:
#   unshare --mount --net --pid --fork --mount-proc
# - a private /run (tmpfs): no systemd to be seen (install.sh picks its own supervisor), no
#   host Docker socket, pid files or netns mounts;
# - a private /var/lib/docker and /etc/docker: the sandbox engine's data and config (the rest of
#   /var/lib, e.g. dpkg's database, stays visible through symlinks);
# - its own network namespace with loopback and a veth pair (10.77.250.1/24 on one end) for the
#   leader and the swarm to advertise; nothing leaves it;
# - its own pid namespace: /proc shows only the sandbox, so install.sh's process scans see
#   only what it started here, and when the sandbox's first process exits, the kernel ends
#   whatever is left in it. The mount and network namespaces go with it.
# Inside, `install.sh all-in-one` starts dockerd under its supervisor, then `uninstall --purge`
# runs, and the checks look at the processes, the socket, the install root and the user.
#
# Needs root, Debian's docker.io (dockerd, containerd, the docker CLI; tests/lab/lab.sh install
# puts it there) and a build ($CLUSTER_CONFIGURATION, default Release). No lab needed.
# tests/Install.Tests runs this script (EngineSandboxTests); it can also be run alone.
# Prints one PASS/FAIL line per check and ends with "engine sandbox: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
addr=10.77.250.1

if [ "${1:-}" != --inside ]; then
  [ "$(id -u)" -eq 0 ] || { echo "engine-sandbox: run as root" >&2; exit 2; }
  for tool in unshare dockerd containerd docker ip getent; do
    command -v "$tool" >/dev/null || { echo "engine-sandbox: $tool is missing (apt-get install docker.io iproute2 util-linux)" >&2; exit 2; }
  done
  work=$(mktemp -d /tmp/cit-engine.XXXXXX)
  chmod 0755 "$work"
  user=cit$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  cgroup_before=0; [ -d /sys/fs/cgroup/docker ] && cgroup_before=1
  unshare --mount --net --pid --fork --mount-proc --propagation private -- bash "$0" --inside "$work" "$user"
  rc=$?
  # The sandbox is gone with its first process. What could outlive it lives outside: the
  # service user (if uninstall failed), the work dir, an empty cgroup dockerd may have made.
  if getent passwd "$user" >/dev/null; then echo "FAIL the service user $user outlived the sandbox"; userdel -f "$user" >/dev/null 2>&1; rc=1; fi
  getent group "$user" >/dev/null && groupdel "$user" >/dev/null 2>&1
  [ "$cgroup_before" = 0 ] && [ -d /sys/fs/cgroup/docker ] && rmdir /sys/fs/cgroup/docker 2>/dev/null
  rm -rf "$work"
  exit "$rc"
fi

work=$2 user=$3
root=$work/root
passed=0 failed=0
check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then echo "PASS $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
# Processes of the sandbox other than zombies, as "pid args".
procs() { ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/ { $2 = ""; print }'; }
engine_procs() { procs | grep -E 'dockerd|containerd|supervise\.sh' | grep -v grep; }

# The machine: private /run, /etc/docker, /var/lib/docker; loopback and a veth pair (no
# dummy module on every kernel), both ends inside the sandbox.
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
mkdir -p /run/lock
mount -t tmpfs -o mode=0755 tmpfs /etc/docker || exit 1
mkdir -p "$work/var-lib"
mount --bind /var/lib "$work/var-lib" || exit 1
mount -t tmpfs -o mode=0755 tmpfs /var/lib || exit 1
for entry in "$work"/var-lib/*; do ln -s "$entry" "/var/lib/$(basename "$entry")"; done
mkdir -p /var/lib/docker
ip link set lo up
ip link add cit0 type veth peer name cit1 && ip addr add "$addr/24" dev cit0 && ip link set cit1 up && ip link set cit0 up || exit 1

mkdir -p "$root"/{etc,opt,usr/local/bin,var/lib}
export CLUSTER_ROOT=$root CLUSTER_USER=$user CLUSTER_CONFIGURATION=${CLUSTER_CONFIGURATION:-Release}

install_out=$(bash "$repo/install.sh" all-in-one --yes --no-build --init fallback --listen "$addr:7443" \
  --swarm-advertise-addr "$addr" --wait 120 2>&1)
install_rc=$?
check "install.sh all-in-one succeeds" test "$install_rc" = 0
[ "$install_rc" = 0 ] || printf '%s\n' "$install_out" | tail -n 40
check "install.sh says it started dockerd under its own supervisor" grep -q "starting dockerd under install.sh's supervisor" <<<"$install_out"
engine_answers() { DOCKER_CONFIG=/nonexistent timeout 10 docker -H unix:///var/run/docker.sock version >/dev/null 2>&1; }
check "the engine it started answers at the default socket" engine_answers
check "dockerd runs under the supervisor (its pid file names it)" test -s "$root/var/lib/cluster/run/dockerd.supervisor.pid"
echo "before uninstall:"; engine_procs | sed 's/^/  /'

uninstall_out=$(bash "$repo/install.sh" uninstall --purge 2>&1)
uninstall_rc=$?
check "uninstall --purge succeeds" test "$uninstall_rc" = 0
[ "$uninstall_rc" = 0 ] || printf '%s\n' "$uninstall_out" | tail -n 40
check "uninstall says it stopped the engine install.sh had started" grep -q "stopped the Docker engine install.sh had started" <<<"$uninstall_out"
not_in() { ! grep -q -- "$1" <<<"$2"; }
check "uninstall did not have to kill the engine" not_in "did not stop within" "$uninstall_out"
left=$(engine_procs)
check "no dockerd, containerd or supervisor is left running" test -z "$left"
[ -z "$left" ] || printf 'left running:\n%s\n' "$left"
no_engine() { ! DOCKER_CONFIG=/nonexistent timeout 5 docker -H unix:///var/run/docker.sock version >/dev/null 2>&1; }
check "nothing answers at the default socket" no_engine
left_files=$(cd "$root" && find . -mindepth 1 | sort | tr '\n' ' ')
check "the install root is back to the bare skeleton" test "$left_files" = "./etc ./opt ./usr ./usr/local ./usr/local/bin ./var ./var/lib "
[ "$left_files" = "./etc ./opt ./usr ./usr/local ./usr/local/bin ./var ./var/lib " ] || echo "left in the root: $left_files"
no_user() { ! getent passwd "$1" >/dev/null; }
check "the service user is gone" no_user "$user"
no_install_procs() { ! procs | grep -F -- "$root" | grep -v grep; }
check "no process of the install is left" no_install_procs

echo "engine sandbox: $passed passed, $failed failed"
[ "$failed" = 0 ]
