-- PostgreSQL twin of src/store/sqlite/0017_signal_pairs.sql: the same tables, columns, constraints and
-- indexes in PostgreSQL's dialect. It must change with that file (meson test
-- pg_schema_parity compares the two schemas).
-- Signal detection's input kept ready (issue 18): one row per report × suspect lot × event term
-- of the report's latest assessment, in the order ae_signal_pairs gives them (report, lot, the
-- term's place in terms_json). Reading the pairs is then one COPY of this narrow table (ids and
-- the event code) instead of finding each report's latest version, joining its suspect lots and
-- parsing its terms_json on every read: that took 1.5 s for a million pairs, six times the CSV
-- extract's time (bench/signals/bench_signals_pg).
--
-- The rows are derived, never written by the program: the view ae_signal_pairs_joined is the
-- definition and the triggers below keep the table equal to it in the same transaction as every
-- write that changes it. Product codes and lot numbers are not copied: the readers join lots
-- and products, so a renamed lot needs no trigger.

-- The events of one terms_json, read as the former reader did with jansson (SQLite's twin does
-- it with json_each): a JSON array (anything else, or text that is not strict JSON, has no
-- events; so has a text holding an integer beyond a long long, which jansson refuses whole),
-- each element an object whose "code" (the last one when repeated: json's -> takes the last)
-- is a string, or an integer written in decimal (-0 is 0); other elements and codes are
-- skipped. The json type, not jsonb, keeps each number as written: 1e2 is no integer. Text
-- that PostgreSQL cannot read (bad JSON, \u0000) has no events rather than failing the write.
CREATE FUNCTION ae_signal_terms(terms text) RETURNS TABLE (term_no integer, event text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    j json;
    nos integer[];
    events text[];
BEGIN
    BEGIN
        j := terms::json;
        IF json_typeof(j) <> 'array' THEN
            RETURN;
        END IF;
        -- Strings are matched whole, so only numbers outside them are integers.
        IF EXISTS (SELECT 1 FROM regexp_matches(terms, '"(?:[^"\\]|\\.)*"|(-?[0-9]+)(\.[0-9]+)?([eE][-+]?[0-9]+)?', 'g') m
                   WHERE m[1] IS NOT NULL AND m[2] IS NULL AND m[3] IS NULL
                     AND m[1]::numeric NOT BETWEEN -9223372036854775808 AND 9223372036854775807) THEN
            RETURN;
        END IF;
        SELECT array_agg((e.n - 1)::integer ORDER BY e.n),
               array_agg(CASE json_typeof(e.v -> 'code') WHEN 'string' THEN e.v ->> 'code'
                         ELSE ((e.v -> 'code')::text)::bigint::text END ORDER BY e.n)
          INTO nos, events
          FROM json_array_elements(j) WITH ORDINALITY AS e(v, n)
         WHERE json_typeof(e.v) = 'object'
           AND (json_typeof(e.v -> 'code') = 'string'
                OR (json_typeof(e.v -> 'code') = 'number' AND (e.v -> 'code')::text ~ '^-?[0-9]+$'));
    EXCEPTION WHEN others THEN
        RETURN;
    END;
    RETURN QUERY SELECT * FROM unnest(nos, events);
END
$$;

CREATE VIEW ae_signal_pairs_joined AS
SELECT a.report_id AS report_id, sl.lot_id AS lot_id, t.term_no AS term_no, t.event AS event
FROM ae_assessments a
JOIN ae_suspect_lots sl ON sl.assessment_id = a.id
CROSS JOIN LATERAL ae_signal_terms(a.terms_json) t
WHERE NOT EXISTS (SELECT 1 FROM ae_assessments n WHERE n.report_id = a.report_id AND n.version > a.version);

CREATE TABLE ae_signal_pairs (
    report_id BIGINT  NOT NULL,
    lot_id    BIGINT  NOT NULL,
    term_no   INTEGER NOT NULL,
    event     TEXT    NOT NULL,
    PRIMARY KEY (report_id, lot_id, term_no)
);

-- In key order: the table's rows lie as its index reads them.
INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined ORDER BY report_id, lot_id, term_no;

-- A new version replaces its report's pairs (assessments are never updated or deleted:
-- 0005's triggers refuse it). A report's suspect lots come after its assessment, each lot's
-- pairs with it; a lot taken off, or moved, takes its pairs along. Each trigger recomputes
-- what it touches from the definition, so a write to an older version changes nothing.
-- Each SQLite trigger body is a PL/pgSQL function of the trigger's name, run FOR EACH ROW.

CREATE FUNCTION ae_signal_pairs_assessment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ae_signal_pairs WHERE report_id = NEW.report_id;
    INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined WHERE report_id = NEW.report_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER ae_signal_pairs_assessment AFTER INSERT ON ae_assessments
FOR EACH ROW EXECUTE FUNCTION ae_signal_pairs_assessment();

-- One function for a suspect lot added, removed or moved (TG_OP tells which row exists): the
-- reports of its old and new assessment get their pairs again. SQLite's triggers cannot call a
-- function, so there each event has its own body.
CREATE FUNCTION ae_signal_pairs_lot() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_assessment bigint := CASE WHEN TG_OP IN ('DELETE', 'UPDATE') THEN OLD.assessment_id END;
    new_assessment bigint := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN NEW.assessment_id END;
BEGIN
    DELETE FROM ae_signal_pairs WHERE report_id IN (SELECT report_id FROM ae_assessments
                                                    WHERE id IN (old_assessment, new_assessment));
    INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined
        WHERE report_id IN (SELECT report_id FROM ae_assessments WHERE id IN (old_assessment, new_assessment));
    RETURN NULL;
END
$$;

CREATE TRIGGER ae_signal_pairs_lot AFTER INSERT ON ae_suspect_lots
FOR EACH ROW EXECUTE FUNCTION ae_signal_pairs_lot();

CREATE TRIGGER ae_signal_pairs_lot_gone AFTER DELETE ON ae_suspect_lots
FOR EACH ROW EXECUTE FUNCTION ae_signal_pairs_lot();

CREATE TRIGGER ae_signal_pairs_lot_changed AFTER UPDATE ON ae_suspect_lots
FOR EACH ROW EXECUTE FUNCTION ae_signal_pairs_lot();
