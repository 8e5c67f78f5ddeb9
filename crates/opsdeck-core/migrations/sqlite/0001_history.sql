-- Result series: a check, or one thing a check watches (`CHECK/THING`). Integer keys keep the
-- history tables small.
CREATE TABLE series (
    key INTEGER PRIMARY KEY,
    id  TEXT NOT NULL UNIQUE
);

-- Raw results, kept for `settings.raw_retention`.
CREATE TABLE results (
    series     INTEGER NOT NULL,
    ts         INTEGER NOT NULL,            -- Unix ms
    status     INTEGER NOT NULL,            -- 0 up, 1 degraded, 2 down, 3 unknown
    latency_ms INTEGER,
    message    TEXT NOT NULL,
    PRIMARY KEY (series, ts)
) WITHOUT ROWID;
CREATE INDEX results_ts ON results (ts);

-- Roll-ups, maintained as results are written. Buckets are aligned Unix ms.
CREATE TABLE rollup_5m (
    series INTEGER NOT NULL, bucket INTEGER NOT NULL,
    n_up INTEGER NOT NULL, n_degraded INTEGER NOT NULL, n_down INTEGER NOT NULL, n_unknown INTEGER NOT NULL,
    lat_sum INTEGER NOT NULL, lat_n INTEGER NOT NULL, lat_max INTEGER,
    PRIMARY KEY (series, bucket)
) WITHOUT ROWID;
CREATE TABLE rollup_1h (
    series INTEGER NOT NULL, bucket INTEGER NOT NULL,
    n_up INTEGER NOT NULL, n_degraded INTEGER NOT NULL, n_down INTEGER NOT NULL, n_unknown INTEGER NOT NULL,
    lat_sum INTEGER NOT NULL, lat_n INTEGER NOT NULL, lat_max INTEGER,
    PRIMARY KEY (series, bucket)
) WITHOUT ROWID;
CREATE TABLE rollup_1d (
    series INTEGER NOT NULL, bucket INTEGER NOT NULL,
    n_up INTEGER NOT NULL, n_degraded INTEGER NOT NULL, n_down INTEGER NOT NULL, n_unknown INTEGER NOT NULL,
    lat_sum INTEGER NOT NULL, lat_n INTEGER NOT NULL, lat_max INTEGER,
    PRIMARY KEY (series, bucket)
) WITHOUT ROWID;
CREATE INDEX rollup_1h_bucket ON rollup_1h (bucket);
CREATE INDEX rollup_1d_bucket ON rollup_1d (bucket);

-- The newest result of each series, with its damping state, so a restart resumes where it was.
CREATE TABLE latest (
    series          INTEGER PRIMARY KEY,
    ts              INTEGER NOT NULL,
    status          INTEGER NOT NULL,
    latency_ms      INTEGER,
    message         TEXT NOT NULL,
    details         TEXT NOT NULL,
    confirmed       INTEGER NOT NULL,
    confirmed_since INTEGER NOT NULL
);

-- Every change of confirmed status, with its reason.
CREATE TABLE transitions (
    id          INTEGER PRIMARY KEY,
    series      INTEGER NOT NULL,
    ts          INTEGER NOT NULL,
    from_status INTEGER,
    to_status   INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX transitions_series_ts ON transitions (series, ts);
CREATE INDEX transitions_ts ON transitions (ts);
