#!/usr/bin/env bash
# install.sh — set up and start the product on this machine.
#
# Today (foundation stage) only the `all-in-one` role exists, and it does what the product can
# do so far: build every binary into ./artifacts/bin and run each daemon's --help and
# `clusterctl image parse`. The real installer (systemd units, /opt/cluster, /etc/cluster,
# /var/lib/cluster, leader/agent/builder roles, upgrade, uninstall) replaces this; see README.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

usage() {
  cat <<'USAGE'
usage: install.sh [all-in-one] [--help]

  all-in-one   build the leader, agent, builder and clusterctl into ./artifacts/bin and
               check that each one runs (default)
USAGE
}

role=${1:-all-in-one}
case "$role" in
  -h|--help|help) usage; exit 0 ;;
  all-in-one) ;;
  *) echo "install.sh: unknown role '$role' (only all-in-one exists yet)" >&2; usage >&2; exit 2 ;;
esac

command -v dotnet >/dev/null || { echo "install.sh: the .NET 10 SDK is missing: install the dotnet-sdk-10.0 package and re-run" >&2; exit 1; }

out=artifacts/bin
echo "== building into $out"
for project in Leader NodeAgent BuildServer Cli; do
  dotnet publish "src/$project" -c Release -o "$out" --nologo -v quiet -clp:ErrorsOnly
done

for binary in cluster-leader cluster-agent cluster-builder clusterctl; do
  echo "== $binary --help"
  "$out/$binary" --help
done

echo "== clusterctl image parse ghcr.io/acme/web:1.0.7 -o json"
"$out/clusterctl" image parse ghcr.io/acme/web:1.0.7 -o json
echo "== clusterctl image parse nginx"
"$out/clusterctl" image parse nginx
echo
echo "Built. Binaries are in $(pwd)/$out; start the leader with:"
echo "  $out/cluster-leader --data-dir /var/lib/cluster/leader --listen 0.0.0.0:7443"
