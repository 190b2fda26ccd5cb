-- PostgreSQL twin of src/store/sqlite/0019_audit_chains.sql: the same tables, columns, constraints and
-- triggers; the comments there say why.

DROP TRIGGER audit_log_no_update ON audit_log;
ALTER TABLE audit_log ADD COLUMN chain BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN orig_actor_id BIGINT;
ALTER TABLE audit_log ADD COLUMN orig_object TEXT;
UPDATE audit_log SET seq = id;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
FOR EACH ROW EXECUTE FUNCTION exosafe_refuse('audit_log is append-only');
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log(chain, seq);

ALTER TABLE clinics ADD COLUMN migrated_from TEXT;
CREATE UNIQUE INDEX clinics_migrated_from ON clinics(migrated_from);

CREATE TABLE migrated_ids (
    clinic_id  BIGINT NOT NULL REFERENCES clinics(id),
    table_name TEXT   NOT NULL,
    old_id     BIGINT NOT NULL,
    new_id     BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, table_name, old_id)
);
