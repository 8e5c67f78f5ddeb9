-- Numbers a result carries besides its status, for charts: a queue's depth, ready and
-- unacknowledged messages, consumers and rates; a heartbeat's age; a Prometheus sample.
-- `value` is the headline number (queue depth, heartbeat age in seconds, sample value).
CREATE TABLE figures (
    series    INTEGER NOT NULL,
    ts        INTEGER NOT NULL,            -- Unix ms
    value     REAL,
    ready     REAL,
    unacked   REAL,
    consumers REAL,
    in_rate   REAL,                        -- messages published per second
    out_rate  REAL,                        -- messages delivered per second
    ack_rate  REAL,
    PRIMARY KEY (series, ts)
) WITHOUT ROWID;
CREATE INDEX figures_ts ON figures (ts);

-- 5-minute buckets of the same, kept longer than the raw figures.
CREATE TABLE figures_5m (
    series        INTEGER NOT NULL,
    bucket        INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    value_sum     REAL NOT NULL,
    value_max     REAL,
    consumers_min REAL,
    in_sum        REAL NOT NULL,
    out_sum       REAL NOT NULL,
    ack_sum       REAL NOT NULL,
    PRIMARY KEY (series, bucket)
) WITHOUT ROWID;
CREATE INDEX figures_5m_bucket ON figures_5m (bucket);
