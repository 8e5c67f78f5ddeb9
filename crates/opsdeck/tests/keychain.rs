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

fn keychain_available() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() || cfg!(not(target_os = "linux")) {
        return true;
    }
    assert!(
        std::env::var_os("OPSDECK_TEST_REQUIRE_KEYCHAIN").is_none(),
        "OPSDECK_TEST_REQUIRE_KEYCHAIN is set but there is no session bus: run under scripts/with-keyring"
    );
    eprintln!("SKIPPED: no Secret Service session bus; run under scripts/with-keyring");
    false
}

fn set_secret(name: &str, value: &str, data: &std::path::Path) -> std::process::Output {
    let mut child = opsdeck()
        .env("OPSDECK_DATA_DIR", data)
        .args(["secret", "set", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{value}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

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
    assert!(String::from_utf8_lossy(&unused.stderr).contains("no check in"));
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
