-- The clinic's own details: what patients are told to call, what notices, exports and payment
-- instructions carry. A table of clinics rather than one settings row, because a chain of
-- clinics makes each clinic an entity (issue 18); a single-clinic installation has the one
-- row id = 1, created here with empty details for the first-run set-up to fill.
-- Every field is checked and normalised by src/core/clinic_profile.c before it is written;
-- the CHECKs below only hold the shapes that code depends on.
CREATE TABLE clinics (
  id                  INTEGER PRIMARY KEY,
  name                TEXT NOT NULL DEFAULT '',
  postal_code         TEXT NOT NULL DEFAULT '' CHECK (postal_code = '' OR postal_code GLOB '[0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
  address             TEXT NOT NULL DEFAULT '',
  phone               TEXT NOT NULL DEFAULT '',
  hours               TEXT NOT NULL DEFAULT '',      -- free text, e.g. 平日 10:00–18:00
  email               TEXT NOT NULL DEFAULT '',      -- for patients; may be empty
  bank_name           TEXT NOT NULL DEFAULT '',
  bank_branch         TEXT NOT NULL DEFAULT '',
  bank_account_type   TEXT NOT NULL DEFAULT '' CHECK (bank_account_type IN ('', 'futsu', 'toza')),
  bank_account_number TEXT NOT NULL DEFAULT '' CHECK (bank_account_number = '' OR bank_account_number GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
  bank_account_holder TEXT NOT NULL DEFAULT '',      -- katakana, as the bank prints it
  doctor_name         TEXT NOT NULL DEFAULT '',      -- the responsible doctor (管理医師)
  doctor_licence      TEXT NOT NULL DEFAULT '',      -- 医籍登録番号, digits
  is_demo             INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)), -- filled by exosafe demo
  updated_at          INTEGER NOT NULL DEFAULT 0,
  updated_by          INTEGER REFERENCES users(id)   -- NULL: never edited, or by the CLI
);

INSERT INTO clinics (id) VALUES (1);

-- A database that exosafe demo filled before this migration (make run's var/exosafe.db) holds
-- its accounts at the reserved domain clinic.example (RFC 2606), which no real clinic can use:
-- mark it demo, so it keeps being served in demo mode and never in production.
UPDATE clinics SET is_demo = 1
WHERE id = 1 AND EXISTS (SELECT 1 FROM users WHERE email = 'admin@clinic.example');
