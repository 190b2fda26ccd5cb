-- PostgreSQL twin of src/store/sqlite/0020_signal_reports.sql, which says why and what the two
-- lists hold: one row per report, its lot ids (11,458) and its events as netstrings
-- (5:E0012,5:E0035,), the same text on both backends, derived from ae_signal_pairs. It must
-- change with that file (meson test pg_schema_parity compares the two schemas). This is the
-- table the PostgreSQL store's signal reader copies (store_pg_signals.c). The database is UTF8
-- (sqldb_pg refuses another), so octet_length counts the bytes the reader is sent.

CREATE VIEW ae_signal_reports_joined AS
SELECT r.report_id AS report_id,
       (SELECT string_agg(lot_id::text, ',' ORDER BY lot_id) FROM ae_signal_pairs
         WHERE report_id = r.report_id
           AND term_no = (SELECT min(term_no) FROM ae_signal_pairs WHERE report_id = r.report_id)) AS lot_ids,
       (SELECT string_agg(octet_length(event) || ':' || event || ',', '' ORDER BY term_no) FROM ae_signal_pairs
         WHERE report_id = r.report_id
           AND lot_id = (SELECT min(lot_id) FROM ae_signal_pairs WHERE report_id = r.report_id)) AS events
FROM (SELECT DISTINCT report_id FROM ae_signal_pairs) r;

CREATE TABLE ae_signal_reports (
    report_id BIGINT PRIMARY KEY,
    lot_ids   TEXT   NOT NULL,
    events    TEXT   NOT NULL
);

-- In key order: the table's rows lie as the reader's COPY reads them.
INSERT INTO ae_signal_reports SELECT * FROM ae_signal_reports_joined ORDER BY report_id;

-- A statement that adds or takes away pairs: the rows of the reports it touched again from the
-- definition, once per statement (0017's triggers replace a report's pairs in one DELETE and
-- one INSERT). The touched reports are given to the view as an array, a condition PostgreSQL
-- takes into the view's subquery and to the table's key. SQLite's triggers run per row, with
-- the same names.
CREATE FUNCTION ae_signal_reports_pairs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[] := ARRAY(SELECT DISTINCT report_id FROM changed_pairs);
BEGIN
    IF cardinality(touched) = 0 THEN
        RETURN NULL;
    END IF;
    DELETE FROM ae_signal_reports WHERE report_id = ANY (touched);
    INSERT INTO ae_signal_reports SELECT * FROM ae_signal_reports_joined WHERE report_id = ANY (touched)
        ORDER BY report_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER ae_signal_reports_pair AFTER INSERT ON ae_signal_pairs
REFERENCING NEW TABLE AS changed_pairs
FOR EACH STATEMENT EXECUTE FUNCTION ae_signal_reports_pairs();

CREATE TRIGGER ae_signal_reports_pair_gone AFTER DELETE ON ae_signal_pairs
REFERENCING OLD TABLE AS changed_pairs
FOR EACH STATEMENT EXECUTE FUNCTION ae_signal_reports_pairs();
