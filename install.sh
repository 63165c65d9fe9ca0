#!/usr/bin/env bash
# install.sh — install, upgrade and remove the cluster on this machine. `./install.sh --help`.
#
# Roles: leader, agent, builder, all-in-one; uninstall [--purge]; and start, stop, status, units.
# Every path can be moved with an environment variable (CLUSTER_ROOT, CLUSTER_PREFIX, ...), so
# tests install into a temporary root. Helpers live in deploy/ (unit templates, the fallback
# supervisor, the publish project); an install copies them and this script to PREFIX/share.
set -euo pipefail
umask 022

SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")
ME=install.sh
MARKER="Installed by cluster install.sh"

# ---------------------------------------------------------------------------------------------
# Paths and defaults (environment)
# ---------------------------------------------------------------------------------------------
ROOT=${CLUSTER_ROOT:-}
ROOT=${ROOT%/}
PREFIX=${CLUSTER_PREFIX:-$ROOT/opt/cluster}
ETC=${CLUSTER_ETC:-$ROOT/etc/cluster}
DATA=${CLUSTER_DATA:-$ROOT/var/lib/cluster}
BINDIR=${CLUSTER_BINDIR:-$ROOT/usr/local/bin}
UNITDIR=${CLUSTER_SYSTEMD_DIR:-$ROOT/etc/systemd/system}
CONFIGURATION=${CLUSTER_CONFIGURATION:-Release}
DEFAULT_DOCKER_HOST=unix:///var/run/docker.sock
DEFAULT_PORT=7443

PROGRAMS=(cluster-leader cluster-agent cluster-builder clusterctl)

# ---------------------------------------------------------------------------------------------
# Help
# ---------------------------------------------------------------------------------------------
usage() {
  cat <<USAGE
usage: $ME ROLE [FLAGS]        (as root; '$ME ROLE --help' for one role)

Roles (re-running a role is an upgrade: it keeps the data dir, the tokens and the node's
identity, installs the new binaries and restarts the services):
  all-in-one   leader + agent + builder on this machine: a complete cluster of one node
               (initialises a swarm on the engine if it is in none: asks, or --yes)
  leader       the leader and this node's agent, on a swarm manager (same swarm rule)
  agent        join this node to a cluster: --leader HOST:PORT --join-token-file FILE
  builder      a build server for a cluster: --leader HOST:PORT --join-token-file FILE
  uninstall    stop and remove everything installed; keeps the data dir unless --purge

Operations:
  status       what is installed and whether each service runs
  start|stop|restart   the installed services (systemd or the fallback supervisor)
  units --out DIR      write the systemd units this install would use into DIR, install nothing

Flags:
  --yes, -y                  answer yes (initialise a swarm) instead of asking
  --docker-host URI          the Docker engine the daemons use (default $DEFAULT_DOCKER_HOST);
                             when no engine answers at the default, Debian's docker.io is installed
  --listen ADDR:PORT         leader: where the leader serves every API (default 0.0.0.0:$DEFAULT_PORT)
  --advertise ADDR           leader: the address other nodes use (default: the swarm address)
  --swarm-advertise-addr A   leader: passed to 'docker swarm init' when a swarm is created
  --leader HOST:PORT         agent, builder: the leader's address
  --join-token-file FILE     agent, builder: file holding the join token (the leader's
                             DATA/leader/join.token, copied over securely); stored as
                             ETC/join.token, mode 0600.
  --join-token TOKEN         agent, builder: the token itself; accepted, but every local user can
                             read it in ps: prefer the file or stdin
  --join-token-stdin         agent, builder: read the join token from standard input instead
  --user NAME                the user the daemons run as (default: cluster, created as a system
                             user with the Docker socket's group); 'root' runs them as root
  --init auto|systemd|fallback
                             systemd units, or $ME's own supervisor when PID 1 is not systemd
                             (auto: systemd when it runs this machine)
  --no-build                 publish the existing build output ($CONFIGURATION) without building
  --binaries DIR             install the programs from DIR/lib/<program>/ (e.g. a copy of another
                             node's /opt/cluster) instead of building from this checkout
  --self-contained           publish with the .NET runtime included (no runtime needed at run time)
  --wait SECONDS             how long the final self-check waits (default 180)
  --purge                    uninstall: also delete the data dir and the service user
  -h, --help                 this help; '$ME ROLE --help' explains one role

Where things go (environment variables move them; CLUSTER_ROOT=DIR moves all defaults under DIR):
  CLUSTER_PREFIX       $PREFIX             programs (lib/<program>/, bin/, share/)
  CLUSTER_ETC          $ETC            install.env, clusterctl.conf (0600), join.token (0600)
  CLUSTER_DATA         $DATA       leader/ (database, keys, CA, admin.token, join.token),
                                                agent/ (node identity), builder/, and without
                                                systemd run/ (pid files) and log/
  CLUSTER_BINDIR       $BINDIR           clusterctl, already configured for root
  CLUSTER_SYSTEMD_DIR  $UNITDIR     cluster-leader/-agent/-builder.service
  CLUSTER_USER, CLUSTER_INIT, CLUSTER_WAIT: defaults of --user, --init, --wait

Needs: root, Debian (apt-get) for missing packages, and the .NET 10 SDK to build from this
checkout (or --binaries). The quick start:  ./install.sh all-in-one
USAGE
}

role_help() {
  case "$1" in
    all-in-one) cat <<'EOF'
install.sh all-in-one [--yes] [--docker-host URI] [--listen ADDR:PORT] [--advertise ADDR]
                      [--user NAME] [--init MODE] [--no-build|--binaries DIR|--self-contained]

Installs cluster-leader, cluster-agent and cluster-builder on this machine: a cluster of one
node that can grow (add nodes with 'install.sh agent' on them). Steps:
  1. checks (root, flags, the Docker engine, the swarm, the port, the .NET SDK) before changing
     anything; installs Debian's docker.io when no engine answers at the default socket;
  2. initialises a swarm when the engine is in none (asks first; --yes to skip the question);
  3. publishes the four programs into PREFIX/lib, clusterctl into BINDIR (configured for root
     through ETC/clusterctl.conf, 0600, which points at the leader's admin.token);
  4. creates the service user, the data dirs, and systemd units (or starts the fallback
     supervisor when PID 1 is not systemd), and starts leader, agent, builder;
  5. self-check: waits until the leader answers, this node's agent is ready in
     'clusterctl node list' and 'clusterctl cluster show' reports the swarm's mode
     (single-node for a swarm of one); then prints the next steps.
Re-running it upgrades: data, tokens, credentials and the node identity are kept.
EOF
    ;;
    leader) cat <<'EOF'
install.sh leader [--yes] [--docker-host URI] [--listen ADDR:PORT] [--advertise ADDR]
                  [--swarm-advertise-addr ADDR] [--user NAME] [--init MODE] [...]

Installs cluster-leader on a swarm manager, with this node's cluster-agent (every node runs an
agent, the leader's too). The engine must be a swarm manager, or in no swarm: then install.sh
runs 'docker swarm init' after asking (or with --yes). It refuses a swarm worker.
--listen (default 0.0.0.0:7443) is where agents, builders and clusterctl connect; --advertise is
the address other nodes use (default: the engine's swarm address), printed in the join line.
Ends with the same self-check as all-in-one, and prints the exact line to join a new node.
EOF
    ;;
    agent) cat <<'EOF'
install.sh agent --leader HOST:PORT (--join-token-file FILE | --join-token-stdin)
                 [--docker-host URI] [--user NAME] [--init MODE] [--binaries DIR] [...]

Joins this node to a cluster. Before installing anything it checks that the token is a join
token, that the leader answers at HOST:PORT, that the leader's certificate is the one the token
pins, and then joins for real (the leader issues this node's certificate); a wrong token or an
unreachable leader stops it with nothing changed. Once the node has joined, ETC/join.token is
deleted: the agent renews its certificate with the certificate itself and needs no join token
(a node removed with 'clusterctl node remove' stays out until 'clusterctl node readmit'; then run
this again with the join token). The node's engine should already be in the swarm ('docker swarm
join-token worker' on a manager prints the command); install.sh warns when it is not.
Self-check: 'cluster-agent status' answers "connected" (the agent's own answer, not its log).
EOF
    ;;
    builder) cat <<'EOF'
install.sh builder --leader HOST:PORT (--join-token-file FILE | --join-token-stdin)
                   [--docker-host URI] [--user NAME] [--init MODE] [...]

Installs a build server for a cluster. Same checks as 'agent' (join token format, leader
reachable, certificate pinned by the token); the builder does not enroll yet, so a token with
the right pin but a wrong secret is only seen in its log. Self-check: the builder runs and sees
its Docker engine.
EOF
    ;;
    uninstall) cat <<'EOF'
install.sh uninstall [--purge]

Stops the services (systemd units or the fallback supervisor), removes the units, the programs
(PREFIX), the configuration (ETC) and BINDIR/clusterctl. Keeps the data dir (the leader's
database, keys, CA and tokens; the node identity) so a later install finds the cluster again.
--purge also deletes the data dir and the service user install.sh created. Docker, the swarm and
Debian packages are left as they are ('docker swarm leave --force' leaves the swarm).
EOF
    ;;
    status|start|stop|restart) cat <<'EOF'
install.sh status | start | stop | restart

status shows what is installed and the state of each service; start, stop and restart act on
the installed services through systemd, or through install.sh's own supervisor where PID 1 is
not systemd (there nothing starts the services at boot: run 'install.sh start' after a reboot).
EOF
    ;;
    units) cat <<'EOF'
install.sh units --out DIR [ROLE FLAGS...]

Writes the systemd units that an install with these flags would use (default paths unless
CLUSTER_* say otherwise) into DIR, without installing anything; for review and for
'systemd-analyze verify'.
EOF
    ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
say() { printf '== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$ME" "$*" >&2; }
die() { printf '%s: %s\n' "$ME" "$*" >&2; exit 1; }
usage_error() { printf '%s: %s\n' "$ME" "$*" >&2; printf "run '%s --help' for the roles and flags\n" "$ME" >&2; exit 2; }

TMP=
STAGE=
cleanup() {
  local rc=$?
  if [ -n "$STAGE" ] && [ -d "$STAGE" ]; then rm -rf "$STAGE"; fi
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
tmpdir() { [ -n "$TMP" ] || TMP=$(mktemp -d /tmp/cluster-install.XXXXXX); }

contains() { local x=$1; shift; local e; for e in "$@"; do [ "$e" = "$x" ] && return 0; done; return 1; }

# A setting goes into unit files and command lines unquoted: refuse what would need quoting.
plain() {
  local what=$1 value=$2
  local ok='^[][A-Za-z0-9_./:@+=,-]*$'
  [[ $value =~ $ok ]] || die "$what '$value' contains spaces or special characters; use a plain path or address"
}

abs_path() {
  local what=$1 value=$2
  case "$value" in /*) ;; *) die "$what must be an absolute path (got '$value')" ;; esac
  [ "$value" != / ] || die "$what must not be /"
  plain "$what" "$value"
}

split_hostport() { # HOST:PORT or [V6]:PORT -> HP_HOST HP_PORT
  local v=$1
  if [[ $v =~ ^\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})$ ]]; then HP_HOST=${BASH_REMATCH[1]}; HP_PORT=${BASH_REMATCH[2]}
  elif [[ $v =~ ^([A-Za-z0-9_.-]+):([0-9]{1,5})$ ]]; then HP_HOST=${BASH_REMATCH[1]}; HP_PORT=${BASH_REMATCH[2]}
  else return 1; fi
  [ "$HP_PORT" -ge 1 ] && [ "$HP_PORT" -le 65535 ]
}

pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
cmdline_of() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------------
# Saved settings (ETC/install.env: no secrets, one KEY=VALUE a line; parsed, never sourced)
# ---------------------------------------------------------------------------------------------
SETTING_KEYS=(ROLES INIT SERVICE_USER CREATED_USER DOCKER_HOST_URI DOCKER_GROUP LISTEN ADVERTISE LEADER JOIN_TOKEN_FILE PUBLISH DOTNET_ROOT_DIR MANAGED_DOCKERD VERSION INSTALLED_AT)
declare -A SAVED=()
load_settings() {
  local file=$ETC/install.env line key value
  [ -f "$file" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    key=${line%%=*}; value=${line#*=}
    contains "$key" "${SETTING_KEYS[@]}" && SAVED[$key]=$value
  done <"$file"
  return 0
}

save_settings() {
  local file=$ETC/install.env key
  {
    echo "# $MARKER on $(date -u +%Y-%m-%dT%H:%M:%SZ). No secrets here; re-running install.sh rewrites it."
    for key in "${SETTING_KEYS[@]}"; do echo "$key=${S[$key]:-}"; done
  } >"$file.tmp"
  chmod 0644 "$file.tmp"
  mv -f "$file.tmp" "$file"
}

# ---------------------------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------------------------
COMMAND=
YES=0
PURGE=0
NO_BUILD=0
SELF_CONTAINED=0
JOIN_STDIN=0
F_TOKEN_INLINE=
OUT_DIR=
F_DOCKER_HOST='' F_LISTEN='' F_ADVERTISE='' F_LEADER='' F_TOKEN_FILE='' F_USER=${CLUSTER_USER:-} F_INIT=${CLUSTER_INIT:-}
F_BINARIES='' F_SWARM_ADDR=''
WAIT=${CLUSTER_WAIT:-180}
HELP=0

parse_args() {
  [ $# -gt 0 ] || { usage; exit 2; }
  case "$1" in
    -h|--help|help) usage; exit 0 ;;
    all-in-one|leader|agent|builder|uninstall|status|start|stop|restart|units) COMMAND=$1; shift ;;
    -*) usage_error "the role comes first (got '$1')" ;;
    *) usage_error "unknown role '$1'" ;;
  esac
  need() { if [ $# -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi; }
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) HELP=1; shift ;;
      -y|--yes) YES=1; shift ;;
      --purge) PURGE=1; shift ;;
      --no-build) NO_BUILD=1; shift ;;
      --self-contained) SELF_CONTAINED=1; shift ;;
      --join-token-stdin) JOIN_STDIN=1; shift ;;
      --docker-host) need "$@"; F_DOCKER_HOST=$2; shift 2 ;;
      --listen) need "$@"; F_LISTEN=$2; shift 2 ;;
      --advertise) need "$@"; F_ADVERTISE=$2; shift 2 ;;
      --swarm-advertise-addr) need "$@"; F_SWARM_ADDR=$2; shift 2 ;;
      --leader) need "$@"; F_LEADER=$2; shift 2 ;;
      --join-token-file) need "$@"; F_TOKEN_FILE=$2; shift 2 ;;
      --join-token)
        # Accepted for the documented interface, but argv is readable by every local user (ps):
        # the token goes straight into a 0600 copy and is never put in a unit or config.
        need "$@"; F_TOKEN_INLINE=$2; shift 2
        warn "--join-token puts the token where every local user can read it (ps, shell history); prefer --join-token-file FILE or --join-token-stdin" ;;
      --user) need "$@"; F_USER=$2; shift 2 ;;
      --init) need "$@"; F_INIT=$2; shift 2 ;;
      --binaries) need "$@"; F_BINARIES=$2; shift 2 ;;
      --wait) need "$@"; WAIT=$2; shift 2 ;;
      --out) need "$@"; OUT_DIR=$2; shift 2 ;;
      --docker-host=*|--listen=*|--advertise=*|--leader=*|--join-token-file=*|--user=*|--init=*|--binaries=*|--wait=*|--out=*|--swarm-advertise-addr=*)
        local k=${1%%=*} v=${1#*=}; shift; set -- "$k" "$v" "$@" ;;
      all-in-one|leader|agent|builder|uninstall) usage_error "one role at a time (got '$COMMAND' and '$1')" ;;
      *) usage_error "unknown flag '$1'" ;;
    esac
  done
  if [ "$HELP" = 1 ]; then role_help "$COMMAND"; exit 0; fi
  [[ $WAIT =~ ^[0-9]+$ ]] || usage_error "--wait takes seconds (got '$WAIT')"
  case "$F_INIT" in ''|auto|systemd|fallback) ;; *) usage_error "--init takes auto, systemd or fallback (got '$F_INIT')" ;; esac
  if [ "$COMMAND" != uninstall ] && [ "$PURGE" = 1 ]; then usage_error "--purge goes with uninstall"; fi
  if [ "$COMMAND" != units ] && [ -n "$OUT_DIR" ]; then usage_error "--out goes with units"; fi
  case "$COMMAND" in
    agent|builder) ;;
    *) if [ -n "$F_TOKEN_FILE" ] || [ -n "$F_TOKEN_INLINE" ] || [ "$JOIN_STDIN" = 1 ]; then
         usage_error "$COMMAND takes no join token: the leader makes its own (DATA/leader/join.token)"; fi
       if [ -n "$F_LEADER" ] && [ "$COMMAND" != units ]; then usage_error "$COMMAND takes no --leader (its leader is local; see --listen)"; fi ;;
  esac
  case "$COMMAND" in
    leader|all-in-one|units) ;;
    *) if [ -n "$F_LISTEN" ] || [ -n "$F_ADVERTISE" ] || [ -n "$F_SWARM_ADDR" ]; then usage_error "--listen, --advertise and --swarm-advertise-addr go with leader and all-in-one"; fi ;;
  esac
  if [ -n "$F_BINARIES" ] && { [ "$NO_BUILD" = 1 ] || [ "$SELF_CONTAINED" = 1 ]; }; then
    usage_error "--binaries installs ready programs: it does not go with --no-build or --self-contained"
  fi
}

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    die "run as root: it installs packages and services and writes $PREFIX, $ETC and $DATA (sudo ./install.sh $COMMAND ...); nothing was changed"
  fi
}

# ---------------------------------------------------------------------------------------------
# Settings for this run: flags, else saved values, else defaults
# ---------------------------------------------------------------------------------------------
declare -A S=()
ROLE_SET=()

resolve_settings() {
  local key
  for key in "${SETTING_KEYS[@]}"; do S[$key]=${SAVED[$key]:-}; done
  local previous=()
  read -r -a previous <<<"${S[ROLES]:-}"
  local wanted=()
  case "$COMMAND" in
    all-in-one) wanted=(leader agent builder) ;;
    leader) wanted=(leader agent) ;;
    agent) wanted=(agent) ;;
    builder) wanted=(builder) ;;
    units) [ ${#previous[@]} -gt 0 ] || wanted=(leader agent builder) ;;
  esac
  ROLE_SET=()
  local r
  for r in leader agent builder; do
    if contains "$r" "${wanted[@]}" || contains "$r" "${previous[@]+"${previous[@]}"}"; then ROLE_SET+=("$r"); fi
  done
  S[ROLES]="${ROLE_SET[*]}"

  S[DOCKER_HOST_URI]=${F_DOCKER_HOST:-${S[DOCKER_HOST_URI]:-${DOCKER_HOST:-$DEFAULT_DOCKER_HOST}}}
  case "${S[DOCKER_HOST_URI]}" in unix:///*|tcp://*|ssh://*) ;; *) die "--docker-host must be unix:///PATH or tcp://HOST:PORT (got '${S[DOCKER_HOST_URI]}')" ;; esac
  plain "--docker-host" "${S[DOCKER_HOST_URI]}"

  S[SERVICE_USER]=${F_USER:-${S[SERVICE_USER]:-cluster}}
  [[ ${S[SERVICE_USER]} =~ ^[a-z_][a-z0-9_-]{0,30}$ ]] || die "--user '${S[SERVICE_USER]}' is not a valid user name"

  if has_role leader; then
    S[LISTEN]=${F_LISTEN:-${S[LISTEN]:-0.0.0.0:$DEFAULT_PORT}}
    split_hostport "${S[LISTEN]}" || die "--listen must be ADDR:PORT (got '${S[LISTEN]}')"
    LISTEN_HOST=$HP_HOST LISTEN_PORT=$HP_PORT
    case "$LISTEN_HOST" in
      0.0.0.0|::) LOCAL_LEADER=127.0.0.1:$LISTEN_PORT ;;
      *:*) LOCAL_LEADER="[$LISTEN_HOST]:$LISTEN_PORT" ;;
      *) LOCAL_LEADER=$LISTEN_HOST:$LISTEN_PORT ;;
    esac
    [ -n "$F_ADVERTISE" ] && S[ADVERTISE]=$F_ADVERTISE
    [ -n "${S[ADVERTISE]}" ] && plain "--advertise" "${S[ADVERTISE]}"
    # A local leader is the leader of this node's agent and builder.
    S[LEADER]=$LOCAL_LEADER
    S[JOIN_TOKEN_FILE]=$DATA/leader/join.token
    if [ -n "$F_LEADER" ]; then warn "this machine runs the leader, so its $COMMAND uses the local one ($LOCAL_LEADER); --leader ignored"; fi
  else
    S[LISTEN]= ; S[ADVERTISE]=
    S[LEADER]=${F_LEADER:-${S[LEADER]:-}}
    S[JOIN_TOKEN_FILE]=$ETC/join.token
    if [ "$COMMAND" != units ] && [ -z "${S[LEADER]}" ]; then
      usage_error "$COMMAND needs --leader HOST:PORT (the leader's address, as install.sh printed it on the leader)"
    fi
    [ -z "${S[LEADER]}" ] && S[LEADER]=LEADER-HOST:$DEFAULT_PORT
    split_hostport "${S[LEADER]}" || die "--leader must be HOST:PORT (got '${S[LEADER]}')"
    LEADER_HOST=$HP_HOST LEADER_PORT=$HP_PORT
  fi
}

has_role() { contains "$1" "${ROLE_SET[@]+"${ROLE_SET[@]}"}"; }

decide_init() {
  local mode=${F_INIT:-${SAVED[INIT]:-auto}}
  if [ "$mode" = auto ]; then
    # sd_booted(): systemd runs this machine. Units in a moved root (tests) are never loaded.
    if [ -d /run/systemd/system ] && [ "$UNITDIR" = /etc/systemd/system ]; then mode=systemd; else mode=fallback; fi
  fi
  if [ "$mode" = systemd ] && [ ! -d /run/systemd/system ] && [ "$COMMAND" != units ]; then
    die "--init systemd: systemd is not running this machine (PID 1 is $(cat /proc/1/comm 2>/dev/null)); use --init fallback"
  fi
  S[INIT]=$mode
}

# ---------------------------------------------------------------------------------------------
# Docker engine
# ---------------------------------------------------------------------------------------------
docker_cli() { DOCKER_CONFIG=$TMP/docker-config timeout 20 docker -H "${S[DOCKER_HOST_URI]}" "$@"; }

engine_answers() { command -v docker >/dev/null && docker_cli version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ENGINE_PLAN=
check_engine() {
  tmpdir
  if engine_answers; then ENGINE_PLAN=ok; return; fi
  if [ "${S[DOCKER_HOST_URI]}" != "$DEFAULT_DOCKER_HOST" ]; then
    if ! command -v docker >/dev/null; then
      die "the docker CLI is missing (Debian package docker.io); install it, or drop --docker-host to let install.sh install Docker Engine; nothing was changed"
    fi
    die "no Docker engine answers at ${S[DOCKER_HOST_URI]} (--docker-host): start it or fix the address; nothing was changed"
  fi
  if dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q 'ok installed'; then ENGINE_PLAN=start
  elif dpkg-query -W -f='${Status}' docker-ce 2>/dev/null | grep -q 'ok installed'; then ENGINE_PLAN=start
  else
    command -v apt-get >/dev/null || die "no Docker engine answers at $DEFAULT_DOCKER_HOST and this is not a Debian system (no apt-get): install Docker Engine and re-run"
    ENGINE_PLAN=install
  fi
}

# What the roles run besides .NET and Docker: the builder fetches sources with the git CLI, and
# SSH sources with ssh through a per-fetch ssh-agent (ssh-add); the leader pins a Git server's
# host keys with ssh-keyscan (`clusterctl git add --ssh-key-file` without --known-hosts).
setup_role_tools() {
  local need=()
  if has_role builder; then
    command -v git >/dev/null || need+=(git)
    { command -v ssh && command -v ssh-agent && command -v ssh-add; } >/dev/null || need+=(openssh-client)
  fi
  if has_role leader && ! command -v ssh-keyscan >/dev/null; then
    case " ${need[*]} " in *" openssh-client "*) ;; *) need+=(openssh-client) ;; esac
  fi
  ((${#need[@]})) || return 0
  command -v apt-get >/dev/null || die "missing ${need[*]} (the builder's git and ssh, the leader's ssh-keyscan) and this is no Debian system (no apt-get): install them and re-run"
  say "installing ${need[*]} (git fetches and SSH Git sources)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; } ||
    die "apt-get install ${need[*]} failed: check this machine's package sources"
}

setup_engine() {
  case "$ENGINE_PLAN" in
    ok) return ;;
    install)
      say "installing Docker Engine (Debian's docker.io): no engine answered at $DEFAULT_DOCKER_HOST"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed: check this machine's package sources"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null || die "apt-get install docker.io failed"
      ;;
  esac
  if engine_answers; then return; fi
  if [ "${S[INIT]}" = systemd ]; then
    say "starting docker.service"
    systemctl enable --now docker.service || die "systemctl enable --now docker failed: see 'journalctl -u docker'"
  else
    say "starting dockerd under install.sh's supervisor (PID 1 is not systemd; log in $DATA/log/dockerd.log)"
    mkdir -p "$DATA/run" "$DATA/log"
    SUPERVISE=$HERE/deploy/supervise.sh start_supervised dockerd "$(command -v dockerd)" --host "$DEFAULT_DOCKER_HOST"
    S[MANAGED_DOCKERD]=1
  fi
  local i
  for i in $(seq 60); do engine_answers && return; sleep 1; done
  die "Docker Engine was installed but does not answer at $DEFAULT_DOCKER_HOST after 60 s"
}

# Swarm state of the engine: SWARM_STATE (inactive|pending|active|error|locked), SWARM_MANAGER
# (true|false), SWARM_ADDR, SWARM_NODES, ENGINE_NAME.
read_swarm() {
  local info
  info=$(docker_cli info --format '{{.Swarm.LocalNodeState}}|{{.Swarm.ControlAvailable}}|{{.Swarm.NodeAddr}}|{{.Swarm.Nodes}}|{{.Name}}' 2>&1) ||
    die "cannot read the engine's state at ${S[DOCKER_HOST_URI]}: $info"
  IFS='|' read -r SWARM_STATE SWARM_MANAGER SWARM_ADDR SWARM_NODES ENGINE_NAME <<<"$info"
}

SWARM_PLAN=
check_swarm_for_leader() {
  [ "$ENGINE_PLAN" = ok ] || { SWARM_PLAN=init-if-needed; return; }
  read_swarm
  case "$SWARM_STATE" in
    active)
      [ "$SWARM_MANAGER" = true ] || die "the engine at ${S[DOCKER_HOST_URI]} ($ENGINE_NAME) is a swarm worker: install the leader on a manager node (docker node ls there), or use 'install.sh agent' here; nothing was changed"
      SWARM_PLAN=ok ;;
    inactive) SWARM_PLAN=init ;;
    *) die "the engine at ${S[DOCKER_HOST_URI]} is in swarm state '$SWARM_STATE': fix it first ('docker info', 'docker swarm leave --force' for a half-joined node); nothing was changed" ;;
  esac
  if [ "$SWARM_PLAN" = init ]; then confirm_swarm_init; fi
}

confirm_swarm_init() {
  [ "$YES" = 1 ] && return
  if [ -t 0 ]; then
    local answer
    printf "The Docker engine at %s (%s) is in no swarm. Initialise a new swarm with this node as its manager? [y/N] " "${S[DOCKER_HOST_URI]}" "${ENGINE_NAME:-?}"
    read -r answer || answer=
    case "$answer" in y|Y|yes|YES) return ;; esac
    die "no swarm, no leader: run 'docker swarm init' yourself, or re-run with --yes; nothing was changed"
  fi
  die "the Docker engine at ${S[DOCKER_HOST_URI]} is in no swarm: re-run with --yes to let install.sh run 'docker swarm init' (or run it yourself); nothing was changed"
}

setup_swarm() {
  [ "$SWARM_PLAN" = ok ] && return
  read_swarm
  case "$SWARM_STATE" in
    active) [ "$SWARM_MANAGER" = true ] || die "the engine is a swarm worker: the leader needs a manager"; return ;;
    inactive) ;;
    *) die "the engine is in swarm state '$SWARM_STATE'" ;;
  esac
  [ "$SWARM_PLAN" = init ] || confirm_swarm_init
  say "initialising a swarm (docker swarm init${F_SWARM_ADDR:+ --advertise-addr $F_SWARM_ADDR})"
  local out
  out=$(docker_cli swarm init ${F_SWARM_ADDR:+--advertise-addr "$F_SWARM_ADDR"} 2>&1) ||
    die "docker swarm init failed: $out (with several addresses, pick one: --swarm-advertise-addr ADDR)"
  read_swarm
}

docker_group_of_socket() {
  case "${S[DOCKER_HOST_URI]}" in
    unix://*) stat -c %G "${S[DOCKER_HOST_URI]#unix://}" 2>/dev/null || echo docker ;;
    *) echo "" ;;
  esac
}

# The service user must reach the engine: the socket's group, and every directory on its way.
check_socket_access() {
  local user=${S[SERVICE_USER]}
  S[DOCKER_GROUP]=
  [ "$user" = root ] && return
  case "${S[DOCKER_HOST_URI]}" in unix://*) ;; *) return ;; esac
  [ "$ENGINE_PLAN" = ok ] || { S[DOCKER_GROUP]=docker; return; }
  local sock=${S[DOCKER_HOST_URI]#unix://} group gid
  group=$(stat -c %G "$sock")
  gid=$(stat -c %g "$sock")
  if [ "$gid" = 0 ]; then
    die "the Docker socket $sock belongs to group root, so the service user '$user' cannot use it: run dockerd with a docker group (its default when the group exists), or install with --user root; nothing was changed"
  fi
  if ! setpriv --reuid=65534 --regid=65534 --groups="$gid" -- test -r "$sock" -a -w "$sock" 2>/dev/null; then
    die "the service user '$user' (group $group) would not reach the Docker socket $sock: a directory on its path is closed to other users; use a socket it can reach, or --user root; nothing was changed"
  fi
  S[DOCKER_GROUP]=$group
}

# ---------------------------------------------------------------------------------------------
# Leader checks for agent and builder (before anything changes)
# ---------------------------------------------------------------------------------------------
TOKEN_SOURCE=   # a file holding the token to install (the user's, or a temp copy of stdin)
check_join_token() {
  local have_identity=$1 tok
  if [ "$JOIN_STDIN" = 1 ]; then
    tmpdir
    TOKEN_SOURCE=$TMP/join.token
    (umask 077; head -c 1024 >"$TOKEN_SOURCE")
  elif [ -n "$F_TOKEN_INLINE" ]; then
    tmpdir
    TOKEN_SOURCE=$TMP/join.token
    (umask 077; printf '%s\n' "$F_TOKEN_INLINE" >"$TOKEN_SOURCE")
  elif [ -n "$F_TOKEN_FILE" ]; then
    [ -e "$F_TOKEN_FILE" ] || die "join token file $F_TOKEN_FILE does not exist (copy the leader's DATA/leader/join.token here first); nothing was changed"
    { [ -r "$F_TOKEN_FILE" ] && [ -f "$F_TOKEN_FILE" ]; } || die "cannot read the join token file $F_TOKEN_FILE; nothing was changed"
    TOKEN_SOURCE=$F_TOKEN_FILE
    if [ $(( 0$(stat -c %a "$F_TOKEN_FILE") & 077 )) -ne 0 ]; then
      warn "$F_TOKEN_FILE is readable by other users (mode $(stat -c %a "$F_TOKEN_FILE")); install.sh keeps its copy 0600, delete or chmod 600 this one"
    fi
  elif [ -f "$ETC/join.token" ]; then
    TOKEN_SOURCE=$ETC/join.token
  else
    usage_error "$COMMAND needs the join token: --join-token-file FILE (a copy of the leader's DATA/leader/join.token, mode 0600) or --join-token-stdin"
  fi
  tok=$(head -c 1024 "$TOKEN_SOURCE" | tr -d '[:space:]')
  if [[ $tok =~ ^CLSTR1-JOIN-[0-9a-fA-F]{64}-[0-9a-fA-F]{64}$ ]]; then
    TOKEN_PIN=$(printf '%s' "$tok" | cut -d- -f3 | tr 'A-F' 'a-f')
  elif [[ $tok =~ ^CLSTR1-ADMIN- ]]; then
    die "that is the admin token; agents and builders need the join token (DATA/leader/join.token on the leader); nothing was changed"
  elif [ -z "$tok" ]; then
    die "the join token is empty; nothing was changed"
  else
    die "the join token is malformed (expected CLSTR1-JOIN-<64 hex>-<64 hex>, as in the leader's DATA/leader/join.token): copy the whole file again; nothing was changed"
  fi
  : "$have_identity"
}

check_leader_reachable() {
  local strict=$1
  # shellcheck disable=SC2016 # $0/$1 expand in the inner bash, from the arguments after the script
  if ! timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$LEADER_HOST" "$LEADER_PORT" 2>/dev/null; then
    if [ "$strict" = 1 ]; then
      die "cannot reach the leader at ${S[LEADER]} (connection refused or timed out): check the address and port (install.sh printed them on the leader), that cluster-leader runs there, and firewalls; nothing was changed"
    fi
    warn "the leader at ${S[LEADER]} does not answer now; this node keeps its identity and will reconnect"
    return 1
  fi
  return 0
}

# The leader's certificate must come from the CA the token pins. The leader sends only its
# leaf; the CA travels inside it (private extension, see src/Core/Security/PinnedCa.cs).
check_leader_pin() {
  command -v openssl >/dev/null || { note "openssl is missing: the leader's certificate is checked at the first join instead"; return; }
  tmpdir
  local leaf=$TMP/leader.pem off hex fp try
  for try in 1 2 3; do
    # -alpn h2: the leader speaks only HTTP/2 and may close a TLS connection that did not ask
    # for it before s_client has printed the certificate.
    if echo | timeout 15 openssl s_client -alpn h2 -connect "${S[LEADER]}" 2>"$TMP/s_client.err" | openssl x509 >"$leaf" 2>/dev/null; then break; fi
    sleep 1
    if [ "$try" = 3 ]; then
      die "the leader at ${S[LEADER]} answered, but no TLS certificate came back ($(grep -m1 -i error "$TMP/s_client.err" || echo "openssl s_client got none")): is that the cluster-leader's --listen address? nothing was changed"
    fi
    sleep 1
  done
  off=$(openssl asn1parse -in "$leaf" 2>/dev/null | awk '/:2\.25\.135016971247682168841565198109749795808/ { getline; sub(/:.*/, "", $1); print $1; exit }')
  if [ -n "$off" ]; then
    hex=$(openssl asn1parse -in "$leaf" -strparse "$off" 2>/dev/null | sed -n '1s/.*\[HEX DUMP\]://p')
    fp=$(printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | sha256sum | cut -d' ' -f1)
  else
    fp=$(openssl x509 -in "$leaf" -outform DER | sha256sum | cut -d' ' -f1)
  fi
  if [ "$fp" != "$TOKEN_PIN" ]; then
    die "the leader at ${S[LEADER]} is not the cluster this join token belongs to (its CA is ${fp:0:12}…, the token pins ${TOKEN_PIN:0:12}…): use that leader's current DATA/leader/join.token; nothing was changed"
  fi
}

# ---------------------------------------------------------------------------------------------
# .NET and the programs
# ---------------------------------------------------------------------------------------------
DOTNET_PLAN=
check_dotnet() {
  if [ -n "$F_BINARIES" ]; then
    local p
    for p in "${PROGRAMS[@]}"; do
      [ -x "$F_BINARIES/lib/$p/$p" ] || die "--binaries $F_BINARIES holds no lib/$p/$p (expected a copy of an installed PREFIX, e.g. /opt/cluster); nothing was changed"
    done
    if [ -f "$F_BINARIES/lib/cluster-leader/libcoreclr.so" ]; then S[PUBLISH]=self-contained; return; fi
    S[PUBLISH]=framework
    if ! dotnet_runtime_ok; then DOTNET_PLAN=runtime; fi
    return
  fi
  [ -f "$HERE/src/Leader/Leader.csproj" ] || die "no source checkout next to $SELF: run install.sh from a clone of the repository, or pass --binaries DIR; nothing was changed"
  if ! command -v dotnet >/dev/null || ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then DOTNET_PLAN=sdk; fi
  if [ "$DOTNET_PLAN" = sdk ] && ! apt_has dotnet-sdk-10.0; then
    die "the .NET 10 SDK is missing and no package for it is reachable (Debian 12 has none; Microsoft's package repository for Debian is not configured here): install dotnet-sdk-10.0 and re-run, or install with --binaries DIR from programs built elsewhere; nothing was changed"
  fi
  S[PUBLISH]=framework
  if [ "$SELF_CONTAINED" = 1 ]; then S[PUBLISH]=self-contained; fi
  if [ "$DOTNET_PLAN" != sdk ] && [ "${S[PUBLISH]}" = framework ]; then
    local root
    root=$(dirname "$(readlink -f "$(command -v dotnet)")")
    case "$root" in
      /root/*|/home/*|/run/user/*)
        note "the .NET runtime is in $root, which the services cannot read (ProtectHome): publishing self-contained"
        S[PUBLISH]=self-contained ;;
    esac
  fi
  if [ "${S[PUBLISH]}" = self-contained ] && [ "$NO_BUILD" = 1 ]; then
    die "--no-build publishes the existing framework-dependent build; it cannot make a self-contained one; nothing was changed"
  fi
}

apt_has() { command -v apt-cache >/dev/null && apt-cache show "$1" >/dev/null 2>&1; }

# The native toolchain: the four programs (clusterctl, the leader, the agent, the builder) are compiled ahead of time
# (NativeAOT: native programs that start in milliseconds and hold less memory), which needs clang
# and zlib's headers (Debian: clang, zlib1g-dev). Missing ones are installed like the other
# prerequisites; when that cannot be done, they are published as ordinary .NET programs instead,
# with a warning: slower to start and larger, same use.
# --binaries installs programs built elsewhere and --no-build reuses the ordinary build: neither
# compiles anything here.
NATIVE_PLAN=off
native_toolchain_ok() { command -v clang >/dev/null && [ -f /usr/include/zlib.h ]; }
check_native_toolchain() {
  NATIVE_PLAN=off
  if [ -n "$F_BINARIES" ] || [ "$NO_BUILD" = 1 ]; then return 0; fi
  if native_toolchain_ok; then NATIVE_PLAN=ok
  elif command -v apt-get >/dev/null; then NATIVE_PLAN=install
  else warn "clang and zlib1g-dev are missing and this is no Debian system (no apt-get): the four programs are published as ordinary .NET programs (slower to start, more memory); install them and re-run for native ones"
  fi
}
setup_native_toolchain() {
  [ "$NATIVE_PLAN" = install ] || return 0
  say "installing clang and zlib1g-dev (to compile the programs ahead of time)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null 2>&1 || true
  fi
  if native_toolchain_ok; then NATIVE_PLAN=ok; else
    NATIVE_PLAN=off
    warn "apt-get could not install clang and zlib1g-dev: the four programs are published as ordinary .NET programs (slower to start, more memory); install them and re-run for native ones"
  fi
}

dotnet_runtime_ok() {
  command -v dotnet >/dev/null &&
    dotnet --list-runtimes 2>/dev/null | grep -q '^Microsoft.AspNetCore.App 10\.' &&
    dotnet --list-runtimes 2>/dev/null | grep -q '^Microsoft.NETCore.App 10\.'
}

setup_dotnet() {
  case "$DOTNET_PLAN" in
    sdk)
      say "installing the .NET 10 SDK (dotnet-sdk-10.0)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dotnet-sdk-10.0 >/dev/null || die "apt-get install dotnet-sdk-10.0 failed" ;;
    runtime)
      apt_has aspnetcore-runtime-10.0 || die "the programs in --binaries need the ASP.NET Core 10 runtime, and no package for it is reachable: install aspnetcore-runtime-10.0, or use a self-contained build"
      say "installing the ASP.NET Core 10 runtime (aspnetcore-runtime-10.0)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq aspnetcore-runtime-10.0 >/dev/null || die "apt-get install aspnetcore-runtime-10.0 failed" ;;
  esac
  if [ "${S[PUBLISH]}" = framework ]; then
    S[DOTNET_ROOT_DIR]=$(dirname "$(readlink -f "$(command -v dotnet)")")
  else
    S[DOTNET_ROOT_DIR]=
  fi
}

# Builds the new PREFIX next to the old one (PREFIX.new), so the running services are stopped
# only for the swap.
stage_programs() {
  STAGE=$PREFIX.new
  rm -rf "$STAGE"
  mkdir -p "$STAGE/lib" "$STAGE/bin" "$STAGE/share"
  if [ -n "$F_BINARIES" ]; then
    say "copying the programs from $F_BINARIES"
    local p
    for p in "${PROGRAMS[@]}"; do cp -a "$F_BINARIES/lib/$p" "$STAGE/lib/$p"; done
    S[VERSION]=$(cat "$F_BINARIES/VERSION" 2>/dev/null || echo unknown)
  else
    local args=(-nologo -v:q -clp:ErrorsOnly "-p:PublishRoot=$STAGE/lib/" "-p:Configuration=$CONFIGURATION")
    if [ "$NO_BUILD" = 1 ]; then
      args+=(-p:NoBuild=true)
      say "publishing the programs from the existing $CONFIGURATION build into $PREFIX"
    else
      args+=(-restore)
      say "building and publishing the programs into $PREFIX (dotnet, $CONFIGURATION, ${S[PUBLISH]}; a first build takes minutes)"
    fi
    if [ "${S[PUBLISH]}" = self-contained ]; then args+=("-p:RuntimeIdentifier=$(dotnet_rid)"); fi
    if [ "$NATIVE_PLAN" = ok ]; then note "clusterctl, cluster-leader, cluster-agent, cluster-builder: compiled ahead of time (native)"; else args+=(-p:Aot=false); fi
    local log=$TMP/publish.log
    if ! DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet msbuild "$HERE/deploy/publish.proj" -t:Publish "${args[@]}" >"$log" 2>&1; then
      # A native build can fail where an ordinary one does not (e.g. the NativeAOT compiler
      # package is not reachable): fall back to ordinary programs rather than install nothing.
      if [ "$NATIVE_PLAN" = ok ]; then
        tail -n 5 "$log" >&2
        warn "the ahead-of-time build failed (above): publishing the four programs as ordinary .NET programs"
        rm -rf "${STAGE:?}/lib"; mkdir -p "$STAGE/lib"
        NATIVE_PLAN=off
        if ! DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet msbuild "$HERE/deploy/publish.proj" -t:Publish "${args[@]}" -p:Aot=false >"$log" 2>&1; then
          tail -n 30 "$log" >&2
          die "publishing failed (above); nothing was installed"
        fi
      else
        tail -n 30 "$log" >&2
        die "publishing failed (above); nothing was installed"
      fi
    fi
    S[VERSION]=$(git -C "$HERE" describe --always --dirty 2>/dev/null || echo unknown)
  fi
  local p
  for p in "${PROGRAMS[@]}"; do
    [ -x "$STAGE/lib/$p/$p" ] || die "the publish made no $p; nothing was installed"
    ln -s "../lib/$p/$p" "$STAGE/bin/$p"
  done
  mkdir -p "$STAGE/share/deploy/systemd"
  cp "$SELF" "$STAGE/share/install.sh"
  cp "$HERE/deploy/supervise.sh" "$STAGE/share/deploy/"
  cp "$HERE/deploy/publish.proj" "$STAGE/share/deploy/" 2>/dev/null || true
  cp "$HERE"/deploy/systemd/*.service.in "$STAGE/share/deploy/systemd/"
  chmod 0755 "$STAGE/share/install.sh" "$STAGE/share/deploy/supervise.sh"
  echo "${S[VERSION]}" >"$STAGE/VERSION"
  echo "$MARKER" >"$STAGE/.installed-by"
  chmod -R go-w "$STAGE"
  chmod 0755 "$STAGE"
}

dotnet_rid() {
  case "$(uname -m)" in
    x86_64) echo linux-x64 ;;
    aarch64) echo linux-arm64 ;;
    *) die "no .NET runtime identifier known for $(uname -m)" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Trial join (agent): the real agent, from the staged programs, enrolls with the leader before
# anything is installed. A wrong token or a refusal stops the install with nothing changed.
# ---------------------------------------------------------------------------------------------
TRIAL_DIR=
trial_join() {
  tmpdir
  TRIAL_DIR=$TMP/trial-state
  local log=$TMP/trial.log pid i line rc reason
  say "joining the cluster at ${S[LEADER]} (checks the token before installing)"
  env -u NOTIFY_SOCKET -u INVOCATION_ID ${S[DOTNET_ROOT_DIR]:+DOTNET_ROOT=${S[DOTNET_ROOT_DIR]}} \
    "$STAGE/lib/cluster-agent/cluster-agent" --leader "${S[LEADER]}" --join-token-file "$TOKEN_SOURCE" \
    --state-dir "$TRIAL_DIR" --docker-host "${S[DOCKER_HOST_URI]}" >"$log" 2>&1 </dev/null &
  pid=$!
  reason=
  # The agent's own answer ('cluster-agent status': exit 0 connected, 1 not yet or failing with
  # the reason, 3 removed, 4 duplicate), never its log wording.
  for i in $(seq 120); do
    rc=0
    line=$(agent_cmd status --state-dir "$TRIAL_DIR") || rc=$?
    case "$rc" in
      0) reason=ok; break ;;
      1) case "$line" in "not connected: "*) reason=${line#not connected: }; break ;; esac ;;
      *) reason=${line#not connected: }; break ;;
    esac
    if ! pid_alive "$pid"; then reason="cluster-agent exited: $(tail -n 3 "$log" | tr '\n' ' ')"; break; fi
    sleep 0.5
  done
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 40); do pid_alive "$pid" || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$reason" != ok ]; then
    [ -n "$reason" ] || reason="no answer within 60 s: $(tail -n 3 "$log" | tr '\n' ' ')"
    die "this node could not join the cluster at ${S[LEADER]}: $reason; nothing was installed"
  fi
  line=$(agent_cmd join --check --state-dir "$TRIAL_DIR") || die "the join succeeded but left no usable node identity in $TRIAL_DIR ($line); nothing was installed"
  rm -f "$TRIAL_DIR/status.json"
  note "$line"
}

# cluster-agent's one-line answers (join --check, status), from the staged or installed programs.
agent_cmd() {
  local bin=$PREFIX/lib/cluster-agent/cluster-agent
  [ -n "$STAGE" ] && [ -x "$STAGE/lib/cluster-agent/cluster-agent" ] && bin=$STAGE/lib/cluster-agent/cluster-agent
  env -u NOTIFY_SOCKET ${S[DOTNET_ROOT_DIR]:+DOTNET_ROOT=${S[DOTNET_ROOT_DIR]}} "$bin" "$@" 2>&1
}

# A joined agent renews its certificate with the certificate itself: the join token is needed
# only to join. Once this node has joined (and no builder here still needs it), the copy in ETC
# is deleted, so a stolen disk or a removed node holds no way back into the cluster.
drop_join_token_if_joined() {
  has_role agent || return 0
  has_role leader && return 0
  has_role builder && return 0
  [ -f "$ETC/join.token" ] || return 0
  if agent_cmd join --check --state-dir "$DATA/agent" >/dev/null; then
    rm -f "$ETC/join.token"
    note "deleted $ETC/join.token: this node has joined and renews its certificate with it, not with the token"
  fi
}

# ---------------------------------------------------------------------------------------------
# User, directories, configuration
# ---------------------------------------------------------------------------------------------
ensure_user() {
  local user=${S[SERVICE_USER]}
  S[CREATED_USER]=${SAVED[CREATED_USER]:-0}
  if [ "$user" = root ]; then return; fi
  if ! getent passwd "$user" >/dev/null; then
    say "creating the system user '$user' (the daemons run as it; home $DATA)"
    useradd --system --user-group --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin \
      --comment "cluster daemons (install.sh)" "$user" || die "useradd $user failed"
    S[CREATED_USER]=1
  fi
}

make_dirs() {
  local user=${S[SERVICE_USER]} r
  mkdir -p "$ETC" "$DATA"
  chmod 0755 "$ETC" "$DATA"
  for r in "${ROLE_SET[@]}"; do
    mkdir -p "$DATA/$r"
    chown -R "$user:$(id -gn "$user")" "$DATA/$r"
    chmod 0700 "$DATA/$r"
  done
  { echo "# $MARKER: the data dir of this install. Back up leader/ whole (cluster.db with keys/)."
    echo "SERVICE_USER=$user"; echo "CREATED_USER=${S[CREATED_USER]}"; } >"$DATA/.install-state"
  if [ "${S[INIT]}" = fallback ]; then
    mkdir -p "$DATA/run" "$DATA/log"
    chmod 0755 "$DATA/run"; chmod 0750 "$DATA/log"
  fi
}

install_token() {
  [ -n "$TOKEN_SOURCE" ] || return 0
  [ "$TOKEN_SOURCE" = "$ETC/join.token" ] && return 0
  local user=${S[SERVICE_USER]}
  (umask 077; tr -d '[:space:]' <"$TOKEN_SOURCE" >"$ETC/join.token.tmp"; echo >>"$ETC/join.token.tmp")
  chown "$user:$(id -gn "$user")" "$ETC/join.token.tmp"
  chmod 0600 "$ETC/join.token.tmp"
  mv -f "$ETC/join.token.tmp" "$ETC/join.token"
}

write_clusterctl() {
  mkdir -p "$BINDIR"
  cat >"$BINDIR/clusterctl.tmp" <<EOF
#!/bin/sh
# clusterctl — $MARKER. Runs $PREFIX/bin/clusterctl with this install's
# configuration ($ETC/clusterctl.conf: the leader's address and its admin token file, root only).
[ -n "\${CLUSTER_CONFIG:-}" ] || CLUSTER_CONFIG=$ETC/clusterctl.conf
export CLUSTER_CONFIG
exec $PREFIX/lib/clusterctl/clusterctl "\$@"
EOF
  chmod 0755 "$BINDIR/clusterctl.tmp"
  mv -f "$BINDIR/clusterctl.tmp" "$BINDIR/clusterctl"
  if has_role leader; then
    (umask 077
     { echo "# $MARKER. Read by clusterctl when no --leader/--token (or CLUSTER_LEADER/CLUSTER_TOKEN) is given."
       echo "leader=$LOCAL_LEADER"
       echo "token-file=$DATA/leader/admin.token"; } >"$ETC/clusterctl.conf.tmp")
    chown root:root "$ETC/clusterctl.conf.tmp"
    chmod 0600 "$ETC/clusterctl.conf.tmp"
    mv -f "$ETC/clusterctl.conf.tmp" "$ETC/clusterctl.conf"
  fi
}

ctl() { CLUSTER_CONFIG=$ETC/clusterctl.conf "$PREFIX/lib/clusterctl/clusterctl" "$@"; }

# ---------------------------------------------------------------------------------------------
# Services: systemd units, or the fallback supervisor
# ---------------------------------------------------------------------------------------------
service_args() { # the daemon's command line (no secrets: the token is a file path)
  local docker=${S[DOCKER_HOST_URI]}
  case "$1" in
    cluster-leader) echo "$PREFIX/bin/cluster-leader --data-dir $DATA/leader --listen ${S[LISTEN]} --advertise ${S[ADVERTISE]} --docker-host $docker" ;;
    cluster-agent) echo "$PREFIX/bin/cluster-agent --leader ${S[LEADER]} --join-token-file ${S[JOIN_TOKEN_FILE]} --state-dir $DATA/agent --docker-host $docker" ;;
    cluster-builder) echo "$PREFIX/bin/cluster-builder --leader ${S[LEADER]} --join-token-file ${S[JOIN_TOKEN_FILE]} --work-dir $DATA/builder --docker-host $docker" ;;
  esac
}

installed_services() {
  local r
  for r in "${ROLE_SET[@]+"${ROLE_SET[@]}"}"; do echo "cluster-$r"; done
}

render_unit() { # render_unit NAME OUTFILE
  local name=$1 out=$2 template line user_lines="" dotnet_env="" caps="CapabilityBoundingSet=" wants_docker="" after_leader=""
  template=$HERE/deploy/systemd/$name.service.in
  [ -f "$template" ] || die "missing unit template $template"
  if [ "${S[SERVICE_USER]}" != root ]; then
    user_lines="User=${S[SERVICE_USER]}
Group=$(id -gn "${S[SERVICE_USER]}" 2>/dev/null || echo "${S[SERVICE_USER]}")"
    [ -n "${S[DOCKER_GROUP]}" ] && user_lines+="
SupplementaryGroups=${S[DOCKER_GROUP]}"
  fi
  [ -n "${S[DOTNET_ROOT_DIR]}" ] && dotnet_env="Environment=DOTNET_ROOT=${S[DOTNET_ROOT_DIR]}"
  if [ "$name" = cluster-leader ] && [ "${LISTEN_PORT:-$DEFAULT_PORT}" -lt 1024 ]; then
    caps="CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE"
  fi
  [ "${S[DOCKER_HOST_URI]}" = "$DEFAULT_DOCKER_HOST" ] && wants_docker="Wants=docker.service"
  has_role leader && [ "$name" != cluster-leader ] && after_leader="cluster-leader.service"
  : >"$out"
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      @USER@) [ -n "$user_lines" ] && printf '%s\n' "$user_lines" >>"$out"; continue ;;
      @DOTNET_ENV@) [ -n "$dotnet_env" ] && printf '%s\n' "$dotnet_env" >>"$out"; continue ;;
      @CAPABILITIES@) printf '%s\n' "$caps" >>"$out"; continue ;;
      @WANTS_DOCKER@) [ -n "$wants_docker" ] && printf '%s\n' "$wants_docker" >>"$out"; continue ;;
    esac
    line=${line//@MARKER@/$MARKER}
    line=${line//@PREFIX@/$PREFIX}
    line=${line//@DATA@/$DATA}
    line=${line//@LISTEN@/${S[LISTEN]}}
    line=${line//@ADVERTISE@/${S[ADVERTISE]}}
    line=${line//@DOCKER_HOST@/${S[DOCKER_HOST_URI]}}
    line=${line//@LEADER@/${S[LEADER]}}
    line=${line//@JOIN_TOKEN_FILE@/${S[JOIN_TOKEN_FILE]}}
    line=${line//@AFTER_LEADER@/$after_leader}
    printf '%s\n' "${line%" "}" >>"$out"
  done <"$template"
  chmod 0644 "$out"
}

install_units() {
  mkdir -p "$UNITDIR"
  local svc
  for svc in $(installed_services); do render_unit "$svc" "$UNITDIR/$svc.service"; done
  systemctl daemon-reload
  for svc in $(installed_services); do systemctl enable "$svc.service" >/dev/null 2>&1 || die "systemctl enable $svc failed"; done
}

start_supervised() { # NAME COMMAND... (as root; the command drops privileges itself)
  local name=$1; shift
  rm -f "$DATA/run/$name.failed"
  setsid -f bash "${SUPERVISE:-$PREFIX/share/deploy/supervise.sh}" "$name" "$DATA/run" "$DATA/log" -- "$@" </dev/null >/dev/null 2>&1
  local i
  for i in $(seq 50); do [ -s "$DATA/run/$name.pid" ] && return 0; sleep 0.1; done
  die "the supervisor of $name did not start (see $DATA/log/$name.log)"
}

# A pid from a pid file, only if that process still is what the file says (no recycled pids).
supervisor_pid() {
  local pid
  pid=$(cat "$DATA/run/$1.supervisor.pid" 2>/dev/null) || return 1
  pid_alive "$pid" && cmdline_of "$pid" | grep -qF -- "supervise.sh $1 $DATA/run " && echo "$pid"
}
daemon_pid() {
  local pid
  pid=$(cat "$DATA/run/$1.pid" 2>/dev/null) || return 1
  pid_alive "$pid" && cmdline_of "$pid" | grep -qF -- "$1" && echo "$pid"
}

fallback_command() { # the daemon's command, dropping to the service user, with a clean environment
  local svc=$1 user=${S[SERVICE_USER]} cmd=()
  if [ "$user" != root ]; then
    local groups
    groups=$(id -gn "$user")
    [ -n "${S[DOCKER_GROUP]}" ] && groups+=",${S[DOCKER_GROUP]}"
    cmd=(setpriv --reuid="$user" --regid="$(id -gn "$user")" --groups="$groups" --no-new-privs --)
  else
    cmd=(setpriv --no-new-privs --)
  fi
  local home=$DATA/${svc#cluster-}
  cmd+=(env -i "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "HOME=$home" "LANG=C.UTF-8")
  [ -n "${S[DOTNET_ROOT_DIR]}" ] && cmd+=("DOTNET_ROOT=${S[DOTNET_ROOT_DIR]}")
  # shellcheck disable=SC2207
  cmd+=($(service_args "$svc"))
  printf '%s\0' "${cmd[@]}"
}

start_service() {
  local svc=$1
  if [ "${S[INIT]}" = systemd ]; then
    systemctl restart "$svc.service" || die "$svc did not start: $(journalctl -u "$svc" -n 20 --no-pager 2>/dev/null)"
  else
    if supervisor_pid "$svc" >/dev/null; then return 0; fi
    local cmd=()
    mapfile -d '' cmd < <(fallback_command "$svc")
    (umask 077; start_supervised "$svc" "${cmd[@]}") || exit 1
  fi
}

stop_fallback() { # NAME: SIGTERM through the supervisor, bounded; SIGKILL what is left
  local name=$1 sp dp i
  sp=$(supervisor_pid "$name" || true)
  dp=$(daemon_pid "$name" || true)
  [ -n "$sp$dp" ] || { rm -f "$DATA/run/$name.pid" "$DATA/run/$name.supervisor.pid"; return 0; }
  if [ -n "$sp" ]; then kill -TERM "$sp" 2>/dev/null || true; elif [ -n "$dp" ]; then kill -TERM "$dp" 2>/dev/null || true; fi
  for i in $(seq 160); do
    { [ -n "$sp" ] && pid_alive "$sp"; } || { [ -n "$dp" ] && pid_alive "$dp"; } || break
    sleep 0.25
  done
  for i in $sp $dp; do pid_alive "$i" && { warn "$name did not stop within 40 s; killing pid $i"; kill -KILL "$i" 2>/dev/null || true; }; done
  rm -f "$DATA/run/$name.pid" "$DATA/run/$name.supervisor.pid"
}

stop_services() { # every service this install may run, in reverse start order
  local svc
  for svc in cluster-builder cluster-agent cluster-leader; do
    if [ "${S[INIT]:-}" = systemd ] && [ -f "$UNITDIR/$svc.service" ]; then
      systemctl stop "$svc.service" 2>/dev/null || true
    fi
    [ -d "$DATA/run" ] && stop_fallback "$svc"
  done
  return 0
}

service_running() {
  if [ "${S[INIT]}" = systemd ]; then systemctl is-active --quiet "$1.service"; else daemon_pid "$1" >/dev/null; fi
}

service_log_tail() {
  if [ "${S[INIT]}" = systemd ]; then journalctl -u "$1" -n "${2:-15}" --no-pager -o cat 2>/dev/null || true
  else tail -n "${2:-15}" "$DATA/log/$1.log" 2>/dev/null || true; fi
}

# Lines the service logged since this run started it.
service_log_since() {
  if [ "${S[INIT]}" = systemd ]; then journalctl -u "$1" --since "@$START_EPOCH" --no-pager -o cat 2>/dev/null || true
  else
    local f=$DATA/log/$1.log
    if [ -f "$f" ]; then tail -c +"$(( ${LOG_OFFSET[$1]:-0} + 1 ))" "$f" 2>/dev/null || true; fi
  fi
}

declare -A LOG_OFFSET=()
start_services() {
  local svc i
  START_EPOCH=$(date +%s)
  for svc in $(installed_services); do
    LOG_OFFSET[$svc]=$(stat -c %s "$DATA/log/$svc.log" 2>/dev/null || echo 0)
  done
  if has_role leader; then
    say "starting cluster-leader"
    start_service cluster-leader
    # Its first start creates the tokens the local agent and builder read.
    for i in $(seq $((WAIT * 2))); do
      [ -s "$DATA/leader/join.token" ] && break
      service_running cluster-leader || fail_service cluster-leader "cluster-leader stopped"
      sleep 0.5
    done
    [ -s "$DATA/leader/join.token" ] || fail_service cluster-leader "cluster-leader made no join token within $WAIT s"
  fi
  for svc in cluster-agent cluster-builder; do
    has_role "${svc#cluster-}" || continue
    say "starting $svc"
    start_service "$svc"
  done
}

fail_service() {
  printf '%s: %s; its last lines:\n' "$ME" "$2" >&2
  service_log_tail "$1" 20 | sed 's/^/    /' >&2
  if [ "${S[INIT]}" = systemd ]; then echo "    (all of it: journalctl -u $1)" >&2; else echo "    (all of it: $DATA/log/$1.log)" >&2; fi
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Self-check and next steps
# ---------------------------------------------------------------------------------------------
json_field() { sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -n 1; }

self_check() {
  say "self-check (up to $WAIT s)"
  local deadline=$((SECONDS + WAIT)) out node_id="" state=""
  if has_role leader; then
    until out=$(ctl cluster show -o json 2>&1); do
      service_running cluster-leader || fail_service cluster-leader "cluster-leader is not running"
      [ $SECONDS -lt $deadline ] || fail_service cluster-leader "the leader does not answer at $LOCAL_LEADER after $WAIT s (clusterctl: $out)"
      sleep 1
    done
    note "the leader answers at $LOCAL_LEADER"
    local mode expected
    mode=$(printf '%s\n' "$out" | json_field mode)
    read_swarm
    if [ "${SWARM_NODES:-1}" -le 1 ]; then expected=single-node; else expected=multi-node; fi
    [ "$mode" = "$expected" ] || die "self-check: clusterctl cluster show reports mode '$mode', but the swarm has ${SWARM_NODES} node(s), so '$expected' was expected"
    note "cluster mode: $mode (the swarm has $SWARM_NODES node(s))"
  fi
  if has_role agent; then
    while :; do
      service_running cluster-agent || fail_service cluster-agent "cluster-agent is not running"
      [ -s "$DATA/agent/node.id" ] && node_id=$(tr -d '[:space:]' <"$DATA/agent/node.id")
      if [ -n "$node_id" ]; then
        if has_role leader; then
          state=$(ctl node list -o json 2>/dev/null | awk -v id="$node_id" '
            /"id":/ { v=$0; sub(/^[^:]*: *"/, "", v); sub(/".*$/, "", v); cur=v }
            /"status":/ { v=$0; sub(/^[^:]*: *"/, "", v); sub(/".*$/, "", v); if (cur == id) print v }' | head -n 1)
          [ "$state" = ready ] && break
        elif agent_cmd status --state-dir "$DATA/agent" >/dev/null; then
          state=ready; break
        fi
      fi
      if [ $SECONDS -ge $deadline ]; then
        fail_service cluster-agent "this node's agent is not ready after $WAIT s (node ${node_id:-not joined yet}, status ${state:-unknown})"
      fi
      sleep 1
    done
    note "this node's agent is ready (node $node_id)"
    drop_join_token_if_joined
  fi
  if has_role builder; then
    until service_log_since cluster-builder | grep -q 'Docker engine .*swarm node\|Docker engine .*version'; do
      service_running cluster-builder || fail_service cluster-builder "cluster-builder is not running"
      [ $SECONDS -lt $deadline ] || fail_service cluster-builder "cluster-builder did not reach its Docker engine within $WAIT s"
      sleep 1
    done
    note "the builder runs and sees its engine"
  fi
  say "self-check passed"
}

next_steps() {
  local ctlpath=$BINDIR/clusterctl
  echo
  echo "Installed: ${ROLE_SET[*]} (${S[INIT]} services, running as ${S[SERVICE_USER]}), version ${S[VERSION]}."
  if [ "${S[INIT]}" = fallback ]; then
    echo "PID 1 is not systemd here, so install.sh's own supervisor runs the daemons (pid files in"
    echo "$DATA/run, logs in $DATA/log). Nothing starts them at boot: run '$PREFIX/share/install.sh start'."
  fi
  echo
  echo "Next steps"
  if has_role leader; then
    echo "  Add a private registry (the password is read from stdin, never from the command line):"
    echo "    $ctlpath registry add NAME --provider generic --url HOST:PORT --username USER --password-stdin < password-file"
    echo "  See the nodes:  $ctlpath node list      the cluster:  $ctlpath cluster show"
    echo
    echo "  Add a node. Copy the join token to it, readable by root only, without printing it:"
    echo "    ssh root@NEW-NODE 'umask 077; cat > /root/cluster-join.token' < $DATA/leader/join.token"
    echo "  then, on the new node, from a clone of this repository (its engine already in the swarm:"
    echo "  'docker swarm join-token worker' here prints that command):"
    echo "    ./install.sh agent --leader ${ADVERTISE_ADDR}:${LISTEN_PORT} --join-token-file /root/cluster-join.token"
    echo "  Rotate the join token: $ctlpath cluster rotate-join-token, then copy the new $DATA/leader/join.token"
    echo "  to /etc/cluster/join.token on each node that may still need to join or renew."
  else
    echo "  On the leader:  clusterctl node list   shows this node."
    if [ -f "$ETC/join.token" ]; then echo "  The join token is kept in $ETC/join.token (0600); delete the copy you passed in, if any."
    else echo "  This node has joined; install.sh deleted its copy of the join token. Delete the copy you passed in, if any."; fi
  fi
  echo "  Upgrade: re-run this command.   Remove: $ME uninstall [--purge]."
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
cmd_install() {
  require_root
  abs_path CLUSTER_PREFIX "$PREFIX"; abs_path CLUSTER_ETC "$ETC"; abs_path CLUSTER_DATA "$DATA"
  abs_path CLUSTER_BINDIR "$BINDIR"; abs_path CLUSTER_SYSTEMD_DIR "$UNITDIR"
  tmpdir
  load_settings || true
  resolve_settings
  decide_init
  say "installing ${ROLE_SET[*]} ($COMMAND) into $PREFIX, $ETC, $DATA (${S[INIT]} services)"

  # 1. Checks: nothing changes until all of them pass.
  local have_identity=0
  [ -s "$DATA/agent/node.id" ] && has_role agent && have_identity=1
  local remote=0
  { [ "$COMMAND" = agent ] || [ "$COMMAND" = builder ]; } && ! has_role leader && remote=1
  if [ "$remote" = 1 ]; then
    check_join_token "$have_identity"
    if check_leader_reachable "$([ "$have_identity" = 1 ] && echo 0 || echo 1)"; then
      check_leader_pin
    fi
  fi
  check_engine
  if has_role leader; then check_swarm_for_leader; fi
  check_socket_access
  if has_role leader && [ "$ENGINE_PLAN" = ok ]; then check_port; fi
  check_dotnet
  check_native_toolchain
  if [ "$ENGINE_PLAN" = ok ] && has_role agent && ! has_role leader; then
    read_swarm
    [ "$SWARM_STATE" = active ] || warn "this node's engine ($ENGINE_NAME) is in no swarm: deployments will not reach it until it joins ('docker swarm join-token worker' on a manager prints the command)"
  fi

  # 2. Prerequisites: Docker Engine, the swarm, .NET.
  setup_engine
  setup_role_tools
  if has_role leader; then setup_swarm; fi
  [ -n "${S[DOCKER_GROUP]}" ] || [ "${S[SERVICE_USER]}" = root ] || S[DOCKER_GROUP]=$(docker_group_of_socket)
  setup_dotnet
  setup_native_toolchain
  if has_role leader; then
    read_swarm
    ADVERTISE_ADDR=${S[ADVERTISE]:-}
    if [ -z "$ADVERTISE_ADDR" ]; then
      case "$LISTEN_HOST" in 0.0.0.0|::) ADVERTISE_ADDR=${SWARM_ADDR:-$(hostname -I 2>/dev/null | awk '{print $1}')} ;; *) ADVERTISE_ADDR=$LISTEN_HOST ;; esac
    fi
    [ -n "$ADVERTISE_ADDR" ] || ADVERTISE_ADDR=127.0.0.1
    S[ADVERTISE]=$ADVERTISE_ADDR
  fi

  # 3. The programs, staged next to PREFIX; an agent joins with them before anything is installed.
  stage_programs
  if [ "$remote" = 1 ] && [ "$COMMAND" = agent ] && [ "$have_identity" = 0 ]; then trial_join; fi

  # 4. Install: from here on the machine changes.
  ensure_user
  if [ -f "$ETC/install.env" ] || [ -d "$DATA/run" ]; then say "stopping the running services (upgrade)"; fi
  stop_services
  if [ -d "$PREFIX" ]; then rm -rf "$PREFIX.old"; mv "$PREFIX" "$PREFIX.old"; fi
  mv "$STAGE" "$PREFIX"
  STAGE=
  rm -rf "$PREFIX.old"
  make_dirs
  if [ -n "$TRIAL_DIR" ]; then
    cp -a "$TRIAL_DIR"/. "$DATA/agent/"
    chown -R "${S[SERVICE_USER]}:$(id -gn "${S[SERVICE_USER]}")" "$DATA/agent"
  fi
  install_token
  # The self-check waits for the agent's own "connected"; one from before this run must not count.
  rm -f "$DATA/agent/status.json"
  S[INSTALLED_AT]=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  S[MANAGED_DOCKERD]=${S[MANAGED_DOCKERD]:-0}
  save_settings
  write_clusterctl
  if [ "${S[INIT]}" = systemd ]; then install_units; fi

  # 5. Start, check, and say what next.
  start_services
  self_check
  next_steps
}

check_port() {
  command -v ss >/dev/null || return 0
  service_running_quiet cluster-leader && return 0
  if [ -n "$(ss -Hltn "( sport = :$LISTEN_PORT )" 2>/dev/null)" ]; then
    die "port $LISTEN_PORT is already in use on this machine ($(ss -Hltnp "( sport = :$LISTEN_PORT )" 2>/dev/null | awk '{print $4, $6}' | head -n 1)): stop that program or choose --listen ADDR:PORT; nothing was changed"
  fi
}

service_running_quiet() {
  if [ "${S[INIT]}" = systemd ]; then systemctl is-active --quiet "$1.service" 2>/dev/null; else daemon_pid "$1" >/dev/null 2>&1; fi
}

cmd_uninstall() {
  require_root
  abs_path CLUSTER_PREFIX "$PREFIX"; abs_path CLUSTER_ETC "$ETC"; abs_path CLUSTER_DATA "$DATA"
  abs_path CLUSTER_BINDIR "$BINDIR"; abs_path CLUSTER_SYSTEMD_DIR "$UNITDIR"
  local found=0
  load_settings && found=1
  local key; for key in "${SETTING_KEYS[@]}"; do S[$key]=${SAVED[$key]:-}; done
  [ -n "${S[INIT]}" ] || { if [ -d /run/systemd/system ] && [ "$UNITDIR" = /etc/systemd/system ]; then S[INIT]=systemd; else S[INIT]=fallback; fi; }
  if [ "$PURGE" = 1 ]; then say "uninstalling from $PREFIX, $ETC and $DATA (--purge)"; else say "uninstalling from $PREFIX and $ETC (keeping $DATA)"; fi

  local svc
  if [ "${S[INIT]}" = systemd ]; then
    for svc in cluster-builder cluster-agent cluster-leader; do
      if [ -f "$UNITDIR/$svc.service" ] && grep -qF "$MARKER" "$UNITDIR/$svc.service"; then
        systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
        rm -f "$UNITDIR/$svc.service"
        systemctl reset-failed "$svc.service" >/dev/null 2>&1 || true
        found=1
      fi
    done
    systemctl daemon-reload 2>/dev/null || true
  else
    for svc in cluster-builder cluster-agent cluster-leader; do
      if [ -f "$UNITDIR/$svc.service" ] && grep -qF "$MARKER" "$UNITDIR/$svc.service"; then rm -f "$UNITDIR/$svc.service"; fi
    done
  fi
  if [ -d "$DATA/run" ]; then
    for svc in cluster-builder cluster-agent cluster-leader; do stop_fallback "$svc"; done
  fi
  # The Docker engine install.sh started under its own supervisor (no systemd) is stopped, not
  # orphaned: it stops through its supervisor, and whatever of it is left (the supervisor with a
  # lost pid file, dockerd, the containerd it spawned) is found by command line and stopped, then
  # the engine is checked to be gone. An engine install.sh did not start is left alone.
  if [ "${S[MANAGED_DOCKERD]}" = 1 ] || supervisor_pid dockerd >/dev/null 2>&1; then stop_managed_dockerd; fi
  sweep_processes

  if [ -f "$BINDIR/clusterctl" ] && grep -qF "$MARKER" "$BINDIR/clusterctl"; then rm -f "$BINDIR/clusterctl"; found=1; fi
  if [ -d "$PREFIX" ]; then
    if [ -f "$PREFIX/.installed-by" ] || [ -d "$PREFIX/lib/cluster-leader" ]; then rm -rf "$PREFIX"; found=1
    else warn "$PREFIX was not made by install.sh; left alone"; fi
  fi
  rm -rf "$PREFIX.new" "$PREFIX.old"
  if [ -d "$ETC" ]; then
    rm -f "$ETC/install.env" "$ETC/clusterctl.conf" "$ETC/join.token" "$ETC"/*.tmp
    rmdir "$ETC" 2>/dev/null || warn "$ETC holds other files; left them there"
    found=1
  fi

  local created=${S[CREATED_USER]} user=${S[SERVICE_USER]}
  if [ -f "$DATA/.install-state" ]; then
    [ -n "$user" ] || user=$(sed -n 's/^SERVICE_USER=//p' "$DATA/.install-state")
    [ -n "$created" ] || created=$(sed -n 's/^CREATED_USER=//p' "$DATA/.install-state")
  fi
  if [ "$PURGE" = 1 ]; then
    if [ -d "$DATA" ]; then
      if [ -f "$DATA/.install-state" ] || [ -d "$DATA/leader" ] || [ -d "$DATA/agent" ] || [ -d "$DATA/builder" ]; then
        rm -rf --one-file-system "$DATA"; found=1
      else
        warn "$DATA was not made by install.sh; left alone"
      fi
    fi
    if [ "$created" = 1 ] && [ -n "$user" ] && [ "$user" != root ] && getent passwd "$user" >/dev/null; then
      userdel "$user" 2>/dev/null || warn "userdel $user failed"
      if getent group "$user" >/dev/null; then groupdel "$user" 2>/dev/null || true; fi
      note "removed the system user $user"
    fi
  else
    rm -rf "$DATA/run"
  fi
  [ "$found" = 1 ] || note "nothing was installed here"
  say "uninstalled"
  if [ "$PURGE" = 1 ]; then
    if [ "${S[MANAGED_DOCKERD]}" = 1 ]; then
      echo "The Docker engine install.sh had started was stopped; its data, its swarm and the Debian packages were left as they are ('systemctl start docker' or 'dockerd' starts it again)."
    else
      echo "Docker Engine, its swarm and the Debian packages were left as they are."
    fi
  else
    [ -d "$DATA" ] && echo "Kept $DATA (the leader's database, keys, CA and tokens; the node identity): '$ME uninstall --purge' deletes it."
  fi
}

stop_managed_dockerd() {
  local pids pid i
  note "stopping the Docker engine install.sh started under its supervisor (PID 1 is not systemd)"
  [ -d "$DATA/run" ] && stop_fallback dockerd
  for i in 1 2; do
    pids=()
    for pid in /proc/[0-9]*; do
      pid=${pid#/proc/}
      case "$(cmdline_of "$pid")" in
        *"supervise.sh dockerd $DATA/run "*|*"dockerd --host $DEFAULT_DOCKER_HOST"*|*"containerd --config /var/run/docker/containerd/containerd.toml"*) pids+=("$pid") ;;
      esac
    done
    [ ${#pids[@]} -gt 0 ] || break
    if [ "$i" = 1 ]; then
      kill -TERM "${pids[@]}" 2>/dev/null || true
      for _ in $(seq 120); do
        local left=0; for pid in "${pids[@]}"; do pid_alive "$pid" && left=1; done
        [ "$left" = 0 ] && break; sleep 0.25
      done
    else
      warn "the Docker engine did not stop within 30 s; killing pid(s) ${pids[*]}"
      kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
  done
  rm -f "$DATA/run/dockerd.pid" "$DATA/run/dockerd.supervisor.pid" "$DATA/run/dockerd.failed"
  if DOCKER_CONFIG=/nonexistent timeout 5 docker -H "$DEFAULT_DOCKER_HOST" version >/dev/null 2>&1; then
    warn "a Docker engine still answers at $DEFAULT_DOCKER_HOST; it is not the one install.sh started, so it was left running"
  else
    note "stopped the Docker engine install.sh had started (nothing of it is left running)"
  fi
}

# Anything still running from this install's programs (e.g. a supervisor whose pid file was
# lost): found by its command line naming PREFIX or DATA/run, never by a program name alone.
sweep_processes() {
  local pid cmd self_tree=" $$ $PPID " p i
  p=$$
  while [ "$p" -gt 1 ] 2>/dev/null; do p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 1); self_tree+="$p "; done
  local victims=()
  for i in 1 2; do
    victims=()
    for pid in /proc/[0-9]*; do
      pid=${pid#/proc/}
      case "$self_tree" in *" $pid "*) continue ;; esac
      cmd=$(cmdline_of "$pid")
      case "$cmd" in
        "$PREFIX/bin/"*|"$PREFIX/lib/"*|*"supervise.sh cluster-"*" $DATA/run "*|*"setpriv"*"$PREFIX/bin/"*) victims+=("$pid") ;;
      esac
    done
    [ ${#victims[@]} -gt 0 ] || return 0
    if [ "$i" = 1 ]; then
      kill -TERM "${victims[@]}" 2>/dev/null || true
      for p in $(seq 40); do
        local left=0; for pid in "${victims[@]}"; do pid_alive "$pid" && left=1; done
        [ "$left" = 0 ] && break; sleep 0.25
      done
    else
      kill -KILL "${victims[@]}" 2>/dev/null || true
    fi
  done
}

cmd_services() {
  require_root
  load_settings || die "nothing is installed here ($ETC/install.env is missing)"
  local key; for key in "${SETTING_KEYS[@]}"; do S[$key]=${SAVED[$key]:-}; done
  read -r -a ROLE_SET <<<"${S[ROLES]}"
  if has_role leader; then split_hostport "${S[LISTEN]}" && { LISTEN_HOST=$HP_HOST; LISTEN_PORT=$HP_PORT; }; fi
  local svc
  case "$COMMAND" in
    stop) stop_services_of_install ;;
    start|restart)
      [ "$COMMAND" = restart ] && stop_services_of_install
      START_EPOCH=$(date +%s)
      for svc in $(installed_services); do say "starting $svc"; start_service "$svc"; done ;;
    status)
      echo "installed: ${S[ROLES]} (version ${S[VERSION]}, ${S[INIT]} services, user ${S[SERVICE_USER]}, since ${S[INSTALLED_AT]})"
      echo "docker host: ${S[DOCKER_HOST_URI]}"
      [ -n "${S[LISTEN]}" ] && echo "leader listens on ${S[LISTEN]} (advertised as ${S[ADVERTISE]})"
      [ -n "${S[LEADER]}" ] && echo "agent/builder leader: ${S[LEADER]}"
      local rc=0
      for svc in $(installed_services); do
        if service_running "$svc"; then
          if [ "${S[INIT]}" = fallback ]; then echo "$svc: running (pid $(daemon_pid "$svc"))"; else echo "$svc: running"; fi
        elif [ -f "$DATA/run/$svc.failed" ]; then echo "$svc: failed ($(cat "$DATA/run/$svc.failed"))"; rc=3
        else echo "$svc: stopped"; rc=3; fi
      done
      return $rc ;;
  esac
}

stop_services_of_install() {
  local svc
  for svc in cluster-builder cluster-agent cluster-leader; do
    has_role "${svc#cluster-}" || continue
    say "stopping $svc"
    if [ "${S[INIT]}" = systemd ]; then systemctl stop "$svc.service" || true; else stop_fallback "$svc"; fi
  done
}

cmd_units() {
  [ -n "$OUT_DIR" ] || usage_error "units needs --out DIR"
  load_settings || true
  resolve_settings
  F_INIT=systemd decide_init
  [ -n "${S[ADVERTISE]}" ] || S[ADVERTISE]=${LISTEN_HOST:-ADVERTISE-ADDR}
  case "${S[ADVERTISE]}" in 0.0.0.0|::) S[ADVERTISE]=ADVERTISE-ADDR ;; esac
  if [ "${S[SERVICE_USER]}" != root ] && [ -z "${S[DOCKER_GROUP]}" ]; then S[DOCKER_GROUP]=docker; fi
  if [ -z "${S[DOTNET_ROOT_DIR]}" ] && command -v dotnet >/dev/null; then S[DOTNET_ROOT_DIR]=$(dirname "$(readlink -f "$(command -v dotnet)")"); fi
  mkdir -p "$OUT_DIR"
  local svc
  for svc in $(installed_services); do render_unit "$svc" "$OUT_DIR/$svc.service"; echo "$OUT_DIR/$svc.service"; done
}

main() {
  parse_args "$@"
  case "$COMMAND" in
    all-in-one|leader|agent|builder) cmd_install ;;
    uninstall) cmd_uninstall ;;
    start|stop|restart|status) cmd_services ;;
    units) cmd_units ;;
  esac
}

main "$@"
