-- Traceability: products, lots with their release tests and certificates, the lot's state
-- history, orders with payments, dispensing from lots, and shipments.
-- Times are unix seconds (UTC); calendar dates (manufacture, expiry) are YYYY-MM-DD.

CREATE TABLE products (
    id                          INTEGER PRIMARY KEY,
    code                        TEXT    NOT NULL UNIQUE,
    name_ja                     TEXT    NOT NULL,
    name_en                     TEXT    NOT NULL,
    form                        TEXT    NOT NULL,
    manufacturer                TEXT    NOT NULL,
    country                     TEXT    NOT NULL,
    source_cell_type            TEXT    NOT NULL,
    storage_min_c               REAL    NOT NULL,
    storage_max_c               REAL    NOT NULL,
    excursion_allowance_minutes INTEGER NOT NULL CHECK (excursion_allowance_minutes >= 0),
    shelf_life_days             INTEGER NOT NULL CHECK (shelf_life_days > 0),
    price_jpy                   INTEGER NOT NULL CHECK (price_jpy >= 0),  -- per unit, tax included
    tax_rate_percent            INTEGER NOT NULL CHECK (tax_rate_percent BETWEEN 0 AND 100),
    units_description           TEXT    NOT NULL DEFAULT '',
    created_at                  INTEGER NOT NULL,
    CHECK (storage_min_c < storage_max_c)
);

CREATE TABLE lots (
    id                  INTEGER PRIMARY KEY,
    product_id          INTEGER NOT NULL REFERENCES products(id),
    lot_number          TEXT    NOT NULL,
    manufactured_on     TEXT    NOT NULL,
    expires_on          TEXT    NOT NULL,
    quantity_received   INTEGER NOT NULL CHECK (quantity_received > 0),
    -- Units still in stock. Never negative: the check makes a racing over-dispense fail.
    quantity_available  INTEGER NOT NULL CHECK (quantity_available >= 0),
    status              TEXT    NOT NULL CHECK (status IN ('received', 'quarantine', 'released', 'depleted',
                                                           'expired', 'recalled', 'destroyed')),
    donor_age           INTEGER CHECK (donor_age BETWEEN 0 AND 120),
    donor_screening     TEXT    NOT NULL DEFAULT '',  -- summary of the donor's infectious-disease tests
    storage_location    TEXT    NOT NULL DEFAULT '',
    received_at         INTEGER NOT NULL,
    received_by         INTEGER NOT NULL REFERENCES users(id),
    UNIQUE (product_id, lot_number),
    CHECK (manufactured_on < expires_on),
    CHECK (quantity_available <= quantity_received)
);
CREATE INDEX lots_dispensable ON lots(product_id, status, expires_on);

CREATE TABLE certificates (
    id           INTEGER PRIMARY KEY,
    lot_id       INTEGER NOT NULL REFERENCES lots(id),
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    uploaded_by  INTEGER NOT NULL REFERENCES users(id),
    uploaded_at  INTEGER NOT NULL
);
CREATE INDEX certificates_lot ON certificates(lot_id);

CREATE TABLE lot_tests (
    id             INTEGER PRIMARY KEY,
    lot_id         INTEGER NOT NULL REFERENCES lots(id),
    kind           TEXT    NOT NULL CHECK (kind IN ('sterility', 'mycoplasma', 'endotoxin', 'viral', 'particle_count', 'identity')),
    result         TEXT    NOT NULL CHECK (result IN ('pass', 'fail')),
    value          TEXT    NOT NULL DEFAULT '',
    method         TEXT    NOT NULL,
    tested_on      TEXT    NOT NULL,
    certificate_id INTEGER REFERENCES certificates(id),
    recorded_by    INTEGER NOT NULL REFERENCES users(id),
    recorded_at    INTEGER NOT NULL
);
CREATE INDEX lot_tests_lot ON lot_tests(lot_id);

CREATE TABLE lot_transitions (
    id          INTEGER PRIMARY KEY,
    lot_id      INTEGER NOT NULL REFERENCES lots(id),
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    actor_id    INTEGER NOT NULL,  -- 0: the system (cold chain, safety signal)
    reason      TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX lot_transitions_lot ON lot_transitions(lot_id, id);

-- Approvals name the product they allow.
ALTER TABLE treatment_decisions ADD COLUMN product_id INTEGER REFERENCES products(id);

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    patient_id       INTEGER NOT NULL REFERENCES users(id),
    decision_id      INTEGER NOT NULL REFERENCES treatment_decisions(id),
    product_id       INTEGER NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_jpy   INTEGER NOT NULL,
    total_jpy        INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('awaiting_payment', 'paid', 'dispensed', 'shipped',
                                                        'delivered', 'cancelled')),
    payment_method   TEXT    NOT NULL CHECK (payment_method IN ('bank_transfer', 'card_terminal', 'cash_on_delivery')),
    payment_reference TEXT   NOT NULL DEFAULT '',
    paid_at          INTEGER,
    paid_recorded_by INTEGER REFERENCES users(id),
    ship_name        TEXT    NOT NULL,
    ship_postal_code TEXT    NOT NULL,
    ship_address     TEXT    NOT NULL,
    ship_phone       TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    cancelled_at     INTEGER
);
CREATE INDEX orders_patient ON orders(patient_id, id);
CREATE INDEX orders_decision ON orders(decision_id);
CREATE INDEX orders_status ON orders(status, id);

CREATE TABLE dispenses (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders(id),
    lot_id       INTEGER NOT NULL REFERENCES lots(id),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    dispensed_at INTEGER NOT NULL,
    dispensed_by INTEGER NOT NULL REFERENCES users(id)
);
-- The recall query starts here: every unit of a lot, to its order, patient and shipment.
CREATE INDEX dispenses_lot ON dispenses(lot_id, order_id);
CREATE INDEX dispenses_order ON dispenses(order_id);

CREATE TABLE shipments (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL UNIQUE REFERENCES orders(id),
    carrier         TEXT    NOT NULL,
    tracking_number TEXT    NOT NULL,
    logger_id       TEXT    NOT NULL DEFAULT '',
    shipped_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    recorded_by     INTEGER NOT NULL REFERENCES users(id)
);
