#!/usr/bin/env python3
"""Checks that every audit action the code writes has words for the audit page.

usage: check_audit_actions.py SRC_DIR
Collects the dotted lower-case string literals ("order.ship") in src/service, src/http and
src/cli outside comments and #include lines — the audit action codes, passed to
audit_row_make / store_audit_now or through a helper — and fails naming any that is missing
from src/core/audit_actions.c. A dotted literal that is not an action (a file name) is listed
in NOT_ACTIONS below."""
import os
import re
import sys

NOT_ACTIONS = {'upload.csv', 'ingest.csv', 'audit-log.csv', 'clinic.name'}
LITERAL = re.compile(r'"([a-z_]+(?:\.[a-z_]+)+)"')


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else 'src'
    with open(os.path.join(src, 'core', 'audit_actions.c'), encoding='utf-8') as f:
        known = set(re.findall(r'^\s*\{"([^"]+)",', f.read(), flags=re.M))
    missing = []
    for part in ('service', 'http', 'cli'):
        for dirpath, _, files in os.walk(os.path.join(src, part)):
            for name in sorted(files):
                if not name.endswith('.c'):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding='utf-8') as f:
                    text = strip_comments(f.read())
                for number, line in enumerate(text.split('\n'), 1):
                    if line.lstrip().startswith('#include'):
                        continue
                    for code in LITERAL.findall(line):
                        if code not in known and code not in NOT_ACTIONS:
                            missing.append(f'{path}:{number}: "{code}"')
    if missing:
        print('audit actions without a label in src/core/audit_actions.c:')
        print('\n'.join(missing))
        return 1
    print(f'{len(known)} audit actions, each with Japanese and English words')
    return 0


if __name__ == '__main__':
    sys.exit(main())
