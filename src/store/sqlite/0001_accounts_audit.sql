-- Accounts, sessions, log-in throttling and the hash-chained audit log.
-- Times are unix seconds (UTC).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('patient', 'doctor', 'pharmacist', 'admin')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE patient_profiles (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE RESTRICT,
    name_kana   TEXT NOT NULL,
    birth_date  TEXT NOT NULL,
    sex         TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other')),
    phone       TEXT NOT NULL,
    postal_code TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    subject TEXT    NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX login_failures_subject_at ON login_failures(subject, at);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_id   INTEGER NOT NULL,
    actor_role TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    object     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);

-- Append-only: the application never updates or deletes audit rows. Someone with the
-- database file can drop these triggers; the hash chain is what catches that.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
