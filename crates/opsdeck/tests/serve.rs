//! `opsdeck serve` end to end through the real binary: HTTP API, live events, metrics, its own
//! health, live config reload, graceful shutdown, and history that survives a restart — and a
//! `kill -9` during heavy writes that loses nothing reported as stored.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use opsdeck::fakes::{Behaviour, FakeServer};
use serde_json::{json, Value};
use support::*;

async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = client(base)
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn rpc(base: &str, body: Value) -> (u16, Value) {
    let r = client(base)
        .post(format!("{base}/api/rpc"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Poll until `f` holds, or fail after `secs`.
async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn all_checks(overview: &Value) -> Vec<Value> {
    overview["environments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["checks"].as_array().unwrap().clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_api_events_metrics_reload_and_restart() {
    let fakes = FakeServer::start(
        vec![
            (
                "up".into(),
                Behaviour::HealthyJson {
                    entries: vec!["sqlserver"],
                },
            ),
            ("down".into(), Behaviour::UnhealthyText),
        ],
        std::net::Ipv4Addr::LOCALHOST.into(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let base_config = format!(
        "[[environment]]\nid = \"live\"\nname = \"Live\"\n{}{}",
        http_check(
            "up",
            &fakes.url("up"),
            "environment = \"live\"\ninterval = \"1s\""
        ),
        http_check(
            "down",
            &fakes.url("down"),
            "environment = \"live\"\ninterval = \"1s\""
        ),
    );
    let config = write_config(dir.path(), &base_config);
    let mut server = Server::start(&config, &data);
    let base = server.base.clone();

    // Live events: the SSE stream delivers results as they happen.
    let mut events = client(&base)
        .get(format!("{base}/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        events.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !seen.contains("event: result") && Instant::now() < deadline {
        if let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_secs(5), events.chunk()).await
        {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(seen.contains("event: result"), "{seen}");
    assert!(seen.contains("\"kind\":\"result\""), "{seen}");
    drop(events);

    eventually(15, "both checks have results", || {
        let base = base.clone();
        async move {
            let (_, o) = get(&base, "/api/overview").await;
            all_checks(&o).iter().all(|c| c["checked_at"].is_string())
        }
    })
    .await;
    let (code, overview) = get(&base, "/api/overview").await;
    assert_eq!(code, 200);
    assert_eq!(overview["status"], "down");
    assert_eq!(overview["counts"]["down"], 1);
    assert_eq!(overview["environments"][0]["name"], "Live");
    // Worst first.
    assert_eq!(overview["environments"][0]["checks"][0]["id"], "down");

    let (code, detail) = get(&base, "/api/checks/up").await;
    assert_eq!(code, 200);
    assert_eq!(detail["check"]["status"], "up");
    assert_eq!(
        detail["check"]["details"]["entries"][0]["name"],
        "sqlserver"
    );
    eventually(45, "uptime is recorded", || {
        let base = base.clone();
        async move { get(&base, "/api/checks/up").await.1["uptime"]["h24"] == 1.0 }
    })
    .await;
    let (_, detail) = get(&base, "/api/checks/down").await;
    assert_eq!(detail["transitions"][0]["to"], "down");
    let (code, history) = get(&base, "/api/checks/up/history?window=7d").await;
    assert_eq!(code, 200);
    assert_eq!(history["bucket_seconds"], 3600);
    let (code, err) = get(&base, "/api/checks/up/history?window=2w").await;
    assert_eq!((code, err["code"].as_str()), (400, Some("invalid_request")));

    // The same commands through the one RPC entry point.
    let (code, now) = rpc(
        &base,
        serde_json::json!({"method": "check_now", "params": {"id": "up"}}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(now[0]["status"], "up");
    let (code, err) = rpc(
        &base,
        serde_json::json!({"method": "check_detail", "params": {"id": "nope"}}),
    )
    .await;
    assert_eq!((code, err["code"].as_str()), (404, Some("not_found")));
    let (code, err) = rpc(&base, serde_json::json!({"method": "launch_missiles"})).await;
    assert_eq!((code, err["code"].as_str()), (400, Some("invalid_request")));

    // A browser page elsewhere cannot drive the console: foreign Host names (DNS rebinding),
    // other origins and non-JSON command bodies (CSRF) are refused.
    let browser = client(&base);
    let status =
        |req: reqwest::RequestBuilder| async move { req.send().await.unwrap().status().as_u16() };
    let overview_url = format!("{base}/api/overview");
    let rpc_url = format!("{base}/api/rpc");
    let run_url = format!("{base}/api/checks/up/run");
    assert_eq!(
        status(browser.get(&overview_url).header("host", "evil.example")).await,
        421
    );
    let body = r#"{"method":"check_now","params":{"id":"up"}}"#;
    assert_eq!(
        status(
            browser
                .post(&rpc_url)
                .header("content-type", "text/plain")
                .body(body)
        )
        .await,
        415
    );
    assert_eq!(
        status(
            browser
                .post(&run_url)
                .header("origin", "http://evil.example")
        )
        .await,
        403
    );
    assert_eq!(
        status(browser.post(&run_url).header("origin", base.clone())).await,
        200
    );

    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("opsdeck_check_status{check=\"down\",name=\"down\",environment=\"live\",type=\"http\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("opsdeck_check_latency_seconds{check=\"up\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("opsdeck_check_last_run_timestamp_seconds{check=\"up\""),
        "{metrics}"
    );
    let health = reqwest::get(format!("{base}/HealthCheck"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(health, "Healthy");

    // Live reload: a new check appears without a restart.
    std::fs::write(
        &config,
        format!(
            "{base_config}{}",
            http_check("added", &fakes.url("up"), "interval = \"1s\"")
        ),
    )
    .unwrap();
    eventually(15, "the added check runs", || {
        let base = base.clone();
        async move {
            let (_, o) = get(&base, "/api/overview").await;
            all_checks(&o)
                .iter()
                .any(|c| c["id"] == "added" && c["checked_at"].is_string())
        }
    })
    .await;
    // A broken edit is refused with its line; the engine keeps the last good config.
    std::fs::write(&config, format!("{base_config}\n[[check]\n")).unwrap();
    eventually(10, "the broken config is reported", || {
        let base = base.clone();
        async move {
            let (_, o) = get(&base, "/api/overview").await;
            o["config"]["error"]
                .as_str()
                .is_some_and(|e| e.contains("invalid TOML"))
        }
    })
    .await;
    let (_, o) = get(&base, "/api/overview").await;
    assert!(
        o["config"]["error"]
            .as_str()
            .unwrap()
            .contains("opsdeck.toml:"),
        "{o}"
    );
    assert!(all_checks(&o).iter().any(|c| c["id"] == "added"));
    let health = reqwest::get(format!("{base}/HealthCheck"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(health, "Degraded");

    // Graceful shutdown, even with a browser's event stream open, then a restart resumes
    // from the stored history.
    let open_stream = client(&base)
        .get(format!("{base}/api/events"))
        .send()
        .await
        .unwrap();
    let stopping = Instant::now();
    assert_eq!(server.terminate(), Some(0));
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        stopping.elapsed()
    );
    drop(open_stream);
    std::fs::write(&config, &base_config).unwrap();
    let logs: Vec<String> = std::fs::read_dir(data.join("logs"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        logs.iter()
            .any(|n| n.starts_with("opsdeck.") && n.ends_with(".log")),
        "serve writes a rolling log file: {logs:?}"
    );
    let mut server = Server::start(&config, &data);
    let base = server.base.clone();
    let (_, transitions) = get(&base, "/api/transitions?id=down").await;
    assert_eq!(transitions[0]["to"], "down", "{transitions}");
    let (_, detail) = get(&base, "/api/checks/down").await;
    assert_eq!(
        detail["check"]["status"], "down",
        "the confirmed status is resumed"
    );
    server.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_heavy_writes_loses_nothing_reported_stored() {
    let fakes = FakeServer::start(
        (0..20)
            .map(|i| (format!("s{i}"), Behaviour::HealthyText))
            .collect(),
        std::net::Ipv4Addr::LOCALHOST.into(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut text = String::from("[settings]\nmax_per_host = 64\n");
    for i in 0..300 {
        text += &http_check(
            &format!("c{i}"),
            &fakes.url(&format!("s{}", i % 20)),
            "interval = \"1s\"",
        );
    }
    let config = write_config(dir.path(), &text);
    let mut server = Server::start(&config, &data);
    let base = server.base.clone();
    let mut reported = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while reported < 2000 && Instant::now() < deadline {
        let (_, stats) = get(&base, "/api/stats").await;
        reported = stats["results_stored"].as_u64().unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reported >= 2000, "only {reported} results stored");
    let (_, stats) = get(&base, "/api/stats").await;
    let reported = stats["results_stored"].as_u64().unwrap();
    server.kill9();

    let store = opsdeck_core::store::Store::open(&data.join("opsdeck.sqlite"))
        .await
        .unwrap();
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
    let count = store.count_results().await.unwrap() as u64;
    assert!(
        count >= reported,
        "{count} rows after kill -9, but {reported} were reported stored"
    );
    store.close().await;
}

/// The settings forms' path through the server: read the estate, add a check, be refused with
/// field errors, lose a race with a hand edit; the file and the engine follow each step.
#[tokio::test(flavor = "multi_thread")]
async fn estate_edits_through_the_api_validate_then_write() {
    let fakes = FakeServer::start(
        vec![("up".into(), Behaviour::HealthyText)],
        std::net::Ipv4Addr::LOCALHOST.into(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "# hand-written\n[[environment]]\nid = \"live\"\nname = \"Live\"\n",
    );
    let server = Server::start(&config, &dir.path().join("data"));
    let base = server.base.clone();

    // Every answer carries the browser protections.
    let r = reqwest::get(format!("{base}/")).await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");

    let (status, about) = rpc(&base, json!({ "method": "about" })).await;
    assert_eq!(status, 200);
    assert_eq!(about["config_path"], config.display().to_string());
    assert_eq!(about["demo"], false);

    let (status, estate) = rpc(&base, json!({ "method": "estate" })).await;
    assert_eq!(status, 200, "{estate}");
    assert_eq!(estate["editable"], true);
    let revision = estate["revision"].as_str().unwrap().to_string();

    let mut form = json!({
        "id": "erp-api", "type": "http", "name": "ERP API", "environment": "live",
        "tags": ["erp"], "interval": "1s", "timeout": "5s", "enabled": true,
        "url": fakes.url("up"), "method": "GET", "expected_status": [], "body_contains": "",
        "format": "auto", "username": "", "password": "", "bearer_token": "",
        "tls_insecure": false, "ca_file": "", "other_keys": []
    });

    // Invalid: 400 with the field named, and the file untouched.
    form["interval"] = json!("soon");
    let before = std::fs::read_to_string(&config).unwrap();
    let (status, err) = rpc(
        &base,
        json!({ "method": "save_check", "params": { "revision": revision, "original_id": null, "check": form } }),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["code"], "invalid_request");
    assert_eq!(err["fields"][0]["field"], "interval", "{err}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);

    // Valid: written (comment kept), and the engine watches the new check at once.
    form["interval"] = json!("1s");
    let (status, estate) = rpc(
        &base,
        json!({ "method": "save_check", "params": { "revision": revision, "original_id": null, "check": form } }),
    )
    .await;
    assert_eq!(status, 200, "{estate}");
    assert_eq!(estate["checks"][0]["id"], "erp-api");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with("# hand-written"), "{text}");
    assert!(text.contains("id = \"erp-api\""), "{text}");
    eventually(10, "the new check reports up", || {
        let base = base.clone();
        async move {
            let (_, o) = get(&base, "/api/overview").await;
            all_checks(&o)
                .iter()
                .any(|c| c["id"] == "erp-api" && c["last_status"] == "up")
        }
    })
    .await;

    // A hand edit in between: the stale revision is refused with 409.
    let stale = estate["revision"].as_str().unwrap().to_string();
    std::fs::write(&config, format!("{text}\n# edited by hand\n")).unwrap();
    let (status, err) = rpc(
        &base,
        json!({ "method": "remove_check", "params": { "revision": stale, "id": "erp-api" } }),
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["code"], "conflict");
    assert!(std::fs::read_to_string(&config)
        .unwrap()
        .contains("erp-api"));
}
