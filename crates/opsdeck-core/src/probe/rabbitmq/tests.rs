use super::*;

const MIN: i64 = 60_000;

fn t() -> QueueThresholds {
    QueueThresholds::default()
}

fn sample(depth: u64, consumers: u32) -> Sample {
    Sample {
        depth,
        ready: depth,
        consumers,
        ..Sample::default()
    }
}

/// Feed polls one minute apart; answer the last verdict.
fn run(polls: &[Sample], th: &QueueThresholds, dead_letter: bool) -> Verdict {
    let mut track: Option<Track> = None;
    let mut last = None;
    for (i, s) in polls.iter().enumerate() {
        let v = classify(s, track.as_ref(), i as i64 * MIN, th, dead_letter);
        track = Some(v.track.clone());
        last = Some(v);
    }
    last.expect("at least one poll")
}

#[test]
fn an_empty_quiet_queue_is_idle_and_a_busy_empty_one_moving() {
    let v = run(&[sample(0, 1)], &t(), false);
    assert_eq!((v.movement, v.status), (Movement::Idle, Status::Up));
    assert_eq!(v.message, "idle: empty");
    let busy = Sample {
        publish_rate: 5.0,
        deliver_rate: 5.0,
        ack_rate: 5.0,
        ..sample(0, 2)
    };
    assert_eq!(run(&[busy], &t(), false).movement, Movement::Moving);
}

#[test]
fn messages_without_consumers_are_no_consumers_and_down() {
    let v = run(&[sample(40, 0)], &t(), false);
    assert_eq!(v.movement, Movement::NoConsumers);
    assert_eq!(v.status, Status::Down);
    assert_eq!(v.message, "no consumers while 40 messages waiting");
    // With min_consumers = 0 (a queue drained by a nightly job), only a long wait is down.
    let relaxed = QueueThresholds {
        min_consumers: Some(0),
        ..t()
    };
    assert_eq!(run(&[sample(40, 0)], &relaxed, false).status, Status::Up);
    let waited: Vec<Sample> = (0..12).map(|_| sample(40, 0)).collect();
    assert_eq!(run(&waited, &relaxed, false).status, Status::Down);
}

#[test]
fn deliveries_make_a_deep_queue_moving() {
    let draining = [
        Sample {
            deliver_rate: 20.0,
            ack_rate: 20.0,
            publish_rate: 5.0,
            ..sample(900, 2)
        },
        Sample {
            deliver_rate: 20.0,
            ack_rate: 20.0,
            publish_rate: 5.0,
            ..sample(600, 2)
        },
    ];
    let v = run(&draining, &t(), false);
    assert_eq!(
        (v.movement, v.status),
        (Movement::Moving, Status::Up),
        "{v:?}"
    );
    assert_eq!(v.message, "moving: 600 waiting, 5.0/s in, 20/s out");
}

#[test]
fn more_in_than_out_is_growing() {
    let v = run(
        &[Sample {
            publish_rate: 10.0,
            deliver_rate: 2.0,
            ..sample(100, 1)
        }],
        &t(),
        false,
    );
    assert_eq!(v.movement, Movement::Growing);
    // A rising depth over the polls, even with no rates in the answer.
    let rising: Vec<Sample> = [10, 20, 35].iter().map(|d| sample(*d, 1)).collect();
    assert_eq!(run(&rising, &t(), false).movement, Movement::Growing);
}

#[test]
fn waiting_without_deliveries_stalls_after_stalled_after() {
    let th = QueueThresholds {
        stalled_after: Some(Duration::from_secs(5 * 60)),
        ..t()
    };
    // A consumer took 3 and never acked; the rest waits.
    let stuck = Sample {
        unacked: 3,
        ready: 37,
        depth: 40,
        consumers: 1,
        ..Sample::default()
    };
    let early = run(&[stuck, stuck], &th, false);
    assert_eq!(
        (early.movement, early.status),
        (Movement::Idle, Status::Up),
        "{early:?}"
    );
    assert!(
        early.message.contains("nothing delivered for 1m"),
        "{}",
        early.message
    );
    let polls: Vec<Sample> = (0..6).map(|_| stuck).collect();
    let v = run(&polls, &th, false);
    assert_eq!(
        (v.movement, v.status),
        (Movement::Stalled, Status::Down),
        "{v:?}"
    );
    assert_eq!(
        v.message,
        "stalled: 40 messages waiting, nothing delivered or acknowledged for 5m"
    );
}

#[test]
fn a_delivery_restarts_the_stall_clock_and_counters_count_as_deliveries() {
    let th = QueueThresholds {
        stalled_after: Some(Duration::from_secs(180)),
        ..t()
    };
    let mut polls: Vec<Sample> = (0..3)
        .map(|_| Sample {
            deliver_total: Some(100),
            ..sample(10, 1)
        })
        .collect();
    // Rates read 0 between the broker's samples, but the counter moved.
    polls.push(Sample {
        deliver_total: Some(105),
        ..sample(10, 1)
    });
    polls.push(Sample {
        deliver_total: Some(105),
        ..sample(10, 1)
    });
    let v = run(&polls, &th, false);
    assert_ne!(v.movement, Movement::Stalled, "{v:?}");
    assert_eq!(v.track.last_progress_ms, Some(3 * MIN));
}

#[test]
fn thresholds_decide_between_degraded_and_down() {
    let th = QueueThresholds {
        max_depth: Some(500),
        min_consumers: Some(2),
        ..t()
    };
    let draining = Sample {
        deliver_rate: 50.0,
        ack_rate: 50.0,
        ..sample(800, 2)
    };
    let v = run(&[draining], &th, false);
    assert_eq!((v.movement, v.status), (Movement::Moving, Status::Degraded));
    assert_eq!(v.message, "800 messages, more than 500");
    let growing = Sample {
        publish_rate: 80.0,
        deliver_rate: 50.0,
        ..sample(800, 2)
    };
    assert_eq!(run(&[growing], &th, false).status, Status::Down);
    let v = run(
        &[Sample {
            deliver_rate: 5.0,
            ..sample(10, 1)
        }],
        &th,
        false,
    );
    assert_eq!(v.status, Status::Degraded);
    assert_eq!(v.message, "1 consumer, at least 2 expected");
    let v = run(&[sample(0, 0)], &t(), false);
    assert_eq!(
        (v.status, v.message.as_str()),
        (Status::Degraded, "no consumers")
    );
}

#[test]
fn dead_letter_queues_hold_messages_without_consumers() {
    let v = run(&[sample(0, 0)], &t(), true);
    assert_eq!(v.status, Status::Up);
    let v = run(&[sample(3, 0)], &t(), true);
    assert_eq!(v.status, Status::Degraded);
    assert_eq!(v.message, "3 dead-lettered messages");
    let th = QueueThresholds {
        max_depth: Some(100),
        ..t()
    };
    assert_eq!(run(&[sample(101, 0)], &th, true).status, Status::Down);
    let long: Vec<Sample> = (0..30).map(|_| sample(3, 0)).collect();
    assert_ne!(run(&long, &t(), true).movement, Movement::Stalled);
}

#[test]
fn a_queue_without_statistics_yet_is_read() {
    // Straight after declaration the broker lists only the static fields.
    let fresh: QueueInfo = serde_json::from_value(json!({
        "arguments": {}, "auto_delete": false, "durable": true, "exclusive": false,
        "name": "erp.new", "node": "rabbit@localhost", "type": "classic", "vhost": "/"
    }))
    .unwrap();
    let s = fresh.sample();
    assert_eq!((s.depth, s.consumers, s.deliver_total), (0, 0, None));
    // Older servers send "" for consumer_utilisation and may send floats for counts.
    let odd: QueueInfo = serde_json::from_value(json!({
        "name": "q", "vhost": "ops", "messages": 4.0, "messages_ready": "", "consumers": 1,
        "consumer_utilisation": "", "message_stats": { "publish": 10, "publish_details": { "rate": 1.5 } }
    }))
    .unwrap();
    let s = odd.sample();
    assert_eq!((s.depth, s.ready, s.publish_rate), (4, 0, 1.5));
}

#[test]
fn dead_letter_targets_come_from_arguments_and_policies() {
    let by_args: QueueInfo = serde_json::from_value(json!({
        "name": "orders", "vhost": "/",
        "arguments": { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "orders.failed" }
    }))
    .unwrap();
    assert!(by_args.has_dead_letter_exchange());
    assert_eq!(
        by_args.dead_letter_target().as_deref(),
        Some("orders.failed")
    );
    let by_policy: QueueInfo = serde_json::from_value(json!({
        "name": "sync", "vhost": "/", "arguments": {},
        "effective_policy_definition": { "dead-letter-exchange": "dlx", "dead-letter-routing-key": "sync.parked" }
    }))
    .unwrap();
    assert_eq!(
        by_policy.dead_letter_target().as_deref(),
        Some("sync.parked")
    );
    // An empty policy is sent as [] by some versions.
    let none: QueueInfo = serde_json::from_value(json!({
        "name": "x", "vhost": "/", "effective_policy_definition": []
    }))
    .unwrap();
    assert!(!none.has_dead_letter_exchange());
}

#[test]
fn a_restart_keeps_the_stall_clock() {
    let th = QueueThresholds {
        stalled_after: Some(Duration::from_secs(300)),
        ..t()
    };
    let s = sample(10, 1);
    let first = classify(&s, None, 0, &th, false);
    let q = QueueInfo {
        name: "q".into(),
        vhost: "/".into(),
        state: None,
        kind: None,
        consumers: Some(1.0),
        messages: Some(10.0),
        messages_ready: Some(10.0),
        messages_unacknowledged: None,
        messages_details: None,
        message_stats: None,
        arguments: None,
        effective_policy_definition: None,
    };
    let stored = details(&q, &s, &first, &th, false, "http://mq:15672");
    let resumed = Track::from_details(&stored).unwrap();
    let v = classify(&s, Some(&resumed), 6 * MIN, &th, false);
    assert_eq!(v.movement, Movement::Stalled, "{v:?}");
}

#[test]
fn vhosts_and_result_ids() {
    let spec = |vhost: Option<&str>| RabbitmqSpec {
        url: "http://mq:15672".into(),
        fallback_urls: vec![],
        vhost: vhost.map(str::to_string),
        queues: vec![],
        exclude: vec![],
        username: None,
        password: None,
        bearer_token: None,
        ca_file: None,
        tls_insecure: false,
        max_depth: None,
        stalled_after: None,
        min_consumers: None,
        per_queue: vec![],
        dead_letter_queues: vec![],
        page_size: 500,
    };
    assert_eq!(series_id("mq", &spec(Some("ops")), "ops", "a"), "mq/a");
    assert_eq!(series_id("mq", &spec(None), "/", "a"), "mq/a");
    assert_eq!(series_id("mq", &spec(None), "ops", "a"), "mq/ops/a");
    assert_eq!(encode("/"), "%2F");
    assert_eq!(encode("erp live"), "erp%20live");
}

#[test]
fn refusals_say_what_to_do() {
    let spec = RabbitmqSpec {
        url: "http://mq:15672".into(),
        fallback_urls: vec![],
        vhost: Some("erp".into()),
        queues: vec![],
        exclude: vec![],
        username: Some("monitor".into()),
        password: Some(crate::config::SecretRef {
            secret: "erp-mq".into(),
        }),
        bearer_token: None,
        ca_file: None,
        tls_insecure: false,
        max_depth: None,
        stalled_after: None,
        min_consumers: None,
        per_queue: vec![],
        dead_letter_queues: vec![],
        page_size: 500,
    };
    let login = ApiLogin {
        username: spec.username.as_ref(),
        password: spec.password.as_ref(),
        bearer_token: None,
        ca_file: None,
        tls_insecure: false,
    };
    let answer = |status: u16, body: Value| http::Answer {
        status,
        content_type: Some("application/json".into()),
        body: body.to_string().into_bytes(),
        truncated: false,
        cap: 1 << 20,
        cert_not_after: None,
        final_url: String::new(),
    };
    // Older servers name a missing management tag.
    let f = refusal(
        &answer(
            401,
            json!({"error": "not_authorised", "reason": "Not management user"}),
        ),
        "mq:15672",
        &login,
        &spec,
    )
    .unwrap_err();
    assert_eq!(f.kind, "forbidden");
    assert!(
        f.message.contains("give the user the `monitoring` tag"),
        "{}",
        f.message
    );
    assert!(f.credential.is_none(), "the password is not blamed");
    let f = refusal(
        &answer(
            401,
            json!({"error": "not_authorized", "reason": "Login failed"}),
        ),
        "mq:15672",
        &login,
        &spec,
    )
    .unwrap_err();
    assert_eq!(
        f.message,
        "RabbitMQ at mq:15672 refused the credentials for user `monitor` in keychain entry `erp-mq` (401: Login failed); check the password, and that the user has the `monitoring` tag"
    );
    assert_eq!(
        f.credential,
        Some(json!({"name": "erp-mq", "problem": "invalid"}))
    );
    let f = refusal(&answer(404, json!({})), "mq:15672", &login, &spec).unwrap_err();
    assert!(
        f.message.contains("has no vhost `erp` (404)"),
        "{}",
        f.message
    );
    let f = refusal(&answer(403, json!({})), "mq:15672", &login, &spec).unwrap_err();
    assert!(f.message.contains("`monitoring` tag"), "{}", f.message);
}
