#!/usr/bin/python3
"""exosafe signals against bench/signals/reference.py (numpy/scipy, written independently) on
a generated data set:

  1. Both fit the MGPS prior. The fits must agree in log-likelihood: exosafe's maximum may not
     be lower than the reference's by more than 1e-6 relative (a higher one is a better
     maximum of the same function, and is reported).
  2. The reference is run again with exosafe's fitted prior (--prior). Its log-likelihood at
     that prior must equal exosafe's to 1e-9 relative, and every pair's a, b, c, d and
     every statistic — PRR and CI, χ², ROR and CI, IC and CI, EBGM, EB05, EB95 — must agree
     to 1e-6 relative (|x − y| <= 1e-6·max(|x|, |y|) + 1e-12, the absolute term for values
     at 0 such as an IC of 0), undefined statistics being undefined in both.
  3. The same with --by lot, on a file with lots and rows in random order, prior given.

    agreement.py EXOSAFE GEN_REPORTS REFERENCE_PY"""
import json
import os
import subprocess
import sys
import tempfile

exosafe, gen, reference = sys.argv[1:4]
python = "/usr/bin/python3"
STATS = ["expected", "prr", "prr_lo", "prr_hi", "chi2", "ror", "ror_lo", "ror_hi", "ic", "ic_lo", "ic_hi",
         "ebgm", "eb05", "eb95"]
failures = []


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({p.returncode}):\n{p.stderr}")
    return json.loads(p.stdout), p.stderr.strip()


def prior_arg(doc):
    m = doc["mgps_prior"]
    return ",".join(repr(m[k]) for k in ("alpha1", "beta1", "alpha2", "beta2", "p"))


def compare(label, a, b):
    ka = {(r["product"], r.get("lot"), r["event"]): r for r in a["signals"]}
    kb = {(r["product"], r.get("lot"), r["event"]): r for r in b["signals"]}
    if ka.keys() != kb.keys():
        failures.append(f"{label}: different pairs ({len(ka)} vs {len(kb)})")
        return
    worst = {s: 0.0 for s in STATS}
    for key, ra in ka.items():
        rb = kb[key]
        for c in "abcd":
            if ra[c] != rb[c]:
                failures.append(f"{label} {key}: {c} {ra[c]} vs {rb[c]}")
        for s in STATS:
            x, y = ra[s], rb[s]
            if x is None or y is None:
                if x is not None or y is not None:
                    failures.append(f"{label} {key}: {s} {x} vs {y}")
                continue
            diff = abs(x - y)
            rel = diff / max(abs(x), abs(y)) if max(abs(x), abs(y)) > 0 else 0.0
            if diff > 1e-6 * max(abs(x), abs(y)) + 1e-12:
                failures.append(f"{label} {key}: {s} {x!r} vs {y!r} (relative {rel:.2e})")
            worst[s] = max(worst[s], rel)
    order_a = [(r["product"], r.get("lot"), r["event"]) for r in a["signals"]]
    order_b = [(r["product"], r.get("lot"), r["event"]) for r in b["signals"]]
    same_order = order_a == order_b
    print(f"{label}: {len(ka)} pairs; same order: {same_order}; largest relative differences: " +
          ", ".join(f"{s} {worst[s]:.1e}" for s in STATS))


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "reports.csv")
    with open(path, "w") as f:
        subprocess.run([gen, "--reports", "6000", "--products", "30", "--events", "80", "--signals", "6", "--seed", "4",
                        "--shuffle"], stdout=f, check=True)
    ours, ours_err = run([exosafe, "signals", "--reports", path, "--min-count", "1", "--format", "json"])
    theirs, theirs_err = run([python, reference, "--reports", path, "--min-count", "1", "--format", "json"])
    print(ours_err)
    print(theirs_err)
    lo, lr = ours["mgps_prior"]["log_likelihood"], theirs["mgps_prior"]["log_likelihood"]
    rel = (lo - lr) / abs(lr)
    print(f"fitted prior: exosafe {prior_arg(ours)} log-likelihood {lo!r}")
    print(f"fitted prior: reference {prior_arg(theirs)} log-likelihood {lr!r}")
    print(f"log-likelihood: exosafe − reference = {lo - lr:.3e} ({rel:.2e} relative)")
    if rel < -1e-6:
        failures.append(f"exosafe's fit is worse than the reference's by {-rel:.2e} relative")
    same, _ = run([python, reference, "--reports", path, "--min-count", "1", "--format", "json", "--prior", prior_arg(ours)])
    ls = same["mgps_prior"]["log_likelihood"]
    print(f"log-likelihood at exosafe's prior: exosafe {lo!r}, reference {ls!r} ({abs(lo - ls) / abs(ls):.2e} relative)")
    if abs(lo - ls) > 1e-9 * abs(ls):
        failures.append("the log-likelihood functions differ")
    compare("by product, same prior", ours, same)

    lots = os.path.join(tmp, "lots.csv")
    with open(lots, "w") as f:
        subprocess.run([gen, "--reports", "3000", "--products", "12", "--events", "40", "--signals", "4", "--seed", "7",
                        "--lots", "4", "--shuffle"], stdout=f, check=True)
    prior = "0.3,0.2,3.5,3.1,0.15"
    ours, _ = run([exosafe, "signals", "--reports", lots, "--by", "lot", "--min-count", "2", "--format", "json",
                   "--prior", prior])
    theirs, _ = run([python, reference, "--reports", lots, "--by", "lot", "--min-count", "2", "--format", "json",
                     "--prior", prior])
    compare("by lot, prior given", ours, theirs)

if failures:
    print(f"{len(failures)} disagreements:")
    for f in failures[:40]:
        print("  " + f)
    sys.exit(1)
print("agreement: ok")
