#!/usr/bin/python3
"""The clinic's common CTCAE terms (data/ctcae/terms.json) against the NCI table.

Source: NCI CTCAE v5.0 (27 Nov 2017), via shared/reference/ctcae/ctcae-v5.0.csv, shipped
verbatim as data/ctcae/ctcae-v5.0.csv (the server reads it for the whole-catalogue search).

    ctcae_terms.py --check   (meson test ctcae_reference)
        Fails unless the shipped data/ctcae/ctcae-v5.0.csv is byte-identical to the reference
        and every common term's MedDRA code, SOC and grade texts equal the NCI table's (a grade
        NCI marks " -", not defined, must not be listed; a grade it defines must be).
        The reference is looked for at $EXOSAFE_REFERENCE_DIR/ctcae/, ../shared/reference/ctcae/
        (CI: shared/ beside the clone) and ../../shared/reference/ctcae/ (a worktree). When none
        exists the check says so loudly and uses the repo copy; with neither it fails.
    ctcae_terms.py --write
        Rewrites the English fields of terms.json (term, meddra_code, soc.en, grade texts) from
        the NCI table, keeping the Japanese, the symptoms and which grades are listed; refuses
        when NCI defines a grade the file lacks (its Japanese must be written by a person).

Python's csv module reads the table here, independently of the server's libcsv reader."""
import csv
import io
import json
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SHIPPED = os.path.join(ROOT, "data", "ctcae", "ctcae-v5.0.csv")
TERMS = os.path.join(ROOT, "data", "ctcae", "terms.json")
NOT_DEFINED = " -"  # NCI's cell for a grade the term does not have
EXPECTED_TERMS = 837


def reference_candidates():
    if os.environ.get("EXOSAFE_REFERENCE_DIR"):
        yield os.path.join(os.environ["EXOSAFE_REFERENCE_DIR"], "ctcae", "ctcae-v5.0.csv")
    for up in ("..", os.path.join("..", "..")):
        yield os.path.normpath(os.path.join(ROOT, up, "shared", "reference", "ctcae", "ctcae-v5.0.csv"))


def read_table(path):
    """{term name: row} from the NCI CSV; rows are [code, soc, term, g1..g5, definition, note, change]."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    if header[0] != "MedDRA.Code" or header[2] != "CTCAE.Term" or len(header) != 11:
        sys.exit(f"{path}: not the NCI CTCAE v5.0 table (header {header[:3]})")
    if len(rows) != EXPECTED_TERMS:
        sys.exit(f"{path}: {len(rows)} terms, expected {EXPECTED_TERMS}")
    return {r[2]: r for r in rows}


def check(table, terms):
    problems = []
    for i, t in enumerate(terms["terms"]):
        where = f"terms[{i}] ({t.get('code')})"
        row = table.get(t["term"])
        if row is None:
            problems.append(f"{where}: {t['term']!r} is not a CTCAE v5.0 term")
            continue
        if t["meddra_code"] != row[0]:
            problems.append(f"{where}: meddra_code {t['meddra_code']!r}, NCI has {row[0]!r}")
        if t["soc"]["en"] != row[1]:
            problems.append(f"{where}: soc.en {t['soc']['en']!r}, NCI has {row[1]!r}")
        listed = {g["grade"]: g["en"] for g in t["grades"]}
        for grade in range(1, 6):
            nci = row[2 + grade]
            if nci == NOT_DEFINED:
                if grade in listed:
                    problems.append(f"{where}: grade {grade} is listed but NCI does not define it")
            elif grade not in listed:
                problems.append(f"{where}: grade {grade} is missing (NCI: {nci!r})")
            elif listed[grade] != nci:
                problems.append(f"{where}: grade {grade} text differs\n    file: {listed[grade]!r}\n    NCI:  {nci!r}")
    return problems


def dump(terms):
    """terms.json in its layout: one line per grade."""
    out = io.StringIO()
    out.write("{\n")
    for key in ("source", "meddra_version", "ja_source", "comment"):
        out.write(f"  {json.dumps(key)}: {json.dumps(terms[key], ensure_ascii=False)},\n")
    out.write('  "terms": [\n')
    for n, t in enumerate(terms["terms"]):
        out.write("    {\n")
        for key in ("code", "term", "ja", "ja_source", "meddra_code"):
            out.write(f"      {json.dumps(key)}: {json.dumps(t[key], ensure_ascii=False)},\n")
        out.write(f'      "soc": {json.dumps(t["soc"], ensure_ascii=False)},\n')
        out.write(f'      "symptoms": {json.dumps(t["symptoms"])},\n')
        out.write('      "grades": [\n')
        for k, g in enumerate(t["grades"]):
            out.write(f"        {json.dumps(g, ensure_ascii=False)}{',' if k + 1 < len(t['grades']) else ''}\n")
        out.write("      ]\n")
        out.write("    }" + ("," if n + 1 < len(terms["terms"]) else "") + "\n")
    out.write("  ]\n}\n")
    # JSON keeps U+00A0 (NCI's Eczema grade 1 has one) visible as an escape.
    return out.getvalue().replace("\u00a0", "\\u00a0")


def write(table, terms):
    for i, t in enumerate(terms["terms"]):
        row = table.get(t["term"])
        if row is None:
            sys.exit(f"terms[{i}] ({t['code']}): {t['term']!r} is not a CTCAE v5.0 term")
        t["meddra_code"], t["soc"]["en"] = row[0], row[1]
        listed = {g["grade"] for g in t["grades"]}
        defined = {g for g in range(1, 6) if row[2 + g] != NOT_DEFINED}
        if listed != defined:
            sys.exit(f"terms[{i}] ({t['code']}): grades {sorted(listed)}, NCI defines {sorted(defined)}; "
                     "add or remove them by hand (with their Japanese)")
        for g in t["grades"]:
            g["en"] = row[2 + g["grade"]]
    with open(TERMS, "w", encoding="utf-8") as f:
        f.write(dump(terms))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    reference = next((p for p in reference_candidates() if os.path.isfile(p)), None)
    if reference is None:
        print("WARNING: the NCI reference table was not found at", ", ".join(reference_candidates()),
              "- checking against the repo copy", SHIPPED, "only", file=sys.stderr)
        if not os.path.isfile(SHIPPED):
            print("FAIL: neither the NCI reference table nor the shipped copy", SHIPPED, "exists", file=sys.stderr)
            return 1
        source = SHIPPED
    else:
        source = reference
        with open(reference, "rb") as f:
            want = f.read()
        have = open(SHIPPED, "rb").read() if os.path.isfile(SHIPPED) else None
        if have != want:
            print(f"FAIL: {SHIPPED} is not a verbatim copy of {reference}", file=sys.stderr)
            return 1
    table = read_table(source)
    with open(TERMS, encoding="utf-8") as f:
        terms = json.load(f)
    if mode == "--write":
        write(table, terms)
        return 0
    problems = check(table, terms)
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    if not problems:
        print(f"ok: {len(terms['terms'])} common terms match {source} ({len(table)} NCI terms)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
