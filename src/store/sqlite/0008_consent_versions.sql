-- Consent acceptances are evidence of what a patient agreed to (version, language, the SHA-256
-- of the exact text shown): once written they never change, whatever version is published
-- later. The one change allowed is the patient withdrawing, once.
CREATE TRIGGER consent_acceptances_no_delete BEFORE DELETE ON consent_acceptances
BEGIN SELECT RAISE(ABORT, 'consent acceptances are immutable'); END;

CREATE TRIGGER consent_acceptances_only_withdraw BEFORE UPDATE ON consent_acceptances
WHEN OLD.withdrawn_at IS NOT NULL OR NEW.withdrawn_at IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.patient_id IS NOT OLD.patient_id
  OR NEW.consent_id IS NOT OLD.consent_id OR NEW.consent_version IS NOT OLD.consent_version
  OR NEW.lang IS NOT OLD.lang OR NEW.text_sha256 IS NOT OLD.text_sha256 OR NEW.accepted_at IS NOT OLD.accepted_at
BEGIN SELECT RAISE(ABORT, 'consent acceptances are immutable (only withdrawn_at may be set, once)'); END;
