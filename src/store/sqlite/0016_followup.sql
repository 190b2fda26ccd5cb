-- Active safety follow-up (issue 17): cohort event monitoring. After a delivery the clinic asks
-- the patient at fixed days (check-ins); every answer is kept, "nothing changed" included, so
-- symptoms have a denominator (patients followed, person-time) per product and per lot.

-- The schedule per product; a product without a row follows the default plan (the columns'
-- defaults): days 3, 14 and 30 after a delivery that brings a new lot, then every 91 days
-- while the patient keeps receiving the product.
CREATE TABLE followup_plans (
    product_id  INTEGER PRIMARY KEY REFERENCES products(id),
    first_days  TEXT    NOT NULL DEFAULT '[3,14,30]',   -- JSON array of day offsets, ascending
    repeat_days INTEGER NOT NULL DEFAULT 91 CHECK (repeat_days > 0),
    disclose    INTEGER NOT NULL DEFAULT 0 CHECK (disclose IN (0, 1)),  -- summary on the public page
    updated_at  INTEGER NOT NULL,
    updated_by  INTEGER REFERENCES users(id)
);

CREATE TABLE checkins (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES users(id),
    product_id      INTEGER NOT NULL REFERENCES products(id),
    anchor_order_id INTEGER NOT NULL REFERENCES orders(id),  -- the delivery the schedule counts from
    lots_order_id   INTEGER NOT NULL REFERENCES orders(id),  -- the latest delivery before due_at: its lots
    day_offset      INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'missed', 'withdrawn')),
    link_token_hash TEXT    NOT NULL UNIQUE,   -- SHA-256 (hex) of the e-mailed link's token, never the token
    link_expires_at INTEGER NOT NULL,
    mailed_at       INTEGER,
    reminded_at     INTEGER,
    answered_at     INTEGER,
    answered_via    TEXT CHECK (answered_via IS NULL OR answered_via IN ('app', 'link', 'phone')),
    answered_by     INTEGER REFERENCES users(id),  -- the staff member on a phone answer
    nothing_changed INTEGER CHECK (nothing_changed IS NULL OR nothing_changed IN (0, 1)),
    note            TEXT    NOT NULL DEFAULT '',
    closed_at       INTEGER,                   -- when it became missed or withdrawn
    created_at      INTEGER NOT NULL,
    UNIQUE (patient_id, product_id, anchor_order_id, day_offset),
    CHECK ((status = 'answered') = (answered_at IS NOT NULL))
);
-- At most one open check-in per patient and product: a newer one closes the older as missed.
CREATE UNIQUE INDEX checkins_one_open ON checkins(patient_id, product_id) WHERE status = 'open';
CREATE INDEX checkins_patient ON checkins(patient_id, due_at);
CREATE INDEX checkins_status ON checkins(status, due_at);
CREATE INDEX checkins_product ON checkins(product_id, status);

-- The lots in use at the check-in (those of lots_order_id): per-lot statistics attribute by these.
CREATE TABLE checkin_lots (
    checkin_id INTEGER NOT NULL REFERENCES checkins(id),
    lot_id     INTEGER NOT NULL REFERENCES lots(id),
    PRIMARY KEY (checkin_id, lot_id)
);
CREATE INDEX checkin_lots_lot ON checkin_lots(lot_id);

CREATE TABLE checkin_symptoms (
    checkin_id    INTEGER NOT NULL REFERENCES checkins(id),
    symptom       TEXT    NOT NULL CHECK (symptom IN ('redness', 'swelling', 'itching', 'fever', 'fatigue', 'headache',
                                                      'nausea', 'allergic_reaction', 'other')),
    severity      TEXT    NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe')),
    still_present INTEGER NOT NULL CHECK (still_present IN (0, 1)),
    PRIMARY KEY (checkin_id, symptom)
);

-- A patient who stopped follow-up (the row goes on resuming; the audit log keeps both).
CREATE TABLE followup_withdrawals (
    patient_id   INTEGER PRIMARY KEY REFERENCES users(id),
    withdrawn_at INTEGER NOT NULL,
    reason       TEXT    NOT NULL DEFAULT ''
);

-- A report pre-filled from a check-in names it; one report per check-in.
ALTER TABLE ae_reports ADD COLUMN checkin_id INTEGER REFERENCES checkins(id);
CREATE UNIQUE INDEX ae_reports_checkin ON ae_reports(checkin_id) WHERE checkin_id IS NOT NULL;

-- Staff calls to patients who did not answer.
CREATE TABLE followup_calls (
    id         INTEGER PRIMARY KEY,
    checkin_id INTEGER NOT NULL REFERENCES checkins(id),
    called_by  INTEGER NOT NULL REFERENCES users(id),
    called_at  INTEGER NOT NULL,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('answered', 'no_answer', 'withdrew'))
);
CREATE INDEX followup_calls_checkin ON followup_calls(checkin_id);
