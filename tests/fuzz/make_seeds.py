#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ from the project's own data: the logger files
and signal extracts of tests/data, the answers of tests/data/questionnaire and screening, the
ad-check cases, a plausible body for every field table of src/http/routes.c, and a path for
every route. Run from the source root after the data or the routes change; the seeds are
committed, so the replay tests do not depend on this script."""
import json
import os
import re
import shutil

CORPUS = 'tests/fuzz/corpus'


def put(name, key, data):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    safe = re.sub(r'[^A-Za-z0-9_.-]+', '_', key)[:80]
    with open(os.path.join(d, safe), 'wb') as f:
        f.write(data)


def reset(name):
    shutil.rmtree(os.path.join(CORPUS, name), ignore_errors=True)


# Logger CSV: the first byte is the unit assumed when the file does not say.
reset('temp_csv')
for fn in sorted(os.listdir('tests/data/coldchain')):
    if fn.endswith(('.csv', '.tsv')):
        raw = open(os.path.join('tests/data/coldchain', fn), 'rb').read()
        unit = b'F' if 'fahrenheit' in fn else b'-'
        put('temp_csv', fn, unit + raw)
put('temp_csv', 'utf16le_bom.csv', b'-' + '\ufeffTime,Temp(°C)\n2026-03-01 01:00,5.0\n'.encode('utf-16-le'))

# Signals extracts: the first byte's low bit is by_lot.
reset('signals_csv')
for fn in sorted(os.listdir('tests/data/signals')):
    if fn.endswith('.csv'):
        raw = open(os.path.join('tests/data/signals', fn), 'rb').read()
        put('signals_csv', fn, (b'\x01' if 'lots' in fn else b'\x00') + raw)
put('signals_csv', 'quoted.csv', b'\x00report_id,product,event\n"r1","Exo ""A""",rash\nr1,"B,1",fever\r\nr2,A,rash\n')

# Questionnaire answers and screening: the first byte's low bit picks version 1 (odd) or 2.
reset('questionnaire')
reset('screening')
for i, case in enumerate(json.load(open('tests/data/questionnaire/answers.json'))):
    put('questionnaire', 'answers_%02d' % i, b'\x01' + json.dumps(case['answers'], ensure_ascii=False).encode())
for version, fn in ((1, 'cases.json'), (2, 'cases-v2.json')):
    for i, case in enumerate(json.load(open(os.path.join('tests/data/screening', fn)))):
        answers = json.dumps(case['answers'], ensure_ascii=False)
        first = b'\x01' if version == 1 else b'\x00'
        put('questionnaire', 'v%d_screening_%02d' % (version, i), first + answers.encode())
        # byte 0 bit 1: today from the second line; the date of birth first.
        put('screening', 'v%d_%02d' % (version, i), first + b'1981-02-28\n' + answers.encode())
        if i % 5 == 0:
            put('screening', 'v%d_%02d_today' % (version, i),
                bytes([first[0] | 2]) + b'2000-02-29\n2026-12-31\n' + answers.encode())

# Ad checker: the first byte's low bit is HTML.
reset('adcheck')
cases = json.load(open('tests/data/adcheck/cases.json'))['cases']
for i, case in enumerate(cases):
    texts = case.get('flag', []) + case.get('pass', []) + case.get('near_miss', [])
    if texts:
        put('adcheck', 'case_%03d' % i, b'\x00' + '\n'.join(texts).encode())
        put('adcheck', 'case_%03d_html' % i, b'\x01' + ('<!doctype html><html><head><meta name="description" content="%s">'
            '<title>クリニック</title></head><body><p>%s</p><img alt="%s"><!-- 必ず --></body></html>'
            % (texts[0], '</p><p>'.join(texts), texts[-1])).encode())

# Input validation: "METHOD PATH" then a body with a plausible value for every field.
reset('input_json')
src = open('src/http/routes.c').read()
tables = {}
for m in re.finditer(r'static const field_spec (\w+)\[\] = \{(.*?)\n\};', src, re.S):
    fields = re.findall(r'\{"(\w+)", (FIELD_\w+), (true|false), (-?\w+), (-?\w+), (-?\w+), (-?\w+)', m.group(2))
    tables[m.group(1)] = fields
SAMPLE = {'email': 'hanako@example.jp', 'password': 'correct horse battery staple', 'name': '山田 花子',
          'name_kana': 'ヤマダ ハナコ', 'birth_date': '1980-04-01', 'sex': 'female', 'phone': '090-1234-5678',
          'postal_code': '150-0001', 'address': '東京都渋谷区神南1-2-3', 'lang': 'ja', 'role': 'doctor',
          'token': 'a' * 40, 'date': '2026-12-24', 'time': '10:30', 'reason': '患者の希望により変更'}


def number(v, default):
    try:
        return int(v)
    except ValueError:
        return default


for m in re.finditer(r'\{"(GET|POST|PUT|PATCH|DELETE)", "([^"]+)", [^,]+, (\w+),', src):
    method, path, table = m.groups()
    if table not in tables:
        continue
    body = {}
    for name, ftype, _required, min_chars, max_chars, min_value, max_value in tables[table]:
        if ftype == 'FIELD_STRING':
            body[name] = SAMPLE.get(name, 'テスト')
        elif ftype == 'FIELD_INTEGER':
            body[name] = max(number(min_value, 1), 1) if number(max_value, 2) >= 1 else number(min_value, 0)
        elif ftype == 'FIELD_NUMBER':
            body[name] = 2.5
        elif ftype == 'FIELD_BOOLEAN':
            body[name] = True
        elif ftype == 'FIELD_ARRAY':
            body[name] = [1]
        elif ftype == 'FIELD_OBJECT':
            body[name] = {}
    key = method + '_' + path
    put('input_json', key, '%s %s\n%s' % (method, path, json.dumps(body, ensure_ascii=False)))
answers = json.load(open('tests/data/questionnaire/answers.json'))[1]['answers']
put('input_json', 'answers_en', 'en POST /api/v1/questionnaire/responses\n' +
    json.dumps({'questionnaire_id': 'exosome-cream', 'answers': answers}, ensure_ascii=False))

# Routing: "METHOD\nPATH" for every route, ids filled in, some percent-encoded.
reset('route')
for i, m in enumerate(re.finditer(r'\{"(GET|POST|PUT|PATCH|DELETE)", "([^"]+)"', src)):
    method, path = m.groups()
    filled = path.replace('{id}', '12', 1).replace('{id}', '3')
    put('route', '%03d' % i, '%s\n%s' % (method, filled))
    if i % 4 == 0:
        put('route', '%03d_escaped' % i, '%s\n%s' % (method, filled.replace('/', '%2F', 2).replace('v1', '%76%31')))
put('route', 'nul', 'GET\n/api/v1/lots/1%00/recall')
put('route', 'overflow', 'GET\n/api/v1/lots/9223372036854775808')
