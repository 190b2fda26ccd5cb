-- Clinics own their people, lots and storage (issue 18): the PostgreSQL twin of
-- src/store/sqlite/0018_clinic_scope.sql, which says why. PostgreSQL changes the CHECKs and
-- UNIQUEs in place, so nothing is rebuilt; the new columns come last on both.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('patient', 'doctor', 'pharmacist', 'admin', 'safety_officer'));
ALTER TABLE users ADD COLUMN clinic_id BIGINT DEFAULT 1 REFERENCES clinics(id);
ALTER TABLE users ADD CHECK ((role = 'safety_officer') = (clinic_id IS NULL));
CREATE INDEX users_clinic ON users(clinic_id, role);

ALTER TABLE lots ADD COLUMN clinic_id BIGINT NOT NULL DEFAULT 1 REFERENCES clinics(id);
ALTER TABLE lots DROP CONSTRAINT lots_product_id_lot_number_key;
ALTER TABLE lots ADD UNIQUE (clinic_id, product_id, lot_number);
CREATE INDEX lots_number ON lots(product_id, lot_number);

ALTER TABLE storage_units ADD COLUMN clinic_id BIGINT NOT NULL DEFAULT 1 REFERENCES clinics(id);
ALTER TABLE storage_units DROP CONSTRAINT storage_units_name_key;
ALTER TABLE storage_units ADD UNIQUE (clinic_id, name);

-- The writes that would join two clinics (SQLite: WHEN clauses; PostgreSQL's cannot hold a
-- subquery, so each check is a function raising as exosafe_refuse does).
CREATE FUNCTION dispenses_same_clinic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT clinic_id FROM lots WHERE id = NEW.lot_id)
       IS DISTINCT FROM (SELECT u.clinic_id FROM orders o JOIN users u ON u.id = o.patient_id WHERE o.id = NEW.order_id) THEN
        RAISE EXCEPTION 'a dispense takes a lot of the patient''s own clinic' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER dispenses_same_clinic BEFORE INSERT ON dispenses
FOR EACH ROW EXECUTE FUNCTION dispenses_same_clinic();

CREATE FUNCTION bookings_same_clinic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT d.clinic_id FROM consultation_slots s JOIN users d ON d.id = s.doctor_id WHERE s.id = NEW.slot_id)
       IS DISTINCT FROM (SELECT clinic_id FROM users WHERE id = NEW.patient_id) THEN
        RAISE EXCEPTION 'a booking takes a slot of the patient''s own clinic' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER bookings_same_clinic BEFORE INSERT ON bookings
FOR EACH ROW EXECUTE FUNCTION bookings_same_clinic();

CREATE FUNCTION lot_placements_same_clinic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT clinic_id FROM lots WHERE id = NEW.lot_id)
       IS DISTINCT FROM (SELECT clinic_id FROM storage_units WHERE id = NEW.unit_id) THEN
        RAISE EXCEPTION 'a lot is placed in a storage unit of its own clinic' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER lot_placements_same_clinic BEFORE INSERT ON lot_placements
FOR EACH ROW EXECUTE FUNCTION lot_placements_same_clinic();

CREATE TRIGGER users_clinic_fixed BEFORE UPDATE OF clinic_id ON users
FOR EACH ROW WHEN (NEW.clinic_id IS DISTINCT FROM OLD.clinic_id)
EXECUTE FUNCTION exosafe_refuse('a user''s clinic cannot change');

-- 0017's trigger function for a suspect lot, faster: it found its reports with
-- IN (SELECT report_id FROM ae_assessments ...), which let the planner join the whole of
-- ae_suspect_lots on every inserted row (a load of 400,000 lots ran for over ten minutes). The
-- reports are now looked up first, as values that reach ae_signal_pairs' key. Replaced here
-- rather than in 0017, which databases have applied already.
CREATE OR REPLACE FUNCTION ae_signal_pairs_lot() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_report bigint := CASE WHEN TG_OP IN ('DELETE', 'UPDATE')
                              THEN (SELECT report_id FROM ae_assessments WHERE id = OLD.assessment_id) END;
    new_report bigint := CASE WHEN TG_OP IN ('INSERT', 'UPDATE')
                              THEN (SELECT report_id FROM ae_assessments WHERE id = NEW.assessment_id) END;
BEGIN
    DELETE FROM ae_signal_pairs WHERE report_id = old_report OR report_id = new_report;
    INSERT INTO ae_signal_pairs SELECT * FROM ae_signal_pairs_joined
        WHERE report_id = old_report OR report_id = new_report;
    RETURN NULL;
END
$$;
