-- Alerting: what the alerter has read, the open incidents, snoozes, the durable outbox of
-- notifications, and the timeline of everything that happened to alerts.

-- The last transition the alerter has turned into alerts (or decided needs none). Starts at
-- the newest transition already stored, so upgrading does not alert on old history.
CREATE TABLE alert_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    transition INTEGER NOT NULL
);
INSERT INTO alert_cursor (id, transition) SELECT 1, coalesce(max(id), 0) FROM transitions;

-- One row per result that is failing (down, degraded or unknown) and has not recovered.
CREATE TABLE incidents (
    series          TEXT PRIMARY KEY,       -- result id, `CHECK` or `CHECK/THING`
    opened_at       INTEGER NOT NULL,       -- Unix ms
    status          INTEGER NOT NULL,       -- 1 degraded, 2 down, 3 unknown
    reason          TEXT NOT NULL,
    notified_at     INTEGER,                -- last notification queued (first or reminder)
    notified_status INTEGER,                -- the status that notification told
    acked_at        INTEGER,
    acked_by        TEXT,
    ack_note        TEXT,
    suppressed_by   TEXT                    -- why its alert is held back, while it is
);

-- Results whose alerts are held back until a time ("snooze for 4 h").
CREATE TABLE snoozes (
    series TEXT PRIMARY KEY,
    until  INTEGER NOT NULL,
    by     TEXT,
    note   TEXT,
    at     INTEGER NOT NULL
);

-- Every notification, stored before it is sent, until it is sent or given up.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,        -- idempotency key, sent along where a channel takes one
    channel    TEXT NOT NULL,
    kind       TEXT NOT NULL,               -- alert | reminder | recovery | test
    created_at INTEGER NOT NULL,
    payload    TEXT NOT NULL,               -- the notification, JSON
    state      TEXT NOT NULL,               -- pending | sent | failed
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,
    last_error TEXT,
    sent_at    INTEGER
);
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_created ON outbox (created_at);

-- What happened to alerts, per result (series) or for the whole estate (series NULL).
CREATE TABLE timeline (
    id      INTEGER PRIMARY KEY,
    ts      INTEGER NOT NULL,
    series  TEXT,
    kind    TEXT NOT NULL,
    message TEXT NOT NULL,
    actor   TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_series_ts ON timeline (series, ts);
CREATE INDEX timeline_ts ON timeline (ts);
