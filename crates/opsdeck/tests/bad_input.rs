//! Every kind of bad answer, against real local servers: each gives a clear, specific message on
//! its result, never a panic and never a stalled sweep.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use opsdeck::fakes::{Behaviour, FakeServer};
use opsdeck_core::config::Config;
use opsdeck_core::engine::sweep;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::status::{CheckResult, Status};
use support::*;

async fn axum_server(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn run_all(checks: &str) -> HashMap<String, CheckResult> {
    let config = Config::parse(checks, "test.toml").unwrap();
    let results = sweep(&config, &[], Arc::new(ExplicitSecrets::default()))
        .await
        .unwrap();
    results.into_iter().map(|r| (r.id.clone(), r)).collect()
}

fn expect(results: &HashMap<String, CheckResult>, id: &str, status: Status, needle: &str) {
    let r = &results[id];
    assert_eq!(r.status, status, "{id}: {}", r.message);
    assert!(
        r.message.contains(needle),
        "{id}: expected {needle:?} in {:?}",
        r.message
    );
}

#[tokio::test]
async fn transport_and_content_failures_are_specific() {
    let app = Router::new()
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route("/a", get(|| async { Redirect::temporary("/b") }))
        .route("/b", get(|| async { Redirect::temporary("/a") }))
        .route(
            "/big",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain")],
                    vec![b'x'; 10 * 1024 * 1024],
                )
            }),
        )
        .route(
            "/badjson",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    "{\"status\": \"Healthy\",",
                )
            }),
        )
        .route(
            "/badutf8",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain")],
                    vec![b'O', b'K', 0xff, 0xfe],
                )
            }),
        )
        .route(
            "/500",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response() }),
        );
    let web = axum_server(app).await;
    // Accepts the connection and never answers.
    let hang = tcp_server(|stream| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(stream);
    })
    .await;
    // Resets the connection as soon as the request arrives (SO_LINGER 0, then close).
    let reset = tcp_server(|mut stream| async move {
        let mut buf = [0u8; 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
        // Deprecated because a non-zero linger blocks on drop; a zero linger never does.
        #[allow(deprecated)]
        let _ = stream.set_linger(Some(Duration::ZERO));
        drop(stream);
    })
    .await;
    // A port with nothing listening: bind, note the port, close.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    // A 64-character label is refused by the resolver library itself, so no DNS query leaves
    // the machine.
    let bad_host = format!("{}.example", "a".repeat(64));

    let mut text = String::new();
    text += &http_check("refused", &format!("http://{refused}/"), "");
    text += &http_check("dns", &format!("http://{bad_host}/"), "");
    text += &http_check("reset", &format!("http://{reset}/"), "");
    text += &http_check("hang", &format!("http://{hang}/"), "");
    text += &http_check("loop", &format!("http://{web}/loop"), "");
    text += &http_check("pingpong", &format!("http://{web}/a"), "");
    text += &http_check("big", &format!("http://{web}/big"), "body_contains = \"x\"");
    text += &http_check("big-generic", &format!("http://{web}/big"), "");
    text += &http_check("badjson", &format!("http://{web}/badjson"), "");
    text += &http_check(
        "badutf8",
        &format!("http://{web}/badutf8"),
        "body_contains = \"OK\"",
    );
    text += &http_check("500", &format!("http://{web}/500"), "");
    text += &http_check(
        "nosecret",
        &format!("http://{web}/500"),
        "username = \"u\"\npassword = { secret = \"missing-one\" }",
    );

    let started = Instant::now();
    let r = run_all(&text).await;
    // The hanging endpoint costs its own 2 s timeout and nothing more.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "sweep took {:?}",
        started.elapsed()
    );

    expect(&r, "refused", Status::Down, "refused");
    expect(&r, "dns", Status::Down, "DNS lookup of");
    assert_eq!(r["dns"].details["error"], "dns");
    assert_eq!(r["reset"].status, Status::Down);
    assert!(
        r["reset"].message.contains("reset")
            || r["reset"].message.contains("closed the connection"),
        "{}",
        r["reset"].message
    );
    expect(&r, "hang", Status::Down, "no response from");
    expect(&r, "hang", Status::Down, "2s timeout");
    expect(&r, "loop", Status::Down, "redirect loop");
    expect(&r, "pingpong", Status::Down, "redirect loop");
    expect(&r, "big", Status::Down, "larger than the 1 MiB limit");
    expect(&r, "big-generic", Status::Up, "larger than the 1 MiB limit");
    expect(&r, "badjson", Status::Down, "not valid JSON");
    expect(&r, "badutf8", Status::Down, "not valid UTF-8");
    expect(&r, "500", Status::Down, "HTTP 500 Internal Server Error");
    expect(
        &r,
        "nosecret",
        Status::Unknown,
        "credential `missing-one` is not in the keychain",
    );
}

#[tokio::test]
async fn tls_failures_name_the_cause() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let day = time::Duration::days(1);
    let (c, k) = pki.leaf(&["localhost"], -day, day * 90, false);
    let good = tls_server(c, k).await;
    let (c, k) = pki.leaf(&["localhost"], -day, day * 10, false);
    let expiring = tls_server(c, k).await;
    let (c, k) = pki.leaf(&["localhost"], -day * 30, -day, false);
    let expired = tls_server(c, k).await;
    let (c, k) = pki.leaf(&["other.example"], -day, day * 90, false);
    let wrong_name = tls_server(c, k).await;
    let (c, k) = pki.leaf(&["localhost"], -day, day * 90, true);
    let self_signed = tls_server(c, k).await;
    let plain = FakeServer::start(
        vec![("svc".into(), Behaviour::HealthyText)],
        std::net::Ipv4Addr::LOCALHOST.into(),
    )
    .await
    .unwrap();

    let ca_line = format!("ca_file = '{}'", ca.display());
    let url = |a: std::net::SocketAddr| format!("https://localhost:{}/HealthCheck", a.port());
    let mut text = String::new();
    text += &http_check("good", &url(good), &ca_line);
    text += &http_check("expiring", &url(expiring), &ca_line);
    text += &http_check("expired", &url(expired), &ca_line);
    text += &http_check("wrong-name", &url(wrong_name), &ca_line);
    text += &http_check("untrusted", &url(self_signed), "");
    text += &http_check("insecure", &url(self_signed), "tls_insecure = true");
    text += &http_check(
        "not-tls",
        &format!("https://{}/svc/svc/HealthCheck", plain.addr),
        "",
    );
    let r = run_all(&text).await;

    expect(&r, "good", Status::Up, "Healthy");
    assert!(r["good"].details["tls"]["days_left"].as_i64().unwrap() >= 88);
    expect(
        &r,
        "expiring",
        Status::Degraded,
        "TLS certificate expires in",
    );
    expect(&r, "expired", Status::Down, "has expired");
    expect(
        &r,
        "wrong-name",
        Status::Down,
        "not valid for this host name",
    );
    expect(
        &r,
        "untrusted",
        Status::Down,
        "self-signed or issued by an unknown CA",
    );
    expect(&r, "insecure", Status::Up, "Healthy");
    assert!(r["insecure"].details["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("tls_insecure"));
    expect(&r, "not-tls", Status::Down, "TLS");
}

#[tokio::test]
async fn aspnet_formats_over_real_http() {
    let fakes = FakeServer::start(
        vec![
            ("text".into(), Behaviour::HealthyText),
            (
                "json".into(),
                Behaviour::HealthyJson {
                    entries: vec!["sqlserver", "self"],
                },
            ),
            (
                "degraded".into(),
                Behaviour::Degraded {
                    entry: "redis",
                    description: "slow",
                },
            ),
            (
                "unhealthy".into(),
                Behaviour::Unhealthy {
                    entry: "sqlserver",
                    exception: "Login failed",
                },
            ),
            ("unhealthy-text".into(), Behaviour::UnhealthyText),
            (
                "generic".into(),
                Behaviour::GenericJson {
                    body: serde_json::json!({"db": {"ok": true}}),
                },
            ),
        ],
        std::net::Ipv4Addr::LOCALHOST.into(),
    )
    .await
    .unwrap();
    let mut text = String::new();
    for id in ["text", "json", "degraded", "unhealthy", "unhealthy-text"] {
        text += &http_check(id, &fakes.url(id), "");
    }
    text += &http_check(
        "generic",
        &fakes.url("generic"),
        "json_pointer = \"/db/ok\"\njson_equals = true",
    );
    text += &http_check(
        "generic-wrong",
        &fakes.url("generic"),
        "json_pointer = \"/db/ok\"\njson_equals = false",
    );
    let r = run_all(&text).await;
    expect(&r, "text", Status::Up, "Healthy");
    expect(&r, "json", Status::Up, "Healthy");
    assert_eq!(r["json"].details["entries"].as_array().unwrap().len(), 2);
    expect(&r, "degraded", Status::Degraded, "redis: slow");
    expect(&r, "unhealthy", Status::Down, "sqlserver: Login failed");
    assert_eq!(r["unhealthy"].details["http_status"], 503);
    assert_eq!(
        r["unhealthy"].details["entries"][0]["exception"],
        "Login failed"
    );
    expect(&r, "unhealthy-text", Status::Down, "Unhealthy");
    expect(&r, "generic", Status::Up, "HTTP 200");
    expect(
        &r,
        "generic-wrong",
        Status::Down,
        "`/db/ok` is true, expected false",
    );
}
