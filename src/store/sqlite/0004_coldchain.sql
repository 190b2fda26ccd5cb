-- Cold chain: storage units and loggers, where each lot is kept, temperature readings, and
-- the excursion alerts QA disposes of. Times are unix seconds (UTC); temperatures in °C.

CREATE TABLE storage_units (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL CHECK (kind IN ('refrigerator', 'freezer', 'room')),
    location   TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

-- A logger records one place at a time: a storage unit, or a shipment's parcel.
CREATE TABLE loggers (
    id               INTEGER PRIMARY KEY,
    code             TEXT    NOT NULL UNIQUE,
    description      TEXT    NOT NULL DEFAULT '',
    unit_id          INTEGER REFERENCES storage_units(id),
    api_key_hash     TEXT,              -- SHA-256 of the connected sensor's key; NULL: no HTTP ingest
    interval_seconds INTEGER CHECK (interval_seconds IS NULL OR interval_seconds > 0),
    created_at       INTEGER NOT NULL
);

-- Which unit a lot is in, over time (to_at NULL: still there).
CREATE TABLE lot_placements (
    id      INTEGER PRIMARY KEY,
    lot_id  INTEGER NOT NULL REFERENCES lots(id),
    unit_id INTEGER NOT NULL REFERENCES storage_units(id),
    from_at INTEGER NOT NULL,
    to_at   INTEGER,
    CHECK (to_at IS NULL OR to_at > from_at)
);
CREATE INDEX lot_placements_unit ON lot_placements(unit_id, from_at);
CREATE INDEX lot_placements_lot ON lot_placements(lot_id, from_at);
CREATE UNIQUE INDEX lot_placements_one_current ON lot_placements(lot_id) WHERE to_at IS NULL;

-- One reading per logger and time: re-importing the same file adds nothing.
CREATE TABLE readings (
    logger_id INTEGER NOT NULL REFERENCES loggers(id),
    at        INTEGER NOT NULL,
    celsius   REAL    NOT NULL CHECK (celsius >= -273.15),
    PRIMARY KEY (logger_id, at)
) WITHOUT ROWID;

CREATE TABLE reading_imports (
    id          INTEGER PRIMARY KEY,
    logger_id   INTEGER NOT NULL REFERENCES loggers(id),
    source      TEXT    NOT NULL,       -- file name, or 'ingest'
    sha256      TEXT    NOT NULL,
    rows_read   INTEGER NOT NULL,
    rows_added  INTEGER NOT NULL,
    first_at    INTEGER,
    last_at     INTEGER,
    imported_by INTEGER NOT NULL,       -- 0: the CLI
    imported_at INTEGER NOT NULL
);

CREATE TABLE coldchain_alerts (
    id                 INTEGER PRIMARY KEY,
    lot_id             INTEGER NOT NULL REFERENCES lots(id),
    logger_id          INTEGER NOT NULL REFERENCES loggers(id),
    place              TEXT    NOT NULL,   -- 'unit:3' or 'shipment:7'
    first_at           INTEGER NOT NULL,   -- the excursions that add up past the allowance
    last_at            INTEGER NOT NULL,
    minutes_outside    INTEGER NOT NULL,
    allowance_minutes  INTEGER NOT NULL,
    peak_celsius       REAL    NOT NULL,
    evidence_json      TEXT    NOT NULL,   -- the episodes, the product's range
    status             TEXT    NOT NULL CHECK (status IN ('open', 'disposed')),
    created_at         INTEGER NOT NULL,
    disposition        TEXT CHECK (disposition IN ('released', 'destroyed', 'other')),
    justification      TEXT,
    disposed_by        INTEGER REFERENCES users(id),
    disposed_at        INTEGER
);
CREATE INDEX coldchain_alerts_lot ON coldchain_alerts(lot_id, status);
CREATE UNIQUE INDEX coldchain_alerts_one_open ON coldchain_alerts(lot_id, logger_id) WHERE status = 'open';
