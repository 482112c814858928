-- The history schema. Writes are append-only: every batch appends one run of
-- results sorted by monitor at the end of the results tree, so a flush dirties
-- a handful of pages however many monitors it holds. Times are unix
-- milliseconds, durations microseconds.

-- +goose Up
CREATE TABLE origins (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE monitors (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);

-- Interned result shapes: the fields that repeat from check to check
-- (status, success, IP, conditions...), in the record encoding of record.go.
CREATE TABLE shapes (
    id   INTEGER PRIMARY KEY,
    body BLOB NOT NULL UNIQUE
);

-- One row per appended batch. The row of an origin's highest seq stays when
-- its results are pruned (pruned = 1): it carries the origin's watermark.
CREATE TABLE batches (
    id        INTEGER PRIMARY KEY,
    origin_id INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    min_time  INTEGER,          -- of its results; NULL without results
    max_time  INTEGER,
    pruned    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (origin_id, seq)
);
CREATE INDEX batches_by_max_time ON batches (max_time);

CREATE TABLE results (
    batch_id   INTEGER NOT NULL,
    monitor_id INTEGER NOT NULL,
    ord        INTEGER NOT NULL, -- position in the batch's run of this monitor
    t          INTEGER NOT NULL, -- ms after batches.min_time
    dur        INTEGER NOT NULL, -- µs
    shape_id   INTEGER,          -- NULL: the shape is in extra
    extra      BLOB,             -- record: node if not the origin, inline shape
    PRIMARY KEY (batch_id, monitor_id, ord)
) WITHOUT ROWID;

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    monitor_id INTEGER NOT NULL,
    time       INTEGER NOT NULL,
    origin_id  INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    ord        INTEGER NOT NULL, -- position in the batch
    type       TEXT NOT NULL
);
CREATE INDEX events_by_monitor ON events (monitor_id, time);
CREATE INDEX events_by_batch ON events (origin_id, seq);

-- Hourly rollups; b0..b14 count durations per history.LatencyBounds bucket.
CREATE TABLE rollups (
    hour       INTEGER NOT NULL, -- unix time / 3600
    monitor_id INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    successes  INTEGER NOT NULL,
    dur_sum    INTEGER NOT NULL, -- µs
    b0 INTEGER NOT NULL DEFAULT 0, b1 INTEGER NOT NULL DEFAULT 0,
    b2 INTEGER NOT NULL DEFAULT 0, b3 INTEGER NOT NULL DEFAULT 0,
    b4 INTEGER NOT NULL DEFAULT 0, b5 INTEGER NOT NULL DEFAULT 0,
    b6 INTEGER NOT NULL DEFAULT 0, b7 INTEGER NOT NULL DEFAULT 0,
    b8 INTEGER NOT NULL DEFAULT 0, b9 INTEGER NOT NULL DEFAULT 0,
    b10 INTEGER NOT NULL DEFAULT 0, b11 INTEGER NOT NULL DEFAULT 0,
    b12 INTEGER NOT NULL DEFAULT 0, b13 INTEGER NOT NULL DEFAULT 0,
    b14 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, monitor_id)
) WITHOUT ROWID;

-- rollups_through: the id of the last batch whose results are in rollups.
-- max_span: the widest max_time - min_time of any batch, in ms.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('rollups_through', 0), ('max_span', 0);

-- +goose Down
DROP TABLE meta;
DROP TABLE rollups;
DROP TABLE events;
DROP TABLE results;
DROP TABLE batches;
DROP TABLE shapes;
DROP TABLE monitors;
DROP TABLE origins;
