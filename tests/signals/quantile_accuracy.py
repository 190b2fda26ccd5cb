#!/usr/bin/python3
"""EB05, EB95 and the IC interval of `exosafe signals` to 1e-12 relative, against scipy.

The agreement test (agreement.py) holds exosafe to the issue's 1e-6; this one checks the
quantile iteration itself (Halley steps that stop on their cubic error bound, starts from
cached per-count quantiles) much more tightly: every posterior quantile is solved again
with scipy's brentq on scipy.special.gammainc to 1e-15, under the fitted prior and under a
prior like the one fitted at registry scale (a light first component, weight ~1e-5).

    quantile_accuracy.py EXOSAFE GEN_REPORTS"""
import json
import math
import os
import subprocess
import sys
import tempfile

from scipy.optimize import brentq
from scipy.special import gammainc, gammaincinv, gammaln

exosafe, gen_reports = sys.argv[1], sys.argv[2]
TOL = 1e-12
failures = 0


def log_nb(n, a, b, e):
    l = math.log1p(e / b)
    return gammaln(a + n) - gammaln(a) - gammaln(n + 1) + n * (math.log(e) - math.log(b) - l) - a * l


def check(label, path, extra):
    global failures
    out = subprocess.run([exosafe, "signals", "--reports", path, "--format", "json", "--min-count", "1", *extra],
                         capture_output=True, check=True).stdout
    d = json.loads(out)
    p = d["mgps_prior"]
    a1, b1, a2, b2, P = p["alpha1"], p["beta1"], p["alpha2"], p["beta2"], p["p"]
    worst = {"eb05": 0.0, "eb95": 0.0, "ic_lo": 0.0, "ic_hi": 0.0}
    for r in d["signals"]:
        n, e = r["a"], r["expected"]
        diff = (math.log1p(-P) + log_nb(n, a2, b2, e)) - (math.log(P) + log_nb(n, a1, b1, e))
        q = 1.0 / (1.0 + math.exp(diff)) if diff < 700 else 0.0
        for key, pp in (("eb05", 0.05), ("eb95", 0.95)):
            x = brentq(lambda x: q * gammainc(a1 + n, (b1 + e) * x) + (1 - q) * gammainc(a2 + n, (b2 + e) * x) - pp,
                       1e-12, 1e4, xtol=1e-300, rtol=1e-15, maxiter=500)
            worst[key] = max(worst[key], abs(x - r[key]) / x)
        for key, pp in (("ic_lo", 0.025), ("ic_hi", 0.975)):
            x = gammaincinv(n + 0.5, pp) / (e + 0.5)
            worst[key] = max(worst[key], abs(2 ** r[key] - x) / x)
    bad = {k: v for k, v in worst.items() if v > TOL}
    print(("FAIL " if bad else "ok   ") + f"{label}: {len(d['signals'])} pairs, largest relative error "
          + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    failures += bool(bad)


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "reports.csv")
    with open(path, "wb") as f:
        subprocess.run([gen_reports, "--reports", "20000", "--products", "50", "--events", "80", "--signals", "3"],
                       stdout=f, check=True)
    check("fitted prior", path, [])
    check("a registry-scale prior", path, ["--prior", "7.5e-06,0.0051,11.84,11.84,0.378"])
sys.exit(1 if failures else 0)
