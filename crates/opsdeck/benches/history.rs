//! History benchmark: the database of a year of 1,000 checks at a 60 s interval, as the store
//! holds it after a year under the default retention (raw results for 48 h, 5-minute buckets
//! for 8 days, hourly for 100 days, daily for the year, transitions for the year). Pruned pages
//! are reused by SQLite, so this is also the size the file settles at.
//!
//! Budget: database at most 500 MB; 30-day uptime for all checks in at most 100 ms; the
//! overview API p95 at most 50 ms (through HTTP, with the uptime it includes).
//!
//! Run: `cargo bench -p opsdeck --bench history`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck_core::api::Api;
use opsdeck_core::config::Config;
use opsdeck_core::engine::Engine;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::store::Store;

const CHECKS: i64 = 1000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Insert rows in multi-row statements inside one transaction.
async fn bulk(pool: &sqlx::SqlitePool, head: &str, rows: impl Iterator<Item = String>) {
    let mut tx = pool.begin().await.unwrap();
    let mut batch = Vec::with_capacity(500);
    let flush = |batch: &mut Vec<String>| {
        let sql = format!("{head} VALUES {}", batch.join(","));
        batch.clear();
        sql
    };
    for row in rows {
        batch.push(row);
        if batch.len() == 500 {
            let sql = flush(&mut batch);
            sqlx::query(&sql).execute(&mut *tx).await.unwrap();
        }
    }
    if !batch.is_empty() {
        let sql = flush(&mut batch);
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Status of check `c` at time `t`: mostly up, some down and degraded stretches.
fn status(c: i64, t: i64) -> i64 {
    let h = (c * 7_919 + t / MINUTE * 104_729) % 1000;
    match h {
        0..=9 => 2,
        10..=24 => 1,
        _ => 0,
    }
}

fn bucket_row(c: i64, bucket: i64, len: i64) -> String {
    let n = len / MINUTE;
    let down = (c + bucket / len) % 97 % 3; // a few failures here and there
    let degraded = (c + bucket / len) % 89 % 2;
    let up = n - down - degraded;
    let lat = 40 + (c * 13 + bucket / len) % 160;
    format!(
        "({},{bucket},{up},{degraded},{down},0,{},{n},{})",
        c + 1,
        lat * n,
        lat * 3
    )
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("opsdeck.sqlite");
    // BENCH_KEEP_DB=PATH keeps a copy of the database for looking at query plans.
    let keep = std::env::var_os("BENCH_KEEP_DB");
    let store = Store::open(&db).await.unwrap();
    let pool = store.pool().clone();
    let now = opsdeck_core::time_fmt::now_ms();
    let now_min = now - now % MINUTE;
    let started = Instant::now();

    bulk(
        &pool,
        "INSERT INTO series (key, id)",
        (1..=CHECKS).map(|c| format!("({c},'c{c}')")),
    )
    .await;
    // Raw results: 48 h at 60 s.
    let raw = (0..CHECKS).flat_map(move |c| {
        (0..2 * 24 * 60).map(move |m| {
            let t = now_min - m * MINUTE - c * 37;
            let s = status(c, t);
            let msg = match s {
                0 => "Healthy",
                1 => "Degraded (redis: Slow responses)",
                _ => "no response from api.example.com:443 within the 5s timeout",
            };
            format!("({},{t},{s},{},'{msg}')", c + 1, 20 + (c + m) % 180)
        })
    });
    bulk(
        &pool,
        "INSERT INTO results (series, ts, status, latency_ms, message)",
        raw,
    )
    .await;
    for (table, len, keep) in [
        ("rollup_5m", 5 * MINUTE, 8 * DAY),
        ("rollup_1h", HOUR, 100 * DAY),
        ("rollup_1d", DAY, 365 * DAY),
    ] {
        let first = (now - keep) - (now - keep).rem_euclid(len);
        let buckets = (keep / len) + 1;
        let rows = (0..CHECKS)
            .flat_map(move |c| (0..buckets).map(move |b| bucket_row(c, first + b * len, len)));
        bulk(
            &pool,
            &format!("INSERT INTO {table} (series, bucket, n_up, n_degraded, n_down, n_unknown, lat_sum, lat_n, lat_max)"),
            rows,
        )
        .await;
    }
    // About two transitions a week per check, for the year.
    let transitions = (0..CHECKS).flat_map(move |c| {
        (0..104).map(move |i| {
            let t = now - 365 * DAY + i * (365 * DAY / 104) + c * 1000;
            let (from, to) = if i % 2 == 0 { (0, 2) } else { (2, 0) };
            format!(
                "({},{t},{from},{to},'3 consecutive failures: connection to api.example.com:443 refused')",
                c + 1
            )
        })
    });
    bulk(
        &pool,
        "INSERT INTO transitions (series, ts, from_status, to_status, reason)",
        transitions,
    )
    .await;
    let latest = (0..CHECKS).map(move |c| {
        format!(
            "({},{now},0,42,'Healthy','{{\"http_status\":200,\"format\":\"aspnet-text\"}}',0,{})",
            c + 1,
            now - DAY
        )
    });
    bulk(
        &pool,
        "INSERT INTO latest (series, ts, status, latency_ms, message, details, confirmed, confirmed_since)",
        latest,
    )
    .await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .unwrap();
    let built = started.elapsed();
    if let Some(path) = &keep {
        sqlx::query("VACUUM INTO ?")
            .bind(std::path::Path::new(path).to_string_lossy().into_owned())
            .execute(&pool)
            .await
            .unwrap();
    }
    let size: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM results) + (SELECT count(*) FROM rollup_5m) + (SELECT count(*) FROM rollup_1h) + (SELECT count(*) FROM rollup_1d) + (SELECT count(*) FROM transitions)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    // 30-day uptime of every check.
    let mut uptime_times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let all = store
            .uptime_window("rollup_1d", now - 30 * DAY, None)
            .await
            .unwrap();
        uptime_times.push(t.elapsed());
        assert_eq!(all.len() as i64, CHECKS);
    }

    // The overview through the real HTTP server.
    let mut text = String::from("[[environment]]\nid = \"live\"\nname = \"Live\"\n");
    for c in 1..=CHECKS {
        text.push_str(&format!(
            "[[check]]\nid = \"c{c}\"\nenvironment = \"live\"\ntype = \"http\"\nurl = \"http://127.0.0.1:9/c{c}\"\n"
        ));
    }
    let config = Config::parse(&text, "bench.toml").unwrap();
    let engine = Engine::new(config, store, Arc::new(ExplicitSecrets::default()))
        .await
        .unwrap();
    let (_stop, stopping) = tokio::sync::watch::channel(false);
    let guard = opsdeck::server::Guard {
        loopback_only: true,
    };
    // The API wants a token, as it does in production; Argon2 runs for the first request only.
    let tokens = opsdeck_core::access::TokenStore::new(dir.path());
    let viewer = tokens
        .create("bench", opsdeck_core::access::Role::Viewer)
        .unwrap();
    let access = opsdeck::server::auth::Access::new(
        Arc::new(opsdeck_core::access::TokenVerifier::new(tokens)),
        false,
        0,
    );
    let app = opsdeck::server::router(
        Api::new(engine.clone()),
        access,
        opsdeck::server::UiFiles::Missing,
        guard,
        stopping,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/overview");
    let mut overview_times = Vec::new();
    for i in 0..220 {
        let t = Instant::now();
        let body = client
            .get(&url)
            .bearer_auth(secrecy::ExposeSecret::expose_secret(&viewer.token))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        if i >= 20 {
            overview_times.push(t.elapsed());
        }
        assert!(body.len() > 100_000, "overview of 1,000 checks");
    }

    let pct = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    };
    let mib = size as f64 / (1024.0 * 1024.0);
    let up_p50 = pct(&mut uptime_times, 0.5);
    let up_max = pct(&mut uptime_times, 1.0);
    let ov_p50 = pct(&mut overview_times, 0.5);
    let ov_p95 = pct(&mut overview_times, 0.95);
    println!("opsdeck history benchmark on {}", support::machine());
    println!(
        "a year of {CHECKS} checks at 60 s: {rows} history rows, built in {:.0} s",
        built.as_secs_f64()
    );
    println!(
        "database {mib:.0} MiB (budget 500 MB): {}",
        support::verdict(size <= 500_000_000)
    );
    println!(
        "30-day uptime of all checks: median {:.1} ms, worst {:.1} ms (budget 100 ms): {}",
        up_p50.as_secs_f64() * 1000.0,
        up_max.as_secs_f64() * 1000.0,
        support::verdict(up_max <= Duration::from_millis(100))
    );
    println!(
        "GET /api/overview (1,000 checks, with 24 h uptime): median {:.1} ms, p95 {:.1} ms (budget 50 ms): {}",
        ov_p50.as_secs_f64() * 1000.0,
        ov_p95.as_secs_f64() * 1000.0,
        support::verdict(ov_p95 <= Duration::from_millis(50))
    );
}
