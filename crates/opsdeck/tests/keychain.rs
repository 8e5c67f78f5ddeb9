//! Credentials through the real OS keychain (Secret Service on Linux, in the test suite a
//! private gnome-keyring on a private D-Bus; see scripts/with-keyring): `opsdeck secret set`
//! reads stdin, a check authenticates with the stored value, and nothing prints it.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::process::Stdio;

use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn secret_set_then_a_check_authenticates_with_it() {
    if !keychain_available() {
        return;
    }
    let name = format!("opsdeck-test-{}", std::process::id());
    let value = "s3cret-Value_42";
    // An endpoint that wants Basic monitor:<value>.
    let expected = format!(
        "Basic {}",
        base64_encode(format!("monitor:{value}").as_bytes())
    );
    let app = Router::new().route(
        "/HealthCheck",
        get(move |headers: HeaderMap| {
            let ok = headers
                .get(header::AUTHORIZATION)
                .is_some_and(|v| v.to_str().unwrap_or_default() == expected);
            async move {
                if ok {
                    (StatusCode::OK, "Healthy")
                } else {
                    (StatusCode::UNAUTHORIZED, "no")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &http_check(
            "secured",
            &format!("http://{addr}/HealthCheck"),
            &format!("username = \"monitor\"\npassword = {{ secret = \"{name}\" }}"),
        ),
    );
    let data = dir.path().join("data");
    let (n, v, c, d) = (
        name.clone(),
        value.to_string(),
        config.clone(),
        data.clone(),
    );
    let outputs = tokio::task::spawn_blocking(move || {
        let with_data = |args: &[&str]| {
            opsdeck()
                .env("OPSDECK_DATA_DIR", &d)
                .arg("--config")
                .arg(&c)
                .args(args)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        };
        let set = set_secret(&n, &v, &d);
        let list = with_data(&["secret", "list"]);
        let check = run(&["check", "--format", "json"], Some(&c));
        let test = run(&["secret", "test", &n, "--format", "json"], Some(&c));
        let unused = run(&["secret", "test", "nobody-uses-this"], Some(&c));
        let delete = with_data(&["secret", "delete", &n]);
        let after = run(&["check", "--format", "json"], Some(&c));
        vec![set, list, check, test, unused, delete, after]
    })
    .await
    .unwrap();
    for o in &outputs {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!all.contains(value), "the secret value was printed: {all}");
    }
    let [set, list, check, test, unused, delete, after] = &outputs[..] else {
        unreachable!()
    };
    assert_eq!(
        set.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let list_text = String::from_utf8_lossy(&list.stdout);
    assert!(
        list_text.contains(&name) && list_text.contains("yes") && list_text.contains("secured"),
        "{list_text}"
    );
    // When it was set is recorded beside the history, and shown (names and dates only).
    let today = &opsdeck_core::time_fmt::now_rfc3339()[..10];
    assert!(
        list_text.contains("LAST SET") && list_text.contains(today),
        "{list_text}"
    );
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // `secret test` runs exactly the checks that use the credential.
    assert_eq!(
        test.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&test.stderr)
    );
    let tested: serde_json::Value = serde_json::from_slice(&test.stdout).unwrap();
    assert_eq!(tested["results"][0]["id"], "secured");
    assert_eq!(tested["results"][0]["status"], "up");
    assert_eq!(unused.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&unused.stderr)
        .contains("no check, channel or the CAB workflow in"));
    assert_eq!(delete.status.code(), Some(0));
    let dates = std::fs::read_to_string(data.join("credentials.json")).unwrap();
    assert!(!dates.contains(&name), "{dates}");
    assert_eq!(after.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(json["results"][0]["status"], "unknown");
    assert!(json["results"][0]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("credential `{name}` is not in the keychain")));
}

fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn rpc_as(base: &str, body: serde_json::Value) -> serde_json::Value {
    let r = client(base)
        .post(format!("{base}/api/rpc"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(status.is_success(), "{body} → {status} {v}");
    v
}

/// The newest result of check `id` through the API: status, message, details; null before
/// the first run.
async fn latest(base: &str, id: &str) -> serde_json::Value {
    let detail = rpc_as(
        base,
        serde_json::json!({"method": "check_detail", "params": {"id": id}}),
    )
    .await;
    let check = &detail["check"];
    if check["checked_at"].is_null() {
        return serde_json::Value::Null;
    }
    serde_json::json!({ "status": check["last_status"], "message": check["message"], "details": check["details"] })
}

async fn wait_for(what: &str, mut probe: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if probe().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

/// An endpoint that wants `Authorization: Bearer <expected>`; the test changes what it wants.
async fn bearer_endpoint(expected: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    let app = Router::new().route(
        "/HealthCheck",
        get(move |headers: HeaderMap| {
            let want = format!("Bearer {}", expected.lock().unwrap());
            let ok = headers
                .get(header::AUTHORIZATION)
                .is_some_and(|v| v.to_str().unwrap_or_default() == want);
            async move {
                if ok {
                    (StatusCode::OK, "Healthy")
                } else {
                    (StatusCode::UNAUTHORIZED, "Unhealthy")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/HealthCheck")
}

/// The console's credentials page end to end: missing state on the check, set, the check
/// follows at once, rotation, test, delete.
#[tokio::test(flavor = "multi_thread")]
async fn the_console_sets_rotates_and_deletes_credentials() {
    if !keychain_available() {
        return;
    }
    let name = format!("opsdeck-console-{}", std::process::id());
    let expected = std::sync::Arc::new(std::sync::Mutex::new("first-Value-1".to_string()));
    let url = bearer_endpoint(expected.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = write_config(
        dir.path(),
        &http_check(
            "secured",
            &url,
            &format!("interval = \"1h\"\nbearer_token = {{ secret = \"{name}\" }}"),
        ),
    );
    let server = Server::start(&config, &data);
    let base = server.base.clone();

    // Not stored yet: the check says which credential is missing, and so does the page.
    wait_for("the first result", async || {
        !latest(&base, "secured").await.is_null()
    })
    .await;
    let first = latest(&base, "secured").await;
    assert_eq!(first["status"], "unknown", "{first}");
    assert_eq!(first["details"]["credential"]["name"], name.as_str());
    assert_eq!(first["details"]["credential"]["problem"], "missing");
    let page = rpc_as(&base, serde_json::json!({"method": "credentials"})).await;
    let entry = &page["credentials"][0];
    assert_eq!(entry["name"], name.as_str());
    assert_eq!(entry["state"], "missing");
    assert_eq!(entry["used_by"], serde_json::json!(["secured"]));
    assert_eq!(page["editable"], true);

    // Set: stored, dated, and the check runs again at once with it.
    let set = serde_json::json!({"method": "set_credential", "params": {"name": name, "value": "first-Value-1"}});
    let page = rpc_as(&base, set).await;
    assert_eq!(page["credentials"][0]["state"], "stored");
    let today = &opsdeck_core::time_fmt::now_rfc3339()[..10];
    assert!(page["credentials"][0]["last_set"]
        .as_str()
        .unwrap()
        .starts_with(today));
    wait_for("the check to pass with the stored credential", async || {
        latest(&base, "secured").await["status"] == "up"
    })
    .await;

    // Rotate: the endpoint now wants a new value; the old one fails, the new one passes.
    *expected.lock().unwrap() = "second-Value-2".into();
    let tested = rpc_as(
        &base,
        serde_json::json!({"method": "test_credential", "params": {"name": name}}),
    )
    .await;
    assert_eq!(tested[0]["id"], "secured");
    assert_eq!(tested[0]["status"], "down", "{tested}");
    let rotate = serde_json::json!({"method": "set_credential", "params": {"name": name, "value": "second-Value-2"}});
    rpc_as(&base, rotate).await;
    let tested = rpc_as(
        &base,
        serde_json::json!({"method": "test_credential", "params": {"name": name}}),
    )
    .await;
    assert_eq!(tested[0]["status"], "up", "{tested}");

    // Delete: gone from the keychain, and the check says so.
    let page = rpc_as(
        &base,
        serde_json::json!({"method": "delete_credential", "params": {"name": name}}),
    )
    .await;
    assert_eq!(page["credentials"][0]["state"], "missing");
    wait_for("the check to report the deleted credential", async || {
        latest(&base, "secured").await["details"]["credential"]["problem"] == "missing"
    })
    .await;
    // Deleting again is a clear 404, nothing else.
    let r = client(&base)
        .post(format!("{base}/api/rpc"))
        .json(&serde_json::json!({"method": "delete_credential", "params": {"name": name}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// A locked keychain is an error that says so and how to unlock it, never a silent fallback.
#[test]
fn a_locked_keychain_is_reported_with_how_to_unlock_it() {
    if !keychain_available() {
        return;
    }
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/with-keyring");
    // A private keyring of its own, locked over D-Bus, so other tests keep theirs.
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg("bash")
        .arg("-c")
        .arg(
            "dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
             org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null \
             && printf %s some-value | \"$0\" secret set locked-test",
        )
        .arg(env!("CARGO_BIN_EXE_opsdeck"))
        .env("OPSDECK_DATA_DIR", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{stderr}");
    assert!(
        stderr.contains("the OS keychain is locked") && stderr.contains("unlock the login keyring"),
        "{stderr}"
    );
}

/// A unique value goes into the keychain; then checks use it (passing, failing, and against
/// endpoints that echo what they were sent), `serve` runs with trace logging, sign-ins fail and
/// API calls go wrong. Afterwards the value is searched for in everything opsdeck wrote or
/// answered, and in its process arguments and environment: it must appear nowhere.
#[tokio::test(flavor = "multi_thread")]
async fn a_canary_credential_never_leaks() {
    if !keychain_available() {
        return;
    }
    let name = format!("opsdeck-canary-{}", std::process::id());
    let canary = format!(
        "canary-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let basic = base64_encode(format!("monitor:{canary}").as_bytes());
    // Endpoints: one that accepts the value, and three that echo the request back.
    let want = format!("Bearer {canary}");
    let echo = |headers: &HeaderMap| {
        headers
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let app = Router::new()
        .route(
            "/ok",
            get(move |h: HeaderMap| {
                let ok = h.get(header::AUTHORIZATION).is_some_and(|v| v.to_str().unwrap_or_default() == want);
                async move { if ok { (StatusCode::OK, "Healthy") } else { (StatusCode::UNAUTHORIZED, "Unhealthy") } }
            }),
        )
        .route(
            "/echo-text",
            get(move |h: HeaderMap| async move { (StatusCode::INTERNAL_SERVER_ERROR, format!("request was {}", echo(&h))) }),
        )
        .route(
            "/echo-report",
            get(move |h: HeaderMap| async move {
                let report = serde_json::json!({
                    "status": "Unhealthy",
                    "totalDuration": "00:00:00.01",
                    "entries": { "auth": { "status": "Unhealthy", "description": echo(&h), "exception": echo(&h) } }
                });
                (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "application/json")], report.to_string())
            }),
        )
        .route(
            "/api/queues/{vhost}",
            get(move |h: HeaderMap| async move {
                // A management API that quotes the request in its refusal.
                (StatusCode::UNAUTHORIZED, [(header::CONTENT_TYPE, "application/json")],
                 serde_json::json!({ "error": "not_authorized", "reason": echo(&h) }).to_string())
            }),
        )
        .route(
            "/echo-json",
            get(move |h: HeaderMap| async move {
                ([(header::CONTENT_TYPE, "application/json")], serde_json::json!({ "seen": echo(&h) }).to_string())
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bearer = format!("bearer_token = {{ secret = \"{name}\" }}");
    let mut text = String::new();
    text += &http_check("ok", &format!("http://{addr}/ok"), &bearer);
    text += &http_check(
        "echo-text",
        &format!("http://{addr}/echo-text"),
        &format!("{bearer}\nformat = \"aspnet\""),
    );
    text += &http_check(
        "echo-report",
        &format!("http://{addr}/echo-report"),
        &format!("headers = {{ X-Api-Key = {{ secret = \"{name}\" }} }}"),
    );
    text += &http_check(
        "echo-json",
        &format!("http://{addr}/echo-json"),
        &format!("username = \"monitor\"\npassword = {{ secret = \"{name}\" }}\njson_pointer = \"/seen\"\njson_equals = \"nothing\""),
    );
    // The same value as a broker password and as a push check's token.
    text += &format!(
        "\n[[check]]\nid = \"broker\"\ntype = \"rabbitmq\"\nurl = \"http://{addr}\"\nvhost = \"/\"\n\
         username = \"monitor\"\npassword = {{ secret = \"{name}\" }}\ntimeout = \"2s\"\n\
         \n[[check]]\nid = \"pushed\"\ntype = \"push\"\ntoken = {{ secret = \"{name}\" }}\nperiod = \"1h\"\n"
    );
    let config = write_config(dir.path(), &text);
    let set = tokio::task::spawn_blocking({
        let (n, c, d) = (name.clone(), canary.clone(), data.clone());
        move || set_secret(&n, &c, &d)
    })
    .await
    .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );

    let mut seen: Vec<(String, String)> = Vec::new();
    let sweep = tokio::task::spawn_blocking({
        let c = config.clone();
        move || run(&["check", "--format", "json"], Some(&c))
    })
    .await
    .unwrap();
    let sweep_out = String::from_utf8_lossy(&sweep.stdout).to_string();
    let results: serde_json::Value = serde_json::from_str(&sweep_out).unwrap();
    let status_of = |id: &str| {
        results["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of("ok"), "up", "{sweep_out}");
    assert_eq!(status_of("echo-text"), "down", "{sweep_out}");
    assert!(
        sweep_out.contains("[redacted]"),
        "the echoed value is shown redacted: {sweep_out}"
    );
    seen.push(("check stdout".into(), sweep_out));
    seen.push((
        "check stderr".into(),
        String::from_utf8_lossy(&sweep.stderr).into(),
    ));

    let mut server = Server::start_with(
        &config,
        &data,
        &["--listen", "127.0.0.1:0"],
        &[("OPSDECK_LOG", "trace")],
    );
    let base = server.base.clone();
    let pid = server.child.id();
    seen.push((
        "cmdline".into(),
        std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default(),
    ));
    seen.push((
        "environ".into(),
        String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default())
            .into(),
    ));
    wait_for("every check to have a result", async || {
        let o = rpc_as(&base, serde_json::json!({"method": "overview"})).await;
        o["counts"]["up"].as_u64().unwrap_or(0) >= 1
            && o["environments"][0]["checks"]
                .as_array()
                .is_some_and(|c| c.iter().all(|c| !c["checked_at"].is_null()))
    })
    .await;
    let admin = client(&base);
    let plain = reqwest::Client::new();
    let mut requests: Vec<(String, reqwest::RequestBuilder)> = vec![
        ("overview".into(), admin.get(format!("{base}/api/overview"))),
        ("transitions".into(), admin.get(format!("{base}/api/transitions"))),
        ("credentials".into(), admin.post(format!("{base}/api/rpc")).json(&serde_json::json!({"method": "credentials"}))),
        ("test".into(), admin.post(format!("{base}/api/rpc")).json(&serde_json::json!({"method": "test_credential", "params": {"name": name}}))),
        ("bad params".into(), admin.post(format!("{base}/api/rpc")).json(&serde_json::json!({"method": "set_credential", "params": {"name": 5, "value": canary}}))),
        ("bad value type".into(), admin.post(format!("{base}/api/rpc")).json(&serde_json::json!({"method": "check_now", "params": {"id": [canary]}}))),
        ("unknown method".into(), admin.post(format!("{base}/api/rpc")).json(&serde_json::json!({"method": "nope", "params": {"value": canary}}))),
        ("sign-in".into(), plain.post(format!("{base}/api/session")).json(&serde_json::json!({"token": canary}))),
        ("bearer".into(), plain.get(format!("{base}/api/overview")).bearer_auth(&canary)),
        ("basic".into(), plain.get(format!("{base}/api/overview")).header("authorization", format!("Basic {basic}"))),
        ("cookie".into(), plain.get(format!("{base}/api/overview")).header("cookie", format!("opsdeck_token_{}={canary}", base.rsplit(':').next().unwrap()))),
        ("metrics".into(), plain.get(format!("{base}/metrics"))),
        ("push".into(), plain.get(format!("{base}/api/push/{canary}?message=done"))),
        ("push post".into(), plain.post(format!("{base}/api/push/{canary}")).json(&serde_json::json!({"status": "down", "message": "failed"}))),
        ("push guess".into(), plain.get(format!("{base}/api/push/{canary}x"))),
        ("queues".into(), admin.get(format!("{base}/api/queues"))),
        ("broker".into(), admin.get(format!("{base}/api/checks/broker"))),
    ];
    for id in ["ok", "echo-text", "echo-report", "echo-json"] {
        requests.push((
            format!("detail {id}"),
            admin.get(format!("{base}/api/checks/{id}")),
        ));
        requests.push((
            format!("run {id}"),
            admin.post(format!("{base}/api/checks/{id}/run")),
        ));
        requests.push((
            format!("history {id}"),
            admin.get(format!("{base}/api/checks/{id}/history?window=7d")),
        ));
    }
    for (what, req) in requests {
        let r = req.send().await.unwrap();
        let headers = format!("{:?}", r.headers());
        let body = r.text().await.unwrap();
        seen.push((format!("{what} headers"), headers));
        seen.push((format!("{what} body"), body));
    }
    let detail = rpc_as(
        &base,
        serde_json::json!({"method": "check_detail", "params": {"id": "echo-report"}}),
    )
    .await;
    assert!(detail.to_string().contains("[redacted]"), "{detail}");
    let broker = rpc_as(
        &base,
        serde_json::json!({"method": "check_detail", "params": {"id": "broker"}}),
    )
    .await;
    assert!(
        broker["check"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("[redacted]"),
        "the broker's quoted request is shown redacted: {broker}"
    );
    assert_eq!(server.terminate(), Some(0));
    seen.push(("serve stderr".into(), server.stderr.lock().unwrap().clone()));

    let mut files = vec![config.clone()];
    let mut stack = vec![data.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    assert!(files
        .iter()
        .any(|f| f.to_string_lossy().ends_with(".sqlite")));
    assert!(files.iter().any(|f| f.to_string_lossy().contains("logs")));
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        seen.push((
            f.display().to_string(),
            String::from_utf8_lossy(&bytes).into(),
        ));
    }
    let mut hits = Vec::new();
    for (what, text) in &seen {
        for needle in [&canary, &basic] {
            if text.contains(needle.as_str()) {
                hits.push(what.clone());
            }
        }
    }
    tokio::task::spawn_blocking(move || {
        opsdeck()
            .env("OPSDECK_DATA_DIR", &data)
            .args(["secret", "delete", &name])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(hits.is_empty(), "the canary value was found in: {hits:?}");
}

/// No Secret Service at all (no session bus): the error says so and which service to start;
/// nothing is stored anywhere else.
#[cfg(target_os = "linux")]
#[test]
fn a_missing_keychain_says_which_service_to_start() {
    let data = tempfile::tempdir().unwrap();
    let mut child = opsdeck()
        .env("OPSDECK_DATA_DIR", data.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/opsdeck-test-bus",
        )
        .args(["secret", "set", "no-keychain-here"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"value\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{stderr}");
    assert!(
        stderr.contains("the OS keychain could not be used")
            && stderr.contains("start a Secret Service provider"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(data.path())
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "something was written instead: {left:?}");
}
