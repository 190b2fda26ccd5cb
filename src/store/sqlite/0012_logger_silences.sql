-- A connected sensor gone silent: no reading for three of its logging intervals (a fridge or
-- its sensor failing at night must wake someone; cf. OpenLMIS's "no data" alerts). One row per
-- silence, so one silence raises one alarm however often it is checked; recovered when
-- readings arrive again. Times are unix seconds (UTC).
CREATE TABLE logger_silences (
    id           INTEGER PRIMARY KEY,
    logger_id    INTEGER NOT NULL REFERENCES loggers(id),
    since_at     INTEGER NOT NULL,   -- the last reading before the silence (or the logger's creation)
    detected_at  INTEGER NOT NULL,
    resumed_at   INTEGER,            -- the first reading after the silence
    recovered_at INTEGER,            -- when the check saw it
    UNIQUE (logger_id, since_at),
    CHECK ((resumed_at IS NULL) = (recovered_at IS NULL))
);
CREATE UNIQUE INDEX logger_silences_one_open ON logger_silences(logger_id) WHERE recovered_at IS NULL;
CREATE INDEX logger_silences_recent ON logger_silences(recovered_at);
