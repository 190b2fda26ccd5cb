-- Signal detection's input one row per report (issue 18): the report's suspect lots and its
-- event terms as two lists, kept beside 0017's ae_signal_pairs (one row per report × lot ×
-- term). A report's pairs are every lot × every term of its latest assessment, so the two
-- lists give them all again: lot by lot in ascending id, each lot's terms in their order. The
-- PostgreSQL store reads this table (arrays, src/store/pg/0019_signal_reports.sql): COPY of a
-- million pair rows cost the server 0.23-0.33 s, more than the whole CSV path, while a row per
-- report moves a third as many rows (bench/signals/bench_signals_pg). The SQLite store keeps
-- reading the pairs; this table is here so that both backends hold the same schema (meson test
-- pg_schema_parity) and a database moved between them keeps it.
--
-- The lists are JSON arrays here (lot ids as integers, events as strings), bigint[] and text[]
-- on PostgreSQL. The rows are derived from ae_signal_pairs, never written
-- by the program: the view ae_signal_reports_joined is the definition, and the triggers below
-- keep the table equal to it whenever a pair comes or goes (0017's triggers replace a report's
-- pairs; these follow). A report without pairs (no lot, or no event) has no row.

-- The lists are built with group_concat, as SQLite 3.40's JSON functions may not be called from
-- a view or trigger under the store's trusted_schema = OFF (store_sqlite.c: only json_each and
-- json_tree may): the lot ids as integers, each event a JSON string escaped as PostgreSQL's
-- array_to_json escapes it (\\ \" \b \f \n \r \t, \u00XX for the other control characters), so
-- that the two backends' lists read alike as JSON text (meson test pg_trigger_parity). The
-- escapes are made in three steps (one expression of 33 replace() calls overflows SQLite's
-- parser stack). The rows are taken in key order, which group_concat keeps.
CREATE VIEW ae_signal_reports_joined AS
SELECT r.report_id AS report_id,
       (SELECT '[' || group_concat(p.lot_id, ',') || ']' FROM
          (SELECT lot_id FROM ae_signal_pairs
            WHERE report_id = r.report_id
              AND term_no = (SELECT min(term_no) FROM ae_signal_pairs WHERE report_id = r.report_id)
            ORDER BY lot_id) p) AS lot_ids,
       (SELECT '[' || group_concat('"' || q.e || '"', ',') || ']' FROM
          (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(e,
                    char(21), '\u0015'), char(22), '\u0016'), char(23), '\u0017'), char(24), '\u0018'),
                    char(25), '\u0019'), char(26), '\u001a'), char(27), '\u001b'), char(28), '\u001c'),
                    char(29), '\u001d'), char(30), '\u001e'), char(31), '\u001f') AS e
             FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(e,
                             char(11), '\u000b'), char(12), '\f'), char(13), '\r'), char(14), '\u000e'),
                             char(15), '\u000f'), char(16), '\u0010'), char(17), '\u0011'), char(18), '\u0012'),
                             char(19), '\u0013'), char(20), '\u0014') AS e
                     FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(event, '\', '\\'), '"', '\"'),
                                      char(1), '\u0001'), char(2), '\u0002'), char(3), '\u0003'), char(4), '\u0004'),
                                      char(5), '\u0005'), char(6), '\u0006'), char(7), '\u0007'), char(8), '\b'),
                                      char(9), '\t'), char(10), '\n') AS e
                             FROM ae_signal_pairs
                            WHERE report_id = r.report_id
                              AND lot_id = (SELECT min(lot_id) FROM ae_signal_pairs WHERE report_id = r.report_id)
                            ORDER BY term_no))) q) AS events
FROM (SELECT DISTINCT report_id FROM ae_signal_pairs) r;

CREATE TABLE ae_signal_reports (
    report_id INTEGER PRIMARY KEY,
    lot_ids   JSON    NOT NULL,     -- [lot id, ...] ascending
    events    JSON    NOT NULL      -- [event code, ...] in the terms' order
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
