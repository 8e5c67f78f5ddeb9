//! The Prometheus check against a real Prometheus scraping a real blackbox_exporter, started by
//! `scripts/services` (`OPSDECK_TEST_PROMETHEUS` names the server). The exporter probes one
//! healthy endpoint and one where nothing listens. Without the variable the tests say they
//! were skipped, unless `OPSDECK_TEST_REQUIRE_SERVICES` is set, as in CI.
#![allow(clippy::unwrap_used)]

#[path = "support/services.rs"]
mod services;

use std::sync::Arc;

use opsdeck_core::config::{Check, Config, Settings};
use opsdeck_core::probe::Runner;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::status::Status;

fn prometheus() -> Option<String> {
    services::service("OPSDECK_TEST_PROMETHEUS", "Prometheus")
}

fn check(base: &str, extra: &str) -> Check {
    let text =
        format!("[[check]]\nid = \"prom\"\ntype = \"prometheus\"\nurl = \"{base}\"\n{extra}\n");
    Config::parse(&text, "test.toml").unwrap().check.remove(0)
}

fn runner() -> Runner {
    Runner::new(&Settings::default(), Arc::new(ExplicitSecrets::default()))
}

#[tokio::test(flavor = "multi_thread")]
async fn one_result_per_blackbox_target() {
    let Some(base) = prometheus() else { return };
    let c = check(
        &base,
        "query = 'probe_success{job=\"blackbox_http\"}'\nlabel = \"instance\"\ndown_below = 1",
    );
    let mut results = runner().run(&c).await;
    results.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(results.len(), 2, "{results:#?}");
    let up = &results[0];
    assert_eq!(up.id, "prom/http://127.0.0.1:18080/health");
    assert_eq!((up.status, up.message.as_str()), (Status::Up, "1"));
    assert_eq!(up.details["labels"]["job"], "blackbox_http");
    let down = &results[1];
    assert_eq!(down.id, "prom/http://127.0.0.1:18081/down");
    assert_eq!(down.status, Status::Down);
    assert_eq!(down.message, "0 (below 1, down)");
    assert_eq!(down.name, "prom: http://127.0.0.1:18081/down");
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_results_and_scalars() {
    let Some(base) = prometheus() else { return };
    let r = runner();
    let empty = check(&base, "query = 'probe_success{job=\"no-such-job\"}'");
    let out = r.run(&empty).await;
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].id.as_str(), out[0].status),
        ("prom", Status::Unknown)
    );
    assert_eq!(out[0].message, "the query returned no series");
    // An alert-style query: no series is the good case.
    let alert = check(
        &base,
        "query = 'probe_success{job=\"no-such-job\"} == 0'\nif_empty = \"up\"",
    );
    assert_eq!(r.run(&alert).await[0].status, Status::Up);
    let scalar = check(&base, "query = 'scalar(count(up))'\ndegraded_below = 1");
    let out = r.run(&scalar).await;
    assert_eq!(
        (out[0].id.as_str(), out[0].status),
        ("prom", Status::Up),
        "{out:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn promql_errors_show_what_prometheus_said() {
    let Some(base) = prometheus() else { return };
    let r = runner();
    let syntax = check(&base, "query = 'sum(up'");
    let out = r.run(&syntax).await;
    assert_eq!(out[0].status, Status::Unknown);
    assert!(
        out[0]
            .message
            .contains("could not run the query (HTTP 400, bad_data)"),
        "{}",
        out[0].message
    );
    assert!(out[0].message.contains("parse error"), "{}", out[0].message);
    // Valid syntax that cannot be executed: Prometheus answers 422.
    let exec = check(
        &base,
        "query = 'probe_success + ignoring(instance) probe_success'",
    );
    let out = r.run(&exec).await;
    assert_eq!(out[0].status, Status::Unknown);
    assert!(
        out[0]
            .message
            .contains("could not run the query (HTTP 422, execution)")
            && out[0].message.contains("many-to-many matching not allowed"),
        "{}",
        out[0].message
    );
    let range = check(&base, "query = 'up[1m]'");
    let out = r.run(&range).await;
    assert!(
        out[0].message.contains("returns a matrix"),
        "{}",
        out[0].message
    );
    // Not a Prometheus server at all.
    let wrong = check("http://127.0.0.1:18080", "query = 'up'");
    let out = r.run(&wrong).await;
    assert_eq!(out[0].status, Status::Unknown);
    assert!(
        out[0].message.contains("not Prometheus's JSON"),
        "{}",
        out[0].message
    );
    let _ = base;
}

/// When Prometheus cannot be asked, the series it reported before stay in view as unknown
/// (instead of vanishing and coming back undamped). Served by a local stand-in that answers
/// in the documented shape of `/api/v1/query`, then fails.
#[tokio::test(flavor = "multi_thread")]
async fn series_stay_in_view_while_prometheus_is_away() {
    use axum::http::StatusCode;
    use std::sync::atomic::{AtomicBool, Ordering};
    let away = Arc::new(AtomicBool::new(false));
    let app = axum::Router::new().route(
        "/api/v1/query",
        axum::routing::get({
            let away = away.clone();
            move || async move {
                if away.load(Ordering::SeqCst) {
                    return (StatusCode::SERVICE_UNAVAILABLE, "unavailable".to_string());
                }
                let body = serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": [
                    {"metric": {"instance": "a"}, "value": [1.0, "1"]},
                    {"metric": {"instance": "b"}, "value": [1.0, "1"]}]}});
                (StatusCode::OK, body.to_string())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = Config::parse(
        &format!(
            "[[check]]\nid = \"prom\"\ntype = \"prometheus\"\nurl = \"http://{addr}\"\nquery = \"up\"\nlabel = \"instance\"\n"
        ),
        "t.toml",
    )
    .unwrap();
    let check = config.check[0].clone();
    let store = opsdeck_core::store::Store::in_memory().await.unwrap();
    let engine =
        opsdeck_core::engine::Engine::new(config, store, Arc::new(ExplicitSecrets::default()))
            .await
            .unwrap();
    let ids = |engine: &opsdeck_core::engine::Engine| {
        let mut v: Vec<(String, Status)> = engine
            .views()
            .into_iter()
            .map(|v| (v.id, v.last_status))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    engine.run_check(&check).await;
    assert_eq!(
        ids(&engine),
        vec![("prom/a".into(), Status::Up), ("prom/b".into(), Status::Up)]
    );
    away.store(true, Ordering::SeqCst);
    let results = engine.run_check(&check).await;
    assert_eq!(results.len(), 2, "{results:#?}");
    assert_eq!(
        ids(&engine),
        vec![
            ("prom/a".into(), Status::Unknown),
            ("prom/b".into(), Status::Unknown)
        ]
    );
    assert!(
        results[0].message.contains("Prometheus at"),
        "{}",
        results[0].message
    );
}
