-- The phone consultation as it happened: per booking, the doctor records that the call was
-- held (when it started, what was discussed) or that the patient was not reached (when the
-- attempt was made). An approval needs a held call, or a written reason why there was none
-- (SPEC: "after a held call the doctor approves").

CREATE TABLE consultation_calls (
    id          INTEGER PRIMARY KEY,
    booking_id  INTEGER NOT NULL REFERENCES bookings(id),
    patient_id  INTEGER NOT NULL REFERENCES users(id),
    doctor_id   INTEGER NOT NULL REFERENCES users(id),   -- who called (recorded it)
    outcome     TEXT    NOT NULL CHECK (outcome IN ('held', 'not_reached')),
    called_at   INTEGER NOT NULL,                        -- held: start of the call; not_reached: the attempt
    notes       TEXT    NOT NULL DEFAULT '',
    recorded_at INTEGER NOT NULL,
    CHECK (called_at <= recorded_at),
    CHECK (outcome = 'not_reached' OR notes <> '')
);
CREATE INDEX consultation_calls_patient ON consultation_calls(patient_id, called_at);
-- Several attempts may fail, but a booking's call is held once.
CREATE UNIQUE INDEX consultation_calls_one_held ON consultation_calls(booking_id) WHERE outcome = 'held';
-- A record of a call is a medical record: never rewritten.
CREATE TRIGGER consultation_calls_no_update BEFORE UPDATE ON consultation_calls
BEGIN SELECT RAISE(ABORT, 'consultation calls are immutable'); END;
CREATE TRIGGER consultation_calls_no_delete BEFORE DELETE ON consultation_calls
BEGIN SELECT RAISE(ABORT, 'consultation calls are immutable'); END;

-- An approval names the held call it rests on, or says why there was none.
ALTER TABLE treatment_decisions ADD COLUMN call_id INTEGER REFERENCES consultation_calls(id);
ALTER TABLE treatment_decisions ADD COLUMN no_call_reason TEXT NOT NULL DEFAULT '';
