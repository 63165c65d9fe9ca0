#!/usr/bin/env bash
# The whole test suite. On a fresh Debian machine, as root:  ./test.sh
#
# It installs what it needs (Debian packages for the lab, the NuGet packages), builds with
# warnings as errors, proves the lab script cleans up after itself, brings the lab (a real
# 3-node Docker Swarm and an authenticated registry) up once for the whole run, runs every
# test project, takes the lab down, checks nothing of it is left, and ends with one line:
#   summary: N passed, N failed, N skipped
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

log() { printf '== %s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: the lab creates network namespaces and runs dockerd (sudo ./test.sh)"
command -v dotnet >/dev/null || die "the .NET 10 SDK is missing: install the dotnet-sdk-10.0 package (or see https://dot.net) and re-run"

lab=tests/lab/lab.sh
configuration=${CONFIGURATION:-Release}
results=$(mktemp -d /tmp/cluster-test-results.XXXXXX)

log "installing lab packages"
bash "$lab" install

log "shellcheck on every shell script"
command -v shellcheck >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; } ||
  die "cannot install shellcheck (apt-get install shellcheck)"
# Every tracked *.sh (install.sh, deploy/, tests/lab/lab.sh, bench/, tests/), at shellcheck's
# default severity: a finding fails the run like a failing test.
mapfile -t scripts < <(git ls-files '*.sh' 2>/dev/null || find . -name '*.sh' -not -path './.git/*' -not -path '*/bin/*' -not -path '*/obj/*')
shellcheck_ok=0
if shellcheck "${scripts[@]}"; then shellcheck_ok=1; fi

log "restoring and building ($configuration)"
dotnet restore Cluster.sln --nologo -v quiet
dotnet build Cluster.sln -c "$configuration" --no-restore --nologo -v quiet -clp:ErrorsOnly

# clusterctl and cluster-leader ship compiled ahead of time (NativeAOT). Publishing them that way
# here fails on any trim or AOT warning (warnings are errors, in the native compiler too), so a
# command that needs reflection the native build lacks is caught now, not by a user; and the
# tests that run them as processes (Lab.Tests, Daemons.Tests) run these native builds
# (tests/Testing/Daemon.cs PathOf), so a LiteDB mapping the native leader cannot follow fails a
# test. The agent and the builder, also native when installed, have no reflection the analyzers
# let through (no suppressions), and run as ordinary builds here. Needs clang and zlib1g-dev.
aot_log="$results/native-publish.log"
aot_ok=0
rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)
publish_native() { # PROJECT PROGRAM
  log "publishing $2 ahead of time (fails on trim/AOT warnings)"
  dotnet publish "$1" -c "$configuration" -r "$rid" -p:PublishAot=true -p:CopyOutputSymbolsToPublishDirectory=false \
    --nologo -v minimal -o "$results/$2-aot" >>"$aot_log" 2>&1
}
# The leader's native build lets through one summary warning per assembly the trimmer cannot
# follow (IL2104, IL3053), for the two that are known and handled (src/Leader/Leader.csproj,
# Storage/LiteDbTrimming.xml): LiteDB and gRPC server reflection. Any other assembly named
# there is new reflection nobody has checked: that fails the run.
unhandled_native_warnings() {
  grep -oE "warning IL(2104|3053): Assembly '[^']+'" "$aot_log" | grep -vE "'(LiteDB|Grpc\.AspNetCore\.Server\.Reflection)'" | sort -u
}
if { command -v clang >/dev/null && [ -f /usr/include/zlib.h ]; } || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null 2>&1; }; then
  if publish_native src/Cli/Cli.csproj clusterctl &&
     "$results/clusterctl-aot/clusterctl" image parse nginx -o json >>"$aot_log" 2>&1 &&
     publish_native src/Leader/Leader.csproj cluster-leader &&
     "$results/cluster-leader-aot/cluster-leader" --help >>"$aot_log" 2>&1 &&
     { ! unhandled_native_warnings | grep . || { echo "the native leader build has trim/AOT warnings in assemblies nobody checked (above)"; false; }; }; then
    aot_ok=1
    export CLUSTER_TEST_CLUSTERCTL="$results/clusterctl-aot/clusterctl"
    export CLUSTER_TEST_LEADER="$results/cluster-leader-aot/cluster-leader"
  fi
else
  echo "clang could not be installed" >"$aot_log"
fi
tail -n 3 "$aot_log"

log "lab self-test (up, up again, kill -9 everything, up, down, nothing left)"
selftest_log="$results/lab-selftest.log"
selftest_ok=0
if bash "$lab" selftest >"$selftest_log" 2>&1; then selftest_ok=1; fi
tail -n 3 "$selftest_log"

log "bringing the lab up for the test run"
# Every daemon a test starts is written to this file ("pid start-time"); a test host that dies
# or is killed on a hang cannot stop them, so this does, by pid, before the lab goes down.
export CLUSTER_TEST_PIDS="$results/daemons.pids"
: >"$CLUSTER_TEST_PIDS"
end_test_daemons() {
  local pid start
  while read -r pid start; do
    [ -r "/proc/$pid/stat" ] || continue
    # same process only if its start time (field 22) is the one recorded
    [ "$(sed -E 's/.*\) //' "/proc/$pid/stat" | cut -d' ' -f20)" = "$start" ] && kill -9 "$pid" 2>/dev/null
  done <"$CLUSTER_TEST_PIDS"
  return 0
}
cleanup() {
  [ -n "${local_lane:-}" ] && kill "$local_lane" 2>/dev/null
  end_test_daemons
  bash "$lab" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
bash "$lab" up

log "running the tests"
set +e
# Two lanes side by side, each one test project at a time:
#  - the lab lane: projects that use the lab's nodes (Lab.Tests cuts node links on purpose, so
#    they must never run beside each other);
#  - the local lane: projects that need no lab (pure logic, and real leader/builder/agent
#    binaries on loopback), which would otherwise wait for the lab lane.
# A test that hangs is ended after 10 minutes (its test host is killed and the test reported as
# the one that hung), so the run always finishes inside CI's budget.
lab_projects=(tests/Lab.Tests tests/Install.Tests)
local_projects=()
for project in tests/*.Tests; do
  case " ${lab_projects[*]} " in *" $project "*) ;; *) local_projects+=("$project") ;; esac
done
run_lane() {
  local lane=$1 project exit_code=0
  shift
  for project in "$@"; do
    echo "== $lane: $project"
    dotnet test "$project" -c "$configuration" --no-build --nologo \
      --blame-hang-timeout 10m --blame-hang-dump-type none \
      --logger "console;verbosity=minimal" --logger "trx;LogFilePrefix=$(basename "$project")" --results-directory "$results" || exit_code=1
  done
  return "$exit_code"
}
run_lane local "${local_projects[@]}" >"$results/local-lane.log" 2>&1 &
local_lane=$!
run_lane lab "${lab_projects[@]}" 2>&1 | tee "$results/lab-lane.log"
lab_exit=${PIPESTATUS[0]}
wait "$local_lane"
local_exit=$?
cat "$results/local-lane.log"
test_exit=$((lab_exit | local_exit))
set -e

log "taking the lab down"
trap - EXIT
end_test_daemons
bash "$lab" down
clean_ok=0
if bash "$lab" check-clean; then clean_ok=1; fi

# Totals from each test assembly's TRX report (<Counters total=.. executed=.. passed=.. failed=..>).
read -r passed failed skipped < <(cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' |
  sed -E 's/.* total="([0-9]+)" executed="([0-9]+)" passed="([0-9]+)" failed="([0-9]+)".*/\1 \2 \3 \4/' |
  awk '{p+=$3; f+=$4; s+=$1-$2} END {print p+0, f+0, s+0}')
# The lab's own checks count as tests too.
if [ "$selftest_ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED lab selftest (see $selftest_log)"; fi
if [ "$aot_ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED native (AOT) publish of clusterctl or cluster-leader (see $aot_log)"; fi
if [ "$clean_ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED lab left something behind after down"; fi
if [ "$shellcheck_ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED shellcheck (findings above)"; fi
if [ "$test_exit" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "FAILED dotnet test exited $test_exit"; fi

echo "summary: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
