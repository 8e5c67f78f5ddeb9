//! How the engine keeps and lets go of the results of a check with one result per thing (a
//! queue, a Prometheus series): a thing missed once stays, one missed twice goes, a check whose
//! type changes drops its per-thing results, and things that went while opsdeck was stopped do
//! not come back from the store. Served by a local stand-in that answers `/api/v1/query` in
//! the shape Prometheus documents, with the series the test chooses.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use opsdeck_core::config::Config;
use opsdeck_core::engine::{Engine, Event};
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::status::{CheckResult, Status};
use opsdeck_core::store::{Record, Store};

/// A stand-in Prometheus answering `up` with one series per instance in `instances`.
async fn prometheus(instances: Arc<Mutex<Vec<&'static str>>>) -> String {
    let app = axum::Router::new().route(
        "/api/v1/query",
        axum::routing::get(move || {
            let instances = instances.lock().unwrap().clone();
            async move {
                let result: Vec<serde_json::Value> = instances
                    .iter()
                    .map(|i| serde_json::json!({"metric": {"instance": i}, "value": [1.0, "1"]}))
                    .collect();
                serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": result}})
                    .to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn prometheus_check(base: &str) -> Config {
    Config::parse(
        &format!(
            "[[check]]\nid = \"prom\"\ntype = \"prometheus\"\nurl = \"{base}\"\nquery = \"up\"\n\
             label = \"instance\"\ninterval = \"1h\"\n"
        ),
        "t.toml",
    )
    .unwrap()
}

fn ids(engine: &Engine) -> Vec<String> {
    let mut v: Vec<String> = engine.views().into_iter().map(|v| v.id).collect();
    v.sort();
    v
}

async fn engine(config: Config, store: Store) -> Arc<Engine> {
    Engine::new(config, store, Arc::new(ExplicitSecrets::default()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thing_missed_once_stays_and_one_missed_twice_goes() {
    let instances = Arc::new(Mutex::new(vec!["a", "b"]));
    let base = prometheus(instances.clone()).await;
    let config = prometheus_check(&base);
    let check = config.check[0].clone();
    let engine = engine(config, Store::in_memory().await.unwrap()).await;
    let mut events = engine.subscribe();
    engine.run_check(&check).await;
    assert_eq!(ids(&engine), ["prom/a", "prom/b"]);

    // Missing from one answer (as a queue on the seam of two pages can be): still there.
    *instances.lock().unwrap() = vec!["a"];
    engine.run_check(&check).await;
    assert_eq!(ids(&engine), ["prom/a", "prom/b"]);
    // Back again: the count starts over.
    *instances.lock().unwrap() = vec!["a", "b"];
    engine.run_check(&check).await;
    *instances.lock().unwrap() = vec!["a"];
    engine.run_check(&check).await;
    assert_eq!(ids(&engine), ["prom/a", "prom/b"]);
    // Missing from two answers in a row: gone, and said so.
    engine.run_check(&check).await;
    assert_eq!(ids(&engine), ["prom/a"]);
    let mut removed = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let Event::Removed { ids } = e {
            removed.extend(ids);
        }
    }
    assert_eq!(removed, ["prom", "prom/b"], "the placeholder, then b");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_whose_type_changes_drops_its_per_thing_results() {
    let instances = Arc::new(Mutex::new(vec!["a", "b"]));
    let base = prometheus(instances).await;
    let config = prometheus_check(&base);
    let check = config.check[0].clone();
    let engine = engine(config, Store::in_memory().await.unwrap()).await;
    engine.run_check(&check).await;
    assert_eq!(ids(&engine), ["prom/a", "prom/b"]);
    let http = Config::parse(
        &format!("[[check]]\nid = \"prom\"\ntype = \"http\"\nurl = \"{base}/-/healthy\"\ninterval = \"1h\"\n"),
        "t.toml",
    )
    .unwrap();
    engine.apply_config(http).await;
    assert_eq!(ids(&engine), ["prom"]);
    assert_eq!(engine.view("prom").unwrap().check_type, "http");
}

fn row(id: &str, ts: i64) -> Record {
    Record {
        result: CheckResult {
            id: id.into(),
            name: id.into(),
            check_type: "prometheus".into(),
            environment: None,
            status: Status::Up,
            latency_ms: Some(3),
            message: "1".into(),
            details: serde_json::json!({ "value": 1.0 }),
            checked_at: opsdeck_core::time_fmt::rfc3339_from_ms(ts),
        },
        ts,
        confirmed: Status::Up,
        confirmed_since: ts,
        transition: None,
        write_latest: true,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn things_that_went_while_opsdeck_was_stopped_stay_gone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let now = opsdeck_core::time_fmt::now_ms();
    {
        let store = Store::open(&path).await.unwrap();
        store
            .write(&[
                row("prom/a", now - 5_000),
                row("prom/b", now - 60_000),
                // Last written a day before the others: it went before the last stop.
                row("prom/old", now - 86_400_000),
            ])
            .await
            .unwrap();
        store.close().await;
    }
    let config = prometheus_check("http://127.0.0.1:9");
    let engine = engine(config, Store::open(&path).await.unwrap()).await;
    assert_eq!(ids(&engine), ["prom/a", "prom/b"]);
    engine.shutdown().await;

    // The same id as a check with one result: only its own id is its result.
    let http = Config::parse(
        "[[check]]\nid = \"prom\"\ntype = \"http\"\nurl = \"http://127.0.0.1:9\"\n",
        "t.toml",
    )
    .unwrap();
    let engine = engine_on(http, &path).await;
    assert_eq!(ids(&engine), ["prom"]);
    assert_eq!(engine.view("prom").unwrap().status, Status::Unknown);
}

async fn engine_on(config: Config, path: &std::path::Path) -> Arc<Engine> {
    engine(config, Store::open(path).await.unwrap()).await
}
