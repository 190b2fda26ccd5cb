#!/usr/bin/env bash
# make fuzz: builds the tests/fuzz harnesses with clang and libFuzzer (+ ASan + UBSan) in their
# own Meson build folder, build-fuzz (every file of the program is compiled with coverage
# instrumentation there; the ordinary builds stay gcc), and runs each harness in turn.
#
#   FUZZ_SECONDS=60   seconds per harness (the default)
#   FUZZ_RUNS=N       N executions per harness instead of a time
#   FUZZ_ONLY="route adcheck"   only these harnesses
#   FUZZ_NICE=19      run the fuzzers at this niceness (the machine is shared)
#
# The harness's working corpus is build-fuzz/corpus/NAME (new inputs go there); the committed
# seeds (tests/fuzz/corpus/NAME) and regressions (tests/fuzz/regressions/NAME) are read as
# well. A finding is written to build-fuzz/findings/NAME/; the log of each run is
# build-fuzz/logs/NAME.log. Prints one line per harness (executions, exec/s, finding) and
# exits non-zero when any harness found something.
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=build-fuzz
HARNESSES=(temp_csv input_json questionnaire screening adcheck signals_csv route)
if [ -n "${FUZZ_ONLY:-}" ]; then
  read -r -a HARNESSES <<<"$FUZZ_ONLY"
fi
seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-}
nice_level=${FUZZ_NICE:-0}

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: clang is missing (scripts/deps.sh installs it)" >&2
  exit 1
fi
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang meson setup "$BUILD" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized >/dev/null || exit 1
fi
targets=()
for h in "${HARNESSES[@]}"; do targets+=("fuzz_$h"); done
ninja -C "$BUILD" "${targets[@]}" || exit 1

mkdir -p "$BUILD/logs"
if [ -n "$runs" ]; then limit=(-runs="$runs"); else limit=(-max_total_time="$seconds"); fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

found=()
printf '%-14s %12s %9s  %s\n' harness executions exec/s result
for h in "${HARNESSES[@]}"; do
  work="$BUILD/corpus/$h" findings="$BUILD/findings/$h" log="$BUILD/logs/$h.log"
  mkdir -p "$work" "$findings"
  nice -n "$nice_level" "$BUILD/fuzz_$h" "${limit[@]}" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" \
    "$work" "tests/fuzz/corpus/$h" "tests/fuzz/regressions/$h" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  artifact=$(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')
  if [ $rc -ne 0 ] || [ -n "$artifact" ]; then
    result="FINDING ${artifact:-(exit $rc, see $log)}"
    found+=("$h")
  else
    result="no finding"
  fi
  printf '%-14s %12s %9s  %s\n' "$h" "${execs:-?}" "${speed:-?}" "$result"
done
if [ ${#found[@]} -gt 0 ]; then
  echo "fuzz: findings in ${found[*]}: reproduce with $BUILD/fuzz_NAME FILE; add the input to tests/fuzz/regressions/NAME/" >&2
  exit 1
fi
