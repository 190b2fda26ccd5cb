-- PostgreSQL twin of src/store/sqlite/0010_account_management.sql: the same tables, columns, constraints and
-- indexes in PostgreSQL's dialect. It must change with that file (meson test
-- pg_schema_parity compares the two schemas).
-- Account management (issue 14): a user's language for what is sent to them, an admin's
-- "reset your password before you log in again", and deactivation.

-- The language of e-mail and other messages sent to the user; the UI's own toggle is separate.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en'));

-- Set by an admin (the password may be known to someone else); log-in is refused with
-- password_reset_required until the user sets a new password through the reset by e-mail,
-- which clears it.
ALTER TABLE users ADD COLUMN password_reset_required BIGINT NOT NULL DEFAULT 0
    CHECK (password_reset_required IN (0, 1));

-- NULL while the account is active; when it was deactivated otherwise. A deactivated user
-- cannot log in and has no sessions; the row stays (audit rows, orders and reports name it).
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
