#!/usr/bin/env bash
# supervise.sh — install.sh's stand-in for systemd where PID 1 is not systemd (containers, CI,
# chroots): runs ONE daemon, restarts it when it fails, and keeps its pid and its log.
#
#   supervise.sh NAME RUNDIR LOGDIR -- COMMAND [ARG...]
#
# It writes RUNDIR/NAME.supervisor.pid (its own pid) and RUNDIR/NAME.pid (the daemon's), and
# appends the daemon's stdout/stderr plus its own one-line notes to LOGDIR/NAME.log (moved to
# NAME.log.1 when it passes 10 MiB at a start). Like Restart=on-failure: a daemon that exits 0 is
# not restarted; one that fails is restarted after 2 s, at most 5 times in 60 s
# (StartLimitBurst), after which RUNDIR/NAME.failed says why. SIGTERM stops the daemon (SIGTERM,
# which the daemons answer with a clean exit) and then the supervisor. install.sh starts it with
# setsid, stdin/stdout on /dev/null, and stops it through its pid file.
set -u

name=$1 rundir=$2 logdir=$3
shift 3
[ "${1:-}" = -- ] && shift

log=$logdir/$name.log
pidfile=$rundir/$name.pid
child=
stopping=0
starts=()

note() { printf '%s supervise: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$*" >>"$log"; }

on_stop() {
  stopping=1
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi
}
trap on_stop TERM INT
trap '' HUP PIPE

echo $$ >"$rundir/$name.supervisor.pid"
rm -f "$rundir/$name.failed"

while [ "$stopping" = 0 ]; do
  if [ -f "$log" ] && [ "$(stat -c %s "$log")" -gt 10485760 ]; then mv -f "$log" "$log.1"; fi
  "$@" >>"$log" 2>&1 </dev/null &
  child=$!
  echo "$child" >"$pidfile"
  note "started $name (pid $child)"
  starts+=("$(date +%s)")
  # wait returns early when a trapped signal arrives; wait again until the daemon is really gone.
  while :; do
    wait "$child"
    rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=
  rm -f "$pidfile"
  if [ "$stopping" = 1 ]; then
    note "stopped $name (exit $rc)"
    break
  fi
  if [ "$rc" = 0 ]; then
    note "$name exited 0; not restarting it (as Restart=on-failure)"
    break
  fi
  now=$(date +%s)
  recent=0
  for t in "${starts[@]}"; do [ $((now - t)) -lt 60 ] && recent=$((recent + 1)); done
  if [ "$recent" -ge 5 ]; then
    note "$name failed $recent times within 60 s (last exit $rc); giving up: see the lines above, then: install.sh start"
    echo "exit $rc, $recent failures within 60 s" >"$rundir/$name.failed"
    break
  fi
  note "$name exited $rc; restarting in 2 s"
  sleep 2 &
  wait $! 2>/dev/null
done

rm -f "$rundir/$name.supervisor.pid"
