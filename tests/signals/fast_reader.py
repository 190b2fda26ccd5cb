#!/usr/bin/python3
"""The parallel reader of `exosafe signals --reports` reads exactly what libcsv reads.

A regular file without double quotes is read by the fast reader (mapped, cut into parts of
8 MiB read on every core); the same bytes through a pipe (--reports /dev/stdin) are read by
libcsv. For each extract below both runs must print the same output and the same message
(the same line number for a bad row), whatever part of the file the row is in.

    fast_reader.py EXOSAFE GEN_REPORTS"""
import os
import subprocess
import sys
import tempfile

exosafe, gen_reports = sys.argv[1], sys.argv[2]
failures = 0
checked = 0


def run(argv, stdin=None):
    p = subprocess.run(argv, stdin=stdin, capture_output=True, env=dict(os.environ, LC_ALL="C"))
    err = [l for l in p.stderr.decode("utf-8", "replace").splitlines() if not l.startswith("time:")]
    return p.returncode, p.stdout, err


def compare(name, path, extra=()):
    """Runs the file both ways and compares status, output and messages."""
    global failures, checked
    checked += 1
    fast = run([exosafe, "signals", "--reports", path, *extra])
    with open(path, "rb") as f:
        piped = run([exosafe, "signals", "--reports", "/dev/stdin", *extra], stdin=f)
    fast_err = [l.replace(path, "FILE") for l in fast[2]]
    piped_err = [l.replace("/dev/stdin", "FILE") for l in piped[2]]
    if fast[0] != piped[0] or fast[1] != piped[1] or fast_err != piped_err:
        failures += 1
        print(f"FAIL {name}: file status {fast[0]}, pipe status {piped[0]}; outputs equal: {fast[1] == piped[1]}\n"
              f"  file: {fast_err}\n  pipe: {piped_err}")
    else:
        print(f"ok   {name}: status {fast[0]}, {len(fast[1])} bytes out" + (f", {fast_err[0]}" if fast[0] else ""))
    return fast


with tempfile.TemporaryDirectory() as tmp:
    base = os.path.join(tmp, "base.csv")
    with open(base, "wb") as f:
        subprocess.run([gen_reports, "--reports", "400000", "--products", "300", "--events", "400", "--signals", "5"],
                       stdout=f, check=True)
    data = open(base, "rb").read()
    lines = data.split(b"\n")
    assert len(data) > 2 * 8 * 2**20, "the extract must span several 8 MiB parts"

    def write(name, chunks):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(b"\n".join(chunks))
        return path

    # A plain extract over several parts, then with CR LF line ends and blank lines.
    compare("plain, several parts", base, ["--min-count", "1"])
    compare("CR LF line ends", write("crlf.csv", [l + b"\r" if l else l for l in lines]), ["--min-count", "2"])
    blank = lines[:1] + [b""] + lines[1:1000] + [b"", b""] + lines[1000:]
    compare("blank lines", write("blank.csv", blank))
    # One report's rows across the first part boundary, and one report in two places.
    head, n, spanning = [lines[0]], 0, []
    for l in lines[1:]:
        n += len(l) + 1
        head.append(l)
        if n > 8 * 2**20 - 20000:
            break
    spanning = [b"RSPAN,P0001,E%04d" % (k % 400) for k in range(2000)]
    rest = lines[len(head):]
    split_report = [b"R00000001,P0002,E0399"]   # R00000001 appears again far from its first rows
    compare("a report across a part boundary, a report in two places",
            write("span.csv", head + spanning + rest[:-1] + split_report + [b""]), ["--min-count", "1"])
    # Names of every length from 1 to 40 bytes, long ones sharing their first 16 bytes and
    # differing after them (the reader compares the first 16 bytes as two words), and a last
    # line without a line feed within 16 bytes of the end.
    def renamed(l):
        r, p, e = l.split(b",")
        k = int(r[1:])
        rid = b"REPORT-ID-PREFIX-%d" % k if k % 3 else b"r%d" % (k % 7919) if k % 5 == 0 else r
        pn = int(p[1:])
        prod = b"PRODUCT-NAME-PFX" + b"x" * (pn % 9) + p if pn % 2 else p[: 1 + pn % 5] + b"." * (pn % 13) + p
        en = int(e[1:])
        return b",".join([rid, prod, b"E" * (1 + en % 24) + e[1:]])
    named = [lines[0]] + [renamed(l) for l in lines[1:] if l]
    compare("names of 1 to 40 bytes", write("names.csv", named + [b"R1,P1,E1"]), ["--min-count", "1"])
    # Bad rows in the first, second and last parts: the same line number both ways.
    for where in (500, len(lines) // 2, len(lines) - 3):
        for bad, label in ((b"R9,P1", "a missing field"), (b"R9,,E1", "an empty product"),
                           (b"R9,P\x01,E1", "a control character")):
            compare(f"{label} on line {where + 1}", write("bad.csv", lines[:where] + [bad] + lines[where + 1:]))
    # What the fast reader leaves to libcsv: blanks at a field's edge, a lone CR.
    compare("a blank at a field's edge", write("edge.csv", lines[:3000] + [b"R9 , P0001,E0001\t"] + lines[3000:]))
    compare("a lone CR", write("cr.csv", lines[:3000] + [b"R9,P0001,E0001\rR10,P0002,E0002"] + lines[3000:]))
    compare("--by lot", write("lots.csv", [b"report_id,product,lot,event"] +
                                          [l.replace(b",E", b",L1,E", 1) for l in lines[1:]]), ["--by", "lot"])

    # The same output on one thread as on every core (fixed-order sums, joins in file order).
    checked += 1
    one = subprocess.run([exosafe, "signals", "--reports", base, "--format", "json"], capture_output=True,
                         env=dict(os.environ, EXOSAFE_THREADS="1")).stdout
    many = subprocess.run([exosafe, "signals", "--reports", base, "--format", "json"], capture_output=True,
                          env=dict(os.environ, EXOSAFE_THREADS="4")).stdout
    if one != many or not one:
        failures += 1
        print("FAIL one thread and four threads give different output")
    else:
        squashed = b'"squashed": true' in one
        print(f"ok   one thread and four threads: the same {len(one)} bytes (fit on squashed points: {squashed})")

print(f"{checked - failures}/{checked} passed")
sys.exit(1 if failures else 0)
