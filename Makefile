# A thin wrapper over Meson + Ninja. The two commands a new user runs:
#   make run   installs what is missing, builds, creates var/exosafe.db with demo data, serves :8080
#   make test  the same set-up, then every suite (unit, HTTP, browser, then unit + HTTP under ASan+UBSan,
#              then HTTP, FHIR and browser on a throwaway PostgreSQL cluster in build/)

BUILD      := build
ASAN_BUILD := build-asan
DB         := var/exosafe.db
PORT       ?= 8080

.PHONY: all deps build asan run test test-unit test-http test-browser test-asan bench bench-http bench-followup bench-signals-pg stress fuzz sim clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --werror

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --werror -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

# The chart library, vendored from npm into the served web folder.
VENDOR := web/vendor/uplot
$(VENDOR)/uPlot.esm.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE $(VENDOR)/

$(DB): | build
	@mkdir -p $(dir $(DB))
	$(BUILD)/exosafe init --db $(DB)
	$(BUILD)/exosafe demo --db $(DB)

run: build $(DB) $(VENDOR)/uPlot.esm.js
	$(BUILD)/exosafe init --db $(DB) >/dev/null
	$(BUILD)/exosafe serve --db $(DB) --port $(PORT)

test: build asan $(VENDOR)/uPlot.esm.js
	@scripts/run-tests.sh

# The crash suite at length: 200 SIGKILL-and-restart cycles (make test runs 20). CRASH_SEED=S
# replays a run's choices (each run prints its seed).
stress: build
	node tests/crash/crash.mjs --cycles 200

# BENCH_ARGS, e.g. --dispenses 200000; the default builds 10 million dispense rows.
# COLDCHAIN_BENCH_ARGS, e.g. --readings 1000000 --no-store; the default parses 10 million readings.
# SIGNALS_BENCH_ARGS, e.g. --reports 1000000; the default generates 10 million reports (build/bench-signals/).
# ADCHECK_BENCH_ARGS, e.g. --mb 20; the default checks a generated 100 MB Japanese corpus (var/).
# HTTP_BENCH_ARGS, e.g. --seconds 2; the default runs wrk 10 s a server and endpoint (about 3 min).
# FOLLOWUP_BENCH_ARGS, e.g. --patients 10000; the default is a 100,000-patient cohort (build/bench-followup/).
# SIGNALS_PG_BENCH_ARGS, e.g. --pairs 200000 --lots 20; the default is 1 million pairs by product.
bench: build
	$(BUILD)/bench_recall $(BENCH_ARGS)
	$(BUILD)/bench_coldchain $(COLDCHAIN_BENCH_ARGS)
	/usr/bin/python3 bench/signals/bench_signals.py $(SIGNALS_BENCH_ARGS)
	$(BUILD)/bench_adcheck $(ADCHECK_BENCH_ARGS)
	/usr/bin/python3 bench/followup/bench_followup.py $(FOLLOWUP_BENCH_ARGS)
	/usr/bin/python3 bench/http/bench_http.py $(HTTP_BENCH_ARGS)
	$(MAKE) bench-signals-pg

# Signal detection from PostgreSQL (COPY, and row by row) beside the CSV extract of the same
# reports (bench/signals/bench_signals_pg.c). On the server in EXOSAFE_TEST_PG_URL when set,
# else on a throwaway cluster in the build folder (scripts/with-pg.sh).
bench-signals-pg: build
	if [ -n "$$EXOSAFE_TEST_PG_URL" ]; then $(BUILD)/bench_signals_pg $(SIGNALS_PG_BENCH_ARGS); \
	else EXOSAFE_PG_DIR=$(CURDIR)/$(BUILD)/pg-bench-signals scripts/with-pg.sh $(BUILD)/bench_signals_pg $(SIGNALS_PG_BENCH_ARGS); fi

# The HTTP benchmark alone: exosafe's API beside nginx serving the same bytes (bench/http).
bench-http: build
	/usr/bin/python3 bench/http/bench_http.py $(HTTP_BENCH_ARGS)

# The follow-up statistics alone: C beside the NumPy/SciPy reference (bench/followup).
bench-followup: build
	/usr/bin/python3 bench/followup/bench_followup.py $(FOLLOWUP_BENCH_ARGS)

# The MaxSPRT lot simulation (tests/sim/maxsprt_lots.c): false alarms with no excess risk, power
# and median time to signal at twice the baseline rate. SIM_ARGS, e.g. --lots 100000 --seed 3.
sim: build
	$(BUILD)/maxsprt_lots $(SIM_ARGS)
	$(BUILD)/maxsprt_product $(SIM_ARGS)

# The tests/fuzz harnesses under libFuzzer (clang, in build-fuzz), each for FUZZ_SECONDS, or
# FUZZ_RUNS executions when set (scripts/fuzz.sh says more).
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
