-- One audit hash chain per origin (issue 18, `exosafe migrate`). Chain 0 is this database's own
-- chain, which every row the application appends joins, as before. A clinic moved in from its
-- own SQLite file by `exosafe migrate` brings its audit log as a chain of its own, numbered by
-- the new clinic's id, with the rows' hashes unchanged: that history stays verifiable as the
-- evidence it was. `exosafe audit verify` walks every chain.
--
-- seq is a row's place in its chain, and the hash covers seq, not id. For the existing rows
-- seq = id, so their hashes still verify. A migrated row's actor_id and object name the rows as
-- they are numbered here (the audit page and its clinic scope work on them); the values the
-- hash covers, the source's numbers, are kept in orig_actor_id and orig_object when they differ.
--
-- clinics.migrated_from is the first hash of a migrated clinic's chain, which identifies the
-- source file: a second migration of the same file, or of a copy of it, is refused.
-- migrated_ids maps each migrated row's number in the source to its number here, so a number
-- quoted from the old system (a paper record, an e-mail, an audit row's detail) can be found.

-- The update below is the one change audit_log's rows ever get; the trigger comes back after it.
DROP TRIGGER audit_log_no_update;
ALTER TABLE audit_log ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN orig_actor_id INTEGER;
ALTER TABLE audit_log ADD COLUMN orig_object TEXT;
UPDATE audit_log SET seq = id;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log(chain, seq);

ALTER TABLE clinics ADD COLUMN migrated_from TEXT;
CREATE UNIQUE INDEX clinics_migrated_from ON clinics(migrated_from);

CREATE TABLE migrated_ids (
    clinic_id  INTEGER NOT NULL REFERENCES clinics(id),
    table_name TEXT    NOT NULL,
    old_id     INTEGER NOT NULL,
    new_id     INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, table_name, old_id)
);
