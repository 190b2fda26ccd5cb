#!/usr/bin/python3
"""Reference implementation of bench/followup/bench_followup.c with NumPy and SciPy (Debian's
python3-numpy and python3-scipy; run with /usr/bin/python3).

    reference.py --input COHORT.csv --output NUMBERS.f64 [--alpha A] [--upper-limit T]
                 [--min-events M]

Written independently of src/core/followup_stats.c and src/core/maxsprt.c, from the method
(CONTRACT17.md section 4, README "Follow-up statistics"): units by np.argsort of a (group,
patient) key and np.*.reduceat; Clopper–Pearson with scipy.stats.beta.ppf over every group and
symptom at once; Kaplan–Meier with Greenwood's variance and the log(−log) band vectorised per
group (np.unique, np.cumprod, np.cumsum); the MaxSPRT critical value computed here in Python
following Kulldorff et al. 2011 (Sequential Analysis 30:58–78), the exact continuous Poisson
computation: boundaries b_c from LLR(c, b_c) = CV (scipy.optimize.brentq), the distribution of
the count carried from boundary to boundary by Poisson increments (np.convolve,
scipy.stats.poisson), and CV from P(signal | null) = alpha (brentq). Prints "seconds S cpu C"
(wall and process CPU time from reading the file to having every number) and writes the numbers in bench_followup.c's order."""
import argparse
import math
import sys
import time

import numpy as np
from scipy import optimize, stats

N_SYMPTOMS = 9
HEADER = "patient,product,lot,delivered_at,answered_at,symptoms"
NO_EVENT = np.iinfo(np.int64).max


# ---- MaxSPRT (Kulldorff et al. 2011), written here independently of src/core/maxsprt.c

def llr(c, mu):
    """LLR(c, mu) = (mu - c) + c ln(c / mu) for c > mu, else 0 (inf when mu = 0 < c)."""
    if mu == 0.0:
        return math.inf if c > 0 else 0.0
    return (mu - c) + c * math.log(c / mu) if c > mu else 0.0


def boundary(c, cv):
    """The expected count mu < c at which c events give LLR = cv: with x = mu / c,
    x - 1 - ln x = cv / c; f(x_lo) > 0 at x_lo = exp(-1 - cv/c) brackets the root below c."""
    f = lambda mu: (mu - c) + c * math.log(c / mu) - cv
    return optimize.brentq(f, c * math.exp(-1.0 - cv / c), float(c), xtol=1e-15, rtol=8.9e-16, maxiter=500)


def signal_probability(T, M, cv):
    """P(LLR >= cv for some c >= M events before the expected count passes T | null): the c-th
    event must come by b_c = min(boundary(c), T); the count's distribution below the
    boundaries is carried from b_(c-1) to b_c by a Poisson(b_c - b_(c-1)) increment, and what
    reaches c is absorbed."""
    bs, c = [], M
    while True:
        b = boundary(c, cv)
        if b >= T:
            bs.append(float(T))
            break
        bs.append(b)
        c += 1
    chain = stats.poisson.pmf(np.arange(M), bs[0])          # counts 0 .. M-1 at b_M
    absorbed = stats.poisson.sf(M - 1, bs[0])               # M or more by b_M
    for step, c in enumerate(range(M + 1, M + len(bs))):
        d = bs[step + 1] - bs[step]
        i = np.arange(len(chain))                           # counts 0 .. c-2 at b_(c-1)
        absorbed += float(chain @ stats.poisson.sf(c - 1 - i, d))
        chain = np.convolve(chain, stats.poisson.pmf(np.arange(c), d))[:c]
    return absorbed


def critical_value(T, M, alpha):
    lo, hi = 1e-12, 1.0
    if signal_probability(T, M, lo) < alpha:
        sys.exit("reference.py: no critical value reaches alpha")
    while signal_probability(T, M, hi) > alpha:
        lo, hi = hi, hi * 2.0
    return optimize.brentq(lambda cv: signal_probability(T, M, cv) - alpha, lo, hi, xtol=1e-15, rtol=8.9e-16,
                           maxiter=500)


# ---- Follow-up statistics

def kaplan_meier(seconds, events, conf):
    """Rows (time, at risk, events, censored, S, lower, upper), one a distinct time."""
    t = seconds / 86400.0
    order = np.argsort(t, kind="stable")
    t, e = t[order], events[order]
    ut, first, counts = np.unique(t, return_index=True, return_counts=True)
    if len(t) == 0:
        return np.zeros((0, 7))
    d = np.add.reduceat(e.astype(np.int64), first)
    at_risk = len(t) - first
    s = np.cumprod(1.0 - d / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        gw = np.cumsum(np.where((d > 0) & (at_risk > d), d / (at_risk * (at_risk - d)), 0.0))
        z = stats.norm.ppf(1.0 - (1.0 - conf) / 2.0)
        se = np.sqrt(gw) / np.abs(np.log(s))
        lower, upper = s ** np.exp(z * se), s ** np.exp(-z * se)
    undefined = (s <= 0.0) | (s >= 1.0)
    lower[undefined] = np.nan
    upper[undefined] = np.nan
    return np.column_stack([ut, at_risk, d, counts - d, s, lower, upper])


def clopper_pearson(k, n, conf):
    """Vectorised over arrays k, n (n may be 0: NaN)."""
    alpha = 1.0 - conf
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(k == 0, 0.0, stats.beta.ppf(alpha / 2, k, n - k + 1))
        upper = np.where(k == n, 1.0, stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    lower[n == 0] = np.nan
    upper[n == 0] = np.nan
    return lower, upper


def units_by(key, patient, delivered, answered, symptoms):
    """One unit per (key, patient): group key, entry, follow-up seconds, event, symptom mask,
    followed — sorted by key."""
    width = int(patient.max()) + 1
    composite = key * width + patient
    order = np.argsort(composite, kind="stable")
    ck = composite[order]
    starts = np.flatnonzero(np.r_[True, ck[1:] != ck[:-1]])
    ans, sym = answered[order], symptoms[order]
    entry = np.minimum.reduceat(delivered[order], starts)
    last = np.maximum.reduceat(ans, starts)
    first_event = np.minimum.reduceat(np.where((ans != 0) & (sym != 0), ans, NO_EVENT), starts)
    mask = np.bitwise_or.reduceat(np.where(ans != 0, sym, 0), starts)
    event = first_event != NO_EVENT
    seconds = np.where(event, first_event, last) - entry
    return ck[starts] // width, seconds, event, mask, last != 0


def group_numbers(keys, seconds, event, mask, followed, conf):
    """Per group id (ascending): (id, followed, seconds, events, incidence counts, KM rows)."""
    ids, first = np.unique(keys, return_index=True)
    bounds = np.r_[first, len(keys)]
    out = []
    for g, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        f = followed[a:b]
        sec, ev, m = seconds[a:b][f], event[a:b][f], mask[a:b][f]
        counts = ((m[:, None] >> np.arange(N_SYMPTOMS)) & 1).sum(axis=0)
        out.append((int(ids[g]), len(sec), int(sec.sum()), int(ev.sum()), counts, kaplan_meier(sec, ev, conf)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--upper-limit", type=float, default=20.0)
    ap.add_argument("--min-events", type=int, default=2)
    args = ap.parse_args()
    conf = 0.95

    t0, cpu0 = time.perf_counter(), time.process_time()
    with open(args.input) as f:
        if f.readline().strip() != HEADER:
            sys.exit(f"reference.py: {args.input} does not start with {HEADER}")
        data = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    patient, product, lot, delivered, answered, symptoms = (np.ascontiguousarray(data[:, i]) for i in range(6))
    t_read = time.perf_counter()

    products = group_numbers(*units_by(product, patient, delivered, answered, symptoms), conf)
    lots = group_numbers(*units_by(lot, patient, delivered, answered, symptoms), conf)
    groups = products + lots
    k = np.array([g[4] for g in groups], dtype=float)
    n = np.repeat(np.array([g[1] for g in groups], dtype=float)[:, None], N_SYMPTOMS, axis=1)
    lower, upper = clopper_pearson(k, n, conf)
    with np.errstate(invalid="ignore", divide="ignore"):
        proportion = k / n
    t_groups = time.perf_counter()

    # MaxSPRT per lot against the product's other lots.
    lot_ids, lot_first_row = np.unique(lot, return_index=True)
    product_of_lot = dict(zip(lot_ids.tolist(), product[lot_first_row].tolist()))
    cv = critical_value(args.upper_limit, args.min_events, args.alpha)
    product_events, product_seconds = {}, {}
    for (gid, _, sec, ev, _, _) in lots:
        p = product_of_lot[gid]
        product_events[p] = product_events.get(p, 0) + ev
        product_seconds[p] = product_seconds.get(p, 0) + sec
    tests = []
    for (gid, _, sec, ev, _, _) in lots:
        p = product_of_lot[gid]
        other_events, other_seconds = product_events[p] - ev, product_seconds[p] - sec
        if other_seconds == 0:
            tests.append((p, math.nan, math.nan, cv, 0))
            continue
        expected = (other_events / (other_seconds / 86400.0)) * (sec / 86400.0)
        value = llr(ev, expected)
        ended = expected > args.upper_limit
        signal = not ended and ev >= args.min_events and value >= cv
        tests.append((p, expected, value, cv, 2 if signal else 3 if ended else 1))
    t_end, cpu_end = time.perf_counter(), time.process_time()
    print(f"seconds {t_end - t0:.6f} cpu {cpu_end - cpu0:.6f}")
    print(f"read {t_read - t0:.6f} units+statistics {t_groups - t_read:.6f} maxsprt {t_end - t_groups:.6f}")
    print(f"rows {len(patient)} products {len(products)} lots {len(lots)} cv {cv!r}")

    parts = []
    for i, (gid, followed, sec, ev, _, km) in enumerate(groups):
        if i < len(products):
            kind, prod, tail = 1, gid, (math.nan, math.nan, math.nan, -1)
        else:
            kind, test = 2, tests[i - len(products)]
            prod, tail = test[0], test[1:]
        inc = np.column_stack([k[i], proportion[i], lower[i], upper[i]]).ravel()
        parts.append(np.array([kind, gid, prod, followed, sec / 86400.0, ev], dtype=float))
        parts.append(inc)
        parts.append(np.array([*tail, len(km)], dtype=float))
        parts.append(km.ravel())
    np.concatenate(parts).astype("<f8").tofile(args.output)


if __name__ == "__main__":
    main()
