#!/usr/bin/python3
"""bench/followup: the follow-up statistics of issue 17 in C against the NumPy/SciPy reference.

    bench_followup.py [--patients N] [--products P] [--lots-per-product L] [--seed S]
                      [--alpha A] [--upper-limit T] [--min-events M] [--build DIR] [--dir DIR]
                      [--repeat R] [--threads N] [--verbose]

Generates a deterministic synthetic cohort (default 100,000 patients, 10 check-ins each, over
P = 5 products with L = 8 lots each; the same seed gives the same file; reused when there) into
DIR/cohort-N-P-L-S.csv, then runs, one after the other, on that same file
    build/bench_followup      (C: core/followup_stats.h and core/maxsprt_lots.h)
    bench/followup/reference.py  (NumPy/SciPy, written independently)
Each side times itself (wall and process CPU time; on a shared machine the CPU times are the
steadier figure) from reading the file to having every number: per product and per lot,
units followed, person-days, events, per-symptom incidence with Clopper–Pearson 95%,
Kaplan–Meier with its log(−log) band, and per lot the sequential MaxSPRT the server runs
(core/maxsprt_lots: expected, LLR, critical value, state, observed, look of the signal).
Prints both times, the ratio (target: C at least 20× faster) and the largest absolute
difference over every number (target <= 1e-9; exits 1 beyond it, or if the outputs differ in
shape). With --repeat R each side runs R times, alternately, and the best wall and the best CPU
time of each side are compared (every run's numbers are checked). The C side runs on --threads
N threads (default 2: this machine's cores; the reference's CPU time stays below its wall
time, its NumPy/SciPy calls run on one thread); its CPU time is the sum over its threads."""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TOL = 1e-9
RATIO_TARGET = 20.0
DAY = 86400
EPOCH = 1_767_225_600                                   # 2026-01-01T00:00:00Z: a fixed start, not the clock
OFFSETS = np.array([3, 14, 30, 60, 94, 121, 185, 276, 367, 458])  # check-in days after the first delivery
DELIVERY_EVERY = 91                                     # days: the lot in use is the last delivery's
ENROLMENT_DAYS = 540


def generate(path, patients, products, lots_per_product, seed):
    """One row a check-in (missed ones too: answered_at 0), with its due time. Each patient is on one product from
    a uniform enrolment day; deliveries every 91 days each bring the lot the product is
    releasing then (lots follow each other every ~125 days); 80% of check-ins are answered,
    0-3 days after due; 2% of answers report symptoms (6% for the product's third lot, a
    planted signal), one symptom or (20%) two."""
    rng = np.random.default_rng(seed)
    n = patients * len(OFFSETS)
    patient = np.repeat(np.arange(1, patients + 1), len(OFFSETS))
    product = np.repeat(rng.integers(1, products + 1, size=patients), len(OFFSETS))
    entry_day = np.repeat(rng.uniform(0, ENROLMENT_DAYS, size=patients), len(OFFSETS))
    entry = EPOCH + np.floor(entry_day * DAY).astype(np.int64)
    offset = np.tile(OFFSETS, patients)
    delivery = offset // DELIVERY_EVERY
    delivered = entry + delivery * DELIVERY_EVERY * DAY + rng.integers(0, 3600, size=n) * (delivery > 0)
    lot_span = (ENROLMENT_DAYS + OFFSETS[-1]) / lots_per_product
    lot_index = np.minimum(((delivered - EPOCH) / DAY / lot_span).astype(np.int64), lots_per_product - 1)
    lot = (product - 1) * lots_per_product + lot_index + 1
    answered = rng.random(n) < 0.8
    answered_at = np.where(answered, entry + offset * DAY + rng.integers(0, 3 * DAY, size=n), 0)
    p_symptom = np.where(lot_index == 2, 0.06, 0.02)
    any_symptom = answered & (rng.random(n) < p_symptom)
    mask = (1 << rng.integers(0, 9, size=n)) | np.where(rng.random(n) < 0.2, 1 << rng.integers(0, 9, size=n), 0)
    symptoms = np.where(any_symptom, mask, 0)
    due_at = entry + offset * DAY
    table = np.column_stack([patient, product, lot, delivered, due_at, answered_at, symptoms])
    with open(path + ".part", "w") as f:
        f.write("patient,product,lot,delivered_at,due_at,answered_at,symptoms\n")
        np.savetxt(f, table, fmt="%d", delimiter=",")
    os.replace(path + ".part", path)


def run(argv, env=None):
    """Runs a side; returns (its own wall seconds, its CPU seconds, its stdout)."""
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{p.stderr}")
    words = p.stdout.split()
    return float(words[1]), float(words[3]), p.stdout


def compare(c_out, ref_out):
    """The largest |C − reference| over every number of one run's outputs (NaN matching NaN is
    0); exits 1 when the shapes differ or the gap is beyond TOL."""
    a, b = np.fromfile(c_out, dtype="<f8"), np.fromfile(ref_out, dtype="<f8")
    if a.shape != b.shape:
        sys.exit(f"the outputs differ in shape: C {a.size} numbers, reference {b.size}")
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        gap = np.where(same, 0.0, np.abs(a - b))
    gap[np.isnan(gap)] = np.inf
    worst = float(gap.max()) if gap.size else 0.0
    if worst > TOL:
        i = int(np.argmax(gap))
        sys.exit(f"largest |C − reference| {worst:.3g} > {TOL:g}: number {i}: C {a[i]!r}, reference {b[i]!r}")
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--products", type=int, default=5)
    ap.add_argument("--lots-per-product", type=int, default=8)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--alpha", default="0.05", help="MaxSPRT alpha ([followup] default)")
    ap.add_argument("--upper-limit", default="20", help="MaxSPRT upper limit T, expected events")
    ap.add_argument("--min-events", default="2", help="MaxSPRT M")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dir", default=os.path.join(ROOT, "build", "bench-followup"))
    ap.add_argument("--repeat", type=int, default=1, help="runs of each side; the best times count")
    ap.add_argument("--threads", type=int, default=2, help="threads of the C side")
    ap.add_argument("--verbose", action="store_true", help="the C side's phase breakdown")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    stem = f"cohort2-{args.patients}-{args.products}-{args.lots_per_product}-{args.seed}"
    data = os.path.join(args.dir, stem + ".csv")
    if not os.path.exists(data):
        t0 = time.monotonic()
        generate(data, args.patients, args.products, args.lots_per_product, args.seed)
        print(f"generated {data} in {time.monotonic() - t0:.1f} s")
    size = os.path.getsize(data)
    print(f"data: {args.patients} patients × {len(OFFSETS)} check-ins, {args.products} products × "
          f"{args.lots_per_product} lots, {size / 2**20:.1f} MiB")

    c_out, ref_out = os.path.join(args.dir, stem + "-c.f64"), os.path.join(args.dir, stem + "-ref.f64")
    test_args = ["--alpha", args.alpha, "--upper-limit", args.upper_limit, "--min-events", args.min_events]
    os.sync()
    # NumPy asks the kernel for transparent huge pages for its large arrays (its default on
    # Linux); glibc does the same for the C side's heap with this tunable (glibc >= 2.35). On
    # this virtual machine a fresh page is the dearest thing a run does: 4 KiB ones cost the
    # C side about a third of its time.
    c_env = dict(os.environ)
    c_env["GLIBC_TUNABLES"] = ":".join(x for x in (c_env.get("GLIBC_TUNABLES"), "glibc.malloc.hugetlb=1") if x)
    c_argv = [os.path.join(args.build, "bench_followup"), "--input", data, "--output", c_out,
              "--threads", str(args.threads)] + test_args + (["--verbose"] if args.verbose else [])
    ref_argv = ["/usr/bin/python3", os.path.join(HERE, "reference.py"), "--input", data, "--output", ref_out] + test_args
    c_runs, ref_runs, worst = [], [], 0.0
    for r in range(max(1, args.repeat)):
        c_runs.append(run(c_argv, c_env))
        ref_runs.append(run(ref_argv))
        worst = max(worst, compare(c_out, ref_out))
        if args.repeat > 1:
            print(f"run {r + 1}: C {c_runs[-1][0]:.3f} s (CPU {c_runs[-1][1]:.3f} s), "
                  f"NumPy/SciPy {ref_runs[-1][0]:.3f} s (CPU {ref_runs[-1][1]:.3f} s)")
    c_text, ref_text = min(c_runs)[2], min(ref_runs)[2]
    c_seconds, c_cpu = min(x[0] for x in c_runs), min(x[1] for x in c_runs)
    ref_seconds, ref_cpu = min(x[0] for x in ref_runs), min(x[1] for x in ref_runs)
    best = " (best of %d runs)" % len(c_runs) if len(c_runs) > 1 else ""
    print(f"C{best}:\n           " + c_text.strip().replace("\n", "\n           "))
    print(f"reference{best}:\n           " + ref_text.strip().replace("\n", "\n           "))
    a = np.fromfile(c_out, dtype="<f8")
    ratio = ref_seconds / c_seconds if c_seconds > 0 else float("inf")
    print(f"C {c_seconds:.3f} s, NumPy/SciPy {ref_seconds:.3f} s: {ratio:.1f}× "
          f"(target ≥ {RATIO_TARGET:.0f}×: {'met' if ratio >= RATIO_TARGET else 'NOT met'}); "
          f"CPU time {c_cpu:.3f} s against {ref_cpu:.3f} s: {ref_cpu / max(c_cpu, 1e-9):.1f}×")
    print(f"{a.size} numbers, largest |C − reference| {worst:.3g} (target ≤ {TOL:g}: "
          f"{'met' if worst <= TOL else 'NOT met'})")


if __name__ == "__main__":
    main()
