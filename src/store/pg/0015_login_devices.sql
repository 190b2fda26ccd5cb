-- PostgreSQL twin of src/store/sqlite/0015_login_devices.sql: the same tables, columns, constraints and
-- indexes in PostgreSQL's dialect. It must change with that file (meson test
-- pg_schema_parity compares the two schemas).
-- Browsers that have logged in to an account (issue 16): wrong guesses from elsewhere do not
-- lock them out; each has its own failure count (subject "device:<hash>" in login_failures).
CREATE TABLE login_devices (
    token_hash TEXT    PRIMARY KEY,  -- SHA-256 of the exosafe_device cookie, never the cookie
    user_id    BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX login_devices_user ON login_devices(user_id);
