#!/usr/bin/python3
"""Reference implementation of `exosafe signals` with numpy and scipy (Debian's python3-numpy
and python3-scipy; run with /usr/bin/python3).

    reference.py --reports FILE.csv [--by product|lot] [--min-count N] [--format csv|json]
                 [--prior A1,B1,A2,B2,P] [--fit-budget SECONDS] [--fallback-prior A1,B1,A2,B2,P]

Written independently of src/core/safety_signal_*.c, from the formulas (see docs/signals.md):
counting with numpy (np.unique over report×product and report×event keys, then the cross
product per report); PRR, χ² with Yates' correction, ROR and its Woolf CI vectorised;
the IC credibility interval from scipy.stats.gamma.ppf; the MGPS marginal likelihood from
scipy.stats.nbinom (logpmf for n, sf(0) for the truncation at n >= 1); EBGM with
scipy.special.digamma; EB05/EB95 by vectorised bisection on scipy.special.gammainc inside the
bracket given by the two components' own quantiles (scipy.stats.gamma.ppf).

The hyperparameters are fitted over the exact distinct (n, E) points (no squashing) with
scipy.optimize: Nelder–Mead from several starting points on (ln α1, ln β1, ln α2, ln β2,
logit P), each polished by L-BFGS-B with a finite-difference gradient; the best is kept.
With --fit-budget, one likelihood evaluation is timed first and the fit is skipped (and said
so on stderr) when its estimated cost exceeds the budget; the fallback prior is then used.
Output: the same CSV or JSON as exosafe signals; rows ordered as there (EB05, EBGM, a
descending, then names)."""
import argparse
import csv
import json
import math
import sys
import time

import numpy as np
from scipy import optimize, special, stats

Z975 = stats.norm.ppf(0.975)
STARTS = [  # (α1, β1, α2, β2, P): DuMouchel's, and a spread of others
    (0.2, 0.1, 2.0, 4.0, 1 / 3),
    (0.5, 0.5, 5.0, 5.0, 0.1),
    (1.0, 2.0, 10.0, 8.0, 0.5),
    (0.05, 0.05, 20.0, 20.0, 0.05),
    (2.0, 1.0, 1.0, 1.0, 0.9),
]
NM_EVALS_PER_START = 3000  # used only to estimate the fit's cost against --fit-budget


def die(msg):
    print(f"reference.py: {msg}", file=sys.stderr)
    sys.exit(1)


def read_reports(path, by_lot):
    """Returns (report ids, item ids, event ids) as int arrays and the item and event names."""
    items, events, reports = {}, {}, {}
    r_col, i_col, e_col = [], [], []
    with open(path, newline="", encoding="utf-8-sig") as f:
        rd = csv.reader(f)
        header = next(rd, None)
        if header is None:
            die(f"{path} is empty")
        if header not in (["report_id", "product", "event"], ["report_id", "product", "lot", "event"]):
            die(f"{path}:1: bad header")
        ncols = len(header)
        if by_lot and ncols != 4:
            die("--by lot needs a lot column")
        for row in rd:
            if not row:
                continue
            if len(row) != ncols or any(not x for x in row):
                die(f"{path}:{rd.line_num}: bad row")
            key = row[1] + "\x1f" + row[2] if by_lot else row[1]
            r_col.append(reports.setdefault(row[0], len(reports)))
            i_col.append(items.setdefault(key, len(items)))
            e_col.append(events.setdefault(row[-1], len(events)))
    if not r_col:
        die(f"{path} has no reports")
    return (np.array(r_col, dtype=np.int64), np.array(i_col, dtype=np.int64), np.array(e_col, dtype=np.int64),
            list(items), list(events))


def count_tables(r, i, e, n_items, n_events):
    """Margins and pair counts, a report counting once per item, event and pair."""
    ri = np.unique(r * n_items + i)          # sorted by report, then item
    re = np.unique(r * n_events + e)
    ri_r, ri_i = ri // n_items, ri % n_items
    re_r, re_e = re // n_events, re % n_events
    n_reports = len(np.unique(r))
    item_reports = np.bincount(ri_i, minlength=n_items)
    event_reports = np.bincount(re_e, minlength=n_events)
    # Cross product of each report's items and events.
    n_rep_ids = int(r.max()) + 1
    ev_count = np.bincount(re_r, minlength=n_rep_ids)
    ev_start = np.concatenate(([0], np.cumsum(ev_count)[:-1]))
    rep = ev_count[ri_r]
    total = int(rep.sum())
    item_rep = np.repeat(ri_i, rep)
    first = np.repeat(np.cumsum(rep) - rep, rep)
    offset = np.arange(total, dtype=np.int64) - first
    ev_idx = np.repeat(ev_start[ri_r], rep) + offset
    pair_keys, a = np.unique(item_rep * n_events + re_e[ev_idx], return_counts=True)
    return n_reports, item_reports, event_reports, pair_keys // n_events, pair_keys % n_events, a


# ---- MGPS ----

def unpack(x):
    a1, b1, a2, b2 = np.exp(x[:4])
    p = special.expit(x[4])
    return a1, b1, a2, b2, p


def loglik(theta, n, e, w):
    """Σ w·ln[(P f1(n) + (1−P) f2(n)) / (P sf1(0) + (1−P) sf2(0))], f the negative binomial."""
    a1, b1, a2, b2, p = theta
    l1 = stats.nbinom.logpmf(n, a1, b1 / (b1 + e))
    l2 = stats.nbinom.logpmf(n, a2, b2 / (b2 + e))
    num = np.logaddexp(math.log(p) + l1, math.log1p(-p) + l2)
    den = np.log(p * stats.nbinom.sf(0, a1, b1 / (b1 + e)) + (1 - p) * stats.nbinom.sf(0, a2, b2 / (b2 + e)))
    return float(np.sum(w * (num - den)))


def fit_prior(n, e, w):
    wsum = w.sum()

    def obj(x):
        if np.any(np.abs(x[:4]) > 23) or abs(x[4]) > 35:
            return np.inf
        with np.errstate(all="ignore"):
            v = -loglik(unpack(x), n, e, w) / wsum
        return v if np.isfinite(v) else np.inf

    best = None
    for s in STARTS:
        x0 = np.array([math.log(s[0]), math.log(s[1]), math.log(s[2]), math.log(s[3]), special.logit(s[4])])
        r = optimize.minimize(obj, x0, method="Nelder-Mead",
                              options={"xatol": 1e-9, "fatol": 1e-14, "maxiter": 20000, "maxfev": 20000})
        r2 = optimize.minimize(obj, r.x, method="L-BFGS-B", bounds=[(-23, 23)] * 4 + [(-35, 35)],
                               options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 2000})
        cand = r2 if r2.fun <= r.fun else r
        if best is None or cand.fun < best.fun:
            best = cand
    return unpack(best.x), -best.fun * wsum


def mix_quantile(prob, q, a1, b1, a2, b2):
    """Vectorised bisection on ln x for q·Γ(a1, b1) + (1−q)·Γ(a2, b2) at prob."""
    x1 = stats.gamma.ppf(prob, a1, scale=1 / b1)
    x2 = stats.gamma.ppf(prob, a2, scale=1 / b2)
    lo, hi = np.log(np.minimum(x1, x2)), np.log(np.maximum(x1, x2))
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        x = np.exp(mid)
        f = q * special.gammainc(a1, b1 * x) + (1 - q) * special.gammainc(a2, b2 * x) - prob
        below = f < 0
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return np.exp(0.5 * (lo + hi))


def scores(theta, n, e):
    a1, b1, a2, b2, p = theta
    l1 = stats.nbinom.logpmf(n, a1, b1 / (b1 + e))
    l2 = stats.nbinom.logpmf(n, a2, b2 / (b2 + e))
    q = special.expit(math.log(p) + l1 - math.log1p(-p) - l2)
    ebgm = np.exp(q * (special.digamma(a1 + n) - np.log(b1 + e)) + (1 - q) * (special.digamma(a2 + n) - np.log(b2 + e)))
    eb05 = mix_quantile(0.05, q, a1 + n, b1 + e, a2 + n, b2 + e)
    eb95 = mix_quantile(0.95, q, a1 + n, b1 + e, a2 + n, b2 + e)
    return ebgm, eb05, eb95


def disproportionality(a, b, c, d):
    a, b, c, d = (x.astype(np.float64) for x in (a, b, c, d))
    n = a + b + c + d
    e = (a + b) * (a + c) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        prr = np.where(c > 0, (a / (a + b)) / (c / (c + d)), np.nan)
        se = np.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
        prr_lo, prr_hi = prr * np.exp(-Z975 * se), prr * np.exp(Z975 * se)
        margins = (a + b) * (c + d) * (a + c) * (b + d)
        corr = np.maximum(np.abs(a * d - b * c) - n / 2, 0)
        chi2 = np.where(margins > 0, n * corr ** 2 / margins, np.nan)
        ok = (b > 0) & (c > 0) & (d > 0)
        ror = np.where(ok, a * d / (b * c), np.nan)
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        ror_lo, ror_hi = ror * np.exp(-Z975 * se), ror * np.exp(Z975 * se)
        prr_lo, prr_hi = np.where(c > 0, prr_lo, np.nan), np.where(c > 0, prr_hi, np.nan)
        ror_lo, ror_hi = np.where(ok, ror_lo, np.nan), np.where(ok, ror_hi, np.nan)
    ic = np.log2((a + 0.5) / (e + 0.5))
    ic_lo = np.log2(stats.gamma.ppf(0.025, a + 0.5, scale=1 / (e + 0.5)))
    ic_hi = np.log2(stats.gamma.ppf(0.975, a + 0.5, scale=1 / (e + 0.5)))
    return e, prr, prr_lo, prr_hi, chi2, ror, ror_lo, ror_hi, ic, ic_lo, ic_hi


def parse_prior(s):
    v = tuple(float(x) for x in s.split(","))
    if len(v) != 5:
        die("a prior is five numbers")
    return v


STAT_NAMES = ["expected", "prr", "prr_lo", "prr_hi", "chi2", "ror", "ror_lo", "ror_hi", "ic", "ic_lo", "ic_hi",
              "ebgm", "eb05", "eb95"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", required=True)
    ap.add_argument("--by", choices=["product", "lot"], default="product")
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--format", choices=["csv", "json"], default="csv")
    ap.add_argument("--prior")
    ap.add_argument("--fit-budget", type=float)
    ap.add_argument("--fallback-prior")
    args = ap.parse_args()
    t0 = time.monotonic()
    r, i, e, item_names, event_names = read_reports(args.reports, args.by == "lot")
    t_read = time.monotonic()
    n_reports, item_reports, event_reports, p_item, p_event, a = count_tables(r, i, e, len(item_names), len(event_names))
    del r, i, e
    t_count = time.monotonic()
    expected_all = item_reports[p_item].astype(np.float64) * event_reports[p_event] / n_reports
    # Exact distinct (n, E) points with weights.
    keys = np.stack([a.astype(np.float64), expected_all])
    pts, w = np.unique(keys, axis=1, return_counts=True)
    pn, pe, pw = pts[0], pts[1], w.astype(np.float64)
    fit_info = {"fitted": False}
    if args.prior:
        theta = parse_prior(args.prior)
    else:
        t1 = time.monotonic()
        loglik(STARTS[0], pn, pe, pw)
        per_eval = time.monotonic() - t1
        estimate = per_eval * NM_EVALS_PER_START * len(STARTS)
        if args.fit_budget is not None and estimate > args.fit_budget:
            print(f"reference.py: MGPS fit skipped: one likelihood evaluation over {len(pn)} points takes "
                  f"{per_eval:.3f} s, about {estimate:.0f} s for the fit, over the {args.fit_budget:.0f} s budget",
                  file=sys.stderr)
            theta = parse_prior(args.fallback_prior) if args.fallback_prior else STARTS[0]
            fit_info = {"fitted": False, "skipped": True, "estimated_seconds": estimate}
        else:
            theta, ll = fit_prior(pn, pe, pw)
            fit_info = {"fitted": True}
    t_fit = time.monotonic()
    ll_theta = loglik(theta, pn, pe, pw)
    sel = a >= max(args.min_count, 1)
    sa = a[sel]
    sb = item_reports[p_item[sel]] - sa
    sc = event_reports[p_event[sel]] - sa
    sd = n_reports - sa - sb - sc
    cols = list(disproportionality(sa, sb, sc, sd))
    ebgm, eb05, eb95 = scores(theta, sa.astype(np.float64), cols[0])
    cols += [ebgm, eb05, eb95]
    names_i = np.array(item_names, dtype=object)[p_item[sel]]
    names_e = np.array(event_names, dtype=object)[p_event[sel]]
    order = sorted(range(len(sa)), key=lambda k: (-eb05[k], -ebgm[k], -sa[k], names_i[k], names_e[k]))
    t_score = time.monotonic()
    by_lot = args.by == "lot"
    out = sys.stdout
    a1, b1, a2, b2, p = theta
    if args.format == "json":
        sig = []
        for k in order:
            prod, _, lot = names_i[k].partition("\x1f")
            row = {"product": prod}
            if by_lot:
                row["lot"] = lot
            row.update(event=names_e[k], a=int(sa[k]), b=int(sb[k]), c=int(sc[k]), d=int(sd[k]))
            for name, col in zip(STAT_NAMES, cols):
                v = float(col[k])
                row[name] = v if math.isfinite(v) else None
            sig.append(row)
        json.dump({"by": args.by, "reports": int(n_reports), "pairs": int(len(a)), "min_count": args.min_count,
                   "mgps_prior": dict(alpha1=a1, beta1=b1, alpha2=a2, beta2=b2, p=p, log_likelihood=ll_theta,
                                      points=int(len(pn)), **fit_info),
                   "signals": sig}, out, indent=1)
        out.write("\n")
    else:
        w_ = csv.writer(out, lineterminator="\n")
        w_.writerow((["product", "lot"] if by_lot else ["product"]) + ["event", "a", "b", "c", "d"] + STAT_NAMES)
        for k in order:
            prod, _, lot = names_i[k].partition("\x1f")
            w_.writerow(([prod, lot] if by_lot else [prod]) + [names_e[k], sa[k], sb[k], sc[k], sd[k]] +
                        ["" if not math.isfinite(col[k]) else "%.10g" % col[k] for col in cols])
    t_out = time.monotonic()
    print(f"reference.py: {n_reports} reports, {len(a)} pairs, {len(pn)} distinct (n, E); prior "
          f"{a1:.6g},{b1:.6g},{a2:.6g},{b2:.6g},{p:.6g} log-likelihood {ll_theta:.10g}; seconds: read {t_read - t0:.2f}, "
          f"count {t_count - t_read:.2f}, fit {t_fit - t_count:.2f}, score {t_score - t_fit:.2f}, "
          f"write {t_out - t_score:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
