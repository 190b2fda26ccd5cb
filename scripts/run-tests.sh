#!/usr/bin/env bash
# Runs every suite and prints one closing summary line. Each suite runs even when an earlier
# one failed, so one run shows every failure; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

failed=()
total=0
run() {
  local name=$1; shift
  total=$((total + 1))
  echo "=== $name"
  if "$@"; then echo "=== $name: ok"; else echo "=== $name: FAILED"; failed+=("$name"); fi
}

run "unit"              meson test -C build --print-errorlogs
run "http"              node --test --test-concurrency=1 tests/http/
run "fhir + e2b"        node --test --test-concurrency=1 tests/fhir/
run "browser"           node --test --test-concurrency=1 tests/browser/
# SIGKILL at random moments under writes; every acknowledged write must survive the restart.
run "crash (20 cycles)"  node tests/crash/crash.mjs --cycles 20
run "unit (asan+ubsan)" meson test -C build-asan --print-errorlogs
run "http (asan+ubsan)" env EXOSAFE_BIN=build-asan/exosafe node --test --test-concurrency=1 tests/http/
# The same suites with every clock 400 days ahead (node, the server, sqlite3 and Chromium all
# run under libfaketime): a test that holds today's date, or code that reads a clock other
# than the one it is handed, fails here the day it is written, not a month later.
run "http (clock +400 days)"    faketime -f '+400d' node --test --test-concurrency=1 tests/http/
run "browser (clock +400 days)" faketime -f '+400d' node --test --test-concurrency=1 tests/browser/
# The HTTP, FHIR and browser suites again on PostgreSQL (issue 18): each through with-pg.sh,
# which starts a throwaway cluster in build/ (owned by an unprivileged user, on a loopback
# port) and stops and removes it afterwards, also when the suite fails or is interrupted.
# Every server of the suite gets a fresh database on it (tests/lib/server.mjs).
pg_suite() {
  local dir=$1; shift
  EXOSAFE_PG_DIR="$PWD/build/$dir" scripts/with-pg.sh env EXOSAFE_TEST_STORE=pg "$@"
}
run "http (pg)"         pg_suite pg-http node --test --test-concurrency=1 tests/http/
run "fhir + e2b (pg)"   pg_suite pg-fhir node --test --test-concurrency=1 tests/fhir/
run "browser (pg)"      pg_suite pg-browser node --test --test-concurrency=1 tests/browser/

echo
echo "suites: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed suites: ${failed[*]}"
  exit 1
fi
