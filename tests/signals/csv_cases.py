#!/usr/bin/python3
"""Runs `exosafe signals` over the cases in tests/data/signals/cases.tsv (bad rows, empty
input, a wrong header, bad options, --db) and checks exit status, the message, and that a
failed run writes nothing to standard output (nothing computed).

    csv_cases.py EXOSAFE"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "data", "signals")
exosafe = sys.argv[1]
failures = 0
n = 0
for line in open(os.path.join(data, "cases.tsv"), encoding="utf-8"):
    if not line.strip() or line.startswith("#"):
        continue
    args, status, want = line.rstrip("\n").split("\t")
    argv = [exosafe, "signals"] + [a.replace("{dir}", data) for a in args.split(" ")]
    p = subprocess.run(argv, capture_output=True, env=dict(os.environ, LC_ALL="C"))
    err = p.stderr.decode("utf-8", "replace")
    problems = []
    if p.returncode != int(status):
        problems.append(f"exit status {p.returncode}, expected {status}")
    if want != "-" and want not in err:
        problems.append(f"stderr lacks {want!r}")
    if p.returncode != 0 and p.stdout:
        problems.append(f"a failed run wrote to stdout: {p.stdout[:200]!r}")
    if p.returncode == 0 and not p.stdout.startswith(b"product,"):
        problems.append("no CSV header on stdout")
    n += 1
    if problems:
        failures += 1
        print(f"FAIL signals {args}: {'; '.join(problems)}\n  stderr: {err.strip()}")
    else:
        print(f"ok   signals {args}")
# --by lot puts the lot in its own column.
p = subprocess.run([exosafe, "signals", "--reports", os.path.join(data, "lots_ok.csv"), "--by", "lot", "--min-count", "2"],
                   capture_output=True)
lines = p.stdout.decode().splitlines()
if not (lines and lines[0].startswith("product,lot,event,a,b,c,d,") and any(l.startswith("P1,L1,rash,3,") for l in lines)):
    failures += 1
    print(f"FAIL --by lot output: {lines[:3]}")
print(f"{n + 1 - failures}/{n + 1} passed")
sys.exit(1 if failures else 0)
