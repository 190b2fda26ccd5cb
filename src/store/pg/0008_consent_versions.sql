-- PostgreSQL twin of src/store/sqlite/0008_consent_versions.sql: the same tables, columns, constraints and
-- indexes in PostgreSQL's dialect. It must change with that file (meson test
-- pg_schema_parity compares the two schemas).
-- Consent acceptances are evidence of what a patient agreed to (version, language, the SHA-256
-- of the exact text shown): once written they never change, whatever version is published
-- later. The one change allowed is the patient withdrawing, once.
CREATE TRIGGER consent_acceptances_no_delete BEFORE DELETE ON consent_acceptances
FOR EACH ROW EXECUTE FUNCTION exosafe_refuse('consent acceptances are immutable');
CREATE TRIGGER consent_acceptances_no_truncate BEFORE TRUNCATE ON consent_acceptances
FOR EACH STATEMENT EXECUTE FUNCTION exosafe_refuse('consent acceptances are immutable');

-- SQLite's "a IS NOT b" (NULL-safe) is PostgreSQL's "a IS DISTINCT FROM b".
CREATE TRIGGER consent_acceptances_only_withdraw BEFORE UPDATE ON consent_acceptances
FOR EACH ROW
WHEN (OLD.withdrawn_at IS NOT NULL OR NEW.withdrawn_at IS NULL
  OR NEW.id IS DISTINCT FROM OLD.id OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
  OR NEW.consent_id IS DISTINCT FROM OLD.consent_id OR NEW.consent_version IS DISTINCT FROM OLD.consent_version
  OR NEW.lang IS DISTINCT FROM OLD.lang OR NEW.text_sha256 IS DISTINCT FROM OLD.text_sha256
  OR NEW.accepted_at IS DISTINCT FROM OLD.accepted_at)
EXECUTE FUNCTION exosafe_refuse('consent acceptances are immutable (only withdrawn_at may be set, once)');
