-- Signal detection's input one row per report (issue 18): the report's suspect lots and its
-- event terms, kept beside 0017's ae_signal_pairs (one row per report × lot × term). A
-- report's pairs are every lot × every term of its latest assessment, so the two lists give
-- them all again: lot by lot in ascending id, each lot's terms in their order. The PostgreSQL
-- store reads this table (src/store/pg/0020_signal_reports.sql): the COPY of a million pair
-- rows cost the server more than the whole CSV path, while a row per report moves a third as
-- many rows (bench/signals/bench_signals_pg). The SQLite store keeps reading the pairs; the
-- table is here so that both backends hold the same schema (meson test pg_schema_parity).
--
-- Both lists are text, the same bytes on both backends, read without a parser of arrays:
--   lot_ids  the lot ids in decimal, ascending, joined by commas: 11,458
--   events   each event code as a netstring (its length in bytes, a colon, the code, a comma),
--            in the terms' order: 5:E0012,5:E0035,
-- A netstring needs no escapes, so any code (commas, quotes, control characters) reads back
-- whole. PostgreSQL arrays (bigint[], text[]) were tried first: the server took a third longer
-- to COPY them than these two texts, each array's elements sent one by one.
--
-- The rows are derived from ae_signal_pairs, never written by the program: the view
-- ae_signal_reports_joined is the definition, and the triggers below keep the table equal to
-- it whenever a pair comes or goes (0017's triggers replace a report's pairs; these follow).
-- A report without pairs (no lot, or no event) has no row. group_concat takes the rows in the
-- subquery's order (SQLite 3.40 has no ORDER BY inside an aggregate), which is key order.

CREATE VIEW ae_signal_reports_joined AS
SELECT r.report_id AS report_id,
       (SELECT group_concat(p.lot_id, ',') FROM
          (SELECT lot_id FROM ae_signal_pairs
            WHERE report_id = r.report_id
              AND term_no = (SELECT min(term_no) FROM ae_signal_pairs WHERE report_id = r.report_id)
            ORDER BY lot_id) p) AS lot_ids,
       (SELECT group_concat(length(CAST(p.event AS BLOB)) || ':' || p.event || ',', '') FROM
          (SELECT event FROM ae_signal_pairs
            WHERE report_id = r.report_id
              AND lot_id = (SELECT min(lot_id) FROM ae_signal_pairs WHERE report_id = r.report_id)
            ORDER BY term_no) p) AS events
FROM (SELECT DISTINCT report_id FROM ae_signal_pairs) r;

CREATE TABLE ae_signal_reports (
    report_id INTEGER PRIMARY KEY,
    lot_ids   TEXT    NOT NULL,
    events    TEXT    NOT NULL
);

INSERT INTO ae_signal_reports SELECT * FROM ae_signal_reports_joined ORDER BY report_id;

-- A pair added or taken away: its report's row again from the definition.
CREATE TRIGGER ae_signal_reports_pair AFTER INSERT ON ae_signal_pairs BEGIN
    DELETE FROM ae_signal_reports WHERE report_id = NEW.report_id;
    INSERT INTO ae_signal_reports SELECT * FROM ae_signal_reports_joined WHERE report_id = NEW.report_id;
END;

CREATE TRIGGER ae_signal_reports_pair_gone AFTER DELETE ON ae_signal_pairs BEGIN
    DELETE FROM ae_signal_reports WHERE report_id = OLD.report_id;
    INSERT INTO ae_signal_reports SELECT * FROM ae_signal_reports_joined WHERE report_id = OLD.report_id;
END;
