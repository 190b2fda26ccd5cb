-- Recall tracking: one row per recipient of a recalled lot (one dispense: patient × order ×
-- lot), created in the recall's transaction and followed to the end:
--   pending → notified (the patient acknowledged the notice in the app, or staff marked it)
--           → contacted (staff phoned; notes) → returned | destroyed (the jar, with its date).
-- Certificates: an upload whose SHA-256 is already on file, or a test result citing a file that
-- already proves another test, is refused unless a pharmacist gives a reason, kept here.

CREATE TABLE recall_tracking (
    id              INTEGER PRIMARY KEY,
    lot_id          INTEGER NOT NULL REFERENCES lots(id),
    dispense_id     INTEGER NOT NULL UNIQUE REFERENCES dispenses(id),
    order_id        INTEGER NOT NULL REFERENCES orders(id),
    patient_id      INTEGER NOT NULL REFERENCES users(id),
    status          TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'notified', 'contacted', 'returned', 'destroyed')),
    created_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,            -- the patient pressed 確認しました
    notified_at     INTEGER,            -- by the patient's acknowledgement or by staff
    contacted_at    INTEGER,
    contact_notes   TEXT    NOT NULL DEFAULT '',
    closed_on       TEXT,               -- YYYY-MM-DD the jar came back or was destroyed
    updated_at      INTEGER NOT NULL,
    updated_by      INTEGER NOT NULL    -- 0: the system (the recall itself)
);
CREATE INDEX recall_tracking_lot ON recall_tracking(lot_id, id);
CREATE INDEX recall_tracking_patient ON recall_tracking(patient_id, id);

-- Lots recalled before this table existed get their rows now, so none of their patients is missed.
INSERT INTO recall_tracking (lot_id, dispense_id, order_id, patient_id, created_at, updated_at, updated_by)
SELECT d.lot_id, d.id, d.order_id, o.patient_id, coalesce(
           (SELECT max(t.at) FROM lot_transitions t WHERE t.lot_id = d.lot_id AND t.to_status = 'recalled'), 0),
       coalesce((SELECT max(t.at) FROM lot_transitions t WHERE t.lot_id = d.lot_id AND t.to_status = 'recalled'), 0), 0
  FROM dispenses d
  JOIN orders o ON o.id = d.order_id
  JOIN lots l ON l.id = d.lot_id
 WHERE l.status = 'recalled';

ALTER TABLE certificates ADD COLUMN duplicate_of INTEGER REFERENCES certificates(id);
ALTER TABLE certificates ADD COLUMN duplicate_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX certificates_sha256 ON certificates(sha256);
-- The same for a release test whose certificate already proves another test or another lot.
ALTER TABLE lot_tests ADD COLUMN duplicate_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX lot_tests_certificate ON lot_tests(certificate_id);
