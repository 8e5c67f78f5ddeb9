//! Who `opsdeck serve` lets in, through the real binary: every endpoint without a token and
//! with each role (only the allowed ones succeed), the sign-in cookie, revocation while running,
//! the brake on guessing tokens, open endpoints, TLS, and the refusal to serve plain HTTP on the
//! network.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

/// Every route and command, the least role it needs, and a request that is harmless when
/// allowed (bad names, stale revisions: refused after the role check, never 401/403).
fn matrix() -> Vec<(&'static str, Method, &'static str, Option<Value>)> {
    let rpc = |method: &str, params: Option<Value>| {
        let mut body = json!({ "method": method });
        if let Some(p) = params {
            body["params"] = p;
        }
        Some(body)
    };
    vec![
        ("viewer", Method::GET, "/api/overview", None),
        ("viewer", Method::GET, "/api/checks/up", None),
        (
            "viewer",
            Method::GET,
            "/api/checks/up/history?window=24h",
            None,
        ),
        (
            "viewer",
            Method::GET,
            "/api/checks/up/figures?window=6h",
            None,
        ),
        ("viewer", Method::GET, "/api/queues", None),
        ("viewer", Method::POST, "/api/rpc", rpc("queues", None)),
        (
            "viewer",
            Method::POST,
            "/api/rpc",
            rpc("figures", Some(json!({"id": "up", "window": "1h"}))),
        ),
        ("viewer", Method::GET, "/api/transitions", None),
        ("viewer", Method::GET, "/api/stats", None),
        ("viewer", Method::GET, "/api/alerts", None),
        ("viewer", Method::GET, "/api/timeline?id=up", None),
        ("viewer", Method::GET, "/api/channels", None),
        ("viewer", Method::POST, "/api/rpc", rpc("alerts", None)),
        ("viewer", Method::POST, "/api/rpc", rpc("channels", None)),
        (
            "viewer",
            Method::POST,
            "/api/rpc",
            rpc(
                "timeline",
                Some(json!({"id": null, "before": null, "limit": 5})),
            ),
        ),
        (
            "operator",
            Method::POST,
            "/api/checks/up/acknowledge",
            Some(json!({"note": "looking"})),
        ),
        (
            "operator",
            Method::POST,
            "/api/checks/up/snooze",
            Some(json!({"minutes": 60})),
        ),
        ("operator", Method::DELETE, "/api/checks/up/snooze", None),
        (
            "operator",
            Method::POST,
            "/api/checks/up/notes",
            Some(json!({"text": "patched"})),
        ),
        (
            "operator",
            Method::POST,
            "/api/channels/no-such-channel/test",
            None,
        ),
        (
            "operator",
            Method::POST,
            "/api/rpc",
            rpc("acknowledge", Some(json!({"id": "up", "note": null}))),
        ),
        ("viewer", Method::GET, "/api/session", None),
        ("viewer", Method::POST, "/api/rpc", rpc("overview", None)),
        (
            "viewer",
            Method::POST,
            "/api/rpc",
            rpc("check_detail", Some(json!({"id": "up"}))),
        ),
        (
            "viewer",
            Method::POST,
            "/api/rpc",
            rpc("history", Some(json!({"id": "up", "window": "7d"}))),
        ),
        (
            "viewer",
            Method::POST,
            "/api/rpc",
            rpc("transitions", Some(json!({"id": null, "limit": 5}))),
        ),
        ("viewer", Method::POST, "/api/rpc", rpc("stats", None)),
        ("viewer", Method::POST, "/api/rpc", rpc("about", None)),
        ("viewer", Method::POST, "/api/rpc", rpc("session", None)),
        ("operator", Method::POST, "/api/checks/up/run", None),
        (
            "operator",
            Method::POST,
            "/api/rpc",
            rpc("check_now", Some(json!({"id": "up"}))),
        ),
        ("operator", Method::POST, "/api/rpc", rpc("check_all", None)),
        (
            "operator",
            Method::POST,
            "/api/rpc",
            rpc("test_credential", Some(json!({"name": "nobody-uses-it"}))),
        ),
        ("admin", Method::POST, "/api/rpc", rpc("estate", None)),
        (
            "admin",
            Method::POST,
            "/api/rpc",
            rpc("create_estate", None),
        ),
        (
            "admin",
            Method::POST,
            "/api/rpc",
            rpc(
                "remove_check",
                Some(json!({"revision": "stale", "id": "up"})),
            ),
        ),
        (
            "admin",
            Method::POST,
            "/api/rpc",
            rpc(
                "remove_environment",
                Some(json!({"revision": "stale", "id": "live"})),
            ),
        ),
        ("admin", Method::POST, "/api/rpc", rpc("credentials", None)),
        (
            "admin",
            Method::POST,
            "/api/rpc",
            rpc(
                "set_credential",
                Some(json!({"name": "Not A Name", "value": "x"})),
            ),
        ),
        (
            "admin",
            Method::POST,
            "/api/rpc",
            rpc("delete_credential", Some(json!({"name": "Not A Name"}))),
        ),
        ("admin", Method::POST, "/api/rpc", rpc("tokens", None)),
        (
            "admin",
            Method::POST,
            "/api/rpc",
            rpc(
                "create_token",
                Some(json!({"name": "not a name", "role": "viewer"})),
            ),
        ),
        (
            "admin",
            Method::POST,
            "/api/rpc",
            rpc("revoke_token", Some(json!({"name": "no-such-token"}))),
        ),
    ]
}

const ROLES: [&str; 4] = ["viewer", "operator", "approver", "admin"];

fn rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap()
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &Method,
    path: &str,
    body: &Option<Value>,
    token: Option<&str>,
) -> (StatusCode, String) {
    let mut req = client.request(method.clone(), format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

fn estate(dir: &std::path::Path, up: &str) -> std::path::PathBuf {
    write_config(
        dir,
        &format!(
            "[[environment]]\nid = \"live\"\nname = \"Live\"\n{}",
            http_check("up", up, "environment = \"live\"\ninterval = \"1h\"")
        ),
    )
}

async fn healthy_endpoint() -> String {
    let app = axum::Router::new().route("/HealthCheck", axum::routing::get(|| async { "Healthy" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/HealthCheck")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_needs_a_token_and_the_right_role() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = estate(dir.path(), &healthy_endpoint().await);
    let server = Server::start(&config, &data);
    let base = server.base.clone();
    let tokens: Vec<(&str, String)> = ROLES.iter().map(|r| (*r, create_token(&data, r))).collect();
    let client = reqwest::Client::new();

    let mut failures = Vec::new();
    for (least, method, path, body) in matrix() {
        let what = format!(
            "{method} {path} {}",
            body.as_ref()
                .map(|b| b["method"].to_string())
                .unwrap_or_default()
        );
        let (status, text) = send(&client, &base, &method, path, &body, None).await;
        if status != StatusCode::UNAUTHORIZED || !text.contains("\"unauthorized\"") {
            failures.push(format!("{what} without a token: {status} {text}"));
        }
        for (role, token) in &tokens {
            let (status, text) = send(&client, &base, &method, path, &body, Some(token)).await;
            let allowed = rank(role) >= rank(least);
            let refused = status == StatusCode::FORBIDDEN && text.contains("\"forbidden\"");
            if allowed && (refused || status == StatusCode::UNAUTHORIZED) {
                failures.push(format!("{what} as {role} was refused: {status} {text}"));
            }
            if !allowed && !refused {
                failures.push(format!("{what} as {role} was not refused: {status} {text}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The live event stream needs a token too, and any role may read it.
    let (status, _) = send(
        &client,
        &base,
        &Method::GET,
        "/api/metrics-does-not-exist",
        &None,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "unknown API routes reveal nothing without a token"
    );
    let events = client
        .get(format!("{base}/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::UNAUTHORIZED);
    let events = client
        .get(format!("{base}/api/events"))
        .bearer_auth(&tokens[0].1)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    drop(events);

    // A refusal says what was needed and what the token has.
    let (_, text) = send(
        &client,
        &base,
        &Method::POST,
        "/api/checks/up/run",
        &None,
        Some(&tokens[0].1),
    )
    .await;
    assert!(
        text.contains("needs the operator role") && text.contains("viewer role"),
        "{text}"
    );

    // Open without a token: opsdeck's own health, public metrics, the web UI's files.
    for path in ["/HealthCheck", "/metrics"] {
        let (status, _) = send(&client, &base, &Method::GET, path, &None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, text) = send(&client, &base, &Method::GET, "/", &None, None).await;
    assert_ne!(status, StatusCode::UNAUTHORIZED, "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_cookie_revocation_and_private_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = estate(dir.path(), &healthy_endpoint().await);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("[server]\nmetrics_public = false\n{text}")).unwrap();
    let server = Server::start(&config, &data);
    let base = server.base.clone();
    let viewer = create_token(&data, "viewer");
    let client = reqwest::Client::new();

    // Metrics configured private: a token is needed, any role will do.
    let (status, _) = send(&client, &base, &Method::GET, "/metrics", &None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        &client,
        &base,
        &Method::GET,
        "/metrics",
        &None,
        Some(&viewer),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The browser's way in: the token goes into an HttpOnly, SameSite=Strict cookie.
    let r = client
        .post(format!("{base}/api/session"))
        .json(&json!({ "token": viewer }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let caller: Value = r.json().await.unwrap();
    assert_eq!(caller["role"], "viewer");
    let pair = cookie.split(';').next().unwrap().to_string();
    let with_cookie = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .header("cookie", pair.clone())
    };
    assert_eq!(
        with_cookie("/api/overview").send().await.unwrap().status(),
        StatusCode::OK
    );
    let (status, text) = send(
        &client,
        &base,
        &Method::POST,
        "/api/session",
        &Some(json!({ "token": "opsdeck_0000000000000000_nope" })),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    let out = client
        .delete(format!("{base}/api/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));

    // Revoked with the CLI while the server runs: refused from the next request, and the
    // browser is told to drop its cookie.
    let name = std::fs::read_to_string(data.join("tokens.json")).unwrap();
    let listed: Value = serde_json::from_str(&name).unwrap();
    let viewer_name = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "viewer")
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let revoke = opsdeck()
        .args(["token", "revoke", &viewer_name, "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(revoke.status.success());
    let r = with_cookie("/api/overview").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let (status, _) = send(
        &client,
        &base,
        &Method::GET,
        "/api/overview",
        &None,
        Some(&viewer),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // `token list` shows names and roles, never values or hashes.
    let list = opsdeck()
        .args(["token", "list", "--format", "json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(
        list.contains("\"admin\"") && !list.contains("argon2") && !list.contains(&viewer),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_tokens_is_slowed_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = estate(dir.path(), &healthy_endpoint().await);
    let server = Server::start_with(
        &config,
        &data,
        &["--listen", "127.0.0.1:0"],
        &[("OPSDECK_LOG", "info")],
    );
    let base = server.base.clone();
    let good = create_token(&data, "viewer");
    let client = reqwest::Client::new();
    let guess = |i: usize| format!("opsdeck_{:016x}_{}", i, "0".repeat(64));
    for i in 0..10 {
        let (status, _) = send(
            &client,
            &base,
            &Method::GET,
            "/api/overview",
            &None,
            Some(&guess(i)),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // From now on this client is refused before any token is looked at, good or bad.
    for token in [guess(99), good.clone()] {
        let r = client
            .get(format!("{base}/api/overview"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "rate_limited");
    }
    // The sign-in form is braked the same way.
    let (status, _) = send(
        &client,
        &base,
        &Method::POST,
        "/api/session",
        &Some(json!({ "token": good })),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Failures are logged with the client address, never with the token.
    let log = server.stderr.lock().unwrap().clone();
    assert!(
        log.contains("refused an invalid API token") && log.contains("127.0.0.1"),
        "{log}"
    );
    assert!(log.contains("too many invalid API tokens"), "{log}");
    assert!(!log.contains(&guess(3)) && !log.contains(&good), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_and_the_network_rules() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = estate(dir.path(), &healthy_endpoint().await);
    let pki = Pki::new();
    let (cert, key) = pki.leaf_pem(
        &["localhost", "127.0.0.1"],
        time::Duration::days(-1),
        time::Duration::days(30),
    );
    let cert_path = dir.path().join("server.crt");
    let key_path = dir.path().join("server.key");
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, &key).unwrap();

    // Plain HTTP on every interface is refused without --insecure-http …
    let refused = opsdeck()
        .args(["serve", "--listen", "0.0.0.0:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(64));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("without TLS") && why.contains("--tls-cert"),
        "{why}"
    );

    // … a key that does not belong to the certificate is named …
    let (_, other_key) = pki.leaf_pem(
        &["localhost"],
        time::Duration::days(-1),
        time::Duration::days(30),
    );
    let other_key_path = dir.path().join("other.key");
    std::fs::write(&other_key_path, &other_key).unwrap();
    let mismatch = opsdeck()
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .arg("--tls-cert")
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&other_key_path)
        .output()
        .unwrap();
    assert_eq!(mismatch.status.code(), Some(78));
    let why = String::from_utf8_lossy(&mismatch.stderr);
    assert!(
        why.contains("server.crt") && why.contains("other.key"),
        "{why}"
    );
    let missing = opsdeck()
        .args(["serve", "--config"])
        .arg(&config)
        .arg("--tls-cert")
        .arg(dir.path().join("nope.crt"))
        .arg("--tls-key")
        .arg(&key_path)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.crt"));

    // … and with a certificate every interface is fine; the cookie is then Secure.
    let server = Server::start_with(
        &config,
        &data,
        &[
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
        &[("OPSDECK_LOG", "warn")],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let base = format!("https://localhost:{port}");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let viewer = create_token(&data, "viewer");
    let (status, text) = send(
        &client,
        &base,
        &Method::GET,
        "/api/overview",
        &None,
        Some(&viewer),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let r = client
        .post(format!("{base}/api/session"))
        .json(&json!({ "token": viewer }))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
    // A client that opens a connection and never speaks TLS does not hold up others.
    let _silent = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let (status, _) = send(&client, &base, &Method::GET, "/HealthCheck", &None, None).await;
    assert_eq!(status, StatusCode::OK);
    // Plain HTTP to the TLS port gets nowhere.
    assert!(reqwest::get(format!("http://127.0.0.1:{port}/HealthCheck"))
        .await
        .is_err());
    drop(server);

    // --insecure-http: allowed, with a warning.
    let server = Server::start_with(
        &config,
        &data,
        &["--listen", "0.0.0.0:0", "--insecure-http"],
        &[("OPSDECK_LOG", "warn")],
    );
    let log = server.stderr.lock().unwrap().clone();
    assert!(log.contains("warning: serving plain HTTP"), "{log}");
}

/// Started at a terminal, the server prints a sign-in link whose token works as admin until
/// the server stops, and is kept nowhere: not in tokens.json, not in the log file.
#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_start_prints_a_sign_in_link_that_is_kept_nowhere() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: `script` (util-linux) is needed to give the server a terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = estate(dir.path(), &healthy_endpoint().await);
    let command = format!(
        "'{}' serve --listen 127.0.0.1:0 --config '{}' --data-dir '{}'",
        env!("CARGO_BIN_EXE_opsdeck"),
        config.display(),
        data.display()
    );
    // `script` runs the command on a pseudo-terminal and copies what it prints to stdout.
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let link = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(at) = line.find("sign in as admin") {
                return line[at..].split_whitespace().last().map(str::to_string);
            }
        }
        None
    });
    let link = tokio::time::timeout(Duration::from_secs(30), link)
        .await
        .expect("no sign-in link within 30 s")
        .unwrap()
        .expect("the server printed no sign-in link");
    let (base, token) = link.split_once("/#token=").unwrap();
    let client = reqwest::Client::new();
    let (status, text) = send(
        &client,
        base,
        &Method::POST,
        "/api/rpc",
        &Some(json!({"method": "tokens"})),
        Some(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let (status, _) = send(
        &client,
        base,
        &Method::GET,
        "/api/overview",
        &None,
        Some("opsdeck_0000000000000000_x"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let _ = child.kill();
    let _ = child.wait();
    let mut stack = vec![data.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).to_string();
                assert!(
                    !text.contains(token),
                    "the sign-in token is in {}",
                    e.path().display()
                );
            }
        }
    }
}
