#!/usr/bin/env bash
# The project's test lab: a REAL multi-node Docker Swarm (one dockerd per network namespace,
# manager included), a REAL registry with htpasswd (Basic) auth and a second one with token
# (Bearer) auth, all on this machine.
# See tests/lab/README.md. Commands: install | up [--nodes N] | down | status | env |
# check-clean | selftest.
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Fixed design (other code depends on these names).
LAB=${CLUSTER_LAB_DIR:-/tmp/clab}
LAB=${LAB%/}
BR=clab0
HOST_IP=10.77.0.254
NET_PREFIX=10.77.0
REG_ADDR=$HOST_IP:5000
# The token-auth registry. Its token server is NOT part of the lab: the tests run one (on
# $TOKEN_REALM) that signs JWTs with the key made here.
TOKEN_REG_ADDR=$HOST_IP:5001
TOKEN_REALM=http://$HOST_IP:5002/token
# Nothing of the lab listens here: the tests put a FaultProxy (in front of $REG_ADDR) on this
# address when a deployment must meet a registry fault (429, 503, refused HEAD); the engines
# trust it as they trust the registry itself.
FAULT_REG_ADDR=$HOST_IP:5003
TOKEN_SERVICE=clab-registry
TOKEN_ISSUER=clab-token-issuer
REG_USER=alice
NS_PREFIX=clab-n
VETH_PREFIX=clab-v
IPT_COMMENT=clab
CGROUP_PREFIX=clab-n # containers of node i live in cgroup /clab-n<i>/<id>
DEFAULT_NODES=3
MAX_NODES=50
LOCK_FILE=${CLUSTER_LAB_LOCK:-/run/lock/clab.lock}
# Bounded waits (seconds). dockerd start-up is CPU bound: 2 cores shared by every node.
DOCKERD_TIMEOUT=${CLAB_DOCKERD_TIMEOUT:-120}
REGISTRY_TIMEOUT=${CLAB_REGISTRY_TIMEOUT:-30}
SWARM_TIMEOUT=${CLAB_SWARM_TIMEOUT:-120}
# auto: add the FORWARD accept rule only when something would drop bridged lab traffic.
FORWARD_RULE_MODE=${CLAB_FORWARD_RULE:-auto} # auto | always | never
# Directories outside the lab dir that the lab's daemons create when missing (ip netns, dockerd's
# plugin dir, containerd's shim sockets and opt dir). down removes those the lab created, once
# empty of anything else.
HOST_DIRS=(/run/netns /run/docker /run/containerd /opt/containerd)
# git and openssh-server/-client: the build tests' real Git servers (git daemon, git
# http-backend, an sshd of their own) and the builder's git and ssh-agent.
PKGS=(docker.io docker-registry apache2-utils busybox-static iproute2 iptables curl openssl amazon-ecr-credential-helper git openssh-client openssh-server)

# The lab only talks to loopback and 10.77.0.0/24: never through a proxy.
unset http_proxy https_proxy ftp_proxy all_proxy no_proxy HTTP_PROXY HTTPS_PROXY FTP_PROXY \
  ALL_PROXY NO_PROXY
# The docker CLI must address the lab engines explicitly and never touch /root/.docker.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
export DOCKER_CONFIG=$LAB/cli
export DOCKER_BUILDKIT=0 DOCKER_CLI_HINTS=false
if [[ -n ${LAB_DOCKER_CLI:-} ]]; then
  DOCKER=$LAB_DOCKER_CLI
elif [[ -x /usr/bin/docker ]]; then
  DOCKER=/usr/bin/docker # Debian's docker.io CLI, same version as its dockerd
else
  DOCKER=docker
fi

# ---------------------------------------------------------------------------------------------
# Helpers.
log() { printf 'lab: %s\n' "$*" >&2; }
die() {
  printf 'lab: ERROR: %s\n' "$*" >&2
  exit 1
}
usage() {
  cat >&2 <<EOF
usage: ${0##*/} install | up [--nodes N] | down | status | env | check-clean | selftest | restart-engine I
  lab dir: \$CLUSTER_LAB_DIR (default /tmp/clab), now $LAB
EOF
  exit 2
}
# Microseconds since the epoch, without forking.
now_us() { echo "${EPOCHREALTIME/./}"; }
elapsed() { # $1 = start (now_us) -> seconds with one decimal
  local d=$(($(now_us) - $1))
  printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000))
}

validate_lab_dir() {
  [[ $LAB == /* ]] || die "CLUSTER_LAB_DIR must be absolute: $LAB"
  [[ $LAB =~ ^(/[A-Za-z0-9._-]+)+$ ]] || die "CLUSTER_LAB_DIR may only hold [A-Za-z0-9._-/]: $LAB"
  [[ /$LAB/ != */./* && /$LAB/ != */../* ]] || die "CLUSTER_LAB_DIR must not hold . or ..: $LAB"
  case $LAB in
  /bin | /boot | /dev | /etc | /home | /lib* | /media | /mnt | /opt | /proc | /root | /run | \
    /sbin | /srv | /sys | /tmp | /usr | /var | /run/* | /var/run/* | /proc/* | /sys/* | /dev/*)
    die "refusing CLUSTER_LAB_DIR=$LAB (down removes it)"
    ;;
  esac
  # unix sockets are limited to 108 bytes; the deepest one dockerd makes is
  # $LAB/nNN/exec/containerd/containerd.sock.ttrpc
  ((${#LAB} <= 48)) || die "CLUSTER_LAB_DIR is too long for unix socket paths (max 48 chars): $LAB"
}

node_ip() { echo "$NET_PREFIX.$1"; }
node_dir() { echo "$LAB/n$1"; }
node_sock() { echo "$LAB/n$1/docker.sock"; }
dock() { # dock <node> <docker args...>  (bounded: DOCK_TIMEOUT seconds, default 120)
  local i=$1
  shift
  timeout "${DOCK_TIMEOUT:-120}" "$DOCKER" -H "unix://$LAB/n$i/docker.sock" "$@"
}
engine_ping() { # engine_ping <node>: the engine answers its API
  [[ -S $LAB/n$1/docker.sock ]] &&
    [[ $(curl -s --max-time 3 --unix-socket "$LAB/n$1/docker.sock" http://lab/_ping 2>/dev/null) == OK ]]
}
registry_code() { # HTTP status of GET /v2/ without credentials (000 when nothing answers)
  curl -s -o /dev/null --max-time 3 -w '%{http_code}' "http://$REG_ADDR/v2/" 2>/dev/null || true
}
# The token registry is ready when GET /v2/ answers 401 with the Bearer challenge naming our realm
# and service; prints "401 bearer" then, else the status and "no-bearer".
token_registry_state() {
  local out code challenge
  out=$(curl -s -o /dev/null -D - --max-time 3 "http://$TOKEN_REG_ADDR/v2/" 2>/dev/null | tr -d '\r' || true)
  code=$(awk 'NR == 1 {print $2}' <<<"$out")
  challenge=$(awk 'tolower($1) == "www-authenticate:" {sub(/^[^:]*: */, ""); print}' <<<"$out")
  if [[ $challenge == "Bearer realm=\"$TOKEN_REALM\",service=\"$TOKEN_SERVICE\""* ]]; then
    echo "${code:-000} bearer"
  else
    echo "${code:-000} no-bearer"
  fi
}
read_pid() { # read_pid <file>: the pid it holds, if that process is alive
  local p=
  if [[ -f $1 ]]; then read -r p 2>/dev/null <"$1" || true; fi
  [[ $p =~ ^[0-9]+$ ]] && kill -0 "$p" 2>/dev/null && echo "$p"
  return 0
}
recorded_nodes() { # the node count of the current/last lab, 0 if unknown
  local n=0
  if [[ -f $LAB/nodes ]]; then read -r n 2>/dev/null <"$LAB/nodes" || true; fi
  [[ $n =~ ^[0-9]+$ ]] || n=0
  echo "$n"
}
tail_log() { # tail_log <file> [label]
  if [[ -f $1 ]]; then
    printf -- '----- last lines of %s -----\n' "$1" >&2
    tail -n "${TAIL_LINES:-25}" "$1" >&2 || true
    printf -- '-----\n' >&2
  else
    printf -- '(no log at %s)\n' "$1" >&2
  fi
}

need_cmds() {
  local c missing=()
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
  ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]} (run: $0 install)"
}

take_lock() {
  [[ -n ${CLAB_LOCK_HELD:-} ]] && return 0
  mkdir -p "$(dirname "$LOCK_FILE")"
  exec 9>>"$LOCK_FILE"
  flock -w 600 9 || die "another lab.sh holds $LOCK_FILE for more than 600 s"
  export CLAB_LOCK_HELD=1
}

# ---------------------------------------------------------------------------------------------
# Finding what belongs to the lab.

# Every pid that belongs to the lab, one per line, never ourselves or our ancestors:
#  1. pids the lab recorded (dockerd pidfiles, launch pids, registry), if their command line
#     still names the lab dir (a recycled pid does not);
#  2. dockerd / containerd / shims / registry whose command line names the lab dir (catches a
#     lab process whose namespace was deleted under it);
#  3. every process living in one of the lab's network namespaces: the clab-n* namespaces
#     (dockerd, containerd, shims, docker-proxy, host-network containers) and the namespaces
#     the lab dockerds created (bind-mounted under the lab dir: the containers);
#  4. every process in a cgroup under /clab-n<i> (the containers, via --cgroup-parent), which
#     finds containers even when their namespaces are gone.
lab_pids() {
  local -A cand=() skip=() nsino=()
  local f p line exe ino name
  # ourselves and our ancestors
  p=$BASHPID
  while [[ $p =~ ^[0-9]+$ ]] && ((p > 1)); do
    skip[$p]=1
    line=
    read -r line 2>/dev/null <"/proc/$p/stat" || break
    line=${line##*) }
    read -r _ p _ <<<"$line"
  done
  skip[$$]=1
  skip[1]=1

  # 1. recorded pids
  for f in "$LAB"/n*/docker.pid "$LAB"/n*/launch.pid "$LAB"/reg/registry.pid "$LAB"/treg/registry.pid; do
    [[ -f $f ]] || continue
    p=
    read -r p 2>/dev/null <"$f" || true
    [[ $p =~ ^[0-9]+$ && -r /proc/$p/cmdline ]] || continue
    grep -qzF -- "$LAB/" "/proc/$p/cmdline" 2>/dev/null && cand[$p]=1
  done

  # 2. lab daemons by their command line
  while IFS= read -r f; do
    p=${f#/proc/}
    p=${p%%/*}
    exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
    name=${exe##*/}
    case $name in
    dockerd | containerd | containerd-shim* | docker-registry | docker-proxy | runc)
      cand[$p]=1
      ;;
    esac
  done < <(grep -lzF -- "$LAB/" /proc/[0-9]*/cmdline 2>/dev/null || true)

  # 3. network namespaces: the lab's named ones, those its dockerds created (bind-mounted under
  #    the lab dir), and those its dockerds live in (in case clab-n<i> was deleted under them),
  #    but never the initial namespace nor ours
  local rootns selfns
  rootns=$(stat -L -c %i /proc/2/ns/net 2>/dev/null || true)
  selfns=$(stat -L -c %i /proc/self/ns/net 2>/dev/null || true)
  for p in "${!cand[@]}"; do
    [[ $(readlink "/proc/$p/exe" 2>/dev/null) == */dockerd ]] || continue
    ino=$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null) || continue
    nsino[$ino]=1
  done
  for f in /run/netns/"$NS_PREFIX"*; do
    [[ -e $f && ${f##*/} =~ ^${NS_PREFIX}[0-9]+$ ]] || continue
    ino=$(stat -L -c %i "$f" 2>/dev/null) || continue
    nsino[$ino]=1
  done
  while IFS= read -r f; do
    ino=$(stat -L -c %i "$f" 2>/dev/null) || continue
    nsino[$ino]=1
  done < <(lab_mounts nsfs)
  [[ -n $rootns ]] && unset "nsino[$rootns]"
  [[ -n $selfns ]] && unset "nsino[$selfns]"
  if ((${#nsino[@]})); then
    while read -r ino f; do
      [[ -n ${nsino[$ino]:-} ]] || continue
      p=${f#/proc/}
      cand[${p%%/*}]=1
    done < <(stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null || true)
  fi

  # 4. cgroups
  while IFS= read -r f; do
    p=${f#/proc/}
    cand[${p%%/*}]=1
  done < <(grep -lE ":/${CGROUP_PREFIX}[0-9]+(/|$)" /proc/[0-9]*/cgroup 2>/dev/null || true)

  for p in "${!cand[@]}"; do
    [[ -n ${skip[$p]:-} ]] && continue
    line=
    read -r line 2>/dev/null <"/proc/$p/stat" || continue
    line=${line##*) }
    [[ ${line:0:1} == Z ]] && continue # zombies are already dead
    echo "$p"
  done | sort -n
}

# Mount points under the lab dir (and the lab's /run/netns entries), one per line.
# lab_mounts [fstype] restricts to one file system type.
lab_mounts() {
  awk -v lab="$LAB" -v want="${1:-}" -v nsp="/run/netns/$NS_PREFIX" '
    {
      mp = $5; gsub(/\\040/, " ", mp)
      for (i = 7; i <= NF; i++) if ($i == "-") { fs = $(i + 1); break }
      if (want != "" && fs != want) next
      if (mp == lab || index(mp, lab "/") == 1 || index(mp, nsp) == 1 || index(mp, "/var" nsp) == 1) print mp
    }' /proc/self/mountinfo
}
lab_dir_mounts() { lab_mounts | awk -v lab="$LAB" '$0 == lab || index($0, lab "/") == 1'; }

lab_netns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${NS_PREFIX}[0-9]+$" || true; }
lab_links() {
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
    grep -E "^(${VETH_PREFIX}[0-9]+|$BR)$" || true
}
lab_ipt_rules() { # every rule in every table tagged with the lab comment
  command -v iptables-save >/dev/null 2>&1 || return 0
  iptables-save 2>/dev/null | grep -E -- "--comment \"?$IPT_COMMENT\"?( |$)" || true
}
lab_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/"$CGROUP_PREFIX"* /sys/fs/cgroup/"$CGROUP_PREFIX"*; do
    [[ -d $d && ${d##*/} =~ ^${CGROUP_PREFIX}[0-9]+$ ]] && echo "$d"
  done
  return 0
}

# containerd puts each shim's socket in /run/containerd/s/<sha256(containerd address/ns/id)>,
# outside the lab dir: compute the ones of every container a lab node knows.
lab_shim_sockets() {
  local d i ns id f
  for d in "$LAB"/n[0-9]*; do
    [[ -d $d ]] || continue
    {
      for f in "$d"/data/containers/*; do [[ -d $f ]] && echo "moby/${f##*/}"; done
      for f in "$d"/exec/containerd/daemon/io.containerd.runtime.v2.task/*/*; do
        [[ -d $f ]] || continue
        id=${f##*/}
        ns=${f%/*}
        echo "${ns##*/}/$id"
      done
    } | sort -u | while IFS= read -r i; do
      printf '%s' "$d/exec/containerd/containerd.sock/$i" | sha256sum | {
        read -r f _
        [[ -S /run/containerd/s/$f || -e /run/containerd/s/$f ]] && echo "/run/containerd/s/$f"
        true
      }
    done
  done
  return 0
}
# Host directories this lab created (recorded at up) that still exist.
lab_host_dirs() {
  local h
  [[ -f $LAB/host-dirs-created ]] || return 0
  while IFS= read -r h; do [[ -n $h && -e $h ]] && echo "$h"; done <"$LAB/host-dirs-created"
  return 0
}

# Prints every leftover of the lab; returns 1 if there is any.
leftovers() {
  local out=() x
  while IFS= read -r x; do [[ -n $x ]] && out+=("process $x: $(tr '\0' ' ' 2>/dev/null <"/proc/$x/cmdline" | cut -c1-150)"); done < <(lab_pids)
  while IFS= read -r x; do [[ -n $x ]] && out+=("netns $x"); done < <(lab_netns)
  while IFS= read -r x; do [[ -n $x ]] && out+=("link $x"); done < <(lab_links)
  while IFS= read -r x; do [[ -n $x ]] && out+=("iptables $x"); done < <(lab_ipt_rules)
  while IFS= read -r x; do [[ -n $x ]] && out+=("mount $x"); done < <(lab_mounts)
  while IFS= read -r x; do [[ -n $x ]] && out+=("cgroup $x"); done < <(lab_cgroups)
  while IFS= read -r x; do [[ -n $x ]] && out+=("shim socket $x"); done < <(lab_shim_sockets)
  while IFS= read -r x; do [[ -n $x ]] && out+=("host dir $x"); done < <(lab_host_dirs)
  [[ -e $LAB ]] && out+=("dir $LAB")
  ((${#out[@]} == 0)) && return 0
  printf '%s\n' "${out[@]}"
  return 1
}

# ---------------------------------------------------------------------------------------------
# Tear-down (works on a healthy lab, a crashed one and a half-finished up alike).

kill_lab_procs() {
  local _ pids=()
  for _ in $(seq 1 100); do
    mapfile -t pids < <(lab_pids)
    ((${#pids[@]})) || return 0
    kill -9 "${pids[@]}" 2>/dev/null || true
    sleep 0.1
  done
  die "lab processes survive kill -9: ${pids[*]}"
}

umount_lab() {
  local _ mp mps=()
  for _ in $(seq 1 20); do
    # deepest first: a mount nested in another has the longer path
    mapfile -t mps < <(lab_dir_mounts | awk '{print length($0) "\t" $0}' | sort -rn | cut -f2-)
    ((${#mps[@]})) || return 0
    for mp in "${mps[@]}"; do
      umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
    done
  done
  lab_dir_mounts >&2
  die "mounts under $LAB survive umount -l"
}

remove_ipt_rules() {
  command -v iptables >/dev/null 2>&1 || return 0
  local _ table rule args
  for _ in $(seq 1 20); do
    iptables -D FORWARD -i "$BR" -o "$BR" -m comment --comment "$IPT_COMMENT" -j ACCEPT 2>/dev/null || break
  done
  # anything else carrying the lab comment (e.g. written by an older version of this script)
  for table in filter nat mangle raw; do
    while IFS= read -r rule; do
      [[ $rule == -A* ]] || continue
      read -r -a args <<<"${rule/#-A/-D}"
      args=("${args[@]//\"/}")
      iptables -t "$table" "${args[@]}" 2>/dev/null || true
    done < <(iptables -t "$table" -S 2>/dev/null | grep -E -- "--comment \"?$IPT_COMMENT\"?( |$)" || true)
  done
}

remove_cgroups() {
  local _ d left
  for _ in $(seq 1 20); do
    left=0
    while IFS= read -r d; do
      [[ -n $d ]] || continue
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [[ -d $d ]] && left=1
    done < <(lab_cgroups)
    ((left)) || return 0
    sleep 0.1
  done
  return 0
}

remove_host_artifacts() {
  local f h
  while IFS= read -r f; do [[ -n $f ]] && rm -f "$f"; done < <(lab_shim_sockets)
  while IFS= read -r h; do
    [[ -n $h ]] || continue
    if [[ $h == /run/netns ]]; then
      # ip netns makes /run/netns a shared bind mount of itself; undo that once it is empty
      [[ -z $(ls -A "$h" 2>/dev/null) ]] || continue
      if mountpoint -q "$h"; then umount "$h" 2>/dev/null || continue; fi
      rmdir "$h" 2>/dev/null || true
    else
      find "$h" -depth -type d -empty -delete 2>/dev/null || true
    fi
  done < <(lab_host_dirs)
}

# The lab dir is removed only if up made it (marker), or it holds nothing but lab names: a
# CLUSTER_LAB_DIR pointed at some other directory by mistake is never deleted.
lab_dir_is_ours() {
  local e
  [[ -f $LAB/.clab ]] && return 0
  for e in "$LAB"/* "$LAB"/.[!.]*; do
    [[ -e $e || -L $e ]] || continue
    [[ ${e##*/} =~ ^(n[0-9]+|reg|treg|token|cli|selftest|nodes|lab\.env|lab\.env\.tmp|host-dirs-created|forward-rule)$ ]] || return 1
  done
  return 0
}

do_down() {
  local t0 ns l out
  t0=$(now_us)
  rm -f "$LAB/lab.env" # its presence means "up": withdraw it first
  kill_lab_procs
  umount_lab
  # deleting one end of a veth deletes both, synchronously (a dying netns would do it later)
  for l in $(lab_links); do
    if [[ $l != "$BR" ]]; then ip link del "$l" 2>/dev/null || true; fi
  done
  for ns in $(lab_netns); do
    if ! ip netns del "$ns" 2>/dev/null; then
      umount -l "/run/netns/$ns" 2>/dev/null || true
      rm -f "/run/netns/$ns"
    fi
  done
  # netns mounts that ip netns no longer lists
  while IFS= read -r l; do
    if [[ $l == */netns/* ]]; then
      umount -l "$l" 2>/dev/null || true
      rm -f "$l"
    fi
  done < <(lab_mounts)
  ip link del "$BR" 2>/dev/null || true
  remove_ipt_rules
  remove_cgroups
  remove_host_artifacts
  if [[ -e $LAB ]]; then
    [[ -z $(lab_dir_mounts) ]] || die "refusing to remove $LAB: still mounted"
    lab_dir_is_ours || die "refusing to remove $LAB: no $LAB/.clab marker and it holds files the lab did not make"
    rm -rf --one-file-system "$LAB"
  fi
  if ! out=$(leftovers); then
    printf '%s\n' "$out" >&2
    die "down left the above behind"
  fi
  log "down in $(elapsed "$t0") s"
}

# ---------------------------------------------------------------------------------------------
# Bring-up.

root_engine_running() { # a Docker engine in the root network namespace (not one of ours)
  local rootns ino f p comm
  # kthreadd (pid 2) always lives in the initial namespace; pid 1 may hide its links
  rootns=$(stat -L -c %i /proc/2/ns/net 2>/dev/null || stat -L -c %i /proc/self/ns/net)
  while read -r ino f; do
    [[ $ino == "$rootns" ]] || continue
    p=${f#/proc/}
    p=${p%%/*}
    comm=
    read -r comm 2>/dev/null <"/proc/$p/comm" || continue
    [[ $comm == dockerd ]] && return 0
  done < <(stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null || true)
  return 1
}

# Why bridged lab traffic might be dropped (empty: nothing would drop it).
forward_rule_reason() {
  case $FORWARD_RULE_MODE in
  always) echo "CLAB_FORWARD_RULE=always" && return ;;
  never) return ;;
  esac
  command -v iptables >/dev/null 2>&1 || return 0
  # With br_netfilter (built into this kernel, bridge-nf-call-iptables=1) frames crossing the
  # bridge between two lab veths traverse the root namespace's FORWARD chain.
  local nf=0
  [[ -r /proc/sys/net/bridge/bridge-nf-call-iptables ]] && read -r nf </proc/sys/net/bridge/bridge-nf-call-iptables
  if iptables -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD DROP'; then
    echo "FORWARD policy is DROP (bridge-nf-call-iptables=$nf)"
  elif root_engine_running; then
    echo "a Docker engine runs in the root namespace (it sets FORWARD to DROP)"
  elif iptables -S FORWARD 2>/dev/null | grep -qE -- '-j (DROP|REJECT)'; then
    echo "FORWARD holds DROP/REJECT rules (bridge-nf-call-iptables=$nf)"
  fi
}

setup_network() {
  local n=$1 i reason
  ip link add "$BR" type bridge
  ip addr add "$HOST_IP/24" dev "$BR"
  ip link set "$BR" up
  reason=$(forward_rule_reason)
  if [[ -n $reason ]]; then
    iptables -I FORWARD -i "$BR" -o "$BR" -m comment --comment "$IPT_COMMENT" -j ACCEPT
    echo "$reason" >"$LAB/forward-rule"
    log "added iptables FORWARD accept rule for $BR: $reason"
  fi
  for ((i = 1; i <= n; i++)); do
    ip netns add "$NS_PREFIX$i"
    ip link add "$VETH_PREFIX$i" type veth peer name eth0 netns "$NS_PREFIX$i"
    ip link set "$VETH_PREFIX$i" master "$BR" up
    ip -n "$NS_PREFIX$i" link set lo up
    ip -n "$NS_PREFIX$i" addr add "$(node_ip "$i")/24" dev eth0
    ip -n "$NS_PREFIX$i" link set eth0 up
    ip -n "$NS_PREFIX$i" route add default via "$HOST_IP"
  done
}

start_registry() {
  local d=$LAB/reg pw secret
  mkdir -p "$d/data"
  pw=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077 && echo "$pw" >"$d/password")
  htpasswd -Bbn "$REG_USER" "$pw" >"$d/htpasswd" 2>/dev/null
  cat >"$d/config.yml" <<EOF
version: 0.1
log:
  level: info
  fields: { service: lab-registry }
storage:
  filesystem: { rootdirectory: $d/data }
  delete: { enabled: true }
  maintenance: { uploadpurging: { enabled: false } }
http:
  addr: $REG_ADDR
  secret: $secret
  headers: { X-Content-Type-Options: [nosniff] }
auth:
  htpasswd: { realm: lab, path: $d/htpasswd }
health:
  storagedriver: { enabled: false }
EOF
  setsid docker-registry serve "$d/config.yml" </dev/null >>"$d/registry.log" 2>&1 9>&- &
  echo $! >"$d/registry.pid"
}

# The token registry: distribution in token mode, trusting JWTs signed by $LAB/token/signing.key
# (RS256, the certificate in the x5c header; the registry checks that chain against
# rootcertbundle, and iss/aud against issuer/service). Key and certificate are made anew at each
# up, so a token from an earlier lab is never accepted.
start_token_registry() {
  local d=$LAB/treg k=$LAB/token secret
  mkdir -p "$d/data" "$k"
  chmod 0700 "$k"
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=$TOKEN_ISSUER" \
      -keyout "$k/signing.key" -out "$k/signing.crt" >"$k/openssl.log" 2>&1
  ) || {
    cat "$k/openssl.log" >&2
    die "openssl could not make the token signing key (run: $0 down)"
  }
  rm -f "$k/openssl.log"
  chmod 0600 "$k/signing.key"
  chmod 0644 "$k/signing.crt"
  secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  cat >"$d/config.yml" <<EOF
version: 0.1
log:
  level: info
  fields: { service: lab-token-registry }
storage:
  filesystem: { rootdirectory: $d/data }
  delete: { enabled: true }
  maintenance: { uploadpurging: { enabled: false } }
http:
  addr: $TOKEN_REG_ADDR
  secret: $secret
  headers: { X-Content-Type-Options: [nosniff] }
auth:
  token:
    realm: $TOKEN_REALM
    service: $TOKEN_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $k/signing.crt
health:
  storagedriver: { enabled: false }
EOF
  setsid docker-registry serve "$d/config.yml" </dev/null >>"$d/registry.log" 2>&1 9>&- &
  echo $! >"$d/registry.pid"
}

start_dockerd() {
  local i=$1 d k args
  d=$(node_dir "$i")
  mkdir -p "$d/data" "$d/exec"
  # Our own config file: never read the machine's /etc/docker/daemon.json, and keep the
  # engine's identity key in the node's dir (else every node shares /etc/docker/key.json).
  printf '{ "deprecated-key-path": "%s/key.json" }\n' "$d" >"$d/daemon.json"
  k=$((i - 1))                # node i: local networks from its own /20 of 172.16.0.0-172.30.255.255
  args=(
    --config-file "$d/daemon.json"
    --data-root "$d/data" --exec-root "$d/exec"
    -H "unix://$d/docker.sock" --pidfile "$d/docker.pid"
    --bip "172.31.$i.1/24"
    --default-address-pool "base=172.$((16 + k / 16)).$(((k % 16) * 16)).0/20,size=24"
    --insecure-registry "$REG_ADDR" --insecure-registry "$TOKEN_REG_ADDR" --insecure-registry "$FAULT_REG_ADDR"
    --swarm-default-advertise-addr "$(node_ip "$i")"
    --cgroup-parent "/$CGROUP_PREFIX$i"
  )
  # extra dockerd flags for experiments, e.g. CLAB_DOCKERD_ARGS=--debug
  # shellcheck disable=SC2206
  [[ -n ${CLAB_DOCKERD_ARGS:-} ]] && args+=($CLAB_DOCKERD_ARGS)
  # nsenter, not `ip netns exec` (that remounts /sys: "Devices cgroup isn't mounted");
  # unshare --uts gives the node its own host name. Every step execs: the pid is dockerd's.
  # shellcheck disable=SC2016 # $0 and $@ are for the inner sh
  setsid nsenter --net="/run/netns/$NS_PREFIX$i" \
    unshare --uts sh -c 'hostname "$0" && exec dockerd "$@"' "lab-node$i" "${args[@]}" \
    </dev/null >>"$d/dockerd.log" 2>&1 9>&- &
  echo $! >"$d/launch.pid"
}

# Stops one node's dockerd (SIGTERM, by its recorded pid) and starts it again, as a reboot of that
# engine would; its swarm state is on disk, so the node rejoins the swarm by itself. For tests of
# what survives an engine restart.
do_restart_engine() {
  local i=$1 d pid polls=0
  [[ -f $LAB/lab.env ]] || die "the lab is not up"
  (( i >= 1 && i <= $(recorded_nodes) )) || die "no node $i in this lab"
  d=$(node_dir "$i")
  pid=$(read_pid "$d/docker.pid")
  if [[ -n $pid ]]; then
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
      polls=$((polls + 1))
      ((polls <= 300)) || die "node $i: dockerd $pid did not stop within 30 s"
      sleep 0.1
    done
  fi
  start_dockerd "$i"
  polls=0
  until engine_ping "$i"; do
    polls=$((polls + 1))
    ((polls <= 600)) || fail_node "$i" "engine not answering 60 s after its restart"
    sleep 0.1
  done
  log "node $i: engine restarted"
}

fail_node() { # fail_node <node> <message>
  log "node $1 ($(node_ip "$1"), lab-node$1): $2"
  tail_log "$(node_dir "$1")/dockerd.log"
  die "node $1 did not come up: $2 (run: $0 down)"
}

wait_engines() {
  local n=$1 deadline i pending=() next=() pid polls=0
  deadline=$((SECONDS + DOCKERD_TIMEOUT))
  for ((i = 1; i <= n; i++)); do pending+=("$i"); done
  while ((${#pending[@]})); do
    polls=$((polls + 1))
    next=()
    for i in "${pending[@]}"; do
      engine_ping "$i" && continue
      pid=$(read_pid "$(node_dir "$i")/launch.pid")
      [[ -n $pid ]] || fail_node "$i" "dockerd exited during start-up"
      next+=("$i")
    done
    pending=("${next[@]+"${next[@]}"}")
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline || polls > DOCKERD_TIMEOUT * 5)); then
      for i in "${pending[@]}"; do log "node $i: engine does not answer on $(node_sock "$i")"; done
      fail_node "${pending[0]}" "engine not ready after ${DOCKERD_TIMEOUT} s (not ready: nodes ${pending[*]})"
    fi
    sleep 0.2
  done
}

wait_registry() {
  local deadline code polls=0
  deadline=$((SECONDS + REGISTRY_TIMEOUT))
  while :; do
    polls=$((polls + 1))
    code=$(registry_code)
    [[ $code == 401 ]] && return 0
    if [[ -z $(read_pid "$LAB/reg/registry.pid") ]] || ((SECONDS >= deadline || polls > REGISTRY_TIMEOUT * 10)); then
      log "registry http://$REG_ADDR/v2/ answers '$code', want 401"
      tail_log "$LAB/reg/registry.log"
      die "registry did not come up (run: $0 down)"
    fi
    sleep 0.1
  done
  deadline=$((SECONDS + REGISTRY_TIMEOUT))
  polls=0
  while :; do
    polls=$((polls + 1))
    code=$(token_registry_state)
    [[ $code == "401 bearer" ]] && return 0
    if [[ -z $(read_pid "$LAB/treg/registry.pid") ]] || ((SECONDS >= deadline || polls > REGISTRY_TIMEOUT * 10)); then
      log "token registry http://$TOKEN_REG_ADDR/v2/ answers '$code', want '401 bearer' (realm $TOKEN_REALM)"
      tail_log "$LAB/treg/registry.log"
      die "token registry did not come up (run: $0 down)"
    fi
    sleep 0.1
  done
}

ready_count() { # nodes the manager lists as Ready
  DOCK_TIMEOUT=10 dock 1 node ls --format '{{.Status}}' 2>/dev/null | grep -cx Ready || true
}

form_swarm() {
  local n=$1 i token deadline pids=() rc c polls=0
  dock 1 swarm init --advertise-addr "$(node_ip 1)" --listen-addr "$(node_ip 1):2377" >/dev/null 2>"$LAB/n1/swarm.err" ||
    { cat "$LAB/n1/swarm.err" >&2; fail_node 1 "swarm init failed"; }
  if ((n > 1)); then
    token=$(dock 1 swarm join-token -q worker)
    for ((i = 2; i <= n; i++)); do
      timeout 90 "$DOCKER" -H "unix://$(node_sock "$i")" swarm join --token "$token" \
        --advertise-addr "$(node_ip "$i")" --listen-addr "$(node_ip "$i"):2377" "$(node_ip 1):2377" \
        >/dev/null 2>"$LAB/n$i/swarm.err" &
      pids[i]=$!
    done
    for ((i = 2; i <= n; i++)); do
      rc=0
      wait "${pids[i]}" || rc=$?
      if ((rc != 0)); then
        cat "$LAB/n$i/swarm.err" >&2
        fail_node "$i" "swarm join failed (exit $rc)"
      fi
    done
  fi
  deadline=$((SECONDS + SWARM_TIMEOUT))
  while :; do
    polls=$((polls + 1))
    c=$(ready_count)
    ((c == n)) && return 0
    if ((SECONDS >= deadline || polls > SWARM_TIMEOUT * 4)); then
      dock 1 node ls >&2 || true
      TAIL_LINES=15 tail_log "$LAB/n1/dockerd.log"
      die "swarm: $c of $n nodes Ready after ${SWARM_TIMEOUT} s (run: $0 down)"
    fi
    sleep 0.25
  done
}

write_env() {
  local n=$1 i pw tmp=$LAB/lab.env.tmp
  read -r pw <"$LAB/reg/password"
  (
    umask 077
    {
      echo "LAB_DIR=$LAB"
      echo "LAB_NODES=$n"
      echo "LAB_HOST_IP=$HOST_IP"
      echo "LAB_BRIDGE=$BR"
      echo "LAB_MANAGER_SOCK=unix://$(node_sock 1)"
      echo "LAB_MANAGER_IP=$(node_ip 1)"
      echo "LAB_SWARM_ADDR=$(node_ip 1):2377"
      for ((i = 1; i <= n; i++)); do
        echo "LAB_NODE${i}_SOCK=unix://$(node_sock "$i")"
        echo "LAB_NODE${i}_IP=$(node_ip "$i")"
        echo "LAB_NODE${i}_HOSTNAME=lab-node$i"
        echo "LAB_NODE${i}_NETNS=$NS_PREFIX$i"
        echo "LAB_NODE${i}_VETH=$VETH_PREFIX$i"
        echo "LAB_NODE${i}_LOG=$(node_dir "$i")/dockerd.log"
      done
      echo "LAB_REGISTRY=$REG_ADDR"
      echo "LAB_REGISTRY_URL=http://$REG_ADDR"
      echo "LAB_REGISTRY_USER=$REG_USER"
      echo "LAB_REGISTRY_PASSWORD=$pw"
      echo "LAB_REGISTRY_HTPASSWD=$LAB/reg/htpasswd"
      echo "LAB_REGISTRY_LOG=$LAB/reg/registry.log"
      echo "LAB_TOKEN_REGISTRY=$TOKEN_REG_ADDR"
      echo "LAB_FAULT_REGISTRY=$FAULT_REG_ADDR"
      echo "LAB_TOKEN_REGISTRY_URL=http://$TOKEN_REG_ADDR"
      echo "LAB_TOKEN_REGISTRY_LOG=$LAB/treg/registry.log"
      echo "LAB_TOKEN_REALM=$TOKEN_REALM"
      echo "LAB_TOKEN_SERVICE=$TOKEN_SERVICE"
      echo "LAB_TOKEN_ISSUER=$TOKEN_ISSUER"
      echo "LAB_TOKEN_KEY=$LAB/token/signing.key"
      echo "LAB_TOKEN_CERT=$LAB/token/signing.crt"
    } >"$tmp"
  )
  chmod 0600 "$tmp"
  mv -f "$tmp" "$LAB/lab.env"
}

# Healthy = the env file exists and every part it describes answers. Quiet; prints the reason
# of the first problem with -v.
lab_healthy() {
  local verbose=${1:-} n i pid c
  say() { [[ -n $verbose ]] && log "$*"; return 1; }
  [[ -f $LAB/lab.env ]] || say "no $LAB/lab.env" || return 1
  n=$(recorded_nodes)
  ((n >= 1)) || say "no node count in $LAB/nodes" || return 1
  ip link show "$BR" >/dev/null 2>&1 || say "bridge $BR missing" || return 1
  if [[ -f $LAB/forward-rule ]]; then
    iptables -C FORWARD -i "$BR" -o "$BR" -m comment --comment "$IPT_COMMENT" -j ACCEPT 2>/dev/null ||
      say "iptables FORWARD rule missing" || return 1
  fi
  for ((i = 1; i <= n; i++)); do
    pid=$(read_pid "$(node_dir "$i")/docker.pid")
    [[ -n $pid ]] || say "node $i: dockerd not running" || return 1
    engine_ping "$i" || say "node $i: engine does not answer" || return 1
  done
  pid=$(read_pid "$LAB/reg/registry.pid")
  [[ -n $pid ]] || say "registry not running" || return 1
  [[ $(registry_code) == 401 ]] || say "registry does not answer 401" || return 1
  pid=$(read_pid "$LAB/treg/registry.pid")
  [[ -n $pid ]] || say "token registry not running" || return 1
  [[ $(token_registry_state) == "401 bearer" ]] || say "token registry does not answer 401 with its Bearer challenge" || return 1
  [[ -f $LAB/token/signing.key && -f $LAB/token/signing.crt ]] || say "token signing key or certificate missing" || return 1
  c=$(ready_count)
  ((c == n)) || say "swarm: $c of $n nodes Ready" || return 1
  return 0
}

do_up() {
  local n=$1 explicit=$2 t0 cur h i
  t0=$(now_us)
  validate_lab_dir
  ((n >= 1 && n <= MAX_NODES)) || die "--nodes must be 1..$MAX_NODES"
  need_cmds ip dockerd "$DOCKER" docker-registry htpasswd curl nsenter unshare setsid flock timeout od openssl
  cur=$(recorded_nodes)
  if lab_healthy; then
    if [[ $explicit == 0 || $cur == "$n" ]]; then
      log "already up and healthy ($cur nodes)"
      echo "$LAB/lab.env"
      return 0
    fi
    log "up with $cur nodes, $n wanted: rebuilding"
  fi
  if ! leftovers >/dev/null; then
    log "tearing down leftovers of an earlier run"
    do_down
  fi
  [[ -n $(forward_rule_reason) ]] && need_cmds iptables
  [[ ! -e $LAB ]] || die "$LAB exists and is not a lab"
  mkdir -p "$LAB"
  : >"$LAB/.clab"
  mkdir -p "$DOCKER_CONFIG"
  chmod 0700 "$LAB" "$DOCKER_CONFIG"
  echo "$n" >"$LAB/nodes"
  : >"$LAB/host-dirs-created"
  for h in "${HOST_DIRS[@]}"; do [[ -e $h ]] || echo "$h" >>"$LAB/host-dirs-created"; done
  setup_network "$n"
  start_registry
  start_token_registry
  for ((i = 1; i <= n; i++)); do start_dockerd "$i"; done
  wait_registry
  wait_engines "$n"
  log "$n engines answer after $(elapsed "$t0") s; forming the swarm"
  form_swarm "$n"
  write_env "$n"
  log "up: $n nodes Ready, registry $REG_ADDR, token registry $TOKEN_REG_ADDR, in $(elapsed "$t0") s"
  echo "$LAB/lab.env"
}

# ---------------------------------------------------------------------------------------------
# status / env

do_status() {
  local n i pid name code c
  if [[ ! -e $LAB ]]; then
    echo "lab: down (no $LAB)"
    leftovers >/dev/null || echo "lab: but leftovers remain (see: $0 check-clean)"
    return 1
  fi
  n=$(recorded_nodes)
  echo "lab dir   $LAB ($n nodes)"
  [[ -f $LAB/lab.env ]] && echo "env       $LAB/lab.env" || echo "env       MISSING (up not finished)"
  if ip link show "$BR" >/dev/null 2>&1; then echo "bridge    $BR $HOST_IP/24"; else echo "bridge    $BR MISSING"; fi
  [[ -f $LAB/forward-rule ]] && echo "iptables  FORWARD accept rule ($(cat "$LAB/forward-rule"))"
  for ((i = 1; i <= n; i++)); do
    pid=$(read_pid "$(node_dir "$i")/docker.pid")
    if engine_ping "$i"; then
      name=$(DOCK_TIMEOUT=10 dock "$i" info --format '{{.Name}} {{.Swarm.LocalNodeState}} manager={{.Swarm.ControlAvailable}}' 2>/dev/null || echo '?')
      echo "node$i     $(node_ip "$i") pid ${pid:-?} engine up: $name"
    else
      echo "node$i     $(node_ip "$i") pid ${pid:-none} engine DOWN"
    fi
  done
  pid=$(read_pid "$LAB/reg/registry.pid")
  code=$(registry_code)
  echo "registry  http://$REG_ADDR pid ${pid:-none} GET /v2/ -> $code"
  pid=$(read_pid "$LAB/treg/registry.pid")
  code=$(token_registry_state)
  echo "token reg http://$TOKEN_REG_ADDR pid ${pid:-none} GET /v2/ -> $code (realm $TOKEN_REALM, served by the tests)"
  if ((n >= 1)) && engine_ping 1; then
    c=$(ready_count)
    echo "swarm     $c of $n nodes Ready"
  fi
  if lab_healthy -v; then
    echo "lab: healthy"
    return 0
  fi
  echo "lab: NOT healthy"
  return 1
}

do_env() {
  [[ -f $LAB/lab.env ]] || die "lab is not up (no $LAB/lab.env)"
  cat "$LAB/lab.env"
}

# ---------------------------------------------------------------------------------------------
# install

do_install() {
  local p missing=()
  for p in "${PKGS[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing: ${missing[*]}"
  apt-get update -qq
  # Packages only, no services: openssh-server (and docker.io) would otherwise start a system
  # daemon listening on the machine's interfaces; the tests start their own, on the lab's
  # addresses. policy-rc.d answering 101 is Debian's way to say "do not start" (invoke-rc.d(8)).
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || rc=$?
  ((own_policy)) && rm -f "$policy"
  return "$rc"
}

# ---------------------------------------------------------------------------------------------
# selftest

ST_PASS=0
ST_FAIL=0
st_step() { # st_step <name> <function...>: runs it in a subshell with errexit on
  local name=$1 t0 rc
  shift
  t0=$(now_us)
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  if ((rc == 0)); then
    ST_PASS=$((ST_PASS + 1))
    log "selftest PASS ($(elapsed "$t0") s): $name"
  else
    ST_FAIL=$((ST_FAIL + 1))
    log "selftest FAIL ($(elapsed "$t0") s): $name"
  fi
}

engine_pids() {
  local i n
  n=$(recorded_nodes)
  for ((i = 1; i <= n; i++)); do read_pid "$(node_dir "$i")/docker.pid"; done
}

st_up() {
  do_up "$ST_NODES" 1 >/dev/null
  lab_healthy -v
  local i name
  for ((i = 1; i <= ST_NODES; i++)); do
    name=$(dock "$i" info --format '{{.Name}}')
    [[ $name == "lab-node$i" ]] || die "node $i calls itself '$name', want lab-node$i"
  done
  [[ $(stat -c %a "$LAB/lab.env") == 600 ]] || die "lab.env is not mode 0600"
  [[ $(stat -c %a "$LAB/token/signing.key") == 600 ]] || die "token signing key is not mode 0600"
  openssl x509 -in "$LAB/token/signing.crt" -noout -checkend 86400 >/dev/null ||
    die "token signing certificate is not valid for the next day"
}

st_up_noop() {
  local before after env_before t0
  before=$(engine_pids)
  env_before=$(cat "$LAB/lab.env")
  t0=$SECONDS
  do_up "$ST_NODES" 1 >/dev/null
  after=$(engine_pids)
  [[ $before == "$after" ]] || die "second up restarted engines"
  [[ $env_before == "$(cat "$LAB/lab.env")" ]] || die "second up changed lab.env"
  ((SECONDS - t0 <= 5)) || die "second up took $((SECONDS - t0)) s"
}

# Registry and swarm really work: build a FROM-scratch busybox image on node 1, check that the
# registry refuses it without credentials, push it with them, and run it as a global service
# (every node pulls it with the credentials the service carries), reachable on every node.
st_workload() {
  # shellcheck disable=SC1091
  source "$LAB/lab.env"
  local ctx=$LAB/selftest image i c deadline digest
  image=$LAB_REGISTRY/lab/selftest:1
  mkdir -p "$ctx"
  cp "$(command -v busybox)" "$ctx/busybox"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
CMD ["/bin/busybox","sh","-c","/bin/busybox mkdir -p /www && /bin/busybox hostname > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www"]
EOF
  dock 1 build -q -t "$image" "$ctx" >/dev/null
  if dock 1 push "$image" >/dev/null 2>&1; then die "push without credentials succeeded"; fi
  [[ $(curl -s -o /dev/null -w '%{http_code}' -u "$LAB_REGISTRY_USER:$LAB_REGISTRY_PASSWORD" "$LAB_REGISTRY_URL/v2/") == 200 ]] ||
    die "registry refuses the generated credentials"
  dock 1 login -u "$LAB_REGISTRY_USER" --password-stdin "$LAB_REGISTRY" <<<"$LAB_REGISTRY_PASSWORD" >/dev/null 2>&1
  dock 1 push "$image" >/dev/null
  dock 1 service create -d --name selftest --mode global --with-registry-auth \
    --hostname '{{.Node.Hostname}}' --publish mode=host,target=8080,published=8080 "$image" >/dev/null
  deadline=$((SECONDS + 60))
  while :; do
    c=$(dock 1 service ps selftest --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running' || true)
    ((c == ST_NODES)) && break
    if ((SECONDS >= deadline)); then
      dock 1 service ps --no-trunc selftest >&2 || true
      die "global service: $c of $ST_NODES tasks running after 60 s"
    fi
    sleep 0.25
  done
  for ((i = 1; i <= ST_NODES; i++)); do
    c=$(curl -s --max-time 5 "http://$(node_ip "$i"):8080/" || true)
    [[ $c == "lab-node$i" ]] || die "http://$(node_ip "$i"):8080/ answered '$c', want lab-node$i"
  done
  # a worker holds the image it pulled from the registry with the service's credentials (the
  # CLI pinned the service to the digest the registry reports)
  if ((ST_NODES > 1)); then
    digest=$(curl -sI -u "$LAB_REGISTRY_USER:$LAB_REGISTRY_PASSWORD" \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "$LAB_REGISTRY_URL/v2/lab/selftest/manifests/1" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}')
    [[ $digest == sha256:* ]] || die "registry HEAD gave no digest"
    dock 2 image inspect "$LAB_REGISTRY/lab/selftest@$digest" >/dev/null ||
      die "node 2 does not hold $LAB_REGISTRY/lab/selftest@$digest"
  fi
}

st_crash() {
  local pids=() m
  mapfile -t pids < <(lab_pids)
  ((${#pids[@]} >= ST_NODES + 1)) || die "found only ${#pids[@]} lab processes"
  log "kill -9 of ${#pids[@]} lab processes"
  kill -9 "${pids[@]}"
  local _
  for _ in $(seq 1 50); do
    [[ -z $(lab_pids) ]] && break
    sleep 0.1
  done
  [[ -z $(lab_pids) ]] || die "lab processes survive kill -9"
  m=$(lab_mounts | wc -l)
  log "after kill -9: $m mounts, $(lab_netns | wc -l) netns, lab.env present: $([[ -f $LAB/lab.env ]] && echo yes || echo no)"
  ((m > 0)) || die "expected leftover mounts after kill -9"
  if lab_healthy; then die "lab still reports healthy after kill -9"; fi
}

st_status_fails() {
  if do_status >/dev/null 2>&1; then die "status exits 0 on a crashed lab"; fi
}

st_recover() {
  st_up
  [[ $(dock 1 service ls -q | wc -l) == 0 ]] || die "recovered lab kept old services"
}

st_down() {
  do_down
  leftovers >&2
}

st_down_again() {
  do_down
  leftovers >&2
}

do_selftest() {
  local t0
  t0=$(now_us)
  ST_NODES=${1:-$DEFAULT_NODES}
  st_step "up ($ST_NODES nodes, all Ready, hostnames, registry 401, token registry 401 Bearer)" st_up
  st_step "up again is a no-op" st_up_noop
  st_step "registry auth + push, global service pulled and running on every node" st_workload
  st_step "kill -9 of every lab process leaves a crashed lab" st_crash
  st_step "status fails on the crashed lab" st_status_fails
  st_step "up recovers from the crash" st_recover
  st_step "down" st_down
  st_step "down again (idempotent), check-clean" st_down_again
  echo "lab selftest: $ST_PASS passed, $ST_FAIL failed ($(elapsed "$t0") s)"
  ((ST_FAIL == 0))
}

# ---------------------------------------------------------------------------------------------

main() {
  local cmd=${1:-} nodes=${CLUSTER_LAB_NODES:-$DEFAULT_NODES} explicit=0 node=0
  [[ -n $cmd ]] || usage
  shift
  case $cmd in
  up | selftest)
    while (($#)); do
      case $1 in
      --nodes)
        [[ $# -ge 2 ]] || usage
        nodes=$2
        explicit=1
        shift 2
        ;;
      --nodes=*)
        nodes=${1#--nodes=}
        explicit=1
        shift
        ;;
      *) usage ;;
      esac
    done
    [[ $nodes =~ ^[0-9]+$ ]] || die "--nodes wants a number"
    ;;
  restart-engine)
    { (($# == 1)) && [[ $1 =~ ^[0-9]+$ ]]; } || usage
    node=$1
    ;;
  *) (($# == 0)) || usage ;;
  esac
  case $cmd in
  install | up | down | selftest | restart-engine)
    [[ $EUID == 0 ]] || die "must run as root"
    ;;
  esac
  validate_lab_dir
  case $cmd in
  install) do_install ;;
  up)
    take_lock
    do_up "$nodes" "$explicit"
    ;;
  down)
    take_lock
    do_down
    ;;
  status) do_status ;;
  env) do_env ;;
  check-clean)
    local out
    if out=$(leftovers); then
      echo "lab: clean"
    else
      printf 'lab leftover: %s\n' "${out//$'\n'/$'\n'lab leftover: }"
      exit 1
    fi
    ;;
  selftest)
    take_lock
    do_selftest "$nodes"
    ;;
  restart-engine)
    take_lock
    do_restart_engine "$node"
    ;;
  *) usage ;;
  esac
}

main "$@"
