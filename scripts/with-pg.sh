#!/usr/bin/env bash
# Runs CMD with a throwaway PostgreSQL cluster (scripts/pg-cluster.sh) and its URL in
# EXOSAFE_TEST_PG_URL; the cluster is stopped and removed afterwards, also when CMD fails or
# the run is interrupted. Exits with CMD's status.
#
#   scripts/with-pg.sh CMD [ARG...]
#
# The cluster lives in $EXOSAFE_PG_DIR, default ./pg-<pid> in the current folder (meson test
# runs in the build folder), so parallel runs get their own clusters.
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dir=${EXOSAFE_PG_DIR:-$PWD/pg-$$}

cleanup() { "$here/pg-cluster.sh" stop "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

url=$("$here/pg-cluster.sh" start "$dir") || { echo "with-pg: the cluster did not start" >&2; exit 1; }
export EXOSAFE_TEST_PG_URL="$url"
export EXOSAFE_TEST_PG_DIR="$dir"
"$@" &
child=$!
# wait returns early on a signal; the traps then exit and the EXIT trap stops the cluster.
trap 'kill -INT $child 2>/dev/null; exit 130' INT
trap 'kill -TERM $child 2>/dev/null; exit 143' TERM
wait "$child"
exit $?
