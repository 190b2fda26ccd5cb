-- Signal detection's input kept ready (issue 18): one row per report × suspect lot × event term
-- of the report's latest assessment, in the order ae_signal_pairs gives them (report, lot, the
-- term's place in terms_json). Reading the pairs is then one scan of this narrow table (ids and
-- the event code) instead of finding each report's latest version, joining its suspect lots and
-- parsing its terms_json on every read: PostgreSQL took 1.5 s for a million pairs that way,
-- six times the CSV extract's time (bench/signals/bench_signals_pg).
--
-- The rows are derived, never written by the program: the view ae_signal_pairs_joined is the
-- definition and the triggers below keep the table equal to it in the same transaction as every
-- write that changes it. Product codes and lot numbers are not copied: the readers join lots
-- and products, so a renamed lot needs no trigger.
--
-- The events are read from terms_json as the former reader did with jansson: a JSON array
-- (anything else, or text that is not strict JSON, has no events; so has a text holding an
-- integer beyond a long long, which jansson refuses whole), each element an object whose
-- "code" (the last one when repeated) is a string, or an integer written in decimal; other
-- elements and codes are skipped. (The store's connections have json_valid from jansson, which
-- a trigger may call with trusted_schema = OFF: store_sqlite.c, terms_json_valid. Only
-- json_each and json_tree of SQLite's JSON functions are allowed there in SQLite 3.40.)

CREATE VIEW ae_signal_pairs_joined AS
SELECT a.report_id AS report_id, sl.lot_id AS lot_id, CAST(t.key AS INTEGER) AS term_no,
       CAST(c.value AS TEXT) AS event
FROM ae_assessments a
JOIN ae_suspect_lots sl ON sl.assessment_id = a.id
JOIN json_each(CASE WHEN json_valid(a.terms_json) AND substr(ltrim(a.terms_json, char(32, 9, 10, 13)), 1, 1) = '['
                     AND NOT EXISTS (SELECT 1 FROM json_tree(a.terms_json) x
                                     WHERE x.type = 'integer' AND typeof(x.atom) <> 'integer')
                    THEN a.terms_json ELSE '[]' END) t
JOIN json_each(CASE WHEN t.type = 'object' THEN t.value ELSE '{}' END) c
WHERE a.version = (SELECT max(version) FROM ae_assessments WHERE report_id = a.report_id)
  AND c.key = 'code' AND c.type IN ('text', 'integer')
  AND c.id = (SELECT max(k.id) FROM json_each(CASE WHEN t.type = 'object' THEN t.value ELSE '{}' END) k
              WHERE k.key = 'code');

CREATE TABLE ae_signal_pairs (
    report_id INTEGER NOT NULL,
    lot_id    INTEGER NOT NULL,
    term_no   INTEGER NOT NULL,
    event     TEXT    NOT NULL,
    PRIMARY KEY (report_id, lot_id, term_no)
) WITHOUT ROWID;

INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined;

-- A new version replaces its report's pairs (assessments are never updated or deleted:
-- 0005's triggers refuse it). A report's suspect lots come after its assessment, each lot's
-- pairs with it; a lot taken off, or moved, takes its pairs along. Each trigger recomputes
-- what it touches from the definition, so a write to an older version changes nothing.

CREATE TRIGGER ae_signal_pairs_assessment AFTER INSERT ON ae_assessments BEGIN
    DELETE FROM ae_signal_pairs WHERE report_id = NEW.report_id;
    INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined WHERE report_id = NEW.report_id;
END;

CREATE TRIGGER ae_signal_pairs_lot AFTER INSERT ON ae_suspect_lots BEGIN
    DELETE FROM ae_signal_pairs WHERE lot_id = NEW.lot_id
        AND report_id = (SELECT report_id FROM ae_assessments WHERE id = NEW.assessment_id);
    INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined WHERE lot_id = NEW.lot_id
        AND report_id = (SELECT report_id FROM ae_assessments WHERE id = NEW.assessment_id);
END;

CREATE TRIGGER ae_signal_pairs_lot_gone AFTER DELETE ON ae_suspect_lots BEGIN
    DELETE FROM ae_signal_pairs WHERE lot_id = OLD.lot_id
        AND report_id = (SELECT report_id FROM ae_assessments WHERE id = OLD.assessment_id);
    INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined WHERE lot_id = OLD.lot_id
        AND report_id = (SELECT report_id FROM ae_assessments WHERE id = OLD.assessment_id);
END;

CREATE TRIGGER ae_signal_pairs_lot_changed AFTER UPDATE ON ae_suspect_lots BEGIN
    DELETE FROM ae_signal_pairs WHERE report_id IN (SELECT report_id FROM ae_assessments
                                                    WHERE id IN (OLD.assessment_id, NEW.assessment_id));
    INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined
        WHERE report_id IN (SELECT report_id FROM ae_assessments WHERE id IN (OLD.assessment_id, NEW.assessment_id));
END;
