//! History on embedded SQLite (WAL): raw results with a retention, roll-ups into 5-minute,
//! hourly and daily buckets, the latest result per series, and every transition.
//!
//! Queries are plain SQL without SQLite-only functions beyond `min`/`max`, so a PostgreSQL
//! store can share them.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use tokio::sync::Mutex;
use ts_rs::TS;

use crate::state::Transition;
use crate::status::{CheckResult, Status};
use crate::time_fmt;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database at {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot upgrade the database schema at {path}: {source}")]
    Migrate {
        path: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

impl StoreError {
    /// SQLite's "database is locked" (`SQLITE_BUSY` and its extended codes).
    fn is_busy(&self) -> bool {
        let e = match self {
            StoreError::Open { source, .. } | StoreError::Query(source) => source,
            StoreError::Migrate {
                source: sqlx::migrate::MigrateError::Execute(source),
                ..
            } => source,
            StoreError::Migrate { .. } => return false,
        };
        match e {
            sqlx::Error::Database(db) => db
                .code()
                .and_then(|c| c.parse::<i64>().ok())
                .is_some_and(|c| c & 0xff == 5),
            _ => false,
        }
    }
}

/// Roll-up levels: (table, bucket length in ms, how long buckets are kept in ms).
const LEVELS: [(&str, i64, i64); 3] = [
    ("rollup_5m", 5 * 60_000, 8 * DAY),
    ("rollup_1h", 3_600_000, 100 * DAY),
    ("rollup_1d", DAY, 3660 * DAY),
];
const DAY: i64 = 86_400_000;

/// One result to store, with the damping state after it.
#[derive(Debug, Clone)]
pub struct Record {
    pub result: CheckResult,
    pub ts: i64,
    pub confirmed: Status,
    pub confirmed_since: i64,
    pub transition: Option<Transition>,
    /// Also update the series' row in `latest` (the engine skips unchanged results for a while).
    pub write_latest: bool,
}

/// The latest stored state of a series, used to resume after a restart.
#[derive(Debug, Clone)]
pub struct Latest {
    pub id: String,
    pub ts: i64,
    pub status: Status,
    pub latency_ms: Option<u64>,
    pub message: String,
    pub details: serde_json::Value,
    pub confirmed: Status,
    pub confirmed_since: i64,
}

/// Share of good results (up or degraded) among evaluated ones; `None` without data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Uptime {
    pub h24: Option<f64>,
    pub d7: Option<f64>,
    pub d30: Option<f64>,
    pub y1: Option<f64>,
}

/// One bucket of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HistoryPoint {
    /// Bucket start, RFC 3339.
    pub t: String,
    pub up: u32,
    pub degraded: u32,
    pub down: u32,
    pub unknown: u32,
    pub latency_avg_ms: Option<f64>,
    #[ts(type = "number | null")]
    pub latency_max_ms: Option<i64>,
}

/// The numbers of one result worth charting (see `migrations/sqlite/0002_figures.sql`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub value: f64,
    pub ready: Option<f64>,
    pub unacked: Option<f64>,
    pub consumers: Option<f64>,
    pub in_rate: Option<f64>,
    pub out_rate: Option<f64>,
    pub ack_rate: Option<f64>,
}

impl Figures {
    /// What a result's details hold: a queue's figures, a heartbeat's age or a sample value.
    pub fn of(details: &serde_json::Value) -> Option<Figures> {
        let num = |v: &serde_json::Value, k: &str| v.get(k).and_then(serde_json::Value::as_f64);
        if let Some(q) = details.get("queue") {
            return Some(Figures {
                value: num(q, "depth")?,
                ready: num(q, "ready"),
                unacked: num(q, "unacked"),
                consumers: num(q, "consumers"),
                in_rate: num(q, "publish_rate"),
                out_rate: num(q, "deliver_rate"),
                ack_rate: num(q, "ack_rate"),
            });
        }
        let value = num(details, "age_s").or_else(|| num(details, "value"))?;
        value.is_finite().then_some(Figures {
            value,
            ..Figures::default()
        })
    }
}

/// Figures of one series summed over a 5-minute bucket, as `figures_5m` holds them.
#[derive(Debug, Default)]
struct FigureBucket {
    n: i64,
    value_sum: f64,
    value_max: Option<f64>,
    consumers_min: Option<f64>,
    in_sum: f64,
    out_sum: f64,
    ack_sum: f64,
}

impl FigureBucket {
    fn add(&mut self, f: &Figures) {
        self.n += 1;
        self.value_sum += f.value;
        self.value_max = Some(self.value_max.map_or(f.value, |m| m.max(f.value)));
        self.consumers_min = match (self.consumers_min, f.consumers) {
            (Some(a), Some(c)) => Some(a.min(c)),
            (a, c) => a.or(c),
        };
        self.in_sum += f.in_rate.unwrap_or(0.0);
        self.out_sum += f.out_rate.unwrap_or(0.0);
        self.ack_sum += f.ack_rate.unwrap_or(0.0);
    }
}

/// One point of a series' figures: a raw result, or a 5-minute bucket (averages, and the
/// highest value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FigurePoint {
    /// RFC 3339.
    pub t: String,
    pub value: f64,
    pub value_max: Option<f64>,
    pub ready: Option<f64>,
    pub unacked: Option<f64>,
    pub consumers: Option<f64>,
    pub in_rate: Option<f64>,
    pub out_rate: Option<f64>,
    pub ack_rate: Option<f64>,
}

/// How long raw figures are read for a window before 5-minute buckets take over.
const RAW_FIGURES_WINDOW: i64 = 6 * 3_600_000;
/// How long 5-minute figure buckets are kept.
const FIGURES_5M_KEEP: i64 = 31 * DAY;

/// Which field of [`Uptime`] a window fills.
type UptimeField = fn(&mut Uptime) -> &mut Option<f64>;

#[derive(Debug)]
pub struct Store {
    pool: SqlitePool,
    keys: Mutex<HashMap<String, i64>>,
}

impl Store {
    /// Open (creating if needed) the database file and bring its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                    path: shown.clone(),
                    source: sqlx::Error::Io(e),
                })?;
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL loses nothing when the process is killed, only on power loss.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false)
            // 16 MiB of page cache per connection (default 2 MiB): the uptime of every check
            // over 30 days reads a few thousand pages, and they should stay in memory.
            .pragma("cache_size", "-16384");
        Self::with_options(options, shown).await
    }

    /// A private in-memory database, for tests and one-shot sweeps.
    pub async fn in_memory() -> Result<Store, StoreError> {
        let options =
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(|e| StoreError::Open {
                path: ":memory:".into(),
                source: e,
            })?;
        Self::with_options(options, ":memory:".into()).await
    }

    async fn with_options(
        options: SqliteConnectOptions,
        shown: String,
    ) -> Result<Store, StoreError> {
        // Right after a crash (a killed process, a power cut), the first opener recovers the
        // write-ahead log, and SQLite answers "database is locked" to the others without
        // waiting for the busy timeout: try again for a few seconds rather than fail to start.
        let mut attempt = 0;
        loop {
            match Self::open_once(options.clone(), shown.clone()).await {
                Err(e) if e.is_busy() && attempt < 20 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                other => return other,
            }
        }
    }

    async fn open_once(options: SqliteConnectOptions, shown: String) -> Result<Store, StoreError> {
        let in_memory = shown == ":memory:";
        let pool = SqlitePoolOptions::new()
            // An in-memory database exists once per connection.
            .max_connections(if in_memory { 1 } else { 4 })
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Open {
                path: shown.clone(),
                source: e,
            })?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate {
                path: shown.clone(),
                source: e,
            })?;
        Ok(Store {
            pool,
            keys: Mutex::new(HashMap::new()),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn series_keys(
        &self,
        tx: &mut sqlx::SqliteConnection,
        ids: impl Iterator<Item = &str>,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut keys = self.keys.lock().await;
        for id in ids {
            if keys.contains_key(id) {
                continue;
            }
            sqlx::query("INSERT INTO series (id) VALUES (?) ON CONFLICT (id) DO NOTHING")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let key: i64 = sqlx::query_scalar("SELECT key FROM series WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            keys.insert(id.to_string(), key);
        }
        Ok(keys.clone())
    }

    /// Write a batch in one transaction: after this returns, every record survives a crash.
    pub async fn write(&self, records: &[Record]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        let keys = self
            .series_keys(&mut tx, records.iter().map(|r| r.result.id.as_str()))
            .await?;
        let key_of = |id: &str| keys.get(id).copied().unwrap_or_default();
        // Multi-row statements: one round trip to SQLite's worker thread per table and chunk,
        // not per result, which is most of the cost of a steady stream of small batches.
        const CHUNK: usize = 400;
        for chunk in records.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO results (series, ts, status, latency_ms, message) ",
            );
            q.push_values(chunk, |mut row, r| {
                row.push_bind(key_of(&r.result.id))
                    .push_bind(r.ts)
                    .push_bind(r.result.status.to_code())
                    .push_bind(r.result.latency_ms.map(|l| l as i64))
                    .push_bind(&r.result.message);
            });
            q.push(
                " ON CONFLICT (series, ts) DO UPDATE SET status = excluded.status,
                  latency_ms = excluded.latency_ms, message = excluded.message",
            );
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        let latest: Vec<&Record> = records.iter().filter(|r| r.write_latest).collect();
        for chunk in latest.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO latest (series, ts, status, latency_ms, message, details, confirmed, confirmed_since) ",
            );
            q.push_values(chunk, |mut row, r| {
                row.push_bind(key_of(&r.result.id))
                    .push_bind(r.ts)
                    .push_bind(r.result.status.to_code())
                    .push_bind(r.result.latency_ms.map(|l| l as i64))
                    .push_bind(&r.result.message)
                    .push_bind(r.result.details.to_string())
                    .push_bind(r.confirmed.to_code())
                    .push_bind(r.confirmed_since);
            });
            q.push(
                " ON CONFLICT (series) DO UPDATE SET ts = excluded.ts, status = excluded.status,
                  latency_ms = excluded.latency_ms, message = excluded.message, details = excluded.details,
                  confirmed = excluded.confirmed, confirmed_since = excluded.confirmed_since",
            );
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        for r in records.iter().filter(|r| r.transition.is_some()) {
            record_transition(&mut tx, key_of(&r.result.id), r).await?;
        }
        let figures: Vec<(i64, i64, Figures)> = records
            .iter()
            .filter_map(|r| Some((key_of(&r.result.id), r.ts, Figures::of(&r.result.details)?)))
            .collect();
        self.write_figures(&mut tx, &figures).await?;
        // 5-minute roll-ups are summed per bucket first: a batch touches each bucket once.
        // Hourly and daily buckets are derived from them by `roll_up`.
        let len = LEVELS[0].1;
        let mut buckets: HashMap<(i64, i64), Bucket> = HashMap::new();
        for r in records {
            buckets
                .entry((key_of(&r.result.id), r.ts - r.ts.rem_euclid(len)))
                .or_default()
                .add(r.result.status, r.result.latency_ms.map(|l| l as i64));
        }
        let buckets: Vec<((i64, i64), Bucket)> = buckets.into_iter().collect();
        for chunk in buckets.chunks(CHUNK) {
            let table = LEVELS[0].0;
            let mut q = QueryBuilder::<Sqlite>::new(format!(
                "INSERT INTO {table} (series, bucket, n_up, n_degraded, n_down, n_unknown, lat_sum, lat_n, lat_max) "
            ));
            q.push_values(chunk, |mut row, ((series, bucket), b)| {
                row.push_bind(*series)
                    .push_bind(*bucket)
                    .push_bind(b.counts[0])
                    .push_bind(b.counts[1])
                    .push_bind(b.counts[2])
                    .push_bind(b.counts[3])
                    .push_bind(b.lat_sum)
                    .push_bind(b.lat_n)
                    .push_bind(b.lat_max);
            });
            q.push(
                " ON CONFLICT (series, bucket) DO UPDATE SET
                  n_up = n_up + excluded.n_up, n_degraded = n_degraded + excluded.n_degraded,
                  n_down = n_down + excluded.n_down, n_unknown = n_unknown + excluded.n_unknown,
                  lat_sum = lat_sum + excluded.lat_sum, lat_n = lat_n + excluded.lat_n,
                  lat_max = max(coalesce(lat_max, excluded.lat_max), coalesce(excluded.lat_max, lat_max))",
            );
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn write_figures(
        &self,
        tx: &mut sqlx::SqliteConnection,
        figures: &[(i64, i64, Figures)],
    ) -> Result<(), StoreError> {
        const CHUNK: usize = 300;
        for chunk in figures.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO figures (series, ts, value, ready, unacked, consumers, in_rate, out_rate, ack_rate) ",
            );
            q.push_values(chunk, |mut row, (series, ts, f)| {
                row.push_bind(*series)
                    .push_bind(*ts)
                    .push_bind(f.value)
                    .push_bind(f.ready)
                    .push_bind(f.unacked)
                    .push_bind(f.consumers)
                    .push_bind(f.in_rate)
                    .push_bind(f.out_rate)
                    .push_bind(f.ack_rate);
            });
            q.push(" ON CONFLICT (series, ts) DO NOTHING");
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        // Summed per bucket first, as for the status roll-ups.
        let len = LEVELS[0].1;
        let mut buckets: HashMap<(i64, i64), FigureBucket> = HashMap::new();
        for (series, ts, f) in figures {
            buckets
                .entry((*series, ts - ts.rem_euclid(len)))
                .or_default()
                .add(f);
        }
        let buckets: Vec<_> = buckets.into_iter().collect();
        for chunk in buckets.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO figures_5m (series, bucket, n, value_sum, value_max, consumers_min, in_sum, out_sum, ack_sum) ",
            );
            q.push_values(chunk, |mut row, ((series, bucket), b)| {
                row.push_bind(*series)
                    .push_bind(*bucket)
                    .push_bind(b.n)
                    .push_bind(b.value_sum)
                    .push_bind(b.value_max)
                    .push_bind(b.consumers_min)
                    .push_bind(b.in_sum)
                    .push_bind(b.out_sum)
                    .push_bind(b.ack_sum);
            });
            q.push(
                " ON CONFLICT (series, bucket) DO UPDATE SET n = n + excluded.n,
                  value_sum = value_sum + excluded.value_sum,
                  value_max = max(coalesce(value_max, excluded.value_max), coalesce(excluded.value_max, value_max)),
                  consumers_min = min(coalesce(consumers_min, excluded.consumers_min), coalesce(excluded.consumers_min, consumers_min)),
                  in_sum = in_sum + excluded.in_sum, out_sum = out_sum + excluded.out_sum,
                  ack_sum = ack_sum + excluded.ack_sum",
            );
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// Figures of one series over a window: every raw point up to six hours, 5-minute
    /// buckets beyond (kept 31 days). Answers the point spacing in seconds (0 for raw).
    pub async fn figures(
        &self,
        id: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<(i64, Vec<FigurePoint>), StoreError> {
        let since = now_ms - window_ms;
        if window_ms <= RAW_FIGURES_WINDOW {
            let rows = sqlx::query(
                "SELECT f.ts, f.value, f.ready, f.unacked, f.consumers, f.in_rate, f.out_rate, f.ack_rate
                 FROM figures f JOIN series s ON s.key = f.series
                 WHERE s.id = ? AND f.ts >= ? ORDER BY f.ts",
            )
            .bind(id)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
            let points = rows
                .into_iter()
                .map(|r| FigurePoint {
                    t: time_fmt::rfc3339_from_ms(r.get(0)),
                    value: r.get(1),
                    value_max: None,
                    ready: r.get(2),
                    unacked: r.get(3),
                    consumers: r.get(4),
                    in_rate: r.get(5),
                    out_rate: r.get(6),
                    ack_rate: r.get(7),
                })
                .collect();
            return Ok((0, points));
        }
        let len = LEVELS[0].1;
        let rows = sqlx::query(
            "SELECT b.bucket, b.n, b.value_sum, b.value_max, b.consumers_min, b.in_sum, b.out_sum, b.ack_sum
             FROM figures_5m b JOIN series s ON s.key = b.series
             WHERE s.id = ? AND b.bucket >= ? ORDER BY b.bucket",
        )
        .bind(id)
        .bind(since - since.rem_euclid(len))
        .fetch_all(&self.pool)
        .await?;
        let points = rows
            .into_iter()
            .map(|r| {
                let n = (r.get::<i64, _>(1)).max(1) as f64;
                FigurePoint {
                    t: time_fmt::rfc3339_from_ms(r.get(0)),
                    value: r.get::<f64, _>(2) / n,
                    value_max: r.get(3),
                    ready: None,
                    unacked: None,
                    consumers: r.get(4),
                    in_rate: Some(r.get::<f64, _>(5) / n),
                    out_rate: Some(r.get::<f64, _>(6) / n),
                    ack_rate: Some(r.get::<f64, _>(7) / n),
                }
            })
            .collect();
        Ok((len / 1000, points))
    }

    /// The headline value of many series since `since_ms`, oldest first, for sparklines:
    /// one query for a whole broker's queues.
    pub async fn recent_values(
        &self,
        ids: &[String],
        since_ms: i64,
    ) -> Result<HashMap<String, Vec<f64>>, StoreError> {
        let mut out: HashMap<String, Vec<f64>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT s.id, f.value FROM figures f JOIN series s ON s.key = f.series WHERE f.ts >= ",
            );
            q.push_bind(since_ms);
            q.push(" AND s.id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id);
            }
            list.push_unseparated(") ORDER BY f.series, f.ts");
            for r in q.build().fetch_all(&self.pool).await? {
                out.entry(r.get(0)).or_default().push(r.get(1));
            }
        }
        Ok(out)
    }

    /// Derive hourly buckets from 5-minute ones and daily from hourly, for every bucket that
    /// may have changed since the last pass. Buckets are recomputed, not added to, so a pass
    /// that runs twice (or after a crash) is harmless.
    pub async fn roll_up(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for pair in LEVELS.windows(2) {
            let ((fine, _, _), (coarse, len, _)) = (pair[0], pair[1]);
            let from: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT coalesce((SELECT max(bucket) FROM {coarse}), (SELECT min(bucket) FROM {fine}))"
            ))
            .fetch_one(&mut *tx)
            .await?;
            let Some(from) = from else { continue };
            let from = from - from.rem_euclid(len);
            sqlx::query(&format!(
                "INSERT INTO {coarse} (series, bucket, n_up, n_degraded, n_down, n_unknown, lat_sum, lat_n, lat_max)
                 SELECT series, bucket - (bucket % {len}), sum(n_up), sum(n_degraded), sum(n_down), sum(n_unknown),
                        sum(lat_sum), sum(lat_n), max(lat_max)
                 FROM {fine} WHERE bucket >= ? GROUP BY series, bucket - (bucket % {len})
                 ON CONFLICT (series, bucket) DO UPDATE SET
                   n_up = excluded.n_up, n_degraded = excluded.n_degraded, n_down = excluded.n_down,
                   n_unknown = excluded.n_unknown, lat_sum = excluded.lat_sum, lat_n = excluded.lat_n,
                   lat_max = excluded.lat_max"
            ))
            .bind(from)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The latest state of every series, to resume damping and the overview after a restart.
    pub async fn latest(&self) -> Result<Vec<Latest>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, l.ts, l.status, l.latency_ms, l.message, l.details, l.confirmed, l.confirmed_since
             FROM latest l JOIN series s ON s.key = l.series",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Latest {
                id: r.get(0),
                ts: r.get(1),
                status: Status::from_code(r.get(2)),
                latency_ms: r.get::<Option<i64>, _>(3).map(|l| l.max(0) as u64),
                message: r.get(4),
                details: serde_json::from_str(r.get::<&str, _>(5)).unwrap_or_default(),
                confirmed: Status::from_code(r.get(6)),
                confirmed_since: r.get(7),
            })
            .collect())
    }

    /// Drop the `latest` rows of series that no longer exist (a deleted queue, a series gone
    /// from a query's answer), so a restart does not bring them back. Their history stays
    /// until it ages out.
    pub async fn forget_latest(&self, ids: &[String]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            sqlx::query("DELETE FROM latest WHERE series = (SELECT key FROM series WHERE id = ?)")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Uptime of every series over the four standard windows, from the roll-ups: hourly
    /// buckets for 24 h and 7 d, daily buckets for 30 d and 1 y (so a window is aligned to
    /// its bucket size).
    pub async fn uptime_all(&self, now_ms: i64) -> Result<HashMap<String, Uptime>, StoreError> {
        let mut out: HashMap<String, Uptime> = HashMap::new();
        let windows: [(&str, i64, UptimeField); 4] = [
            ("rollup_1h", DAY, |u| &mut u.h24),
            ("rollup_1h", 7 * DAY, |u| &mut u.d7),
            ("rollup_1d", 30 * DAY, |u| &mut u.d30),
            ("rollup_1d", 365 * DAY, |u| &mut u.y1),
        ];
        for (table, len, field) in windows {
            for (id, ratio) in self.uptime_window(table, now_ms - len, None).await? {
                *field(out.entry(id).or_default()) = ratio;
            }
        }
        Ok(out)
    }

    /// Uptime per series over one window; `only` limits it to one series.
    pub async fn uptime_window(
        &self,
        table: &str,
        since_ms: i64,
        only: Option<&str>,
    ) -> Result<Vec<(String, Option<f64>)>, StoreError> {
        let len = LEVELS.iter().find(|l| l.0 == table).map_or(DAY, |l| l.1);
        let since = since_ms - since_ms.rem_euclid(len);
        let filter = if only.is_some() { "AND s.id = ?" } else { "" };
        let sql = format!(
            "SELECT s.id, sum(r.n_up + r.n_degraded), sum(r.n_up + r.n_degraded + r.n_down)
             FROM {table} r JOIN series s ON s.key = r.series
             WHERE r.bucket >= ? {filter} GROUP BY s.id"
        );
        let mut q = sqlx::query(&sql).bind(since);
        if let Some(id) = only {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let good: i64 = r.get(1);
                let total: i64 = r.get(2);
                let ratio = (total > 0).then(|| good as f64 / total as f64);
                (r.get(0), ratio)
            })
            .collect())
    }

    pub async fn uptime(&self, id: &str, now_ms: i64) -> Result<Uptime, StoreError> {
        let one = |v: Vec<(String, Option<f64>)>| v.into_iter().next().and_then(|(_, r)| r);
        Ok(Uptime {
            h24: one(self
                .uptime_window("rollup_1h", now_ms - DAY, Some(id))
                .await?),
            d7: one(self
                .uptime_window("rollup_1h", now_ms - 7 * DAY, Some(id))
                .await?),
            d30: one(self
                .uptime_window("rollup_1d", now_ms - 30 * DAY, Some(id))
                .await?),
            y1: one(self
                .uptime_window("rollup_1d", now_ms - 365 * DAY, Some(id))
                .await?),
        })
    }

    /// History buckets of one series over a window; the bucket size follows the window.
    pub async fn history(
        &self,
        id: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<(i64, Vec<HistoryPoint>), StoreError> {
        let (table, len) = match window_ms {
            w if w <= 2 * DAY => ("rollup_5m", 5 * 60_000),
            w if w <= 45 * DAY => ("rollup_1h", 3_600_000),
            _ => ("rollup_1d", DAY),
        };
        let since = now_ms - window_ms;
        let since = since - since.rem_euclid(len);
        let rows = sqlx::query(&format!(
            "SELECT r.bucket, r.n_up, r.n_degraded, r.n_down, r.n_unknown, r.lat_sum, r.lat_n, r.lat_max
             FROM {table} r JOIN series s ON s.key = r.series
             WHERE s.id = ? AND r.bucket >= ? ORDER BY r.bucket"
        ))
        .bind(id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let points = rows
            .into_iter()
            .map(|r| {
                let lat_sum: i64 = r.get(5);
                let lat_n: i64 = r.get(6);
                HistoryPoint {
                    t: time_fmt::rfc3339_from_ms(r.get(0)),
                    up: r.get::<i64, _>(1) as u32,
                    degraded: r.get::<i64, _>(2) as u32,
                    down: r.get::<i64, _>(3) as u32,
                    unknown: r.get::<i64, _>(4) as u32,
                    latency_avg_ms: (lat_n > 0).then(|| lat_sum as f64 / lat_n as f64),
                    latency_max_ms: r.get(7),
                }
            })
            .collect();
        Ok((len / 1000, points))
    }

    /// Transitions, newest first; `id` limits them to one series.
    pub async fn transitions(
        &self,
        id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Transition>, StoreError> {
        let filter = if id.is_some() { "WHERE s.id = ?" } else { "" };
        let sql = format!(
            "SELECT s.id, t.ts, t.from_status, t.to_status, t.reason FROM transitions t
             JOIN series s ON s.key = t.series {filter} ORDER BY t.ts DESC, t.id DESC LIMIT ?"
        );
        let mut q = sqlx::query(&sql);
        if let Some(id) = id {
            q = q.bind(id);
        }
        let rows = q.bind(i64::from(limit)).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| Transition {
                id: r.get(0),
                at: time_fmt::rfc3339_from_ms(r.get(1)),
                from: r.get::<Option<i64>, _>(2).map(Status::from_code),
                to: Status::from_code(r.get(3)),
                reason: r.get(4),
            })
            .collect())
    }

    /// Raw results of one series, newest first.
    pub async fn recent_results(
        &self,
        id: &str,
        limit: u32,
    ) -> Result<Vec<(i64, Status, Option<i64>, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.ts, r.status, r.latency_ms, r.message FROM results r JOIN series s ON s.key = r.series
             WHERE s.id = ? ORDER BY r.ts DESC LIMIT ?",
        )
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), Status::from_code(r.get(1)), r.get(2), r.get(3)))
            .collect())
    }

    pub async fn count_results(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM results")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Drop raw results and roll-ups past their retention. Returns rows deleted.
    pub async fn prune(&self, now_ms: i64, raw_retention: Duration) -> Result<u64, StoreError> {
        let mut deleted = sqlx::query("DELETE FROM results WHERE ts < ?")
            .bind(now_ms - raw_retention.as_millis() as i64)
            .execute(&self.pool)
            .await?
            .rows_affected();
        for (table, _, keep) in LEVELS {
            deleted += sqlx::query(&format!("DELETE FROM {table} WHERE bucket < ?"))
                .bind(now_ms - keep)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        deleted += sqlx::query("DELETE FROM figures WHERE ts < ?")
            .bind(now_ms - raw_retention.as_millis() as i64)
            .execute(&self.pool)
            .await?
            .rows_affected();
        deleted += sqlx::query("DELETE FROM figures_5m WHERE bucket < ?")
            .bind(now_ms - FIGURES_5M_KEEP)
            .execute(&self.pool)
            .await?
            .rows_affected();
        // Series with nothing left: brokers create and delete queues all day (one per
        // connection, for some clients), and their names must not pile up for ever, here or
        // in the cache of keys (emptied, to be filled again by the series still written).
        let mut keys = self.keys.lock().await;
        keys.clear();
        deleted += sqlx::query(
            "DELETE FROM series WHERE
               NOT EXISTS (SELECT 1 FROM latest WHERE series = key)
               AND NOT EXISTS (SELECT 1 FROM results WHERE series = key)
               AND NOT EXISTS (SELECT 1 FROM rollup_5m WHERE series = key)
               AND NOT EXISTS (SELECT 1 FROM rollup_1h WHERE series = key)
               AND NOT EXISTS (SELECT 1 FROM rollup_1d WHERE series = key)
               AND NOT EXISTS (SELECT 1 FROM transitions WHERE series = key)
               AND NOT EXISTS (SELECT 1 FROM figures WHERE series = key)
               AND NOT EXISTS (SELECT 1 FROM figures_5m WHERE series = key)",
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        drop(keys);
        Ok(deleted)
    }

    /// `PRAGMA integrity_check`: `Ok("ok")` on a healthy file.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

async fn record_transition(
    tx: &mut sqlx::SqliteConnection,
    series: i64,
    r: &Record,
) -> Result<(), StoreError> {
    if let Some(t) = &r.transition {
        sqlx::query(
            "INSERT INTO transitions (series, ts, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(series)
        .bind(r.ts)
        .bind(t.from.map(Status::to_code))
        .bind(t.to.to_code())
        .bind(&t.reason)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Bucket {
    counts: [i64; 4],
    lat_sum: i64,
    lat_n: i64,
    lat_max: Option<i64>,
}

impl Bucket {
    fn add(&mut self, status: Status, latency: Option<i64>) {
        self.counts[status.to_code() as usize] += 1;
        if let Some(l) = latency {
            self.lat_sum += l;
            self.lat_n += 1;
            self.lat_max = Some(self.lat_max.map_or(l, |m| m.max(l)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, ts: i64, status: Status, latency: u64) -> Record {
        Record {
            result: CheckResult {
                id: id.into(),
                name: id.into(),
                check_type: "http".into(),
                environment: None,
                status,
                latency_ms: Some(latency),
                message: "m".into(),
                details: serde_json::json!({}),
                checked_at: time_fmt::rfc3339_from_ms(ts),
            },
            ts,
            confirmed: status,
            confirmed_since: ts,
            transition: None,
            write_latest: true,
        }
    }

    #[tokio::test]
    async fn figures_of_queues_and_values_are_kept_raw_and_in_buckets() {
        let store = Store::in_memory().await.expect("store");
        let now = 1_800_000_000_000;
        let mut batch = Vec::new();
        for i in 0..120i64 {
            let mut q = record("mq/orders", now - (119 - i) * 60_000, Status::Up, 5);
            q.result.details = serde_json::json!({ "queue": {
                "depth": i, "ready": i, "unacked": 0, "consumers": 2,
                "publish_rate": 1.5, "deliver_rate": 1.0, "ack_rate": 1.0 } });
            batch.push(q);
            let mut beat = record("beat", now - (119 - i) * 60_000, Status::Up, 1);
            beat.result.details = serde_json::json!({ "age_s": 30 });
            batch.push(beat);
        }
        // Results without figures write none.
        batch.push(record("plain", now, Status::Up, 3));
        store.write(&batch).await.expect("write");

        let (spacing, raw) = store
            .figures("mq/orders", 3_600_000, now)
            .await
            .expect("raw");
        assert_eq!(spacing, 0);
        assert_eq!(
            raw.len(),
            61,
            "one point a minute over the hour, both ends included"
        );
        let last = raw.last().expect("points");
        assert_eq!(
            (last.value, last.consumers, last.in_rate),
            (119.0, Some(2.0), Some(1.5))
        );

        let (spacing, buckets) = store
            .figures("mq/orders", 86_400_000, now)
            .await
            .expect("5m");
        assert_eq!(spacing, 300);
        assert!((24..=26).contains(&buckets.len()), "{}", buckets.len());
        let b = &buckets[1];
        assert_eq!(
            b.value_max,
            Some(b.value + 2.0),
            "the highest of five one-minute depths"
        );

        let spark = store
            .recent_values(
                &["mq/orders".into(), "beat".into(), "plain".into()],
                now - 600_000,
            )
            .await
            .expect("recent");
        assert_eq!(
            spark["mq/orders"],
            vec![109.0, 110.0, 111.0, 112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0]
        );
        assert_eq!(spark["beat"].len(), 11);
        assert!(!spark.contains_key("plain"));

        let pruned = store
            .prune(now + 3 * DAY, Duration::from_secs(3600))
            .await
            .expect("prune");
        assert!(pruned >= 240);
        assert!(store
            .figures("mq/orders", 3_600_000, now)
            .await
            .expect("raw")
            .1
            .is_empty());
        assert!(!store
            .figures("mq/orders", 7 * DAY, now + 3 * DAY)
            .await
            .expect("5m")
            .1
            .is_empty());
    }

    #[tokio::test]
    async fn rollups_and_uptime() {
        let store = Store::in_memory().await.expect("store");
        let now = 1_800_000_000_000;
        let mut batch = Vec::new();
        for i in 0..100 {
            let status = if i < 90 { Status::Up } else { Status::Down };
            batch.push(record("a", now - i * 60_000, status, 10 + i as u64));
        }
        store.write(&batch).await.expect("write");
        store.roll_up().await.expect("roll up");
        store
            .roll_up()
            .await
            .expect("a second pass changes nothing");
        let up = store.uptime("a", now).await.expect("uptime");
        assert_eq!(up.h24, Some(0.9));
        assert_eq!(up.d30, Some(0.9));
        let all = store.uptime_all(now).await.expect("all");
        assert_eq!(all["a"].d7, Some(0.9));
        let (bucket, points) = store.history("a", DAY, now).await.expect("history");
        assert_eq!(bucket, 300);
        let total: u32 = points.iter().map(|p| p.up + p.down).sum();
        assert_eq!(total, 100);
        assert_eq!(store.latest().await.expect("latest").len(), 1);
        // A second batch adds to the same buckets.
        store
            .write(&[record("a", now + 1, Status::Up, 5)])
            .await
            .expect("write");
        assert_eq!(store.count_results().await.expect("count"), 101);
        // Pruning raw results keeps the roll-ups.
        store
            .prune(now + 10 * DAY, Duration::from_secs(3600))
            .await
            .expect("prune");
        assert_eq!(store.count_results().await.expect("count"), 0);
        assert_eq!(store.integrity_check().await.expect("check"), "ok");
    }

    #[tokio::test]
    async fn a_forgotten_series_stays_gone_and_its_name_goes_with_its_history() {
        let store = Store::in_memory().await.expect("store");
        let now = 1_800_000_000_000;
        store
            .write(&[
                record("mq/kept", now, Status::Up, 1),
                record("mq/deleted", now, Status::Up, 1),
            ])
            .await
            .expect("write");
        store.roll_up().await.expect("roll up");
        store
            .forget_latest(&["mq/deleted".into(), "mq/never-seen".into()])
            .await
            .expect("forget");
        let latest: Vec<String> = store
            .latest()
            .await
            .expect("latest")
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(latest, ["mq/kept"]);
        let names = || async {
            sqlx::query_scalar::<_, String>("SELECT id FROM series ORDER BY id")
                .fetch_all(store.pool())
                .await
                .expect("series")
        };
        // Its history is still there to look at.
        assert_eq!(names().await, ["mq/deleted", "mq/kept"]);
        // Once every row of it has aged out, its name goes too; the live one stays.
        store
            .prune(now + 3700 * DAY, Duration::from_secs(3600))
            .await
            .expect("prune");
        assert_eq!(names().await, ["mq/kept"]);
        assert_eq!(store.integrity_check().await.expect("check"), "ok");
    }
}
