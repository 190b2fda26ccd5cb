-- The mail outbox: every e-mail exosafe sends is first a row here, written in the same
-- transaction as the event it reports (a booking, an approval, a recall), so a message exists
-- exactly when its event does. The sender delivers due rows to the SMTP relay and marks each
-- sent in its own transaction once the relay has accepted it; a crash between the two sends the
-- message again rather than losing it (at-least-once).
-- Times are unix seconds (UTC).

CREATE TABLE mail_outbox (
    id                INTEGER PRIMARY KEY,
    recipient_user_id INTEGER REFERENCES users(id) ON DELETE RESTRICT,  -- NULL: not an account
    to_address        TEXT    NOT NULL CHECK (length(to_address) BETWEEN 3 AND 254),
    kind              TEXT    NOT NULL,        -- the template, e.g. password_reset
    subject           TEXT    NOT NULL,
    body_text         TEXT    NOT NULL,
    dedupe_key        TEXT    UNIQUE,          -- NULL: no deduplication
    created_at        INTEGER NOT NULL,
    not_before        INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    last_error        TEXT    NOT NULL DEFAULT '',
    sent_at           INTEGER,                 -- when the relay accepted it
    -- cancelled: withdrawn before sending (a reminder for a booking that was cancelled).
    status            TEXT    NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'sent', 'failed', 'cancelled'))
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);
CREATE INDEX mail_outbox_recipient ON mail_outbox(recipient_user_id);

-- Password reset by e-mail: only the SHA-256 of the token mailed is kept, so a copy of the
-- database cannot reset anyone's password. A token is used at most once.
CREATE TABLE password_reset_tokens (
    token_hash TEXT    PRIMARY KEY,            -- hex SHA-256 of the token
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER                         -- NULL until used
);
CREATE INDEX password_reset_tokens_user ON password_reset_tokens(user_id);
