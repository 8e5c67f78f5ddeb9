//! Alerts through a real `opsdeck serve` and `opsdeck alerts`: a notification queued while the
//! mail relay (a real aiosmtpd) is away survives `kill -9` and arrives once after the restart;
//! acknowledging, snoozing, notes and channel tests work over HTTP and from the command line.
#![allow(clippy::unwrap_used)]

#[path = "../../opsdeck-core/tests/support/smtp_sink.rs"]
mod smtp_sink;

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

async fn post(base: &str, path: &str, body: Value) -> (u16, Value) {
    let r = client(base)
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn eventually<T>(what: &str, limit: Duration, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < limit, "never: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queued_mail_survives_kill_9_and_people_act_on_alerts() {
    if !smtp_sink::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut sink = smtp_sink::SmtpSink::new(dir.path());
    let config = write_config(
        dir.path(),
        &format!(
            "[settings]\nfailures_to_down = 1\n[alerting]\ngroup_wait = \"300ms\"\n\
             [[check]]\nid = \"fsw\"\nname = \"Field Service Web API\"\ntype = \"http\"\n\
             url = \"http://127.0.0.1:{}/HealthCheck\"\ninterval = \"1s\"\n\
             [[channel]]\nid = \"support-mail\"\ntype = \"email\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"none\"\nfrom = \"opsdeck@example.com\"\nto = [\"support@example.com\"]\ntimeout = \"2s\"\n",
            closed_port(),
            sink.port
        ),
    );
    let mut server = Server::start(&config, &data);
    let base = server.base.clone();
    // The check fails at once; its mail cannot go out: it waits in the outbox.
    eventually(
        "a mail waiting in the outbox",
        Duration::from_secs(30),
        async || {
            let a = get_json(&base, "/api/alerts").await;
            a["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["state"] == "pending" && d["attempts"].as_u64() >= Some(1))
                .then_some(())
        },
    )
    .await;
    server.kill9();

    // The relay is back, and so is opsdeck: the mail arrives, once.
    sink.start();
    let server = Server::start(&config, &data);
    let base = server.base.clone();
    let mails = eventually(
        "the mail after the restart",
        Duration::from_secs(40),
        async || {
            let m = sink.mails();
            (!m.is_empty()).then_some(m)
        },
    )
    .await;
    assert_eq!(
        smtp_sink::header(&mails[0], "Subject").unwrap(),
        "Field Service Web API is down"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        sink.mails().len(),
        1,
        "once, and no second alert after the restart"
    );

    // Acknowledge, snooze, note, over HTTP.
    let (status, _) = post(
        &base,
        "/api/checks/fsw/acknowledge",
        json!({ "note": "vendor called" }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = post(&base, "/api/checks/nope/acknowledge", json!({})).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = post(
        &base,
        "/api/checks/fsw/snooze",
        json!({ "minutes": 60, "note": "maintenance" }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = post(&base, "/api/checks/fsw/snooze", json!({ "minutes": 0 })).await;
    assert_eq!(status, 400, "{body}");
    let r = client(&base)
        .delete(format!("{base}/api/checks/fsw/snooze"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _) = post(
        &base,
        "/api/checks/fsw/notes",
        json!({ "text": "fixed DNS" }),
    )
    .await;
    assert_eq!(status, 200);
    let timeline = get_json(&base, "/api/timeline?id=fsw").await;
    let kinds: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "acknowledged",
        "snoozed",
        "unsnoozed",
        "note",
        "delivered",
        "delivery_failed",
        "alert",
        "transition",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let a = get_json(&base, "/api/alerts").await;
    assert_eq!(a["open"][0]["series"], "fsw");
    assert_eq!(
        a["open"][0]["acked_by"]
            .as_str()
            .map(|b| b.starts_with("admin-")),
        Some(true)
    );
    assert_eq!(a["open"][0]["ack_note"], "vendor called");
    let channels = get_json(&base, "/api/channels").await;
    assert_eq!(channels[0]["id"], "support-mail");
    assert_eq!(channels[0]["target"], "support@example.com");

    // Send test, from the console and from the command line.
    let (status, body) = post(&base, "/api/channels/support-mail/test", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&base, "/api/channels/nope/test", json!({})).await;
    assert_eq!(status, 404, "{body}");
    let out = opsdeck()
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .args(["alerts", "test", "support-mail"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually("both test mails", Duration::from_secs(10), async || {
        (sink.mails().len() == 3).then_some(())
    })
    .await;

    // The command line reads and writes the same alerts.
    let out = opsdeck()
        .arg("--data-dir")
        .arg(&data)
        .args(["alerts", "note", "fsw", "from the CLI"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = opsdeck()
        .arg("--data-dir")
        .arg(&data)
        .args(["alerts", "--check", "fsw", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entries"][0]["kind"], "note");
    assert_eq!(v["entries"][0]["message"], "from the CLI");
    let out = opsdeck()
        .arg("--data-dir")
        .arg(&data)
        .args(["alerts", "open"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("fsw") && text.contains("acknowledged by"),
        "{text}"
    );
    let out = opsdeck()
        .arg("--data-dir")
        .arg(&data)
        .args(["alerts", "ack", "no-such-check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`no-such-check` has no open alert"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(server);
}
