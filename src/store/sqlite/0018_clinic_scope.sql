-- exosafe: foreign-keys-off
-- Clinics own their people, lots and storage (issue 18). A chain of clinics, or a registry,
-- keeps several clinics in one database: each clinic's staff see only their clinic's patients,
-- lots, slots and storage units; the safety officer belongs to no clinic and sees pooled,
-- de-identified data across them (a later migration adds what that reads).
--
-- The clinic of everything else follows from these rows, so it cannot disagree with them:
-- a patient's questionnaire, consent, decisions, orders, deliveries, adverse events and
-- check-ins through the patient; a consultation slot through its doctor; loggers and readings
-- through their storage unit; certificates, tests and placements through their lot. Triggers
-- below refuse the writes that would join two clinics (a patient's order dispensed from another
-- clinic's lot, a booking of another clinic's doctor, a lot placed in another clinic's unit).
--
-- users, lots and storage_units are rebuilt (SQLite cannot change a CHECK or UNIQUE in place),
-- so this migration runs with foreign keys off and the runner checks them before COMMIT (the
-- first line above; store_sqlite.c). The new column comes last, where PostgreSQL's ADD COLUMN
-- puts it. Every existing row belongs to clinic 1, the one clinic of 0009: a one-clinic
-- installation sees no change. The store always names the clinic; the default of 1 is for rows
-- written by hand (a repair, a test), which land where every row of a one-clinic database is.

CREATE TABLE users_scoped (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,   -- one log-in, one person, across every clinic
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('patient', 'doctor', 'pharmacist', 'admin', 'safety_officer')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    lang TEXT NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en')),
    password_reset_required INTEGER NOT NULL DEFAULT 0 CHECK (password_reset_required IN (0, 1)),
    deactivated_at INTEGER,
    clinic_id     INTEGER DEFAULT 1 REFERENCES clinics(id),
    -- Everyone belongs to exactly one clinic, except the safety officer, who belongs to none.
    CHECK ((role = 'safety_officer') = (clinic_id IS NULL))
);
INSERT INTO users_scoped (id, email, name, role, password_hash, created_at, lang, password_reset_required,
                          deactivated_at, clinic_id)
SELECT id, email, name, role, password_hash, created_at, lang, password_reset_required, deactivated_at, 1 FROM users;
DROP TABLE users;
ALTER TABLE users_scoped RENAME TO users;
CREATE INDEX users_clinic ON users(clinic_id, role);

-- 0014's trigger went with the old table.
CREATE TRIGGER recall_recipients_user AFTER UPDATE OF name, email ON users
WHEN NEW.name IS NOT OLD.name OR NEW.email IS NOT OLD.email BEGIN
    UPDATE recall_recipients SET patient_name = NEW.name, email = NEW.email
    WHERE lot_id IN (SELECT d.lot_id FROM orders o JOIN dispenses d ON d.order_id = o.id WHERE o.patient_id = NEW.id)
      AND patient_id = NEW.id;
END;

-- A lot row is a clinic's receipt of a manufacturer's lot: its own inspection, certificates,
-- release, stock and quarantine. Two clinics receiving the same manufacturer's lot hold two
-- rows with the same product and lot number, which is how a cross-clinic alert finds them all.
CREATE TABLE lots_scoped (
    id                  INTEGER PRIMARY KEY,
    product_id          INTEGER NOT NULL REFERENCES products(id),
    lot_number          TEXT    NOT NULL,
    manufactured_on     TEXT    NOT NULL,
    expires_on          TEXT    NOT NULL,
    quantity_received   INTEGER NOT NULL CHECK (quantity_received > 0),
    -- Units still in stock. Never negative: the check makes a racing over-dispense fail.
    quantity_available  INTEGER NOT NULL CHECK (quantity_available >= 0),
    status              TEXT    NOT NULL CHECK (status IN ('received', 'quarantine', 'released', 'depleted',
                                                           'expired', 'recalled', 'destroyed')),
    donor_age           INTEGER CHECK (donor_age BETWEEN 0 AND 120),
    donor_screening     TEXT    NOT NULL DEFAULT '',  -- summary of the donor's infectious-disease tests
    storage_location    TEXT    NOT NULL DEFAULT '',
    received_at         INTEGER NOT NULL,
    received_by         INTEGER NOT NULL REFERENCES users(id),
    clinic_id           INTEGER NOT NULL DEFAULT 1 REFERENCES clinics(id),
    UNIQUE (clinic_id, product_id, lot_number),
    CHECK (manufactured_on < expires_on),
    CHECK (quantity_available <= quantity_received)
);
INSERT INTO lots_scoped (id, product_id, lot_number, manufactured_on, expires_on, quantity_received,
                         quantity_available, status, donor_age, donor_screening, storage_location, received_at,
                         received_by, clinic_id)
SELECT id, product_id, lot_number, manufactured_on, expires_on, quantity_received, quantity_available, status,
       donor_age, donor_screening, storage_location, received_at, received_by, 1 FROM lots;
DROP TABLE lots;
ALTER TABLE lots_scoped RENAME TO lots;
CREATE INDEX lots_dispensable ON lots(product_id, status, expires_on);
CREATE INDEX lots_number ON lots(product_id, lot_number);

-- Unit names are the clinic's own (冷蔵庫1 in every clinic).
CREATE TABLE storage_units_scoped (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('refrigerator', 'freezer', 'room')),
    location   TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    clinic_id  INTEGER NOT NULL DEFAULT 1 REFERENCES clinics(id),
    UNIQUE (clinic_id, name)
);
INSERT INTO storage_units_scoped (id, name, kind, location, created_at, clinic_id)
SELECT id, name, kind, location, created_at, 1 FROM storage_units;
DROP TABLE storage_units;
ALTER TABLE storage_units_scoped RENAME TO storage_units;

-- The writes that would join two clinics. Each names what it refuses; the store checks the
-- same first and answers "not found", so these fire only on a bug.
CREATE TRIGGER dispenses_same_clinic BEFORE INSERT ON dispenses
WHEN (SELECT clinic_id FROM lots WHERE id = NEW.lot_id)
     IS NOT (SELECT u.clinic_id FROM orders o JOIN users u ON u.id = o.patient_id WHERE o.id = NEW.order_id)
BEGIN
    SELECT RAISE(ABORT, 'a dispense takes a lot of the patient''s own clinic');
END;

CREATE TRIGGER bookings_same_clinic BEFORE INSERT ON bookings
WHEN (SELECT d.clinic_id FROM consultation_slots s JOIN users d ON d.id = s.doctor_id WHERE s.id = NEW.slot_id)
     IS NOT (SELECT clinic_id FROM users WHERE id = NEW.patient_id)
BEGIN
    SELECT RAISE(ABORT, 'a booking takes a slot of the patient''s own clinic');
END;

CREATE TRIGGER lot_placements_same_clinic BEFORE INSERT ON lot_placements
WHEN (SELECT clinic_id FROM lots WHERE id = NEW.lot_id)
     IS NOT (SELECT clinic_id FROM storage_units WHERE id = NEW.unit_id)
BEGIN
    SELECT RAISE(ABORT, 'a lot is placed in a storage unit of its own clinic');
END;

-- A user's clinic is fixed once they have records there: moving them would carry their
-- records to another clinic's staff. (Moving a clinic's data is exosafe migrate's job.)
CREATE TRIGGER users_clinic_fixed BEFORE UPDATE OF clinic_id ON users
WHEN NEW.clinic_id IS NOT OLD.clinic_id
BEGIN
    SELECT RAISE(ABORT, 'a user''s clinic cannot change');
END;
