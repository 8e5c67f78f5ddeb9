//! Push heartbeats through a real `opsdeck serve`: the token is made by `opsdeck secret set
//! --generate` and kept in the real keychain (a private Secret Service; see
//! scripts/with-keyring). On time, late, told down, and unknown tokens.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use support::*;

fn generate(name: &str, data: &std::path::Path) -> String {
    let out = opsdeck()
        .env("OPSDECK_DATA_DIR", data)
        .args(["secret", "set", "--generate", name])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(token.len(), 40, "{token}");
    token
}

async fn push_view(base: &str) -> serde_json::Value {
    view_of(base, "nightly-sync").await
}

async fn view_of(base: &str, id: &str) -> serde_json::Value {
    let o: serde_json::Value = client(base)
        .get(format!("{base}/api/overview"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    o["environments"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap()
}

async fn wait_for(
    what: &str,
    base: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let v = push_view(base).await;
        if ok(&v) {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{what}: {v:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pushes_on_time_late_and_from_strangers() {
    if !keychain_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("push-test-{}", std::process::id());
    let token = tokio::task::spawn_blocking({
        let (n, d) = (name.clone(), data.clone());
        move || generate(&n, &d)
    })
    .await
    .unwrap();
    let later = format!("push-later-{}", std::process::id());
    let config = write_config(
        dir.path(),
        &format!(
            "[[check]]\nid = \"nightly-sync\"\ntype = \"push\"\ntoken = {{ secret = \"{name}\" }}\n\
             period = \"2s\"\ngrace = \"1s\"\ninterval = \"1s\"\n\
             [[check]]\nid = \"weekly-export\"\ntype = \"push\"\ntoken = {{ secret = \"{later}\" }}\n\
             period = \"1h\"\ninterval = \"1s\"\n"
        ),
    );
    let mut server = Server::start(&config, &data);
    let base = server.base.clone();
    let plain = reqwest::Client::new();

    // On time, by GET with a message.
    let r = plain
        .get(format!(
            "{base}/api/push/{token}?status=up&msg=42%20invoices"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"received":true}"#);
    let v = wait_for("up after a push", &base, |v| v["status"] == "up").await;
    assert!(
        v["message"].as_str().unwrap().ends_with(": 42 invoices"),
        "{v:#}"
    );

    // Late: nothing for period + grace.
    let v = wait_for("down when late", &base, |v| v["status"] == "down").await;
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("expected every 2s (+1s grace)"),
        "{v:#}"
    );

    // A POST that says the job failed.
    let r = plain
        .post(format!("{base}/api/push/{token}"))
        .json(&serde_json::json!({ "status": "down", "message": "ERP rejected 3 orders" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v = wait_for("told down", &base, |v| {
        v["status"] == "down"
            && v["message"]
                .as_str()
                .unwrap_or_default()
                .contains("ERP rejected")
    })
    .await;
    assert_eq!(v["details"]["pushed_status"], "down");
    let r = plain
        .post(format!("{base}/api/push/{token}?status=purple"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Exit-code style numbers, with any capitalisation of the content type.
    let r = plain
        .post(format!("{base}/api/push/{token}"))
        .header("content-type", "Application/JSON; charset=utf-8")
        .body(r#"{"status": 0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_for("up again", &base, |v| v["status"] == "up").await;

    // A push check whose token is not in the keychain says so.
    let v = view_of(&base, "weekly-export").await;
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains(&format!("credential `{later}` is not in the keychain")),
        "{v:#}"
    );
    // Stored from the command line while the server runs: its first push is taken.
    let later_token = tokio::task::spawn_blocking({
        let (n, d) = (later.clone(), data.clone());
        move || generate(&n, &d)
    })
    .await
    .unwrap();
    let r = plain
        .get(format!("{base}/api/push/{later_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A wrong token: a bare 404, logged without the token; repeated, the client is slowed.
    let guess = "x".repeat(40);
    let r = plain
        .get(format!("{base}/api/push/{guess}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"code":"not_found","message":"not found"}"#
    );
    let mut limited = false;
    for _ in 0..12 {
        let r = plain
            .get(format!("{base}/api/push/{guess}"))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "guessing push tokens is rate limited");
    // Counted apart from sign-ins: people behind the same address still get in.
    let r = client(&base)
        .get(format!("{base}/api/overview"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "a blocked pusher does not lock out sign-ins"
    );
    assert_eq!(server.terminate(), Some(0));
    let log = server.stderr.lock().unwrap().clone();
    assert!(
        log.contains("refused a push with an unknown token"),
        "{log}"
    );
    assert!(!log.contains(&guess) && !log.contains(&token), "{log}");

    for n in [&name, &later] {
        let _ = opsdeck()
            .env("OPSDECK_DATA_DIR", &data)
            .args(["secret", "delete", n])
            .output();
    }
}
