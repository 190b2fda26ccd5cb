#!/usr/bin/env python3
"""Keeps the documentation true to the code.

usage: check_docs.py SOURCE_ROOT EXOSAFE_BINARY

- every route in src/http/routes.c has a row in docs/api.md (method and path), and every
  row there names a route that exists;
- every command that `exosafe --help` lists has a line in README.md's CLI section;
- every path the README's feature map names exists.
Exit 1 with each difference named."""
import os
import re
import subprocess
import sys


def routes(root):
    text = open(f'{root}/src/http/routes.c', encoding='utf-8').read()
    return {(m.group(1), re.sub(r'\{[^}]*\}', '{id}', m.group(2)))
            for m in re.finditer(r'\{"(GET|POST|PUT|DELETE|PATCH)",\s*"(/api/[^"]*)"', text)}


def documented(root):
    """(method, path) of each API table row; a path cell may hold several `paths`, and a
    query in backticks may contain '|' (alternatives), so the cell ends at the first '|'
    outside backticks. Parameters are {id} in routes.c whatever the docs call them."""
    found = set()
    for line in open(f'{root}/docs/api.md', encoding='utf-8'):
        m = re.match(r'\|\s*(GET|POST|PUT|DELETE|PATCH)\s*\|', line)
        if not m:
            continue
        cell, quoted = [], False
        for ch in line[m.end():]:
            if ch == '`':
                quoted = not quoted
            elif ch == '|' and not quoted:
                break
            cell.append(ch)
        for path in re.findall(r'`(/api/[^`]*)`', ''.join(cell)):
            found.add((m.group(1), re.sub(r'\{[^}]*\}', '{id}', path.split('?', 1)[0])))
    return found


def cli_commands(binary):
    out = subprocess.run([binary, '--help'], capture_output=True, text=True).stdout
    block = out.split('Commands:', 1)[1].split('\n\n', 1)[0]
    cmds = []
    for line in block.splitlines():
        m = re.match(r'  (\S+(?: [a-z]+)?)\s{2,}', line)
        if m:
            cmds.append(m.group(1))
    return cmds


def main():
    root, binary = sys.argv[1], sys.argv[2]
    problems = []
    code, docs = routes(root), documented(root)
    problems += [f'docs/api.md has no row for {m} {p} (src/http/routes.c)' for m, p in sorted(code - docs)]
    problems += [f'docs/api.md documents {m} {p}, which src/http/routes.c does not serve' for m, p in sorted(docs - code)]
    readme = open(f'{root}/README.md', encoding='utf-8').read()
    cli = readme.split('\n## CLI', 1)[1].split('\n## ', 1)[0]
    for cmd in cli_commands(binary):
        if f'exosafe {cmd}' not in cli:
            problems.append(f'README.md "## CLI" does not show `exosafe {cmd}` (exosafe --help lists it)')
    fmap = readme.split('\n## Feature map', 1)
    if len(fmap) < 2:
        problems.append('README.md has no "## Feature map" section')
    else:
        for path in re.findall(r'`([\w.-]+(?:/[\w.-]+)+)`', fmap[1].split('\n## ', 1)[0]):
            if not os.path.exists(os.path.join(root, path)):
                problems.append(f'README.md "## Feature map" names {path}, which does not exist')
    for p in problems:
        print(p)
    if not code:
        print('no routes found in src/http/routes.c')
        return 1
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
