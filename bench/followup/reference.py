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
scipy.stats.poisson), and CV from P(signal | null) = alpha (brentq); the sequential replay of
each lot (src/core/maxsprt_lots.h's method: prospective per-check-in expected, looks per
second with answers) vectorised with np.lexsort, np.searchsorted and np.cumsum. Prints "seconds S cpu C"
(wall and process CPU time from reading the file to having every number) and writes the numbers in bench_followup.c's order."""
import argparse
import math
import sys
import time

import numpy as np
from scipy import optimize, stats

N_SYMPTOMS = 9
HEADER = "patient,product,lot,delivered_at,due_at,answered_at,symptoms"
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


def group_ids(*columns):
    """A dense id per distinct tuple of the columns."""
    return np.unique(np.column_stack(columns), axis=0, return_inverse=True)[1].ravel()


def before_counts(group, t, values):
    """For each row: how many rows of its group have t' < t, and the sum of their values."""
    order = np.lexsort((t, group))
    g, ts, v = group[order], t[order], values[order]
    key = g.astype(np.int64) * (int(t.max()) + 1) + ts           # (group, t) as one sortable int
    start = np.searchsorted(key, g.astype(np.int64) * (int(t.max()) + 1), side="left")
    left = np.searchsorted(key, key, side="left")
    cum = np.r_[0, np.cumsum(v)]
    rows, sums = np.empty(len(t), np.int64), np.empty(len(t), v.dtype)
    rows[order], sums[order] = left - start, cum[left] - cum[start]
    return rows, sums


def sequential_maxsprt(product, lot, patient, entry, due, answered, symptoms, cv, T, M):
    """Per lot id: (expected, llr, state, observed, signal look); state 0 no_baseline,
    1 monitoring, 2 signal, 3 ended. Answered rows only; a unit is (lot, patient)."""
    a = answered != 0
    product, lot, patient, entry, due, t, ev = product[a], lot[a], patient[a], entry[a], due[a], answered[a], symptoms[a] != 0
    order = np.lexsort((t, patient, lot))
    product, lot, patient, entry, due, t, ev = (x[order] for x in (product, lot, patient, entry, due, t, ev))
    gap = due - entry
    day = np.where(gap <= 0, 0, (gap + 43200) // 86400)
    new_unit = np.r_[True, (lot[1:] != lot[:-1]) | (patient[1:] != patient[:-1])]
    prev = np.where(new_unit, 0, np.r_[0, day[:-1]])
    prev = np.minimum(prev, day)
    unit = np.cumsum(new_unit) - 1
    cum_ev = np.cumsum(ev)
    unit_start = np.flatnonzero(new_unit)
    events_before = cum_ev - ev - np.r_[0, cum_ev][unit_start][unit]
    risk = events_before == 0                                     # up to and including the first event
    product, lot, t, ev, prev, day = product[risk], lot[risk], t[risk], ev[risk].astype(np.int64), prev[risk], day[risk]
    span = day - prev
    ones = np.ones(len(t), np.int64)
    # The other lots' at-risk rows answered strictly before each row: the product's minus the lot's.
    pk, lk = group_ids(product, prev, day), group_ids(lot, prev, day)
    n_pk, e_pk = before_counts(pk, t, ev)
    n_lk, e_lk = before_counts(lk, t, ev)
    n_p, e_p = before_counts(product, t, ev)
    n_l, e_l = before_counts(lot, t, ev)
    _, d_p = before_counts(product, t, span)
    _, d_l = before_counts(lot, t, span)
    other_rows, other_events = n_pk - n_lk, e_pk - e_lk
    all_rows, all_events, all_days = n_p - n_l, e_p - e_l, d_p - d_l
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(other_events > 0, other_events, 0.5) / other_rows
        rate = np.where(all_events > 0, all_events, 0.5) / all_days
        hazard = -np.expm1(-rate * span)
    q = np.where(other_rows > 0, share, np.where((all_rows > 0) & (all_days > 0) & (span > 0), hazard, np.nan))
    q = np.minimum(q, 1.0)
    tested = ~np.isnan(q)
    lot, t, ev, q = lot[tested], t[tested], ev[tested], q[tested]
    order = np.lexsort((t, lot))
    lot, t, ev, q = lot[order], t[order], ev[order], q[order]
    out = {}
    bounds = np.r_[np.flatnonzero(np.r_[True, lot[1:] != lot[:-1]]), len(lot)]
    for a0, b0 in zip(bounds[:-1], bounds[1:]):
        if a0 == b0:
            continue
        mu, c, ts = np.cumsum(q[a0:b0]), np.cumsum(ev[a0:b0]), t[a0:b0]
        look = np.r_[ts[1:] != ts[:-1], True]                     # the last row of each second
        mu_l, c_l = mu[look], c[look]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(c_l > mu_l, (mu_l - c_l) + c_l * np.log(c_l / mu_l), 0.0)
        signal = (value >= cv) & (c_l >= M) & (mu_l <= T)
        stop = np.flatnonzero(signal | (mu_l > T))
        state, signal_look = 1, 0
        if len(stop):
            state = 2 if signal[stop[0]] else 3
            signal_look = int(stop[0]) + 1 if state == 2 else 0
        out[int(lot[a0])] = (float(mu[-1]), llr(int(c[-1]), float(mu[-1])), state, int(c[-1]), signal_look)
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
    patient, product, lot, delivered, due, answered, symptoms = (np.ascontiguousarray(data[:, i]) for i in range(7))
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

    # The sequential MaxSPRT per lot against the product's other lots (prospective replay). A
    # lot unit's entry: its first delivery of the lot, missed check-ins' rows included.
    lot_ids, lot_first_row = np.unique(lot, return_index=True)
    product_of_lot = dict(zip(lot_ids.tolist(), product[lot_first_row].tolist()))
    cv = critical_value(args.upper_limit, args.min_events, args.alpha)
    unit = group_ids(lot, patient)
    entry = np.full(unit.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(entry, unit, delivered)
    replayed = sequential_maxsprt(product, lot, patient, entry[unit], due, answered, symptoms, cv,
                                  args.upper_limit, args.min_events)
    tests = []
    for (gid, _, _, _, _, _) in lots:
        expected, value, state, observed, look = replayed.get(gid, (math.nan, math.nan, 0, 0, 0))
        if state == 0:
            expected, value = math.nan, math.nan
        tests.append((product_of_lot[gid], expected, value, cv, state, observed, look))
    t_end, cpu_end = time.perf_counter(), time.process_time()
    print(f"seconds {t_end - t0:.6f} cpu {cpu_end - cpu0:.6f}")
    print(f"read {t_read - t0:.6f} units+statistics {t_groups - t_read:.6f} maxsprt {t_end - t_groups:.6f}")
    print(f"rows {len(patient)} products {len(products)} lots {len(lots)} cv {cv!r}")

    parts = []
    for i, (gid, followed, sec, ev, _, km) in enumerate(groups):
        if i < len(products):
            kind, prod, tail = 1, gid, (math.nan, math.nan, math.nan, -1, 0, 0)
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
