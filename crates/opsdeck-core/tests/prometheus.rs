//! The Prometheus check against a real Prometheus scraping a real blackbox_exporter, started by
//! `scripts/services` (`OPSDECK_TEST_PROMETHEUS` names the server). The exporter probes one
//! healthy endpoint and one where nothing listens. Without the variable the tests say they
//! were skipped, unless `OPSDECK_TEST_REQUIRE_SERVICES` is set, as in CI.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use opsdeck_core::config::{Check, Config, Settings};
use opsdeck_core::probe::Runner;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::status::Status;

fn prometheus() -> Option<String> {
    match std::env::var("OPSDECK_TEST_PROMETHEUS") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("OPSDECK_TEST_REQUIRE_SERVICES").is_none(),
                "OPSDECK_TEST_PROMETHEUS is not set; run scripts/services start DIR and source DIR/env"
            );
            eprintln!("SKIPPED: no Prometheus (set OPSDECK_TEST_PROMETHEUS, see scripts/services)");
            None
        }
    }
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
