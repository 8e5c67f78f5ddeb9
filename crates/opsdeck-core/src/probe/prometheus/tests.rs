use super::*;
use crate::config::{CheckSpec, Config};

fn spec(extra: &str) -> PrometheusSpec {
    let text = format!(
        "[[check]]\nid = \"prom\"\ntype = \"prometheus\"\nurl = \"http://127.0.0.1:9090\"\nquery = \"probe_success\"\n{extra}\n"
    );
    match Config::parse(&text, "t.toml").unwrap().check.remove(0).spec {
        CheckSpec::Prometheus(p) => p,
        other => panic!("{other:?}"),
    }
}

fn answer(status: u16, body: Value) -> http::Answer {
    http::Answer {
        status,
        content_type: Some("application/json".into()),
        body: body.to_string().into_bytes(),
        truncated: false,
        cap: 1 << 20,
        cert_not_after: None,
        final_url: String::new(),
    }
}

#[test]
fn one_result_per_series_named_by_label() {
    let s = spec("label = \"instance\"\ndown_below = 1");
    let a = answer(
        200,
        json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": "probe_success", "instance": "http://a/health", "job": "bb"}, "value": [1795581927.344, "1"]},
            {"metric": {"__name__": "probe_success", "instance": "http://b/down", "job": "bb"}, "value": [1795581927.344, "0"]}
        ]}}),
    );
    let out = evaluate("prom", &s, "127.0.0.1:9090", &a);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].0, "prom/http://a/health");
    assert_eq!(out[0].1.status, Status::Up);
    assert_eq!(out[1].1.status, Status::Down);
    assert_eq!(out[1].1.message, "0 (below 1, down)");
    assert_eq!(out[1].1.details["labels"]["job"], "bb");
}

#[test]
fn without_a_label_every_label_names_the_series() {
    let s = spec("degraded_above = 0.5\ndown_above = 0.9");
    let a = answer(
        200,
        json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": "x", "job": "node", "instance": "h:9100"}, "value": [1.0, "0.75"]}
        ]}}),
    );
    let out = evaluate("prom", &s, "h", &a);
    assert_eq!(out[0].0, "prom/instance=h:9100,job=node");
    assert_eq!(out[0].1.status, Status::Degraded);
    assert_eq!(out[0].1.message, "0.75 (above 0.5, degraded)");
}

#[test]
fn scalars_empty_results_and_odd_values() {
    let s = spec("down_above = 900");
    let a = answer(
        200,
        json!({"status": "success", "data": {"resultType": "scalar", "result": [1.0, "1200"]}}),
    );
    let out = evaluate("prom", &s, "h", &a);
    assert_eq!((out[0].0.as_str(), out[0].1.status), ("prom", Status::Down));

    let empty = answer(
        200,
        json!({"status": "success", "data": {"resultType": "vector", "result": []}}),
    );
    let out = evaluate("prom", &s, "h", &empty);
    assert_eq!(out[0].1.status, Status::Unknown);
    assert_eq!(out[0].1.message, "the query returned no series");
    let fine = spec("if_empty = \"up\"");
    assert_eq!(evaluate("prom", &fine, "h", &empty)[0].1.status, Status::Up);

    let nan = answer(
        200,
        json!({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {}, "value": [1.0, "NaN"]}]}}),
    );
    let out = evaluate("prom", &s, "h", &nan);
    assert_eq!(out[0].1.status, Status::Unknown);
    assert_eq!(out[0].1.details["value"], "NaN");

    let matrix = answer(
        200,
        json!({"status": "success", "data": {"resultType": "matrix", "result": []}}),
    );
    let out = evaluate("prom", &s, "h", &matrix);
    assert!(
        out[0].1.message.contains("returns a matrix"),
        "{}",
        out[0].1.message
    );
}

#[test]
fn query_errors_are_shown_as_prometheus_said_them() {
    let s = spec("");
    let bad = answer(
        400,
        json!({"status": "error", "errorType": "bad_data",
        "error": "invalid parameter \"query\": 1:6: parse error: unexpected end of input"}),
    );
    let out = evaluate("prom", &s, "127.0.0.1:9090", &bad);
    assert_eq!(out[0].1.status, Status::Unknown);
    assert_eq!(
        out[0].1.message,
        "Prometheus at 127.0.0.1:9090 could not run the query (HTTP 400, bad_data): invalid parameter \"query\": 1:6: parse error: unexpected end of input"
    );
    let exec = answer(
        422,
        json!({"status": "error", "errorType": "execution", "error": "many-to-many matching not allowed"}),
    );
    assert!(evaluate("prom", &s, "h", &exec)[0]
        .1
        .message
        .contains("422, execution"));
    let html = http::Answer {
        body: b"<html>nope</html>".to_vec(),
        ..answer(200, json!(null))
    };
    assert!(evaluate("prom", &s, "h", &html)[0]
        .1
        .message
        .contains("not Prometheus's JSON"));
}

#[test]
fn config_problems_are_named() {
    let bad = |extra: &str| {
        let text = format!(
            "[[check]]\nid = \"p\"\ntype = \"prometheus\"\nurl = \"http://p:9090\"\n{extra}\n"
        );
        Config::parse(&text, "t.toml").unwrap_err().to_string()
    };
    assert!(bad("query = \"  \"").contains("must be a PromQL expression"));
    assert!(
        bad("query = \"up\"\ndown_below = 5\ndown_above = 1").contains("lower than `down_above`")
    );
    assert!(bad("query = \"up\"\nif_empty = \"fine\"").contains("if_empty"));
    assert!(bad("").contains("query"));
}
