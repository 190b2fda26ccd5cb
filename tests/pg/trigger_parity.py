#!/usr/bin/env python3
"""The triggers and CHECKs of the two migration sets behave alike (issue 18). The same writes run
on a SQLite database made by src/store/sqlite/*.sql and a PostgreSQL one made by
src/store/pg/*.sql; after each:
  - a write one refuses, the other refuses too (PostgreSQL with SQLSTATE class 23, as SQLite's
    RAISE(ABORT) and CHECKs are SQLITE_CONSTRAINT: both drivers report SQLDB_CONSTRAINT);
  - recall_recipients holds the same rows on both, and on each equals its definition, the view
    recall_recipients_joined (the triggers of 0014_recall_recipients.sql keep it so);
  - ae_signal_pairs likewise holds the same rows on both, and equals its definition, the view
    ae_signal_pairs_joined (the triggers of 0017_signal_pairs.sql);
  - ae_signal_reports too (0020_signal_reports.sql, its view ae_signal_reports_joined): the same
    text lists on both, compared whenever the pairs are;
  - the rows a step reads back are the same.

  EXOSAFE_TEST_PG_URL=postgres://... trigger_parity.py SQLITE_DIR PG_DIR
"""
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schema_parity import apply_sqlite_migration, migrations, psql  # noqa: E402

OK, REFUSED = 'ok', 'refused'
RECALL = 'SELECT * FROM recall_recipients ORDER BY lot_id, patient_id, order_id, dispense_id'
PAIRS = 'SELECT * FROM ae_signal_pairs ORDER BY report_id, lot_id, term_no'
DIFF = ('SELECT count(*) FROM (SELECT * FROM recall_recipients EXCEPT SELECT * FROM recall_recipients_joined) a',
        'SELECT count(*) FROM (SELECT * FROM recall_recipients_joined EXCEPT SELECT * FROM recall_recipients) b',
        'SELECT count(*) FROM (SELECT * FROM ae_signal_pairs EXCEPT SELECT * FROM ae_signal_pairs_joined) c',
        'SELECT count(*) FROM (SELECT * FROM ae_signal_pairs_joined EXCEPT SELECT * FROM ae_signal_pairs) d',
        'SELECT count(*) FROM (SELECT * FROM ae_signal_reports EXCEPT SELECT * FROM ae_signal_reports_joined) e',
        'SELECT count(*) FROM (SELECT * FROM ae_signal_reports_joined EXCEPT SELECT * FROM ae_signal_reports) f')
# Whenever the pairs are compared, the per-report rows are too.
REPORTS = 'SELECT * FROM ae_signal_reports ORDER BY report_id'

# (SQL, expected outcome, optional query whose rows must agree). Explicit ids: both backends give
# the same rows whatever their id sequences do.
STEPS = [
    ("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES"
     " (1, 'p1@example.jp', '山田 花子', 'patient', 'h', 1), (2, 'd@example.jp', 'Dr', 'doctor', 'h', 1),"
     " (3, 'p2@example.jp', 'Two', 'patient', 'h', 1)", OK),
    ("INSERT INTO products (id, code, name_ja, name_en, form, manufacturer, country, source_cell_type,"
     " storage_min_c, storage_max_c, excursion_allowance_minutes, shelf_life_days, price_jpy, tax_rate_percent,"
     " created_at) VALUES (1, 'P1', '製品', 'Product', 'jar', 'M', 'JP', 'cell', 2, 8, 30, 365, 1000, 10, 1)", OK),
    ("INSERT INTO lots (id, product_id, lot_number, manufactured_on, expires_on, quantity_received,"
     " quantity_available, status, received_at, received_by) VALUES"
     " (1, 1, 'L1', '2026-01-01', '2027-01-01', 10, 10, 'released', 1, 2),"
     " (2, 1, 'L2', '2026-01-01', '2027-01-01', 10, 10, 'released', 1, 2)", OK),
    ("UPDATE lots SET quantity_available = -1 WHERE id = 1", REFUSED),
    ("UPDATE lots SET quantity_available = 11 WHERE id = 1", REFUSED),
    ("INSERT INTO questionnaire_responses (id, patient_id, questionnaire_id, questionnaire_version, answers_json,"
     " flags_json, worst_level, submitted_at) VALUES (1, 1, 'q', 1, '{}', '[]', 'none', 1),"
     " (2, 3, 'q', 1, '{}', '[]', 'none', 1)", OK),
    ("UPDATE questionnaire_responses SET worst_level = 'block' WHERE id = 1", REFUSED),
    ("DELETE FROM questionnaire_responses WHERE id = 2", REFUSED),
    ("INSERT INTO consent_acceptances (id, patient_id, consent_id, consent_version, lang, text_sha256, accepted_at)"
     " VALUES (1, 1, 'c', 1, 'ja', 'sha', 1), (2, 3, 'c', 1, 'en', 'sha', 1)", OK),
    ("UPDATE consent_acceptances SET lang = 'en' WHERE id = 1", REFUSED),
    ("UPDATE consent_acceptances SET withdrawn_at = 5 WHERE id = 1", OK),
    ("UPDATE consent_acceptances SET withdrawn_at = 6 WHERE id = 1", REFUSED),
    ("DELETE FROM consent_acceptances WHERE id = 2", REFUSED),
    ("INSERT INTO treatment_decisions (id, patient_id, doctor_id, response_id, consent_id, decision, notes, product,"
     " quantity, valid_until, decided_at) VALUES (1, 1, 2, 1, 1, 'approved', 'n', 'P1', 2, '2027-01-01', 1)", OK),
    ("INSERT INTO treatment_decisions (id, patient_id, doctor_id, response_id, consent_id, decision, notes,"
     " decided_at) VALUES (2, 3, 2, 2, NULL, 'approved', 'n', 1)", REFUSED),
    ("INSERT INTO treatment_decisions (id, patient_id, doctor_id, response_id, consent_id, decision, notes, product,"
     " quantity, valid_until, decided_at) VALUES (2, 3, 2, 2, 2, 'approved', 'n', 'P1', 1, '2027-01-01', 1)", OK),
    ("INSERT INTO orders (id, patient_id, decision_id, product_id, quantity, unit_price_jpy, total_jpy, status,"
     " payment_method, ship_name, ship_postal_code, ship_address, ship_phone, created_at) VALUES"
     " (1, 1, 1, 1, 2, 1000, 2000, 'paid', 'bank_transfer', '山田 花子', '100-0001', '東京都千代田区', '090', 1),"
     " (2, 3, 2, 1, 1, 1000, 1000, 'paid', 'cash_on_delivery', 'Two', '530-0001', '大阪府', '080', 1)", OK),
    ("INSERT INTO dispenses (id, order_id, lot_id, quantity, dispensed_at, dispensed_by) VALUES"
     " (1, 1, 1, 1, 5, 2), (2, 1, 2, 1, 5, 2), (3, 2, 1, 1, 6, 2)", OK, RECALL),
    ("INSERT INTO dispenses (id, order_id, lot_id, quantity, dispensed_at, dispensed_by) VALUES (4, 1, 1, 0, 5, 2)",
     REFUSED),
    ("INSERT INTO dispenses (id, order_id, lot_id, quantity, dispensed_at, dispensed_by) VALUES (4, 99, 1, 1, 5, 2)",
     REFUSED),
    ("INSERT INTO shipments (id, order_id, carrier, tracking_number, shipped_at, recorded_by) VALUES"
     " (1, 1, 'yamato', '1234-5678', 7, 2)", OK, RECALL),
    ("UPDATE shipments SET delivered_at = 9 WHERE id = 1", OK, RECALL),
    ("INSERT INTO recall_tracking (id, lot_id, dispense_id, order_id, patient_id, created_at, updated_at,"
     " updated_by) VALUES (1, 1, 1, 1, 1, 10, 10, 0), (2, 1, 3, 2, 3, 10, 10, 0)", OK, RECALL),
    ("UPDATE recall_tracking SET status = 'notified', notified_at = 11, acknowledged_at = 11 WHERE id = 1", OK, RECALL),
    ("UPDATE recall_tracking SET status = 'gone' WHERE id = 1", REFUSED),
    ("UPDATE recall_tracking SET status = 'returned', closed_on = '2026-12-01', contact_notes = '電話済み'"
     " WHERE id = 2", OK, RECALL),
    ("UPDATE users SET name = '山田 花' WHERE id = 1", OK, RECALL),
    ("UPDATE users SET email = 'new@example.jp' WHERE id = 3", OK, RECALL),
    ("INSERT INTO patient_profiles (user_id, name_kana, birth_date, sex, phone) VALUES"
     " (1, 'ヤマダ ハナコ', '1980-01-01', 'female', '090')", OK, RECALL),
    ("UPDATE patient_profiles SET name_kana = 'ヤマダ ハナ' WHERE user_id = 1", OK, RECALL),
    ("UPDATE patient_profiles SET sex = 'x' WHERE user_id = 1", REFUSED),
    ("DELETE FROM patient_profiles WHERE user_id = 1", OK, RECALL),
    ("UPDATE orders SET ship_address = '大阪府大阪市', ship_phone = '091' WHERE id = 1", OK, RECALL),
    ("UPDATE orders SET status = 'shipped' WHERE id = 1", OK, RECALL),
    ("UPDATE dispenses SET quantity = 2 WHERE id = 3", OK, RECALL),
    ("DELETE FROM recall_tracking WHERE id = 1", OK, RECALL),
    ("DELETE FROM shipments WHERE id = 1", OK, RECALL),
    ("DELETE FROM dispenses WHERE id = 2", OK, RECALL),
    # ae_signal_pairs (0017): a report's latest assessment × its suspect lots × its terms.
    ("INSERT INTO ae_reports (id, patient_id, reported_by, reporter_role, symptoms_json, description, onset_date,"
     " ongoing, severity, received_at) VALUES (1, 1, 1, 'patient', '[]', '', '2026-02-01', 0, 'mild', 1),"
     " (2, 3, 3, 'patient', '[]', '', '2026-02-01', 0, 'mild', 1)", OK),
    ("INSERT INTO ae_assessments (id, report_id, version, terms_json, death, life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important, serious, outcome, causality, assessed_by, assessed_at) VALUES (1, 1, 1, '[{\"code\":\"10012735\",\"grade\":2},{\"code\":10037087}]',"
     " 0, 0, 0, 0, 0, 0, 0, 'unknown', 'possible', 2, 2)", OK, PAIRS),
    ("INSERT INTO ae_suspect_lots (assessment_id, lot_id) VALUES (1, 1), (1, 2)", OK, PAIRS),
    ("INSERT INTO ae_assessments (id, report_id, version, terms_json, death, life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important, serious, outcome, causality, assessed_by, assessed_at) VALUES (2, 2, 1, 'not json', 0, 0, 0, 0, 0, 0, 0, 'unknown', 'possible', 2, 2),"
     " (3, 2, 2, '[{\"code\":1.5},{\"code\":\"x\",\"code\":\"y\"},7,{\"code\":-0}]',"
     " 0, 0, 0, 0, 0, 0, 0, 'unknown', 'possible', 2, 3)", OK, PAIRS),
    ("INSERT INTO ae_suspect_lots (assessment_id, lot_id) VALUES (2, 1), (3, 2)", OK, PAIRS),
    ("DELETE FROM ae_suspect_lots WHERE assessment_id = 1 AND lot_id = 1", OK, PAIRS),
    ("UPDATE ae_suspect_lots SET lot_id = 1 WHERE assessment_id = 3", OK, PAIRS),
    # A new version replaces the pairs; its lots bring them back with its terms.
    ("INSERT INTO ae_assessments (id, report_id, version, terms_json, death, life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important, serious, outcome, causality, assessed_by, assessed_at) VALUES (4, 1, 2, '[{\"code\":\"発熱\"},{\"code\":99999999999999999999}]',"
     " 0, 0, 0, 0, 0, 0, 0, 'unknown', 'possible', 2, 4)", OK, PAIRS),
    ("INSERT INTO ae_suspect_lots (assessment_id, lot_id) VALUES (4, 2)", OK, PAIRS),
    ("INSERT INTO ae_assessments (id, report_id, version, terms_json, death, life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important, serious, outcome, causality, assessed_by, assessed_at) VALUES (5, 1, 3, ' [ {\"code\" : \"発熱\"} , {\"grade\":1} ] ',"
     " 0, 0, 0, 0, 0, 0, 0, 'unknown', 'possible', 2, 5)", OK, PAIRS),
    ("INSERT INTO ae_suspect_lots (assessment_id, lot_id) VALUES (5, 2), (5, 1), (1, 1)", OK, PAIRS),
    ("UPDATE ae_assessments SET terms_json = '[]' WHERE id = 5", REFUSED),
    # A code with a quote, a backslash, a comma, a colon and control characters, and one of
    # several bytes a character: the netstrings of ae_signal_reports count bytes alike. No line
    # break: psql's rows are lines.
    ("INSERT INTO ae_assessments (id, report_id, version, terms_json, death, life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important, serious, outcome, causality, assessed_by, assessed_at) VALUES (6, 2, 3, '[{\"code\":\"q\\\"b\\\\c,1:\\u0001d\\te\"},{\"code\":\"発熱\"}]',"
     " 0, 0, 0, 0, 0, 0, 0, 'unknown', 'possible', 2, 6)", OK, PAIRS),
    ("INSERT INTO ae_suspect_lots (assessment_id, lot_id) VALUES (6, 2), (6, 1)", OK, PAIRS),
    ("INSERT INTO audit_log (id, at, actor_id, actor_role, action, object, detail, prev_hash, hash) VALUES"
     " (1, 1, 0, 'system', 'a', 'o', 'd', 'p', 'h')", OK),
    ("UPDATE audit_log SET detail = 'x' WHERE id = 1", REFUSED),
    ("DELETE FROM audit_log WHERE id = 1", REFUSED),
    ("UPDATE clinics SET postal_code = '1000001' WHERE id = 1", REFUSED),
    ("UPDATE clinics SET postal_code = '１００-０００１' WHERE id = 1", REFUSED),
    ("UPDATE clinics SET postal_code = '100-0001', bank_account_number = '1234567' WHERE id = 1", OK),
    ("UPDATE clinics SET bank_account_number = '123456' WHERE id = 1", REFUSED),
    ("UPDATE clinics SET bank_account_number = '12345678' WHERE id = 1", REFUSED),
    ("UPDATE clinics SET is_demo = 2 WHERE id = 1", REFUSED),
    # The next clinic gets id 2 on both (PostgreSQL's identity was moved past the row 0009 inserts).
    ("INSERT INTO clinics (name) VALUES ('二つ目')", OK, 'SELECT id, name, postal_code FROM clinics ORDER BY id'),
    ("INSERT INTO mail_outbox (to_address, kind, subject, body_text, created_at, next_attempt_at)"
     " VALUES ('a@b', 'k', 's', 'b', 1, 1)", OK, 'SELECT id, status, attempts, not_before FROM mail_outbox'),
    ("INSERT INTO mail_outbox (to_address, kind, subject, body_text, created_at, next_attempt_at)"
     " VALUES ('ab', 'k', 's', 'b', 1, 1)", REFUSED),
]


def sqlite_run(db, sql, query):
    try:
        db.execute(sql)
        db.commit()
    except sqlite3.IntegrityError as e:
        db.rollback()
        return REFUSED, str(e), None
    # As text, the way psql prints them (NULL as ''): what the rows hold, not how a driver types it.
    rows = [tuple('' if v is None else str(v) for v in r) for r in db.execute(query)] if query else None
    if query == PAIRS:
        rows += [tuple(str(v) for v in r) for r in db.execute(REPORTS)]
    diff = [db.execute(q).fetchone()[0] for q in DIFF]
    return OK, '', (rows, diff)


def pg_run(url, sql, query):
    r = subprocess.run(['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose',
                        '-d', url, '-c', sql], capture_output=True, text=True)
    if r.returncode != 0:
        m = re.search(r'ERROR:\s+([0-9A-Z]{5}):', r.stderr)
        return REFUSED, (m.group(1) if m else '?') + ' ' + r.stderr.strip().splitlines()[0], None
    rows = None
    if query:
        out = psql(url, '\\pset fieldsep \'\\037\'\n' + query + ';')
        rows = [tuple(line.split('\x1f')) for line in out.splitlines() if line != '']
        if query == PAIRS:
            out = psql(url, '\\pset fieldsep \'\\037\'\n' + REPORTS + ';')
            rows += [tuple(line.split('\x1f')) for line in out.splitlines() if line != '']
    diff = [int(psql(url, q + ';').strip()) for q in DIFF]
    return OK, '', (rows, diff)


def main():
    if len(sys.argv) != 3 or not os.environ.get('EXOSAFE_TEST_PG_URL'):
        print(__doc__, file=sys.stderr)
        return 2
    base_url = os.environ['EXOSAFE_TEST_PG_URL']
    lite = sqlite3.connect(':memory:')
    lite.execute('PRAGMA foreign_keys = ON')
    for f in migrations(sys.argv[1]):
        with open(f, encoding='utf-8') as fh:
            apply_sqlite_migration(lite, fh.read())
    dbname = f'triggers_{os.getpid()}'
    psql(base_url, f'CREATE DATABASE {dbname};')
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(base_url)._replace(path='/' + dbname))
    failures = 0
    try:
        for f in migrations(sys.argv[2]):
            with open(f, encoding='utf-8') as fh:
                psql(url, 'BEGIN;\n' + fh.read() + '\nCOMMIT;\n')
        for n, step in enumerate(STEPS, 1):
            sql, want = step[0], step[1]
            query = step[2] if len(step) > 2 else None
            a, a_msg, a_rows = sqlite_run(lite, sql, query)
            b, b_msg, b_rows = pg_run(url, sql, query)
            problems = []
            if a != want:
                problems.append(f'SQLite: {a} {a_msg}')
            if b != want:
                problems.append(f'PostgreSQL: {b} {b_msg}')
            if b == REFUSED and not b_msg.startswith('23'):
                problems.append(f'PostgreSQL refused with {b_msg}, not SQLSTATE class 23')
            if a_rows and b_rows:
                if a_rows[0] != b_rows[0]:
                    problems.append(f'rows differ:\n    SQLite     {a_rows[0]}\n    PostgreSQL {b_rows[0]}')
                for side, rows in (('SQLite', a_rows), ('PostgreSQL', b_rows)):
                    if rows[1] != [0] * len(DIFF):
                        problems.append(f'{side}: recall_recipients, ae_signal_pairs or ae_signal_reports differs from'
                                        f' its definition'
                                        f' {rows[1]}')
            for p in problems:
                print(f'step {n} ({sql[:70]}...): {p}')
            failures += bool(problems)
        if failures:
            print(f'FAIL: {failures} of {len(STEPS)} steps differ')
            return 1
        print(f'ok: {len(STEPS)} writes behave alike on SQLite and PostgreSQL')
        return 0
    finally:
        psql(base_url, f'DROP DATABASE IF EXISTS {dbname};')


if __name__ == '__main__':
    sys.exit(main())
