//! Alerting end to end through a running engine: checks against a local endpoint whose health
//! the test switches, notifications to local receivers that record exactly what they are sent
//! (standing in for Teams Workflows, Slack and a generic webhook, with the documented request
//! shapes), and e-mail to a real SMTP server (aiosmtpd).
#![allow(clippy::unwrap_used)]

#[path = "support/smtp_sink.rs"]
mod smtp_sink;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use opsdeck_core::alerting;
use opsdeck_core::config::Config;
use opsdeck_core::engine::Engine;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::store::Store;
use secrecy::SecretString;
use serde_json::{json, Value};

/// The endpoints the checks ask: `/health/NAME` answers `Healthy`, or 503 `Unhealthy` while
/// NAME is in `down`.
async fn estate(down: Arc<Mutex<Vec<String>>>) -> String {
    let app = axum::Router::new().route(
        "/health/{name}",
        axum::routing::get(move |Path(name): Path<String>| {
            let is_down = down.lock().unwrap().contains(&name);
            async move {
                if is_down {
                    (StatusCode::SERVICE_UNAVAILABLE, "Unhealthy")
                } else {
                    (StatusCode::OK, "Healthy")
                }
            }
        }),
    );
    serve(app).await
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// What a receiver was sent.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Value,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// Answer this status instead of 200 while set.
    refuse: Arc<Mutex<Option<StatusCode>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let app = axum::Router::new()
            .route(
                "/{path}",
                axum::routing::post(
                    |State(r): State<Receiver>,
                     Path(path): Path<String>,
                     headers: HeaderMap,
                     body: axum::body::Bytes| async move {
                        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        if let Some(code) = *r.refuse.lock().unwrap() {
                            return code;
                        }
                        r.got.lock().unwrap().push(Received {
                            path,
                            headers,
                            body,
                        });
                        StatusCode::OK
                    },
                ),
            )
            .with_state(self.clone());
        serve(app).await
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

async fn eventually<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An engine on a file store in `dir`, started, with these credentials.
async fn engine(dir: &std::path::Path, text: &str, secrets: &[(&str, String)]) -> Arc<Engine> {
    let config = Config::parse(text, "alerting.toml").unwrap();
    let store = Store::open(&dir.join("opsdeck.sqlite")).await.unwrap();
    let secrets: HashMap<String, SecretString> = secrets
        .iter()
        .map(|(k, v)| (k.to_string(), SecretString::from(v.clone())))
        .collect();
    let engine = Engine::new(config, store, Arc::new(ExplicitSecrets(secrets)))
        .await
        .unwrap();
    engine.start().await;
    engine
}

/// Quick damping and grouping, so the tests run in seconds. Checks run every second on their
/// own phases, so one outage's transitions arrive spread over a second and a writer batch:
/// `group_wait` is longer than that, or a slow moment would split the group.
const FAST: &str = "[settings]\nfailures_to_down = 1\nsuccesses_to_up = 1\n\
    [alerting]\ngroup_wait = \"2s\"\ngroup_max = \"5s\"\n";

fn check(id: &str, name: &str, base: &str, extra: &str) -> String {
    format!(
        "[[check]]\nid = \"{id}\"\nname = \"{name}\"\ntype = \"http\"\nurl = \"{base}/health/{id}\"\n\
         interval = \"1s\"\n{extra}\n"
    )
}

/// Why each open alert is held back (none: it is not).
async fn held_back(engine: &Engine) -> HashMap<String, Option<String>> {
    alerting::state(engine)
        .await
        .unwrap()
        .open
        .into_iter()
        .map(|o| (o.incident.series, o.incident.suppressed_by))
        .collect()
}

async fn all_up(engine: &Engine, ids: &[&str]) {
    eventually("every check up", Duration::from_secs(15), || {
        ids.iter()
            .all(|id| {
                engine
                    .view(id)
                    .is_some_and(|v| v.status == opsdeck_core::status::Status::Up)
            })
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn teams_slack_and_webhook_get_exactly_the_documented_payloads() {
    let dir = tempfile::tempdir().unwrap();
    let down = Arc::new(Mutex::new(Vec::new()));
    let base = estate(down.clone()).await;
    let receiver = Receiver::default();
    let hooks = receiver.start().await;
    let text = format!(
        "{FAST}reminder = \"0s\"\nconsole_url = \"https://opsdeck.example.com\"\n\
         [[environment]]\nid = \"live\"\nname = \"Live\"\nseverity = \"critical\"\n\
         {}\
         [[channel]]\nid = \"hook\"\ntype = \"webhook\"\nurl = \"{hooks}/generic\"\n\
         headers = {{ X-Token = {{ secret = \"hook-token\" }} }}\n\
         [[channel]]\nid = \"teams\"\ntype = \"teams\"\nurl = {{ secret = \"teams-url\" }}\n\
         [[channel]]\nid = \"slack\"\ntype = \"slack\"\nurl = {{ secret = \"slack-url\" }}\n",
        check(
            "fsw",
            "Field Service Web API",
            &base,
            "environment = \"live\""
        )
    );
    let engine = engine(
        dir.path(),
        &text,
        &[
            ("hook-token", "t0ken".into()),
            ("teams-url", format!("{hooks}/teams")),
            ("slack-url", format!("{hooks}/slack")),
        ],
    )
    .await;
    all_up(&engine, &["fsw"]).await;
    down.lock().unwrap().push("fsw".into());

    let generic = eventually("the webhook's alert", Duration::from_secs(15), || {
        receiver.at("generic").first().cloned()
    })
    .await;
    let b = &generic.body;
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(generic.headers["idempotency-key"], id.as_str());
    assert_eq!(generic.headers["x-token"], "t0ken");
    let since = b["items"][0]["since"].clone();
    let message = b["items"][0]["message"].clone();
    assert_eq!(message, "Unhealthy", "the check's own message");
    assert_eq!(
        *b,
        json!({
            "id": id,
            "kind": "alert",
            "severity": "critical",
            "title": "Field Service Web API is down",
            "created_at": b["created_at"],
            "items": [{
                "id": "fsw",
                "name": "Field Service Web API",
                "environment": "live",
                "environment_name": "Live",
                "severity": "critical",
                "status": "down",
                "previous_status": "up",
                "message": message,
                "since": since,
                "url": "https://opsdeck.example.com/#/check/fsw",
            }],
            "console_url": "https://opsdeck.example.com",
        })
    );

    let teams = eventually("the Teams card", Duration::from_secs(5), || {
        receiver.at("teams").first().cloned()
    })
    .await;
    assert_eq!(
        teams.body,
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": "[CRITICAL] Field Service Web API is down",
                            "weight": "Bolder",
                            "size": "Medium",
                            "color": "Attention",
                            "wrap": true,
                        },
                        {
                            "type": "Container",
                            "separator": true,
                            "items": [
                                { "type": "TextBlock", "text": "Field Service Web API", "weight": "Bolder", "color": "Attention", "wrap": true },
                                { "type": "TextBlock", "text": message, "wrap": true, "isSubtle": true },
                                { "type": "FactSet", "facts": [
                                    { "title": "Status", "value": "down" },
                                    { "title": "Environment", "value": "Live" },
                                    { "title": "Since", "value": since },
                                ] },
                            ],
                            "selectAction": { "type": "Action.OpenUrl", "url": "https://opsdeck.example.com/#/check/fsw" },
                        },
                    ],
                    "actions": [{ "type": "Action.OpenUrl", "title": "Open opsdeck", "url": "https://opsdeck.example.com" }],
                },
            }],
        })
    );

    let slack = eventually("the Slack message", Duration::from_secs(5), || {
        receiver.at("slack").first().cloned()
    })
    .await;
    let m = message.as_str().unwrap();
    assert_eq!(
        slack.body,
        json!({
            "text": format!("[CRITICAL] Field Service Web API is down\nDOWN    Field Service Web API (Live): {m}\n  https://opsdeck.example.com/#/check/fsw\n"),
            "blocks": [
                { "type": "header", "text": { "type": "plain_text", "text": "[CRITICAL] Field Service Web API is down" } },
                { "type": "section", "text": { "type": "mrkdwn", "text": format!(":red_circle: <https://opsdeck.example.com/#/check/fsw|Field Service Web API> (Live) is *down*\n{m}") } },
                { "type": "context", "elements": [{ "type": "mrkdwn", "text": "<https://opsdeck.example.com|Open opsdeck>" }] },
            ],
        })
    );

    // Back up: one recovery each, that says how it was.
    down.lock().unwrap().clear();
    let recovery = eventually("the webhook's recovery", Duration::from_secs(15), || {
        receiver.at("generic").get(1).cloned()
    })
    .await;
    assert_eq!(recovery.body["kind"], "recovery");
    assert_eq!(recovery.body["title"], "Field Service Web API is up again");
    assert_eq!(recovery.body["items"][0]["status"], "up");
    assert_eq!(recovery.body["items"][0]["previous_status"], "down");
    assert_eq!(
        recovery.body["items"][0]["since"], since,
        "when the failure began"
    );
    eventually("every channel's recovery", Duration::from_secs(5), || {
        (receiver.at("teams").len() == 2 && receiver.at("slack").len() == 2).then_some(())
    })
    .await;
    // And the timeline says all of it.
    let entries = alerting::timeline::read(engine.store().pool(), Some("fsw"), None, 100)
        .await
        .unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    for k in ["transition", "alert", "delivered", "recovery"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_together_are_one_notification_and_dependants_wait_for_their_parent() {
    let dir = tempfile::tempdir().unwrap();
    let down = Arc::new(Mutex::new(Vec::new()));
    let base = estate(down.clone()).await;
    let receiver = Receiver::default();
    let hooks = receiver.start().await;
    let text = format!(
        "{FAST}reminder = \"0s\"\n{}{}{}{}\
         [[channel]]\nid = \"hook\"\ntype = \"webhook\"\nurl = \"{hooks}/generic\"\n",
        check("gateway", "Gateway", &base, ""),
        check("orders", "Orders API", &base, "depends_on = [\"gateway\"]"),
        check(
            "invoices",
            "Invoices API",
            &base,
            "depends_on = [\"gateway\"]"
        ),
        check("portal", "Portal", &base, ""),
    );
    let engine = engine(dir.path(), &text, &[]).await;
    all_up(&engine, &["gateway", "orders", "invoices", "portal"]).await;

    // Everything fails at once: one notification, naming the gateway and the portal only.
    *down.lock().unwrap() = vec![
        "gateway".into(),
        "orders".into(),
        "invoices".into(),
        "portal".into(),
    ];
    let first = eventually("the grouped alert", Duration::from_secs(15), || {
        receiver.at("generic").first().cloned()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        receiver.at("generic").len(),
        1,
        "one notification for the whole outage"
    );
    let mut named: Vec<&str> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    named.sort();
    assert_eq!(named, ["gateway", "portal"], "{:#}", first.body);
    assert!(first.body["title"]
        .as_str()
        .unwrap()
        .starts_with("2 checks failing: "));
    let held = held_back(&engine).await;
    assert_eq!(held["orders"].as_deref(), Some("suppressed by gateway"));
    assert_eq!(held["invoices"].as_deref(), Some("suppressed by gateway"));
    assert_eq!(held["portal"], None);

    // The gateway is back but the orders API is not: now support hears of it.
    down.lock()
        .unwrap()
        .retain(|c| c != "gateway" && c != "invoices");
    let later = eventually(
        "the orders API's own alert",
        Duration::from_secs(20),
        || {
            receiver
                .at("generic")
                .into_iter()
                .find(|r| r.body["kind"] == "alert" && r.body["items"][0]["id"] == "orders")
        },
    )
    .await;
    assert_eq!(
        later.body["items"].as_array().unwrap().len(),
        1,
        "{:#}",
        later.body
    );
    let recovered: Vec<String> = receiver
        .at("generic")
        .iter()
        .filter(|r| r.body["kind"] == "recovery")
        .flat_map(|r| {
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        recovered,
        ["gateway"],
        "the invoices API was never alerted, so no recovery either"
    );
    let entries = alerting::timeline::read(engine.store().pool(), Some("orders"), None, 50)
        .await
        .unwrap();
    assert!(
        entries.iter().any(|e| e.kind.as_str() == "suppressed" && e.message.contains("suppressed by gateway")),
        "{entries:#?}"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reminders_stop_when_acknowledged_and_snoozes_and_maintenance_hold_alerts_back() {
    let dir = tempfile::tempdir().unwrap();
    let down = Arc::new(Mutex::new(Vec::new()));
    let base = estate(down.clone()).await;
    let receiver = Receiver::default();
    let hooks = receiver.start().await;
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    let start = now.checked_sub(jiff::SignedDuration::from_mins(5)).unwrap();
    let text = format!(
        "{FAST}reminder = \"3s\"\n{}{}{}\
         [[channel]]\nid = \"hook\"\ntype = \"webhook\"\nurl = \"{hooks}/generic\"\n\
         [[maintenance]]\nid = \"patching\"\nname = \"Patching\"\nchecks = [\"erp-*\"]\n\
         start = \"{}\"\nduration = \"1h\"\ntime_zone = \"UTC\"\n",
        check("sync", "Nightly sync", &base, ""),
        check("mail", "Mail relay", &base, ""),
        check("erp-live", "ERP Live", &base, ""),
        start.datetime().strftime("%Y-%m-%dT%H:%M"),
    );
    let engine = engine(dir.path(), &text, &[]).await;
    all_up(&engine, &["sync", "mail", "erp-live"]).await;
    let pool = engine.store().pool().clone();
    alerting::snooze(
        &pool,
        "mail",
        Some(Duration::from_secs(3600)),
        "anna",
        Some("relay swap"),
    )
    .await
    .unwrap();

    *down.lock().unwrap() = vec!["sync".into(), "mail".into(), "erp-live".into()];
    let first = eventually("the alert", Duration::from_secs(15), || {
        receiver.at("generic").first().cloned()
    })
    .await;
    assert_eq!(
        first.body["items"].as_array().unwrap().len(),
        1,
        "{:#}",
        first.body
    );
    assert_eq!(
        first.body["items"][0]["id"], "sync",
        "the snoozed and the maintained wait"
    );
    let reminder = eventually("a reminder", Duration::from_secs(15), || {
        receiver
            .at("generic")
            .into_iter()
            .find(|r| r.body["kind"] == "reminder")
    })
    .await;
    assert_eq!(reminder.body["title"], "Still down: Nightly sync");

    alerting::acknowledge(&pool, "sync", "anna", Some("on it"))
        .await
        .unwrap();
    let count = receiver.at("generic").len();
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(
        receiver.at("generic").len(),
        count,
        "no reminders once acknowledged"
    );

    let held = held_back(&engine).await;
    assert!(
        held["mail"]
            .as_deref()
            .unwrap()
            .starts_with("snoozed until"),
        "{held:?}"
    );
    assert!(
        held["erp-live"]
            .as_deref()
            .unwrap()
            .starts_with("in maintenance `Patching` until"),
        "{held:?}"
    );

    // The snooze ends early: the relay's alert goes out.
    alerting::snooze(&pool, "mail", None, "anna", None)
        .await
        .unwrap();
    eventually(
        "the relay's alert after the snooze",
        Duration::from_secs(15),
        || {
            receiver
                .at("generic")
                .into_iter()
                .find(|r| r.body["kind"] == "alert" && r.body["items"][0]["id"] == "mail")
        },
    )
    .await;
    let entries = alerting::timeline::read(&pool, Some("sync"), None, 50)
        .await
        .unwrap();
    let ack = entries
        .iter()
        .find(|e| e.kind.as_str() == "acknowledged")
        .unwrap();
    assert_eq!(ack.message, "acknowledged: on it");
    assert_eq!(ack.actor.as_deref(), Some("anna"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_arrives_and_a_relay_that_was_down_gets_every_queued_mail_once() {
    if !smtp_sink::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut sink = smtp_sink::SmtpSink::new(dir.path());
    let down = Arc::new(Mutex::new(Vec::new()));
    let base = estate(down.clone()).await;
    let text = format!(
        "{FAST}reminder = \"0s\"\n{}{}\
         [[channel]]\nid = \"support-mail\"\ntype = \"email\"\nhost = \"127.0.0.1\"\nport = {}\n\
         security = \"none\"\nfrom = \"opsdeck <opsdeck@example.com>\"\n\
         to = [\"support@example.com\", \"Duty Phone <duty@example.com>\"]\ncc = [\"lead@example.com\"]\ntimeout = \"3s\"\n",
        check("fsw", "Field Service Web API", &base, ""),
        check("edi", "EDI import", &base, ""),
        sink.port,
    );
    let engine = engine(dir.path(), &text, &[]).await;
    all_up(&engine, &["fsw", "edi"]).await;

    // The relay is away: two outages queue two mails.
    down.lock().unwrap().push("fsw".into());
    let pool = engine.store().pool().clone();
    let pending = |n: usize| {
        let pool = pool.clone();
        async move {
            let log = alerting::outbox::log(&pool, 50).await.unwrap();
            log.iter()
                .filter(|d| d.state == alerting::outbox::DeliveryState::Pending && d.attempts >= 1)
                .count()
                >= n
        }
    };
    let start = Instant::now();
    while !pending(1).await {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the first mail never failed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = alerting::outbox::log(&pool, 50).await.unwrap();
    assert!(
        log[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("127.0.0.1:{}", sink.port)),
        "{log:#?}"
    );
    down.lock().unwrap().push("edi".into());
    let start = Instant::now();
    while !pending(2).await {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the second mail never failed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The relay comes back: both mails arrive, once each, at the next retry.
    sink.start();
    let mails = eventually("both mails", Duration::from_secs(40), || {
        let m = sink.mails();
        (m.len() >= 2).then_some(m)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sink.mails().len(), 2, "each mail once");
    let subjects: Vec<String> = mails
        .iter()
        .map(|m| smtp_sink::header(m, "Subject").unwrap())
        .collect();
    assert!(
        subjects.contains(&"Field Service Web API is down".to_string()),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"EDI import is down".to_string()),
        "{subjects:?}"
    );
    let mail = &mails[0];
    assert_eq!(
        smtp_sink::header(mail, "From").unwrap(),
        "opsdeck <opsdeck@example.com>"
    );
    assert_eq!(
        smtp_sink::header(mail, "To").unwrap(),
        "support@example.com, \"Duty Phone\" <duty@example.com>"
    );
    assert_eq!(smtp_sink::header(mail, "Cc").unwrap(), "lead@example.com");
    let rcpt = smtp_sink::header(mail, "X-RcptTo").unwrap();
    for who in [
        "support@example.com",
        "duty@example.com",
        "lead@example.com",
    ] {
        assert!(rcpt.contains(who), "{rcpt}");
    }
    assert!(smtp_sink::header(mail, "Message-ID")
        .unwrap()
        .ends_with("@opsdeck>"));
    assert!(mail.contains("DOWN    "), "{mail}");
    assert!(mail.contains("Unhealthy"), "{mail}");
    let log = alerting::outbox::log(&pool, 50).await.unwrap();
    assert!(
        log.iter()
            .all(|d| d.state == alerting::outbox::DeliveryState::Sent),
        "{log:#?}"
    );

    // A test mail, on demand.
    let config = engine.config();
    alerting::test_channel(&pool, &config, &engine.couriers(), "support-mail", "anna")
        .await
        .unwrap();
    let test = eventually("the test mail", Duration::from_secs(5), || {
        sink.mails().get(2).cloned()
    })
    .await;
    assert_eq!(
        smtp_sink::header(&test, "Subject").unwrap(),
        "Test notification from opsdeck"
    );
    sink.stop();
    let err = alerting::test_channel(&pool, &config, &engine.couriers(), "support-mail", "anna")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("127.0.0.1:{}", sink.port)),
        "{err}"
    );
    engine.shutdown().await;
}
