#!/usr/bin/python3
"""bench/signals: exosafe signals against the numpy/scipy reference at registry scale.

    bench_signals.py [--reports N] [--products P] [--events E] [--build DIR] [--dir DIR]
                     [--fit-budget SECONDS] [--keep]

Generates N reports (default 10 million) over P products and E events with planted signals
(bench/signals/gen_reports; reused when already there), then runs, one after the other,
    exosafe signals --reports FILE            (the fit, every statistic, CSV out)
    reference.py   --reports FILE            (the same in numpy/scipy)
and prints each one's wall time and peak memory (ru_maxrss of the process, from wait4), the
ratio (and, when the reference's fit is skipped, exosafe given the same prior beside it), how many planted signals exosafe ranks in its top 100, and how far the two outputs
differ. The reference's MGPS fit is skipped when it would take longer than --fit-budget
(default 600 s, estimated from one timed likelihood evaluation): it then scores with
exosafe's fitted prior, and the skip and its estimated cost are printed. Targets: exosafe at
least 50× faster than the reference, under 2 GB."""
import argparse
import csv
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def run_measured(argv, stdout_path):
    """Runs argv with stdout to a file; returns (seconds, peak RSS in MiB, stderr text).
    The earlier steps' output (hundreds of MiB of CSV) is flushed to disk first, so that the
    kernel writing it back does not share the cores with the program being timed."""
    with open(stdout_path, "wb") as out:
        os.sync()
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
        err = p.stderr.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{err}")
    return seconds, usage.ru_maxrss / 1024.0, err.strip()


def read_rows(path):
    with open(path, newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        return header, [row for row in rd]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000_000)
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--signals", type=int, default=50)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dir", default=os.path.join(ROOT, "build", "bench-signals"))
    ap.add_argument("--fit-budget", type=float, default=600.0)
    ap.add_argument("--keep", action="store_true", help="keep the outputs (the generated file is always kept)")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    stem = f"reports-{args.reports}-{args.products}-{args.events}-{args.signals}"
    data = os.path.join(args.dir, stem + ".csv")
    truth = os.path.join(args.dir, stem + "-truth.csv")
    if not (os.path.exists(data) and os.path.exists(truth)):
        t0 = time.monotonic()
        with open(data + ".part", "wb") as f:
            subprocess.run([os.path.join(args.build, "gen_reports"), "--reports", str(args.reports), "--products",
                            str(args.products), "--events", str(args.events), "--signals", str(args.signals),
                            "--truth", truth], stdout=f, check=True)
        os.replace(data + ".part", data)
        print(f"generated {data} in {time.monotonic() - t0:.1f} s")
    size = os.path.getsize(data)
    with open(data, "rb") as f:
        rows = sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 24), b"")) - 1
    print(f"data: {args.reports} reports, {rows} rows, {size / 2**20:.0f} MiB "
          f"({args.products} products, {args.events} events, {args.signals} planted signals)")

    exo_out = os.path.join(args.dir, "exosafe.csv")
    ref_out = os.path.join(args.dir, "reference.csv")
    t_exo, m_exo, err = run_measured([os.path.join(args.build, "exosafe"), "signals", "--reports", data], exo_out)
    print("\n" + err)
    prior = None
    for line in err.splitlines():
        if line.startswith("MGPS prior"):
            kv = dict(p.split("=") for p in line.split(": ", 1)[1].split(", log-likelihood")[0].split(" "))
            prior = ",".join(kv[k] for k in ("alpha1", "beta1", "alpha2", "beta2", "P"))
    print(f"exosafe signals:  {t_exo:8.2f} s   peak memory {m_exo:7.0f} MiB")
    # The same work as the reference when its fit is skipped: every statistic under a given prior.
    t_given, m_given, err_given = run_measured([os.path.join(args.build, "exosafe"), "signals", "--reports", data,
                                                "--prior", prior], exo_out + ".given")
    os.remove(exo_out + ".given")
    print(f"exosafe signals --prior (no fit): {t_given:.2f} s   peak memory {m_given:.0f} MiB   "
          + err_given.splitlines()[-1])

    t_ref, m_ref, err = run_measured(["/usr/bin/python3", os.path.join(HERE, "reference.py"), "--reports", data,
                                      "--fit-budget", str(args.fit_budget), "--fallback-prior", prior], ref_out)
    print("\n" + err)
    skipped = "fit skipped" in err
    estimate = 0.0
    if skipped:
        estimate = float(err.split("about ")[1].split(" s")[0])
    print(f"reference.py:     {t_ref:8.2f} s   peak memory {m_ref:7.0f} MiB"
          + (f"   (MGPS fit skipped: estimated {estimate:.0f} s more)" if skipped else ""))
    print(f"ratio:            {t_ref / t_exo:8.1f}×  (reference time / exosafe time"
          + (", the reference without its fit)" if skipped else ")"))
    if skipped:
        print(f"ratio like for like, neither fitting (both given exosafe's prior): {t_ref / t_given:.1f}×")
        print(f"ratio with the reference's estimated fit: {(t_ref + estimate) / t_exo:.0f}×")
    print(f"targets: ≥ 50× faster: {'met' if t_ref / t_exo >= 50 else 'NOT met'}"
          + (" (measured without the reference's fit; with it: "
             + ("met" if (t_ref + estimate) / t_exo >= 50 else "NOT met") + ")" if skipped else "")
          + f"; under 2 GB: {'met' if m_exo < 2048 else 'NOT met'}")

    # Planted signals near the top, and the two outputs side by side.
    header, ours = read_rows(exo_out)
    planted = set()
    with open(truth, newline="") as f:
        for row in csv.DictReader(f):
            planted.add((row["product"], row["event"]))
    top = {(r[0], r[1]) for r in ours[:100]}
    print(f"planted signals in exosafe's top 100 by EB05: {len(top & planted)} of {len(planted)}")
    rheader, theirs = read_rows(ref_out)
    if rheader != header:
        print("outputs: different headers")
    else:
        kt = {(r[0], r[1]): r for r in theirs}
        worst = [0.0] * (len(header) - 6)
        missing = 0
        for r in ours:
            t = kt.get((r[0], r[1]))
            if t is None:
                missing += 1
                continue
            for k in range(6, len(header)):
                if r[k] and t[k]:
                    x, y = float(r[k]), float(t[k])
                    if max(abs(x), abs(y)) > 0:
                        worst[k - 6] = max(worst[k - 6], abs(x - y) / max(abs(x), abs(y)))
        same = [(r[0], r[1]) for r in ours[:1000]] == [(r[0], r[1]) for r in theirs[:1000]]
        print(f"outputs: {len(ours)} rows vs {len(theirs)}; {missing} missing from the reference; same top-1000 "
              f"order: {same}; largest relative difference (10-digit CSV): "
              + ", ".join(f"{h} {w:.1e}" for h, w in zip(header[6:], worst)))
    if not args.keep:
        os.remove(exo_out)
        os.remove(ref_out)


if __name__ == "__main__":
    main()
