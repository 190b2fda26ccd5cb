#!/usr/bin/python3
"""Checks an ICH E2B(R3) ICSR (XML) against the FDA's E2B(R3) data-element table and example.

usage: check_icsr.py REFERENCE_DIR ICSR.xml [ICSR.xml ...]

REFERENCE_DIR holds, from the FDA Regional Implementation Specifications for ICH E2B(R3):
  icsr_data_elements.csv   the data elements with their ICH conformance, maximum length,
                           allowed values, code-system OIDs and XPaths
  FAERS2022Scenario6.xml   the FDA's example instance that holds every element
Both must be there: a missing file is an error, never a skip.

For each file, for every ICH element (rows whose SOURCE is ICH) that the FDA's XPath can
locate (the XPath is read as its element steps and the predicates on its last steps, see
locate()):
  * required: an element whose ICH CONFORMANCE is "Required" is present in every instance of
    its repeating parent (one per reaction for E.i.*, one per drug for G.k.*), with a value or
    an allowed nullFlavor;
  * length: a value is no longer than MAX LENGTH;
  * allowed values: a coded value ("1=…", "true, nullFlavor: NI") is one of VALUES ALLOWED;
    numeric data types are digits; dates are CCYYMMDD[hhmmss] at least to the precision the
    table asks;
  * OIDs: a codeSystem attribute on the element is one of the table's "Code system OID"s;
and for the document as a whole:
  * every element path (root to element, names only) occurs in the example instance.
Prints one line per problem and "N problems" and exits 1 when there are any, else prints
"ok" and exits 0.
"""
import csv
import os
import re
import sys
import xml.etree.ElementTree as ET

HL7 = "{urn:hl7-org:v3}"


def local(tag):
    return tag.split("}")[-1]


def element_paths(root):
    paths = set()

    def walk(e, prefix):
        p = prefix + "/" + local(e.tag)
        paths.add(p)
        for c in e:
            if isinstance(c.tag, str):
                walk(c, p)

    walk(root, "")
    return paths


# ---- the FDA's XPaths, read as steps ----

PRED = re.compile(r"\[((?:[^\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\])*)\]")


def raw_steps(xpath):
    """'/a[@x='1']/b[c/d]/@v' -> ["a[@x='1']", "b[c/d]", "@v"]: splits on '/' outside brackets."""
    steps, depth, cur = [], 0, ""
    for ch in xpath.strip():
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "/" and depth == 0:
            if cur:
                steps.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        steps.append(cur)
    return steps


def split_steps(xpath):
    """'/a[@x='1']/b[c/d[@e='2']]/@v' -> [('a', ["@x='1'"]), ('b', ["c/d[@e='2']"]), ('@v', [])]"""
    out = []
    for s in raw_steps(xpath):
        head = s.split("[", 1)[0]
        out.append((head.strip(), [p.strip() for p in PRED.findall(s[len(head):])]))
    return out


ATTR_EQ = re.compile(r"^@([A-Za-z:]+)\s*=\s*'([^']*)'$")


def attr(e, name):
    if name.startswith("xsi:"):
        return e.get("{http://www.w3.org/2001/XMLSchema-instance}" + name[4:])
    return e.get(name)


def pred_holds(e, pred):
    """The predicates the FDA table uses: @a='v', a position number, a relative path with
    an optional last predicate (code[@code='29'][@codeSystem='…']), 'r', 'i', 'k'
    (repetition placeholders: any). Placeholders like 'UUID of k-th drug' hold."""
    if pred in ("r", "i", "k") or pred.isdigit():
        return True  # repeats and positions: every instance is checked
    m = ATTR_EQ.match(pred)
    if m:
        name, value = m.groups()
        if "UUID of" in value:
            return attr(e, name) is not None
        return attr(e, name) == value
    # A relative path: holds when some descendant along it satisfies its predicates.
    return bool(select([e], split_steps(pred)))


def select(nodes, steps):
    for name, preds in steps:
        nxt = []
        for n in nodes:
            for c in n:
                if not isinstance(c.tag, str) or local(c.tag) != name:
                    continue
                if all(pred_holds(c, p) for p in preds):
                    nxt.append(c)
        nodes = nxt
    return nodes


def locate(root, xpath):
    """The elements the XPath's element steps select, and what it reads from them
    ('@attr', 'text()' or None for the element itself)."""
    steps = split_steps(xpath)
    if not steps or steps[0][0] != local(root.tag):
        return None, None
    target = None
    if steps[-1][0].startswith("@") or steps[-1][0] == "text()":
        target = steps[-1][0]
        steps = steps[:-1]
    nodes = [root] if all(pred_holds(root, p) for p in steps[0][1]) else []
    return select(nodes, steps[1:]), target


# ---- the element table ----

def load_elements(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[1]
    # Columns by position: the header repeats names (CONFORMANCE for ICH, Post-Market, …).
    col = {"source": 0, "number": 2, "name": 3, "max_length": 4, "data_type": 5, "values": 6,
           "ich_conformance": 7, "ich_rules": 8, "oid": 29, "xpath": 32, "null_xpath": 33}
    assert header[7].strip() == "CONFORMANCE" and rows[0][7].strip() == "ICH", "CSV layout changed: ICH conformance"
    assert header[29].strip() == "Code system OID" and rows[0][32].strip() == "Xpath", "CSV layout changed: OID/XPath"
    elements = []
    for r in rows[2:]:
        if len(r) <= 33 or r[0].strip() != "ICH" or r[2].strip() in ("", "(Header)"):
            continue
        e = {k: r[i].strip() for k, i in col.items()}
        e["null_flavors"] = [n for n, i in zip(["NI", "MSK", "UNK", "NA", "ASKU", "NASK", "NINF", "PINF", "OTH"], range(20, 29))
                             if r[i].strip().lower() == "yes"]
        elements.append(e)
    return elements


CODED = re.compile(r"(?:^|[\s/,])(\d+)\s*=")


def allowed_codes(values):
    """'1=Spontaneous report / 2=…' -> {'1','2',…}; 'true, nullFlavor: NI' -> {'true'}."""
    codes = set(CODED.findall(values))
    if not codes:
        low = values.lower()
        for b in ("true", "false"):
            if re.search(r"\b" + b + r"\b", low):
                codes.add(b)
    return codes


def allowed_null_flavors(element):
    m = re.search(r"nullFlavor\s*:\s*([A-Z ,*]+)", element["values"])
    listed = {n.strip(" *") for n in m.group(1).split(",")} if m else set()
    return listed | set(element["null_flavors"])


# ICH dates: CCYY[MM[DD[hh[mm[ss]]]]][+/-ZZzz]; some elements ask a minimum precision.
DATE = re.compile(r"^(\d{4}|\d{6}|\d{8}|\d{10}|\d{12}|\d{14})(\.\d+)?([+-]\d{4})?$")


def check_value(element, value, where, problems):
    number = element["number"]
    if element["max_length"].isdigit() and len(value) > int(element["max_length"]):
        problems.append(f"{number} ({where}): '{value[:40]}' is longer than {element['max_length']}")
    dtype = element["data_type"]
    if dtype == "N" and not re.fullmatch(r"\d+(\.\d+)?", value):
        problems.append(f"{number} ({where}): '{value}' is not numeric")
    if dtype == "Date/Time":
        m = DATE.match(value)
        rules = element["ich_rules"].lower()
        if not m:
            problems.append(f"{number} ({where}): '{value}' is not CCYY[MM[DD[hhmmss]]][+/-ZZzz]")
        elif "to the second" in rules and len(m.group(1)) < 14:
            problems.append(f"{number} ({where}): '{value}' is not precise to the second")
        elif "precision required is the day" in rules and len(m.group(1)) < 8:
            problems.append(f"{number} ({where}): '{value}' is not precise to the day")
    codes = allowed_codes(element["values"])
    if codes and value not in codes:
        problems.append(f"{number} ({where}): '{value}' is not one of {sorted(codes)}")
    if number == "E.i.2.1a" and not re.fullmatch(r"\d{1,2}\.\d", value):
        problems.append(f"{number} ({where}): MedDRA version '{value}' is not N.N")


def check_oid(element, node, where, problems):
    system = node.get("codeSystem")
    oids = [o.strip() for o in re.split(r"[\s,]+", element["oid"]) if re.fullmatch(r"[0-9.]+", o.strip())]
    if system is not None and oids and system not in oids:
        problems.append(f"{element['number']} ({where}): codeSystem {system} is not one of {oids}")


def parent_instances(root, xpath):
    """The instances of the repeating parent an element belongs to: the XPath up to its last
    repetition placeholder ([r], [i] or [k]) below the message; the root when it has none."""
    steps = split_steps(xpath)
    last = None
    for n, (name, preds) in enumerate(steps):
        if n > 1 and any(p in ("r", "i", "k") for p in preds):
            last = n
    if last is None:
        return [root]
    nodes, _ = locate(root, "/" + "/".join(raw_steps(xpath)[: last + 1]))
    return nodes or []


def check(doc_path, elements, example_paths):
    problems = []
    try:
        root = ET.parse(doc_path).getroot()
    except ET.ParseError as e:
        return [f"not well-formed XML: {e}"]
    for p in sorted(element_paths(root) - example_paths):
        problems.append(f"element path not in the FDA example instance (scenario 6): {p}")
    for el in elements:
        xpath = el["xpath"]
        if not xpath.startswith("/MCCI_IN200100UV01"):
            continue
        nodes, target = locate(root, xpath)
        if nodes is None:
            continue
        values = []
        for n in nodes:
            v = n.text if target == "text()" else (attr(n, target[1:]) if target else None)
            where = local(n.tag)
            if v is not None:
                values.append(v)
                check_value(el, v.strip() if target != "text()" else v, where, problems)
                check_oid(el, n, where, problems)
            nf = n.get("nullFlavor")
            if nf is not None and nf not in allowed_null_flavors(el):
                problems.append(f"{el['number']} ({where}): nullFlavor {nf} is not allowed ({sorted(allowed_null_flavors(el))})")
        if el["ich_conformance"].startswith("Required"):
            # Present with a value, or a nullFlavor the table allows, in every parent instance.
            parents = parent_instances(root, xpath)
            if not parents:
                continue  # the repeating parent is absent: its own conformance is checked by its row
            for parent in parents:
                found = False
                for n in nodes:
                    if n is parent or any(n is d for d in parent.iter()):
                        v = n.text if target == "text()" else (attr(n, target[1:]) if target else "")
                        if (v is not None and v.strip() != "") or n.get("nullFlavor") in allowed_null_flavors(el):
                            found = True
                if el["null_xpath"] and not found:
                    nn, nt = locate(root, el["null_xpath"])
                    for n in nn or []:
                        if (n is parent or any(n is d for d in parent.iter())) and n.get("nullFlavor") in allowed_null_flavors(el):
                            found = True
                if not found:
                    problems.append(f"{el['number']} {el['name']}: required, missing (in {local(parent.tag)})")
    return problems


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    ref = argv[1]
    csv_path = os.path.join(ref, "icsr_data_elements.csv")
    example = os.path.join(ref, "FAERS2022Scenario6.xml")
    for p in (csv_path, example):
        if not os.path.isfile(p):
            print(f"check_icsr: missing reference file {p}", file=sys.stderr)
            return 2
    elements = load_elements(csv_path)
    example_paths = element_paths(ET.parse(example).getroot())
    total = 0
    for doc in argv[2:]:
        problems = check(doc, elements, example_paths)
        for p in problems:
            print(f"{doc}: {p}")
        total += len(problems)
    if total:
        print(f"{total} problems")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
