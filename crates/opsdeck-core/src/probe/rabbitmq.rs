//! `type = "rabbitmq"`: every watched queue of a broker from one paged listing of the
//! management API, with a movement state per queue.
//!
//! Depth alone is not health. Whether a queue moves comes from the broker's own counters and
//! rates (`message_stats`) and from what earlier polls saw, kept in [`QueueTracks`]: when
//! messages began to wait, when a delivery or acknowledgement was last seen, and the recent
//! depths. Every statistics field is optional: the broker leaves them out for a queue that is
//! new, or has had no traffic since the broker started.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use super::http::{self, ApiLogin, HttpClients};
use crate::config::{glob, QueueThresholds, RabbitmqSpec};
use crate::secret::SecretSource;
use crate::status::{ProbeOutcome, Status};

/// Largest page of the listing read, in bytes (500 queues take about 400 KiB).
const MAX_PAGE_BYTES: u64 = 16 * 1024 * 1024;
/// Most pages read in one poll: 100 pages of 500 is 50,000 queues.
const MAX_PAGES: u32 = 100;
/// Depth samples kept per queue for the trend.
const TREND_SAMPLES: usize = 4;
/// Failures after which the next node of a cluster is tried: the node cannot be reached, or
/// it (or a proxy before it) answers with an unexpected status (a 502 or 503 while it
/// restarts) or with something that is not the API's JSON (a proxy's error page).
const FAIL_OVER: &[&str] = &[
    "refused", "reset", "closed", "dns", "timeout", "tls", "connect", "http", "invalid",
];
/// Fields asked for: enough to classify, small enough for large brokers.
const COLUMNS: &str = "name,vhost,state,type,consumers,messages,messages_ready,\
messages_unacknowledged,messages_details,message_stats,arguments,policy,effective_policy_definition";

/// How a queue is moving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum Movement {
    /// Nothing waits, or nothing happens.
    Idle,
    /// Messages are delivered and acknowledged.
    Moving,
    /// More arrives than leaves.
    Growing,
    /// Messages wait and nothing was delivered or acknowledged for `stalled_after`.
    Stalled,
    /// Messages wait and nobody consumes.
    NoConsumers,
}

impl Movement {
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::Idle => "idle",
            Movement::Moving => "moving",
            Movement::Growing => "growing",
            Movement::Stalled => "stalled",
            Movement::NoConsumers => "no-consumers",
        }
    }
}

/// What earlier polls saw of one queue (`CHECK/QUEUE`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Track {
    /// (Unix ms, depth) of the last few polls, oldest first.
    pub depths: VecDeque<(i64, u64)>,
    pub deliver_total: Option<u64>,
    pub ack_total: Option<u64>,
    /// When a delivery or acknowledgement was last seen.
    pub last_progress_ms: Option<i64>,
    /// When messages began to wait (depth above 0), while they still do.
    pub waiting_since_ms: Option<i64>,
}

impl Track {
    /// Resume from the details of a stored result, so a restart does not reset the stall clock.
    pub fn from_details(details: &Value) -> Option<Track> {
        let ms = |k: &str| {
            details
                .get(k)
                .and_then(Value::as_str)
                .and_then(crate::time_fmt::parse_rfc3339_ms)
        };
        let queue = details.get("queue")?;
        Some(Track {
            depths: VecDeque::new(),
            deliver_total: queue.get("deliver_total").and_then(Value::as_u64),
            ack_total: queue.get("ack_total").and_then(Value::as_u64),
            last_progress_ms: ms("last_progress_at"),
            waiting_since_ms: ms("waiting_since"),
        })
    }
}

/// Tracks of every queue of every RabbitMQ check, kept between polls by the runner.
#[derive(Debug, Default)]
pub struct QueueTracks(Mutex<HashMap<String, Track>>);

impl QueueTracks {
    pub fn seed(&self, series: &str, track: Track) {
        self.lock().insert(series.to_string(), track);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Track>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues that left the console (the engine decides when a queue is gone).
    pub fn forget(&self, series: &[String]) {
        let mut all = self.lock();
        for id in series {
            all.remove(id);
        }
    }

    /// Series of `check` seen before, for results when the broker cannot be asked.
    fn known(&self, check: &str) -> Vec<String> {
        let prefix = format!("{check}/");
        let mut ids: Vec<String> = self
            .lock()
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        ids.sort();
        ids
    }
}

/// A number the broker may send as an integer, a float, or (older servers) an empty string.
fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Value::deserialize(d)?.as_f64())
}

#[derive(Debug, Default, Deserialize)]
struct Rate {
    #[serde(default, deserialize_with = "lenient")]
    rate: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct MessageStats {
    #[serde(default, deserialize_with = "lenient")]
    deliver_get: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    ack: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    redeliver: Option<f64>,
    #[serde(default)]
    publish_details: Option<Rate>,
    #[serde(default)]
    deliver_get_details: Option<Rate>,
    #[serde(default)]
    ack_details: Option<Rate>,
    #[serde(default)]
    redeliver_details: Option<Rate>,
}

/// One queue as the management API lists it; only `name` and `vhost` are always there.
#[derive(Debug, Deserialize)]
pub struct QueueInfo {
    name: String,
    #[serde(default)]
    vhost: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    consumers: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    messages: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    messages_ready: Option<f64>,
    #[serde(default, deserialize_with = "lenient")]
    messages_unacknowledged: Option<f64>,
    #[serde(default)]
    messages_details: Option<Rate>,
    #[serde(default)]
    message_stats: Option<MessageStats>,
    #[serde(default)]
    arguments: Option<Value>,
    #[serde(default)]
    effective_policy_definition: Option<Value>,
}

/// A page of `GET /api/queues?page=N`.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    items: Vec<Value>,
    #[serde(default)]
    page_count: u32,
}

/// The numbers of one queue at one poll.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    pub depth: u64,
    pub ready: u64,
    pub unacked: u64,
    pub consumers: u32,
    pub publish_rate: f64,
    pub deliver_rate: f64,
    pub ack_rate: f64,
    pub redeliver_rate: f64,
    /// Change of depth per second over the broker's last sampling interval.
    pub depth_rate: f64,
    pub deliver_total: Option<u64>,
    pub ack_total: Option<u64>,
    pub redeliver_total: Option<u64>,
}

impl QueueInfo {
    fn sample(&self) -> Sample {
        let n = |v: Option<f64>| v.map_or(0, |x| x.max(0.0) as u64);
        let rate = |r: &Option<Rate>| r.as_ref().and_then(|r| r.rate).unwrap_or(0.0);
        let stats = self.message_stats.as_ref();
        let ready = n(self.messages_ready);
        let unacked = n(self.messages_unacknowledged);
        Sample {
            depth: self.messages.map_or(ready + unacked, |m| m.max(0.0) as u64),
            ready,
            unacked,
            consumers: n(self.consumers) as u32,
            publish_rate: stats.map_or(0.0, |s| rate(&s.publish_details)),
            deliver_rate: stats.map_or(0.0, |s| rate(&s.deliver_get_details)),
            ack_rate: stats.map_or(0.0, |s| rate(&s.ack_details)),
            redeliver_rate: stats.map_or(0.0, |s| rate(&s.redeliver_details)),
            depth_rate: rate(&self.messages_details),
            deliver_total: stats.and_then(|s| s.deliver_get).map(|x| x as u64),
            ack_total: stats.and_then(|s| s.ack).map(|x| x as u64),
            redeliver_total: stats.and_then(|s| s.redeliver).map(|x| x as u64),
        }
    }

    /// The routing key this queue sends its dead letters with, from its arguments or policy.
    fn dead_letter_target(&self) -> Option<String> {
        let from = |v: &Option<Value>, key: &str| {
            v.as_ref()
                .and_then(|v| v.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        from(&self.arguments, "x-dead-letter-routing-key")
            .or_else(|| from(&self.effective_policy_definition, "dead-letter-routing-key"))
    }

    fn has_dead_letter_exchange(&self) -> bool {
        let has = |v: &Option<Value>, key: &str| v.as_ref().and_then(|v| v.get(key)).is_some();
        has(&self.arguments, "x-dead-letter-exchange")
            || has(&self.effective_policy_definition, "dead-letter-exchange")
    }
}

/// Names that say "dead letters" by the usual conventions.
const DEAD_LETTER_NAMES: &[&str] = &[
    "*.dlq",
    "*_dlq",
    "*-dlq",
    "dlq.*",
    "*.dlx",
    "*.dead-letter",
    "*.deadletter",
    "*.dead-letters",
    "*.deadletters",
    "*_error",
    "*.error",
];

/// Verdict on one queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub movement: Movement,
    pub status: Status,
    pub message: String,
    pub track: Track,
}

/// Classify one queue at `now_ms` from its sample and what earlier polls saw.
pub fn classify(
    sample: &Sample,
    before: Option<&Track>,
    now_ms: i64,
    t: &QueueThresholds,
    dead_letter: bool,
) -> Verdict {
    let mut track = before.cloned().unwrap_or_default();
    let stalled_after = t
        .stalled_after
        .unwrap_or(QueueThresholds::DEFAULT_STALLED_AFTER);
    let min_consumers = t.min_consumers.unwrap_or(if dead_letter { 0 } else { 1 });

    // Progress: counters that rose since the last poll, or rates the broker reports now.
    let rose =
        |now: Option<u64>, then: Option<u64>| matches!((now, then), (Some(a), Some(b)) if a > b);
    let progress = sample.deliver_rate > 0.0
        || sample.ack_rate > 0.0
        || rose(sample.deliver_total, track.deliver_total)
        || rose(sample.ack_total, track.ack_total);
    if progress {
        track.last_progress_ms = Some(now_ms);
    }
    track.deliver_total = sample.deliver_total.or(track.deliver_total);
    track.ack_total = sample.ack_total.or(track.ack_total);
    if sample.depth == 0 {
        track.waiting_since_ms = None;
    } else if track.waiting_since_ms.is_none() {
        track.waiting_since_ms = Some(now_ms);
    }
    // The trend: depth rising over the polls kept, or the broker's own rate of change.
    let rising_trend = {
        let mut d: Vec<u64> = track.depths.iter().map(|(_, d)| *d).collect();
        d.push(sample.depth);
        d.len() >= 3 && d.windows(2).all(|w| w[1] >= w[0]) && d.last() > d.first()
    };
    track.depths.push_back((now_ms, sample.depth));
    while track.depths.len() > TREND_SAMPLES {
        track.depths.pop_front();
    }
    let growing = sample.depth > 0
        && (rising_trend
            || sample.depth_rate > 0.0
            || sample.publish_rate > sample.deliver_rate.max(sample.ack_rate) + 0.01);
    // Nothing moved since messages began to wait, or since the last delivery, whichever is later.
    let stuck_for = track.waiting_since_ms.map(|since| {
        let from = track.last_progress_ms.map_or(since, |p| p.max(since));
        Duration::from_millis((now_ms - from).max(0) as u64)
    });
    let stalled = stuck_for.is_some_and(|d| d >= stalled_after);

    let movement = if sample.depth == 0 {
        if progress || sample.publish_rate > 0.0 {
            Movement::Moving
        } else {
            Movement::Idle
        }
    } else if sample.consumers == 0 && sample.ready > 0 && !dead_letter {
        Movement::NoConsumers
    } else if stalled && !dead_letter {
        Movement::Stalled
    } else if growing {
        Movement::Growing
    } else if progress
        || track
            .last_progress_ms
            .is_some_and(|p| now_ms - p < stalled_after.as_millis() as i64)
    {
        Movement::Moving
    } else {
        Movement::Idle
    };

    let mut problems: Vec<(Status, String)> = Vec::new();
    let waiting = |n: u64| format!("{n} message{} waiting", if n == 1 { "" } else { "s" });
    let stuck_text = stuck_for
        .map(super::heartbeat_file::ago)
        .unwrap_or_default();
    if dead_letter {
        if let Some(max) = t.max_depth.filter(|m| sample.depth > *m) {
            problems.push((
                Status::Down,
                format!("{} dead-lettered messages, more than {max}", sample.depth),
            ));
        } else if sample.depth > 0 {
            problems.push((
                Status::Degraded,
                format!(
                    "{} dead-lettered message{}",
                    sample.depth,
                    if sample.depth == 1 { "" } else { "s" }
                ),
            ));
        }
        // Only when asked for: some teams run a consumer that replays dead letters.
        if sample.consumers < min_consumers {
            problems.push((
                Status::Degraded,
                format!(
                    "{} consumer{}, at least {min_consumers} expected",
                    sample.consumers,
                    if sample.consumers == 1 { "" } else { "s" }
                ),
            ));
        }
    } else {
        match movement {
            Movement::Stalled => problems.push((
                Status::Down,
                format!(
                    "stalled: {}, nothing delivered or acknowledged for {stuck_text}",
                    waiting(sample.depth)
                ),
            )),
            Movement::NoConsumers if min_consumers > 0 || stalled => problems.push((
                Status::Down,
                format!("no consumers while {}", waiting(sample.ready)),
            )),
            _ => {}
        }
        if sample.consumers < min_consumers && movement != Movement::NoConsumers {
            problems.push((
                Status::Degraded,
                if sample.consumers == 0 {
                    "no consumers".to_string()
                } else {
                    format!(
                        "{} consumer{}, at least {min_consumers} expected",
                        sample.consumers,
                        if sample.consumers == 1 { "" } else { "s" }
                    )
                },
            ));
        }
        if let Some(max) = t.max_depth.filter(|m| sample.depth > *m) {
            let status = if matches!(
                movement,
                Movement::Growing | Movement::Stalled | Movement::NoConsumers
            ) {
                Status::Down
            } else {
                Status::Degraded
            };
            problems.push((
                status,
                format!("{} messages, more than {max}", sample.depth),
            ));
        }
    }
    let status = problems.iter().map(|(s, _)| *s).max().unwrap_or(Status::Up);
    let message = if problems.is_empty() {
        describe(movement, sample, &stuck_text, stalled_after)
    } else {
        problems
            .iter()
            .filter(|(s, _)| *s == status)
            .chain(problems.iter().filter(|(s, _)| *s != status))
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    Verdict {
        movement,
        status,
        message,
        track,
    }
}

fn describe(m: Movement, s: &Sample, stuck: &str, stalled_after: Duration) -> String {
    let rate = |r: f64| {
        if r >= 10.0 {
            format!("{r:.0}/s")
        } else {
            format!("{r:.1}/s")
        }
    };
    match m {
        Movement::Idle if s.depth == 0 => "idle: empty".into(),
        Movement::Idle => format!(
            "idle: {} waiting, nothing delivered for {stuck} (stalled after {})",
            s.depth,
            super::heartbeat_file::ago(stalled_after)
        ),
        Movement::Moving => format!(
            "moving: {} waiting, {} in, {} out",
            s.depth,
            rate(s.publish_rate),
            rate(s.deliver_rate.max(s.ack_rate))
        ),
        Movement::Growing => format!(
            "growing: {} waiting, {} in, {} out",
            s.depth,
            rate(s.publish_rate),
            rate(s.deliver_rate.max(s.ack_rate))
        ),
        Movement::Stalled => format!("stalled: {} waiting", s.depth),
        Movement::NoConsumers => format!("no consumers, {} waiting", s.ready),
    }
}

/// The result id of a queue: `CHECK/QUEUE`, or `CHECK/VHOST/QUEUE` when the check watches
/// every vhost and the queue is not in the default one.
fn series_id(check: &str, spec: &RabbitmqSpec, vhost: &str, queue: &str) -> String {
    if spec.vhost.is_some() || vhost == "/" {
        format!("{check}/{queue}")
    } else {
        format!("{check}/{vhost}/{queue}")
    }
}

/// One poll of a broker: the outcome of each watched queue, keyed by its result id (`CHECK/…`),
/// or of the whole check (keyed by the check id) when the broker cannot be asked.
pub async fn probe(
    clients: &HttpClients,
    secrets: &dyn SecretSource,
    tracks: &QueueTracks,
    check_id: &str,
    spec: &RabbitmqSpec,
    timeout: Duration,
) -> Vec<(String, ProbeOutcome)> {
    let login = ApiLogin {
        username: spec.username.as_ref(),
        password: spec.password.as_ref(),
        bearer_token: spec.bearer_token.as_ref(),
        ca_file: spec.ca_file.as_ref(),
        tls_insecure: spec.tls_insecure,
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let started = std::time::Instant::now();
    let mut failure = None;
    let mut listing = None;
    let nodes: Vec<&String> = std::iter::once(&spec.url)
        .chain(spec.fallback_urls.iter())
        .collect();
    for (i, base) in nodes.iter().enumerate() {
        // A node gets two thirds of what is left (the last one all of it): a slow but working
        // first node is not cut short, and one that hangs still leaves time for the others.
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let share = if i + 1 == nodes.len() {
            left
        } else {
            left * 2 / 3
        };
        let node_deadline = tokio::time::Instant::now() + share;
        match list(clients, secrets, &login, base, spec, node_deadline).await {
            Ok(queues) => {
                listing = Some((base, queues));
                break;
            }
            // A refused login or a missing vhost is the same on every node: say it at once.
            Err(f) if !FAIL_OVER.contains(&f.kind) => {
                failure = Some(f);
                break;
            }
            Err(f) => failure = Some(f),
        }
    }
    let latency_ms = started.elapsed().as_millis() as u64;
    let Some((base, queues)) = listing else {
        let f = failure.expect("a failure when no node answered");
        return unreachable(tracks, check_id, f, secrets, &login);
    };
    let now_ms = crate::time_fmt::now_ms();
    let matchers = |patterns: &[String]| -> Vec<globset::GlobMatcher> {
        patterns.iter().filter_map(|p| glob(p).ok()).collect()
    };
    let include = matchers(&spec.queues);
    let exclude = matchers(&spec.exclude);
    let dead_letter_names: Vec<globset::GlobMatcher> = DEAD_LETTER_NAMES
        .iter()
        .filter_map(|p| glob(p).ok())
        .chain(matchers(&spec.dead_letter_queues))
        .collect();
    let overrides: Vec<(globset::GlobMatcher, QueueThresholds)> = spec
        .per_queue
        .iter()
        .filter_map(|o| Some((glob(&o.name).ok()?, o.thresholds())))
        .collect();
    let base_thresholds = spec.thresholds();
    // Queues other queues name as their dead-letter target (by routing key), per vhost.
    let targets: HashSet<(String, String)> = queues
        .iter()
        .filter(|q| q.has_dead_letter_exchange())
        .filter_map(|q| Some((q.vhost.clone(), q.dead_letter_target()?)))
        .collect();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut all = tracks.lock();
    for q in &queues {
        let wanted = (include.is_empty() || include.iter().any(|g| g.is_match(&q.name)))
            && !exclude.iter().any(|g| g.is_match(&q.name));
        if !wanted {
            continue;
        }
        let id = series_id(check_id, spec, &q.vhost, &q.name);
        // Twice in one listing: a queue created or deleted between two pages pushed it onto
        // the next page as well, or (watching every vhost) queue `b` of vhost `a` and queue
        // `a/b` of vhost `/` share an id. One result per id; the first one read stands.
        if !seen.insert(id.clone()) {
            tracing::debug!(queue = %q.name, vhost = %q.vhost, "queue listed twice; using the first");
            continue;
        }
        let thresholds = overrides
            .iter()
            .find(|(g, _)| g.is_match(&q.name))
            .map_or(base_thresholds, |(_, t)| t.over(&base_thresholds));
        let dead_letter = dead_letter_names.iter().any(|g| g.is_match(&q.name))
            || targets.contains(&(q.vhost.clone(), q.name.clone()));
        let sample = q.sample();
        let verdict = classify(&sample, all.get(&id), now_ms, &thresholds, dead_letter);
        let mut outcome = ProbeOutcome::new(verdict.status, verdict.message.clone());
        outcome.latency_ms = Some(latency_ms);
        outcome.details = details(q, &sample, &verdict, &thresholds, dead_letter, base);
        all.insert(id.clone(), verdict.track);
        out.push((id, outcome));
    }
    // A queue missing from this listing keeps its track: the engine forgets it once it has
    // been missing for long enough to be gone rather than shifted between pages.
    drop(all);
    if out.is_empty() {
        let mut o = ProbeOutcome::new(
            Status::Unknown,
            format!(
                "no queue on {} matches {}",
                http::authority(
                    &reqwest::Url::parse(base)
                        .unwrap_or_else(|_| reqwest::Url::parse("http://broker").expect("a URL"))
                ),
                if spec.queues.is_empty() {
                    "(the broker lists none this user may see)".to_string()
                } else {
                    format!("`{}`", spec.queues.join("`, `"))
                }
            ),
        );
        o.latency_ms = Some(latency_ms);
        o.details = json!({ "queues": 0 });
        out.push((check_id.to_string(), o));
    }
    out
}

/// `details` of a queue's result: what the Queues view and the history charts read.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize, ts_rs::TS)]
pub struct QueueDetails {
    pub queue: QueueFigures,
    pub movement: Movement,
    pub thresholds: QueueLimits,
    /// RFC 3339 time messages began to wait, while they still do.
    pub waiting_since: Option<String>,
    /// RFC 3339 time a delivery or acknowledgement was last seen.
    pub last_progress_at: Option<String>,
    /// Management API the figures came from.
    pub broker: String,
}

/// One queue's numbers at one poll.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize, ts_rs::TS)]
pub struct QueueFigures {
    pub name: String,
    pub vhost: String,
    pub state: Option<String>,
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub kind: Option<String>,
    #[ts(type = "number")]
    pub depth: u64,
    #[ts(type = "number")]
    pub ready: u64,
    #[ts(type = "number")]
    pub unacked: u64,
    pub consumers: u32,
    /// Messages per second, as the broker last measured them.
    pub publish_rate: f64,
    pub deliver_rate: f64,
    pub ack_rate: f64,
    pub redeliver_rate: f64,
    #[ts(type = "number | null")]
    pub deliver_total: Option<u64>,
    #[ts(type = "number | null")]
    pub ack_total: Option<u64>,
    #[ts(type = "number | null")]
    pub redeliver_total: Option<u64>,
    pub dead_letter: bool,
}

/// The thresholds that applied to a queue, with defaults filled in.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize, ts_rs::TS)]
pub struct QueueLimits {
    #[ts(type = "number | null")]
    pub max_depth: Option<u64>,
    #[ts(type = "number")]
    pub stalled_after_s: u64,
    pub min_consumers: u32,
}

fn details(
    q: &QueueInfo,
    s: &Sample,
    v: &Verdict,
    t: &QueueThresholds,
    dead_letter: bool,
    base: &str,
) -> Value {
    let at = |ms: Option<i64>| ms.map(crate::time_fmt::rfc3339_from_ms);
    let d = QueueDetails {
        queue: QueueFigures {
            name: q.name.clone(),
            vhost: q.vhost.clone(),
            state: q.state.clone(),
            kind: q.kind.clone(),
            depth: s.depth,
            ready: s.ready,
            unacked: s.unacked,
            consumers: s.consumers,
            publish_rate: s.publish_rate,
            deliver_rate: s.deliver_rate,
            ack_rate: s.ack_rate,
            redeliver_rate: s.redeliver_rate,
            deliver_total: s.deliver_total,
            ack_total: s.ack_total,
            redeliver_total: s.redeliver_total,
            dead_letter,
        },
        movement: v.movement,
        thresholds: QueueLimits {
            max_depth: t.max_depth,
            stalled_after_s: t
                .stalled_after
                .unwrap_or(QueueThresholds::DEFAULT_STALLED_AFTER)
                .as_secs(),
            min_consumers: t.min_consumers.unwrap_or(if dead_letter { 0 } else { 1 }),
        },
        waiting_since: at(v.track.waiting_since_ms),
        last_progress_at: at(v.track.last_progress_ms),
        broker: base.to_string(),
    };
    serde_json::to_value(d).unwrap_or_default()
}

/// The broker did not answer usefully: every queue seen before is unknown, with the reason.
fn unreachable(
    tracks: &QueueTracks,
    check_id: &str,
    f: http::Failure,
    secrets: &dyn SecretSource,
    login: &ApiLogin<'_>,
) -> Vec<(String, ProbeOutcome)> {
    let mut outcome = f.into_outcome();
    if outcome.status == Status::Down {
        // The queues' state is not known while the broker cannot be asked.
        outcome.status = Status::Unknown;
    }
    let spec = login.spec(String::new(), 0);
    http::redact_credentials(&mut outcome, secrets, &spec);
    let known = tracks.known(check_id);
    if known.is_empty() {
        return vec![(check_id.to_string(), outcome)];
    }
    known.into_iter().map(|id| (id, outcome.clone())).collect()
}

/// Every queue of the vhost (or of all vhosts), page by page.
async fn list(
    clients: &HttpClients,
    secrets: &dyn SecretSource,
    login: &ApiLogin<'_>,
    base: &str,
    spec: &RabbitmqSpec,
    deadline: tokio::time::Instant,
) -> Result<Vec<QueueInfo>, http::Failure> {
    let root = base.trim_end_matches('/');
    let path = match &spec.vhost {
        Some(v) => format!("{root}/api/queues/{}", encode(v)),
        None => format!("{root}/api/queues"),
    };
    let host = reqwest::Url::parse(root)
        .map(|u| http::authority(&u))
        .unwrap_or_else(|_| root.to_string());
    let mut queues = Vec::new();
    let mut page = 1;
    loop {
        let url = format!(
            "{path}?page={page}&page_size={}&columns={COLUMNS}",
            spec.page_size
        );
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let answer = http::get(clients, secrets, &login.spec(url, MAX_PAGE_BYTES), left).await?;
        // Queues deleted since page 1 can leave fewer pages than it promised: a page past the
        // end is refused (400), and the pages read hold every queue.
        if page > 1 && answer.status == 400 {
            break;
        }
        refusal(&answer, &host, login, spec)?;
        let parsed: Page = serde_json::from_slice(&answer.body).map_err(|e| http::Failure {
            status: Status::Unknown,
            kind: "invalid",
            message: format!(
                "RabbitMQ at {host} answered page {page} of the queue list with something that is not the management API's JSON: {e}"
            ),
            credential: None,
        })?;
        for item in parsed.items {
            // One odd queue must not hide the others: skip what cannot be read at all.
            match serde_json::from_value::<QueueInfo>(item) {
                Ok(q) => queues.push(q),
                Err(e) => tracing::debug!(error = %e, "skipping an unreadable queue entry"),
            }
        }
        if page >= parsed.page_count {
            break;
        }
        if page >= MAX_PAGES {
            tracing::warn!(
                broker = %host,
                "RabbitMQ at {host} lists more than {} queues; only the first {MAX_PAGES} pages are read: narrow `queues` or `vhost`",
                u64::from(MAX_PAGES) * u64::from(spec.page_size)
            );
            break;
        }
        page += 1;
    }
    Ok(queues)
}

/// Turn a non-200 answer into a message that says what to do.
fn refusal(
    answer: &http::Answer,
    host: &str,
    login: &ApiLogin<'_>,
    spec: &RabbitmqSpec,
) -> Result<(), http::Failure> {
    if answer.status == 200 {
        if answer.truncated {
            return Err(http::Failure {
                status: Status::Unknown,
                kind: "too-large",
                message: format!(
                    "RabbitMQ at {host} sent a page larger than {}; lower `page_size`",
                    http::human_bytes(answer.cap)
                ),
                credential: None,
            });
        }
        return Ok(());
    }
    let reason = serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .and_then(|v| v.get("reason").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let credential = login.credential_name().unwrap_or("?");
    let user = login
        .username
        .map_or(String::new(), |u| format!(" for user `{u}`"));
    let (kind, message) = match answer.status {
        // The login is right but the user has no management tag.
        401 if reason.contains("management user") => (
            "forbidden",
            format!(
                "RabbitMQ at {host} accepts the login{user} but not for the management API (401: {reason}); give the user the `monitoring` tag"
            ),
        ),
        401 => (
            "auth",
            // RabbitMQ 3.10 says "Login failed" for a wrong password and for a user without a
            // management tag alike.
            format!(
                "RabbitMQ at {host} refused the credentials{user} in keychain entry `{credential}` (401{}); check the password, and that the user has the `monitoring` tag",
                if reason.is_empty() { String::new() } else { format!(": {reason}") }
            ),
        ),
        403 => (
            "forbidden",
            format!(
                "RabbitMQ at {host} does not let this user read queues (403); give it the `monitoring` tag"
            ),
        ),
        404 if spec.vhost.is_some() => (
            "not-found",
            format!(
                "RabbitMQ at {host} has no vhost `{}` (404), or this user has no permissions on it",
                spec.vhost.as_deref().unwrap_or_default()
            ),
        ),
        404 => (
            "not-found",
            format!("{host} has no RabbitMQ management API at /api/queues (404); check `url` points at port 15672"),
        ),
        code => (
            "http",
            format!(
                "RabbitMQ at {host} answered HTTP {code}{}",
                if reason.is_empty() { String::new() } else { format!(": {reason}") }
            ),
        ),
    };
    Err(http::Failure {
        status: Status::Unknown,
        kind,
        message,
        credential: (kind == "auth").then(|| json!({ "name": credential, "problem": "invalid" })),
    })
}

/// A vhost in a URL path: `/` is `%2F`.
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests;
