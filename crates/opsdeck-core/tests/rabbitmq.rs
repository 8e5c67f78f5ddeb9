//! The RabbitMQ check against a real broker with the management plugin, started by
//! `scripts/services` (which `scripts/test` runs): `OPSDECK_TEST_RABBITMQ` names its management
//! API. Consumers are real AMQP clients (Python's pika). Without the variable the tests say
//! they were skipped, unless `OPSDECK_TEST_REQUIRE_SERVICES` is set, as in CI.
#![allow(clippy::unwrap_used)]

#[path = "support/services.rs"]
mod services;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck_core::config::{Check, Config, Settings};
use opsdeck_core::probe::Runner;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::status::{CheckResult, Status};
use secrecy::SecretString;
use serde_json::{json, Value};

const USER: &str = "opsdeck-test";
const PASS: &str = "opsdeck-test-pass";

/// Tests take the read side; the one that stops the broker takes the write side.
static BROKER: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

fn broker() -> Option<String> {
    services::service("OPSDECK_TEST_RABBITMQ", "RabbitMQ")
}

/// A management API client for arranging the broker.
struct Admin {
    base: String,
    http: reqwest::Client,
}

impl Admin {
    fn new(base: &str) -> Admin {
        Admin {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
        let r = self
            .http
            .request(method, format!("{}/api/{path}", self.base))
            .basic_auth("guest", Some("guest"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r
    }

    async fn declare(&self, queue: &str, arguments: Value) {
        // A queue left by an earlier run starts empty.
        let _ = self
            .http
            .delete(format!("{}/api/queues/%2F/{queue}", self.base))
            .basic_auth("guest", Some("guest"))
            .send()
            .await;
        self.send(
            reqwest::Method::PUT,
            &format!("queues/%2F/{queue}"),
            json!({ "durable": true, "auto_delete": false, "arguments": arguments }),
        )
        .await;
    }

    async fn publish(&self, queue: &str, n: usize) {
        for i in 0..n {
            self.send(
                reqwest::Method::POST,
                "exchanges/%2F/amq.default/publish",
                json!({ "properties": {}, "routing_key": queue, "payload": format!("m{i}"), "payload_encoding": "string" }),
            )
            .await;
        }
    }

    async fn purge(&self, queue: &str) {
        self.send(
            reqwest::Method::DELETE,
            &format!("queues/%2F/{queue}/contents"),
            json!({}),
        )
        .await;
    }

    async fn delete(&self, queue: &str) {
        let _ = self
            .http
            .delete(format!("{}/api/queues/%2F/{queue}", self.base))
            .basic_auth("guest", Some("guest"))
            .send()
            .await;
    }
}

/// A pika consumer on `queue`; killed on drop.
struct Consumer(Child);

impl Consumer {
    fn start(queue: &str, mode: &str, prefetch: u32) -> Consumer {
        let amqp = std::env::var("OPSDECK_TEST_RABBITMQ_AMQP").unwrap_or("127.0.0.1:5672".into());
        let (host, port) = amqp.split_once(':').unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/amqp_consumer.py"
        );
        // Debian's python3-pika is installed for the system interpreter.
        let python = std::env::var("OPSDECK_TEST_PYTHON").unwrap_or_else(|_| {
            if std::path::Path::new("/usr/bin/python3").exists() {
                "/usr/bin/python3".into()
            } else {
                "python3".into()
            }
        });
        let mut child = Command::new(python)
            .args([
                script,
                host,
                port,
                USER,
                PASS,
                queue,
                mode,
                &prefetch.to_string(),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with pika (Debian: python3-pika)");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "ready", "the consumer did not start");
        Consumer(child)
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn runner(password: &str) -> Runner {
    let mut secrets = HashMap::new();
    secrets.insert(
        "mq-test".to_string(),
        SecretString::from(password.to_string()),
    );
    Runner::new(&Settings::default(), Arc::new(ExplicitSecrets(secrets)))
}

fn check(base: &str, extra: &str) -> Check {
    let text = format!(
        "[[check]]\nid = \"mq\"\ntype = \"rabbitmq\"\nurl = \"{base}\"\nvhost = \"/\"\n\
         username = \"{USER}\"\npassword = {{ secret = \"mq-test\" }}\ntimeout = \"10s\"\n{extra}\n"
    );
    Config::parse(&text, "test.toml").unwrap().check.remove(0)
}

fn find<'a>(results: &'a [CheckResult], id: &str) -> &'a CheckResult {
    results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no result {id} in {results:#?}"))
}

/// Poll until the queue's movement is `want`, returning that result.
async fn poll_until(
    runner: &Runner,
    check: &Check,
    id: &str,
    want: &str,
    within: Duration,
    between: impl AsyncFnMut(),
) -> CheckResult {
    poll_for(
        runner,
        check,
        id,
        want,
        within,
        |r| r.details["movement"] == want,
        between,
    )
    .await
}

/// Poll until the queue's result satisfies `done`.
async fn poll_for(
    runner: &Runner,
    check: &Check,
    id: &str,
    what: &str,
    within: Duration,
    done: impl Fn(&CheckResult) -> bool,
    mut between: impl AsyncFnMut(),
) -> CheckResult {
    let start = Instant::now();
    loop {
        let results = runner.run(check).await;
        let r = find(&results, id).clone();
        if done(&r) {
            return r;
        }
        assert!(
            start.elapsed() < within,
            "{id} never became {what} within {within:?}; last: {r:#?}"
        );
        between().await;
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn movement_of_queues_on_a_real_broker() {
    let Some(base) = broker() else { return };
    let _shared = BROKER.read().await;
    let admin = Admin::new(&base);
    let q = "opsdeck-test.move";
    admin.declare(q, json!({})).await;
    let runner = runner(PASS);
    let check = check(
        &base,
        "queues = [\"opsdeck-test.move\"]\nstalled_after = \"4s\"",
    );
    let id = format!("mq/{q}");

    // Published with nobody consuming.
    admin.publish(q, 20).await;
    let r = poll_until(
        &runner,
        &check,
        &id,
        "no-consumers",
        Duration::from_secs(15),
        async || {},
    )
    .await;
    assert_eq!(r.status, Status::Down, "{r:#?}");
    assert_eq!(r.details["queue"]["depth"], 20);
    assert!(
        r.message.contains("no consumers while 20 messages waiting"),
        "{}",
        r.message
    );

    // A consumer that acknowledges everything, while messages keep coming.
    let acking = Consumer::start(q, "ack", 10);
    let r = poll_until(
        &runner,
        &check,
        &id,
        "moving",
        Duration::from_secs(20),
        async || {
            admin.publish(q, 3).await;
        },
    )
    .await;
    assert_eq!(r.status, Status::Up, "{r:#?}");
    assert!(r.details["queue"]["consumers"].as_u64() >= Some(1));
    drop(acking);

    // A consumer that takes three and never acknowledges: stalled after `stalled_after`.
    admin.purge(q).await;
    let holding = Consumer::start(q, "hold", 3);
    admin.publish(q, 10).await;
    let r = poll_until(
        &runner,
        &check,
        &id,
        "stalled",
        Duration::from_secs(30),
        async || {},
    )
    .await;
    assert_eq!(r.status, Status::Down, "{r:#?}");
    assert_eq!(r.details["queue"]["unacked"], 3, "{r:#?}");
    assert!(
        r.message.starts_with("stalled: 10 messages waiting"),
        "{}",
        r.message
    );
    drop(holding);

    // Drained and quiet: idle.
    admin.purge(q).await;
    let r = poll_until(
        &runner,
        &check,
        &id,
        "idle",
        Duration::from_secs(20),
        async || {},
    )
    .await;
    assert_eq!(r.details["queue"]["depth"], 0);
    admin.delete(q).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn new_queues_dead_letters_and_pages() {
    let Some(base) = broker() else { return };
    let _shared = BROKER.read().await;
    let admin = Admin::new(&base);
    // A queue that sends its rejects to a parking queue with an unusual name.
    admin.declare("opsdeck-test.pg.parked", json!({})).await;
    admin
        .declare(
            "opsdeck-test.pg.orders",
            json!({ "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "opsdeck-test.pg.parked" }),
        )
        .await;
    for i in 0..5 {
        admin
            .declare(&format!("opsdeck-test.pg.q{i}"), json!({}))
            .await;
    }
    admin.declare("opsdeck-test.pg.x.dlq", json!({})).await;
    admin.publish("opsdeck-test.pg.parked", 2).await;
    // Polled at once: the newest queues may have no statistics fields yet.
    let runner = runner(PASS);
    let check = check(
        &base,
        "queues = [\"opsdeck-test.pg.*\"]\npage_size = 2\nmin_consumers = 0",
    );
    let results = runner.run(&check).await;
    assert_eq!(
        results.len(),
        8,
        "every queue over four pages: {results:#?}"
    );
    assert!(results
        .iter()
        .all(|r| r.id.starts_with("mq/opsdeck-test.pg.")));
    assert_eq!(
        find(&results, "mq/opsdeck-test.pg.x.dlq").details["queue"]["dead_letter"],
        true
    );
    assert_eq!(
        find(&results, "mq/opsdeck-test.pg.q0").details["queue"]["dead_letter"],
        false
    );
    // Named as a dead-letter target by another queue's arguments.
    let parked = poll_for(
        &runner,
        &check,
        "mq/opsdeck-test.pg.parked",
        "two messages deep",
        Duration::from_secs(15),
        |r| r.details["queue"]["depth"] == 2,
        async || {},
    )
    .await;
    assert_eq!(parked.details["queue"]["dead_letter"], true, "{parked:#?}");
    assert_eq!(parked.status, Status::Degraded, "{parked:#?}");
    assert_eq!(parked.message, "2 dead-lettered messages");
    // Excluded queues are not reported.
    let fewer = self::check(
        &base,
        "queues = [\"opsdeck-test.pg.*\"]\nexclude = [\"*.q?\"]\nmin_consumers = 0",
    );
    assert_eq!(runner.run(&fewer).await.len(), 3);
    for q in ["parked", "orders", "q0", "q1", "q2", "q3", "q4", "x.dlq"] {
        admin.delete(&format!("opsdeck-test.pg.{q}")).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_and_a_missing_vhost_are_explained() {
    let Some(base) = broker() else { return };
    let _shared = BROKER.read().await;
    let results = runner("not-the-password").run(&check(&base, "")).await;
    assert_eq!(results.len(), 1, "{results:#?}");
    let r = &results[0];
    assert_eq!((r.id.as_str(), r.status), ("mq", Status::Unknown));
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    assert!(
        r.message.starts_with(&format!(
            "RabbitMQ at {host} refused the credentials for user `{USER}` in keychain entry `mq-test` (401"
        )),
        "{}",
        r.message
    );
    assert!(!r.message.contains("not-the-password"));
    assert!(
        r.message
            .contains("check the password, and that the user has the `monitoring` tag"),
        "{}",
        r.message
    );
    let text = format!(
        "[[check]]\nid = \"mq\"\ntype = \"rabbitmq\"\nurl = \"{base}\"\nvhost = \"no-such-vhost\"\n\
         username = \"{USER}\"\npassword = {{ secret = \"mq-test\" }}\n"
    );
    let check = Config::parse(&text, "t.toml").unwrap().check.remove(0);
    let r = &runner(PASS).run(&check).await[0];
    assert!(
        r.message.contains("has no vhost `no-such-vhost` (404)"),
        "{}",
        r.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_for_a_queue_that_is_not_there_says_so() {
    let Some(base) = broker() else { return };
    let _shared = BROKER.read().await;
    let text = format!(
        "[[check]]\nid = \"mq\"\ntype = \"rabbitmq\"\nurl = \"{base}\"\nvhost = \"/\"\n\
         username = \"{USER}\"\npassword = {{ secret = \"mq-test\" }}\n"
    );
    let config = Config::parse(&text, "t.toml").unwrap();
    let mut secrets = HashMap::new();
    secrets.insert("mq-test".to_string(), SecretString::from(PASS.to_string()));
    let results = opsdeck_core::engine::sweep(
        &config,
        &["mq/opsdeck-test.no-such-queue".to_string()],
        Arc::new(ExplicitSecrets(secrets)),
    )
    .await
    .unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0].status, Status::Unknown);
    assert_eq!(
        results[0].message,
        "`mq` reports nothing named `opsdeck-test.no-such-queue`"
    );

    // A broker that refuses the login: that is the answer for the queue asked about.
    let mut secrets = HashMap::new();
    secrets.insert(
        "mq-test".to_string(),
        SecretString::from("wrong".to_string()),
    );
    let results = opsdeck_core::engine::sweep(
        &config,
        &["mq/opsdeck-test.some-queue".to_string()],
        Arc::new(ExplicitSecrets(secrets)),
    )
    .await
    .unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0].id, "mq/opsdeck-test.some-queue");
    assert_eq!(results[0].name, "mq: opsdeck-test.some-queue");
    assert!(
        results[0].message.contains("refused the credentials"),
        "{}",
        results[0].message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_that_stops_mid_run_is_unknown_and_recovers() {
    let Some(base) = broker() else { return };
    let _alone = BROKER.write().await;
    let admin = Admin::new(&base);
    let q = "opsdeck-test.restart";
    admin.declare(q, json!({})).await;
    let runner = runner(PASS);
    let check = check(
        &base,
        "queues = [\"opsdeck-test.restart\"]\nmin_consumers = 0",
    );
    let id = format!("mq/{q}");
    let before = runner.run(&check).await;
    assert_eq!(find(&before, &id).status, Status::Up, "{before:#?}");

    let ctl = |action: &str| {
        let out = Command::new("rabbitmqctl")
            .arg(action)
            .output()
            .expect("rabbitmqctl");
        assert!(
            out.status.success(),
            "rabbitmqctl {action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ctl("stop_app");
    let during = runner.run(&check).await;
    let r = find(&during, &id);
    assert_eq!(r.status, Status::Unknown, "{r:#?}");
    assert!(
        r.message.contains("refused") || r.message.contains("connect"),
        "says the broker cannot be reached: {}",
        r.message
    );
    ctl("start_app");
    let start = Instant::now();
    loop {
        let after = runner.run(&check).await;
        if after.iter().any(|r| r.id == id && r.status == Status::Up) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no recovery: {after:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    admin.delete(q).await;
}
