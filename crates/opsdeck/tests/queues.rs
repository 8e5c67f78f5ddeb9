//! Queues through a real `opsdeck serve`, against the real RabbitMQ started by
//! `scripts/services` (`OPSDECK_TEST_RABBITMQ`), with the broker password in the real keychain
//! (scripts/with-keyring): one result per queue in the overview, the Queues list with
//! sparklines, figures for the charts, and a deleted queue leaving the console.
#![allow(clippy::unwrap_used)]

#[path = "../../opsdeck-core/tests/support/services.rs"]
mod services;

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

fn broker() -> Option<String> {
    services::service("OPSDECK_TEST_RABBITMQ", "RabbitMQ")
}

async fn management(base: &str, method: reqwest::Method, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .request(method, format!("{base}/api/{path}"))
        .basic_auth("guest", Some("guest"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

async fn eventually(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !f().await {
        assert!(start.elapsed() < Duration::from_secs(30), "never: {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn queues_in_the_console() {
    let Some(mq) = broker() else { return };
    if !keychain_available() {
        return;
    }
    let mq = mq.trim_end_matches('/').to_string();
    let prefix = format!("opsdeck-serve-{}", std::process::id());
    for q in ["a", "b"] {
        management(
            &mq,
            reqwest::Method::PUT,
            &format!("queues/%2F/{prefix}.{q}"),
            json!({"durable": true}),
        )
        .await;
    }
    for i in 0..7 {
        management(
            &mq,
            reqwest::Method::POST,
            "exchanges/%2F/amq.default/publish",
            json!({"properties": {}, "routing_key": format!("{prefix}.a"), "payload": format!("m{i}"), "payload_encoding": "string"}),
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let secret = format!("mq-serve-{}", std::process::id());
    let set = tokio::task::spawn_blocking({
        let (n, d) = (secret.clone(), data.clone());
        move || set_secret(&n, "opsdeck-test-pass", &d)
    })
    .await
    .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let config = write_config(
        dir.path(),
        &format!(
            "[[check]]\nid = \"broker\"\ntype = \"rabbitmq\"\nurl = \"{mq}\"\nvhost = \"/\"\n\
             queues = [\"{prefix}.*\"]\nusername = \"opsdeck-test\"\npassword = {{ secret = \"{secret}\" }}\n\
             interval = \"1s\"\nmin_consumers = 0\n"
        ),
    );
    let mut server = Server::start(&config, &data);
    let base = server.base.clone();
    let a = format!("broker/{prefix}.a");
    let b = format!("broker/{prefix}.b");

    eventually(
        "both queues in the overview, the placeholder gone",
        async || {
            let o = get_json(&base, "/api/overview").await;
            let ids: Vec<String> = o["environments"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|e| {
                    e["checks"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c["id"].as_str().unwrap().to_string())
                })
                .collect();
            ids.contains(&a) && ids.contains(&b) && !ids.iter().any(|i| i == "broker")
        },
    )
    .await;
    eventually("queue a seven deep, with a sparkline", async || {
        let list = get_json(&base, "/api/queues").await;
        list["queues"].as_array().unwrap().iter().any(|r| {
            r["check"]["id"] == a.as_str()
                && r["check"]["details"]["queue"]["depth"] == 7
                && r["sparkline"]
                    .as_array()
                    .is_some_and(|s| s.len() >= 2 && s.last() == Some(&json!(7.0)))
        })
    })
    .await;
    let encoded = a.replace('/', "%2F");
    let detail = get_json(&base, &format!("/api/checks/{encoded}")).await;
    assert_eq!(detail["check"]["name"], format!("broker: {prefix}.a"));
    // Nobody consumes, which this check allows (`min_consumers = 0`) until `stalled_after`.
    assert_eq!(detail["check"]["details"]["movement"], "no-consumers");
    assert_eq!(detail["check"]["last_status"], "up");
    // "Check now" on one queue answers for that queue.
    let run: Value = client(&base)
        .post(format!("{base}/api/checks/{encoded}/run"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run = run.as_array().unwrap();
    assert_eq!(run.len(), 1, "{run:#?}");
    assert_eq!(run[0]["id"], a.as_str());
    let figures = get_json(&base, &format!("/api/checks/{encoded}/figures?window=1h")).await;
    assert_eq!(figures["bucket_seconds"], 0);
    assert!(
        figures["points"].as_array().unwrap().len() >= 2,
        "{figures:#}"
    );
    assert_eq!(
        figures["points"].as_array().unwrap().last().unwrap()["value"],
        7.0
    );

    // A queue deleted on the broker leaves the console (its history stays).
    management(
        &mq,
        reqwest::Method::DELETE,
        &format!("queues/%2F/{prefix}.b"),
        json!({}),
    )
    .await;
    eventually("queue b gone", async || {
        let list = get_json(&base, "/api/queues").await;
        !list["queues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["check"]["id"] == b.as_str())
    })
    .await;
    let r = client(&base)
        .get(format!("{base}/api/checks/{}", b.replace('/', "%2F")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // After a restart, the queue is back at once from the store, not as a placeholder.
    assert_eq!(server.terminate(), Some(0));
    let server = Server::start(&config, &data);
    let o = get_json(&server.base, "/api/overview").await;
    let checks = o["environments"][0]["checks"].as_array().unwrap().clone();
    assert!(
        checks
            .iter()
            .any(|c| c["id"] == a.as_str() && c["details"]["queue"]["depth"] == 7),
        "{checks:#?}"
    );
    assert!(!checks.iter().any(|c| c["id"] == "broker"), "{checks:#?}");
    // The deleted queue does not come back with it.
    assert!(!checks.iter().any(|c| c["id"] == b.as_str()), "{checks:#?}");
    drop(server);

    management(
        &mq,
        reqwest::Method::DELETE,
        &format!("queues/%2F/{prefix}.a"),
        json!({}),
    )
    .await;
    let _ = opsdeck()
        .env("OPSDECK_DATA_DIR", &data)
        .args(["secret", "delete", &secret])
        .output();
}
