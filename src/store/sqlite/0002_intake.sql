-- Patient intake: consultation slots and bookings, questionnaire responses, informed consent
-- and the doctor's decision. Times are unix seconds (UTC).

CREATE TABLE consultation_slots (
    id               INTEGER PRIMARY KEY,
    doctor_id        INTEGER NOT NULL REFERENCES users(id),
    starts_at        INTEGER NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 120),
    created_by       INTEGER NOT NULL REFERENCES users(id),
    created_at       INTEGER NOT NULL,
    UNIQUE (doctor_id, starts_at)
);
CREATE INDEX consultation_slots_starts ON consultation_slots(starts_at);

CREATE TABLE bookings (
    id           INTEGER PRIMARY KEY,
    slot_id      INTEGER NOT NULL REFERENCES consultation_slots(id),
    patient_id   INTEGER NOT NULL REFERENCES users(id),
    status       TEXT    NOT NULL CHECK (status IN ('booked', 'cancelled')),
    created_at   INTEGER NOT NULL,
    cancelled_at INTEGER
);
-- The rule that a slot is never booked twice lives here, in the database, so it holds
-- whatever the concurrency: at most one live booking per slot.
CREATE UNIQUE INDEX bookings_one_live_per_slot ON bookings(slot_id) WHERE status = 'booked';
CREATE INDEX bookings_patient ON bookings(patient_id);

CREATE TABLE questionnaire_responses (
    id                    INTEGER PRIMARY KEY,
    patient_id            INTEGER NOT NULL REFERENCES users(id),
    questionnaire_id      TEXT    NOT NULL,
    questionnaire_version INTEGER NOT NULL,
    answers_json          TEXT    NOT NULL,
    flags_json            TEXT    NOT NULL,
    worst_level           TEXT    NOT NULL CHECK (worst_level IN ('none', 'info', 'needs-attention', 'block')),
    submitted_at          INTEGER NOT NULL
);
CREATE INDEX questionnaire_responses_patient ON questionnaire_responses(patient_id, id);
-- Submitted answers are immutable: a new submission is a new row.
CREATE TRIGGER questionnaire_responses_no_update BEFORE UPDATE ON questionnaire_responses
BEGIN SELECT RAISE(ABORT, 'questionnaire responses are immutable'); END;
CREATE TRIGGER questionnaire_responses_no_delete BEFORE DELETE ON questionnaire_responses
BEGIN SELECT RAISE(ABORT, 'questionnaire responses are immutable'); END;

CREATE TABLE consent_acceptances (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES users(id),
    consent_id      TEXT    NOT NULL,
    consent_version INTEGER NOT NULL,
    lang            TEXT    NOT NULL CHECK (lang IN ('ja', 'en')),
    text_sha256     TEXT    NOT NULL,
    accepted_at     INTEGER NOT NULL,
    withdrawn_at    INTEGER
);
CREATE INDEX consent_acceptances_patient ON consent_acceptances(patient_id, id);

CREATE TABLE treatment_decisions (
    id                 INTEGER PRIMARY KEY,
    patient_id         INTEGER NOT NULL REFERENCES users(id),
    doctor_id          INTEGER NOT NULL REFERENCES users(id),
    response_id        INTEGER NOT NULL UNIQUE REFERENCES questionnaire_responses(id),
    consent_id         INTEGER REFERENCES consent_acceptances(id),
    decision           TEXT    NOT NULL CHECK (decision IN ('approved', 'declined')),
    notes              TEXT    NOT NULL,
    product            TEXT    NOT NULL DEFAULT '',
    quantity           INTEGER NOT NULL DEFAULT 0,
    directions         TEXT    NOT NULL DEFAULT '',
    valid_until        TEXT    NOT NULL DEFAULT '',
    decline_reason     TEXT    NOT NULL DEFAULT '',
    override_reason    TEXT    NOT NULL DEFAULT '',
    decided_at         INTEGER NOT NULL,
    CHECK (decision = 'declined' OR (quantity > 0 AND product <> '' AND valid_until <> '' AND consent_id IS NOT NULL)),
    CHECK (decision = 'approved' OR decline_reason <> '')
);
CREATE INDEX treatment_decisions_patient ON treatment_decisions(patient_id, id);
