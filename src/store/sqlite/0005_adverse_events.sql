-- Adverse events: what patients (or staff) report, every version of the staff's assessment,
-- the lots each assessment suspects, and alerts on lots with clusters of events.

CREATE TABLE ae_reports (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES users(id),
    order_id      INTEGER REFERENCES orders(id),
    reported_by   INTEGER NOT NULL REFERENCES users(id),
    reporter_role TEXT    NOT NULL CHECK (reporter_role IN ('patient', 'doctor', 'pharmacist', 'admin')),
    symptoms_json TEXT    NOT NULL,            -- ["itching", "redness", …] from the seed's checklist
    description   TEXT    NOT NULL,
    onset_date    TEXT    NOT NULL,
    ongoing       INTEGER NOT NULL CHECK (ongoing IN (0, 1)),
    severity      TEXT    NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe')),
    photo         BLOB,
    photo_type    TEXT CHECK (photo_type IS NULL OR photo_type IN ('image/jpeg', 'image/png')),
    photo_sha256  TEXT,
    received_at   INTEGER NOT NULL
);
CREATE INDEX ae_reports_patient ON ae_reports(patient_id, id);

-- Follow-ups keep every version: an assessment is never changed, a new one is added.
CREATE TABLE ae_assessments (
    id                        INTEGER PRIMARY KEY,
    report_id                 INTEGER NOT NULL REFERENCES ae_reports(id),
    version                   INTEGER NOT NULL,
    terms_json                TEXT    NOT NULL,   -- [{"code", "grade"}] CTCAE v5
    death                     INTEGER NOT NULL,
    life_threatening          INTEGER NOT NULL,
    hospitalization           INTEGER NOT NULL,
    disability                INTEGER NOT NULL,
    congenital_anomaly        INTEGER NOT NULL,
    other_medically_important INTEGER NOT NULL,
    serious                   INTEGER NOT NULL,
    outcome                   TEXT    NOT NULL CHECK (outcome IN ('recovered', 'recovering', 'not_recovered',
                                                                  'recovered_with_sequelae', 'fatal', 'unknown')),
    outcome_date              TEXT    NOT NULL DEFAULT '',
    causality                 TEXT    NOT NULL CHECK (causality IN ('certain', 'probable', 'possible', 'unlikely',
                                                                    'conditional', 'unassessable')),
    treatment                 TEXT    NOT NULL DEFAULT '',
    narrative                 TEXT    NOT NULL DEFAULT '',
    due_date                  TEXT    NOT NULL DEFAULT '',  -- reporting due (JST date) for serious cases
    assessed_by               INTEGER NOT NULL REFERENCES users(id),
    assessed_at               INTEGER NOT NULL,
    UNIQUE (report_id, version),
    CHECK (outcome <> 'fatal' OR outcome_date <> '')
);
CREATE TRIGGER ae_assessments_no_update BEFORE UPDATE ON ae_assessments
BEGIN SELECT RAISE(ABORT, 'assessments are kept as versions'); END;
CREATE TRIGGER ae_assessments_no_delete BEFORE DELETE ON ae_assessments
BEGIN SELECT RAISE(ABORT, 'assessments are kept as versions'); END;

CREATE TABLE ae_suspect_lots (
    assessment_id INTEGER NOT NULL REFERENCES ae_assessments(id),
    lot_id        INTEGER NOT NULL REFERENCES lots(id),
    PRIMARY KEY (assessment_id, lot_id)
);
CREATE INDEX ae_suspect_lots_lot ON ae_suspect_lots(lot_id);

CREATE TABLE ae_lot_alerts (
    id            INTEGER PRIMARY KEY,
    lot_id        INTEGER NOT NULL REFERENCES lots(id),
    rule          TEXT    NOT NULL,            -- 'serious-count' | 'poisson-rate'
    evidence_json TEXT    NOT NULL,
    quarantined   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX ae_lot_alerts_once ON ae_lot_alerts(lot_id, rule);
