//! Alerting: turns confirmed transitions into notifications for support, without noise and
//! without losing any.
//!
//! The alerter reads transitions from the store (not from the live event stream, which drops
//! events under load): everything after its cursor. Transitions arriving close together are
//! gathered into one group; when the group closes, one transaction decides what to send,
//! stores each notification in the outbox, updates the open incidents, writes the timeline and
//! moves the cursor. A crash before that commit re-reads the same transitions after the
//! restart; a crash after it leaves the notifications in the outbox, which sends them.
//!
//! Every few seconds a review looks at the open incidents: alerts held back (by a failing
//! dependency, a maintenance window or a snooze) whose reason is gone are sent, and
//! unacknowledged failures are reminded of.

pub mod channel;
pub mod incidents;
pub mod maintenance;
pub mod notification;
pub mod outbox;
pub mod route;
pub mod timeline;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection, SqlitePool};
use tokio::sync::Notify;
use ts_rs::TS;

use crate::config::{AlertOn, Config};
use crate::engine::{series_check, CheckView, Engine};
use crate::status::Status;
use crate::time_fmt;
use channel::{Couriers, DeliveryError};
use incidents::{Incident, Snooze};
use maintenance::Schedule;
use notification::{Item, Kind, Notification};
use route::Subject;
use timeline::EntryKind;

/// How often open incidents are reviewed for reminders and released suppressions.
const REVIEW_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("the alert store cannot be used: {0}")]
    Store(#[from] sqlx::Error),
    #[error("`{0}` has no open alert to acknowledge (it is not failing)")]
    NoIncident(String),
    #[error("no channel `{0}` in the configuration")]
    NoChannel(String),
    #[error("no check or result `{0}`")]
    NoSeries(String),
    #[error("{0}")]
    Delivery(#[from] DeliveryError),
    #[error("{0}")]
    Invalid(String),
}

/// A confirmed transition as stored.
#[derive(Debug, Clone)]
struct Stored {
    id: i64,
    series: String,
    at_ms: i64,
    from: Option<Status>,
    to: Status,
    reason: String,
}

/// Start the alerter and the outbox sender for an engine.
pub fn start(engine: Arc<Engine>) {
    let wake = Arc::new(Notify::new());
    let pool = engine.store().pool().clone();
    {
        let engine = engine.clone();
        let engine2 = engine.clone();
        tokio::spawn(outbox::run(
            pool,
            move || engine.config(),
            move || engine2.couriers(),
            wake.clone(),
        ));
    }
    tokio::spawn(run(engine, wake));
}

async fn run(engine: Arc<Engine>, outbox_wake: Arc<Notify>) {
    let written = engine.transitions_written();
    let pool = engine.store().pool().clone();
    let mut pending: Vec<Stored> = Vec::new();
    let mut first_at: Option<Instant> = None;
    let mut last_at: Option<Instant> = None;
    let mut reviewed_at = Instant::now();
    loop {
        tokio::select! {
            _ = written.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let after = match pending.last() {
            Some(t) => Ok(t.id),
            None => cursor(&pool).await,
        };
        match after {
            Ok(after) => match read_after(&pool, after).await {
                Ok(new) if !new.is_empty() => {
                    let now = Instant::now();
                    first_at.get_or_insert(now);
                    last_at = Some(now);
                    pending.extend(new);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "reading transitions for alerts failed; retrying")
                }
            },
            Err(e) => tracing::warn!(error = %e, "reading the alert cursor failed; retrying"),
        }
        let settings = engine.config().alerting.clone();
        let close = match (first_at, last_at) {
            (Some(first), Some(last)) => {
                last.elapsed() >= settings.group_wait || first.elapsed() >= settings.group_max
            }
            _ => false,
        };
        if close {
            match flush(&engine, &pending).await {
                Ok(queued) => {
                    pending.clear();
                    first_at = None;
                    last_at = None;
                    if queued {
                        outbox_wake.notify_one();
                    }
                }
                // Kept: the same transitions are decided again on the next pass.
                Err(e) => tracing::error!(error = %e, "deciding alerts failed; retrying"),
            }
        }
        // Between groups; but a stream of transitions that never pauses must not starve
        // reminders either.
        let due = reviewed_at.elapsed() >= REVIEW_EVERY;
        if due && (pending.is_empty() || reviewed_at.elapsed() >= REVIEW_EVERY * 6) {
            reviewed_at = Instant::now();
            match review(&engine).await {
                Ok(true) => outbox_wake.notify_one(),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "reviewing open alerts failed; retrying"),
            }
        }
    }
}

async fn cursor(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT transition FROM alert_cursor WHERE id = 1")
        .fetch_optional(pool)
        .await
        .map(Option::unwrap_or_default)
}

async fn read_after(pool: &SqlitePool, after: i64) -> Result<Vec<Stored>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.id, s.id, t.ts, t.from_status, t.to_status, t.reason
         FROM transitions t JOIN series s ON s.key = t.series
         WHERE t.id > ? ORDER BY t.id LIMIT 20000",
    )
    .bind(after)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Stored {
            id: r.get(0),
            series: r.get(1),
            at_ms: r.get(2),
            from: r.get::<Option<i64>, _>(3).map(Status::from_code),
            to: Status::from_code(r.get(4)),
            reason: r.get(5),
        })
        .collect())
}

/// What the estate looks like at one moment, for decisions.
struct Snapshot {
    config: Arc<Config>,
    views: HashMap<String, CheckView>,
    /// The worst confirmed status of each check's results.
    checks: HashMap<String, Status>,
    snoozes: Vec<Snooze>,
    now_ms: i64,
}

impl Snapshot {
    async fn take(engine: &Engine, conn: &mut SqliteConnection) -> Result<Snapshot, sqlx::Error> {
        let now_ms = time_fmt::now_ms();
        let views: HashMap<String, CheckView> = engine
            .views()
            .into_iter()
            .map(|v| (v.id.clone(), v))
            .collect();
        let mut checks: HashMap<String, Status> = HashMap::new();
        for v in views.values() {
            let worst = checks
                .entry(series_check(&v.id).to_string())
                .or_insert(Status::Up);
            *worst = (*worst).max(v.status);
        }
        Ok(Snapshot {
            config: engine.config(),
            views,
            checks,
            snoozes: incidents::snoozes(conn, now_ms).await?,
            now_ms,
        })
    }

    /// Why a result's alert is held back right now, if it is.
    fn suppressed(&self, series: &str) -> Option<String> {
        let check_id = series_check(series);
        if let Some(s) = self
            .snoozes
            .iter()
            .find(|s| s.series == series || s.series == check_id)
        {
            return Some(format!(
                "snoozed until {}{}",
                time_fmt::rfc3339_from_ms(s.until_ms),
                s.by.as_ref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(view) = self.views.get(series) {
            let now = jiff::Timestamp::from_millisecond(self.now_ms).unwrap_or_default();
            for m in &self.config.maintenance {
                if !route::covers(m.selector(), Subject::of(view)) {
                    continue;
                }
                if let Some(w) = Schedule::of(m).and_then(|s| s.open_at(now)) {
                    return Some(format!(
                        "in maintenance `{}` until {}",
                        m.display_name(),
                        time_fmt::rfc3339_from_ms(w.end.as_millisecond())
                    ));
                }
            }
        }
        let check = self.config.check.iter().find(|c| c.id() == check_id)?;
        check
            .common
            .depends_on
            .iter()
            .find(|p| {
                self.checks
                    .get(p.as_str())
                    .is_some_and(|s| matches!(s, Status::Down | Status::Unknown))
            })
            .map(|p| format!("suppressed by {p}"))
    }

    fn item(
        &self,
        series: &str,
        status: Status,
        previous: Option<Status>,
        since_ms: i64,
        reason: &str,
    ) -> Item {
        let view = self.views.get(series);
        let environment = view.and_then(|v| v.environment.clone());
        let subject = Subject {
            id: series,
            environment: environment.as_deref(),
            tags: view.map(|v| v.tags.as_slice()).unwrap_or(&[]),
        };
        Item {
            id: series.to_string(),
            name: view.map_or_else(|| series.to_string(), |v| v.name.clone()),
            environment_name: environment
                .as_deref()
                .and_then(|e| self.config.environment(e))
                .map(|e| e.name.clone()),
            severity: route::severity(&self.config, subject),
            environment,
            status,
            previous_status: previous,
            message: view
                .filter(|v| v.last_status == status)
                .map_or_else(|| reason.to_string(), |v| v.message.clone()),
            since: time_fmt::rfc3339_from_ms(since_ms),
            url: self.config.alerting.console_url.as_ref().map(|base| {
                format!(
                    "{}/#/check/{}",
                    base.trim_end_matches('/'),
                    uri_component(series)
                )
            }),
        }
    }
}

/// A result id as the console's address takes it (JavaScript's `encodeURIComponent`).
fn uri_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn alert_on(status: Status) -> AlertOn {
    match status {
        Status::Down => AlertOn::Down,
        Status::Degraded => AlertOn::Degraded,
        Status::Unknown => AlertOn::Unknown,
        Status::Up => AlertOn::Recovery,
    }
}

/// Notifications being gathered: per channel and kind, the items.
#[derive(Default)]
struct Outgoing(BTreeMap<(String, Kind), Vec<Item>>);

impl Outgoing {
    /// Route an item to every channel that wants it. Answers whether any does.
    fn add(&mut self, snapshot: &Snapshot, kind: Kind, item: Item) -> bool {
        let view = snapshot.views.get(&item.id);
        let subject = Subject {
            id: &item.id,
            environment: item.environment.as_deref(),
            tags: view.map(|v| v.tags.as_slice()).unwrap_or(&[]),
        };
        let wanted = alert_on(item.status);
        let mut any = false;
        for t in route::targets(&snapshot.config, subject, item.severity) {
            let takes = match kind {
                Kind::Reminder => t.reminder.is_some() && t.on.contains(&wanted),
                _ => t.on.contains(&wanted),
            };
            if takes {
                any = true;
                self.0
                    .entry((t.channel, kind))
                    .or_default()
                    .push(item.clone());
            }
        }
        any
    }

    /// Store every notification, with a timeline entry per result. Answers whether any.
    async fn queue(
        self,
        tx: &mut SqliteConnection,
        snapshot: &Snapshot,
    ) -> Result<bool, sqlx::Error> {
        let any = !self.0.is_empty();
        let created = time_fmt::rfc3339_from_ms(snapshot.now_ms);
        for ((channel, kind), items) in self.0 {
            let n = Notification::new(
                notification_id(),
                kind,
                items,
                created.clone(),
                snapshot.config.alerting.console_url.clone(),
            );
            outbox::enqueue(tx, &channel, &n, snapshot.now_ms).await?;
            let entry = match kind {
                Kind::Reminder => EntryKind::Reminder,
                Kind::Recovery => EntryKind::Recovery,
                _ => EntryKind::Alert,
            };
            let others = n.items.len() - 1;
            let message = format!(
                "{} queued for `{channel}`{}",
                kind.as_str(),
                match others {
                    0 => String::new(),
                    1 => " with 1 other result".to_string(),
                    n => format!(" with {n} other results"),
                }
            );
            let details = serde_json::json!({ "channel": channel, "notification": n.id });
            for item in &n.items {
                timeline::add(
                    tx,
                    snapshot.now_ms,
                    Some(&item.id),
                    entry,
                    &message,
                    None,
                    &details,
                )
                .await?;
            }
        }
        Ok(any)
    }
}

/// A unique notification id: time and randomness, so ids sort by time.
fn notification_id() -> String {
    use rand::Rng;
    format!(
        "{:x}-{:016x}",
        time_fmt::now_ms(),
        rand::rng().random::<u64>()
    )
}

/// Decide on a group of transitions, in one transaction.
async fn flush(engine: &Engine, group: &[Stored]) -> Result<bool, sqlx::Error> {
    let pool = engine.store().pool();
    let mut tx = pool.begin().await?;
    let snapshot = Snapshot::take(engine, &mut tx).await?;
    let mut open: HashMap<String, Incident> = incidents::all(&mut tx)
        .await?
        .into_iter()
        .map(|i| (i.series.clone(), i))
        .collect();
    let mut outgoing = Outgoing::default();
    for t in group {
        if t.to.is_failure() {
            let incident = open.entry(t.series.clone()).or_insert_with(|| Incident {
                series: t.series.clone(),
                opened_at_ms: t.at_ms,
                status: t.to,
                reason: t.reason.clone(),
                notified_at_ms: None,
                notified_status: None,
                acked_at_ms: None,
                acked_by: None,
                ack_note: None,
                suppressed_by: None,
            });
            incident.status = t.to;
            incident.reason = t.reason.clone();
            // Told already, and nothing new to tell.
            if incident.notified_status == Some(t.to) {
                continue;
            }
            match snapshot.suppressed(&t.series) {
                Some(why) => {
                    if incident.suppressed_by.as_deref() != Some(why.as_str()) {
                        timeline::add(
                            &mut tx,
                            snapshot.now_ms,
                            Some(&t.series),
                            EntryKind::Suppressed,
                            &format!("alert held back: {why}"),
                            None,
                            &serde_json::json!({}),
                        )
                        .await?;
                    }
                    incident.suppressed_by = Some(why);
                }
                None => {
                    incident.suppressed_by = None;
                    let item = snapshot.item(&t.series, t.to, t.from, t.at_ms, &t.reason);
                    outgoing.add(&snapshot, Kind::Alert, item);
                    incident.notified_at_ms = Some(snapshot.now_ms);
                    incident.notified_status = Some(t.to);
                }
            }
        } else if let Some(incident) = open.remove(&t.series) {
            // A recovery is news only to those who heard of the failure.
            if incident.notified_at_ms.is_some() {
                let item = snapshot.item(
                    &t.series,
                    Status::Up,
                    Some(incident.status),
                    incident.opened_at_ms,
                    &t.reason,
                );
                outgoing.add(&snapshot, Kind::Recovery, item);
            }
            incidents::close(&mut tx, &t.series).await?;
        }
    }
    for t in group {
        if let Some(i) = open.get(&t.series) {
            incidents::save(&mut tx, i).await?;
        }
    }
    let queued = outgoing.queue(&mut tx, &snapshot).await?;
    if let Some(last) = group.last() {
        sqlx::query("UPDATE alert_cursor SET transition = ? WHERE id = 1")
            .bind(last.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(queued)
}

/// Send what was held back and is no longer, and remind of what is still failing.
async fn review(engine: &Engine) -> Result<bool, sqlx::Error> {
    let pool = engine.store().pool();
    let mut tx = pool.begin().await?;
    let snapshot = Snapshot::take(engine, &mut tx).await?;
    let mut outgoing = Outgoing::default();
    let mut changed = Vec::new();
    for mut incident in incidents::all(&mut tx).await? {
        let series = incident.series.clone();
        // The check was removed (or the thing is gone): nothing will ever recover it.
        let Some(view) = snapshot.views.get(&series) else {
            incidents::close(&mut tx, &series).await?;
            timeline::add(
                &mut tx,
                snapshot.now_ms,
                Some(&series),
                EntryKind::Closed,
                "alert closed: the result no longer exists",
                None,
                &serde_json::json!({}),
            )
            .await?;
            continue;
        };
        let _ = view;
        let why = snapshot.suppressed(&series);
        if why != incident.suppressed_by {
            let (kind, message) = match &why {
                Some(w) => (EntryKind::Suppressed, format!("alert held back: {w}")),
                None => (EntryKind::Released, "alert no longer held back".to_string()),
            };
            timeline::add(
                &mut tx,
                snapshot.now_ms,
                Some(&series),
                kind,
                &message,
                None,
                &serde_json::json!({}),
            )
            .await?;
            incident.suppressed_by = why.clone();
            changed.push(incident.clone());
        }
        if why.is_some() {
            continue;
        }
        let item = || {
            snapshot.item(
                &series,
                incident.status,
                None,
                incident.opened_at_ms,
                &incident.reason,
            )
        };
        if incident.notified_status != Some(incident.status) {
            outgoing.add(&snapshot, Kind::Alert, item());
        } else if incident.acked_at_ms.is_none() {
            let subject = Subject::of(view);
            let severity = route::severity(&snapshot.config, subject);
            let every = route::targets(&snapshot.config, subject, severity)
                .iter()
                .filter_map(|t| t.reminder)
                .min();
            let due = match (every, incident.notified_at_ms) {
                (Some(every), Some(at)) => snapshot.now_ms - at >= every.as_millis() as i64,
                _ => false,
            };
            if !due {
                continue;
            }
            outgoing.add(&snapshot, Kind::Reminder, item());
        } else {
            continue;
        }
        incident.notified_at_ms = Some(snapshot.now_ms);
        incident.notified_status = Some(incident.status);
        changed.push(incident);
    }
    for i in &changed {
        incidents::save(&mut tx, i).await?;
    }
    let queued = outgoing.queue(&mut tx, &snapshot).await?;
    tx.commit().await?;
    Ok(queued)
}

/// An open alert with what the console shows about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct OpenAlert {
    #[serde(flatten)]
    pub incident: Incident,
    /// Result name, as the overview shows it.
    pub name: String,
}

/// Everything alerting knows right now: open alerts, snoozes, recent deliveries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertsState {
    pub open: Vec<OpenAlert>,
    pub snoozes: Vec<Snooze>,
    pub deliveries: Vec<outbox::Delivery>,
}

pub async fn state(engine: &Engine) -> Result<AlertsState, AlertError> {
    let pool = engine.store().pool();
    let open = incidents::list(pool)
        .await?
        .into_iter()
        .map(|i| OpenAlert {
            name: engine
                .view(&i.series)
                .map_or_else(|| i.series.clone(), |v| v.name),
            incident: i,
        })
        .collect();
    let mut conn = pool.acquire().await?;
    Ok(AlertsState {
        open,
        snoozes: incidents::snoozes(&mut conn, time_fmt::now_ms()).await?,
        deliveries: outbox::log(pool, 200).await?,
    })
}

/// Stop reminders of a failing result until it recovers.
pub async fn acknowledge(
    pool: &SqlitePool,
    series: &str,
    by: &str,
    note: Option<&str>,
) -> Result<(), AlertError> {
    let now = time_fmt::now_ms();
    let mut tx = pool.begin().await?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let done = sqlx::query(
        "UPDATE incidents SET acked_at = ?, acked_by = ?, ack_note = ? WHERE series = ?",
    )
    .bind(now)
    .bind(by)
    .bind(note)
    .bind(series)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AlertError::NoIncident(series.to_string()));
    }
    let message = match note {
        Some(n) => format!("acknowledged: {n}"),
        None => "acknowledged".to_string(),
    };
    timeline::add(
        &mut tx,
        now,
        Some(series),
        EntryKind::Acknowledged,
        &message,
        Some(by),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A note on a result's timeline.
pub async fn note(pool: &SqlitePool, series: &str, by: &str, text: &str) -> Result<(), AlertError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AlertError::Invalid("a note needs some text".into()));
    }
    let mut conn = pool.acquire().await?;
    timeline::add(
        &mut conn,
        time_fmt::now_ms(),
        Some(series),
        EntryKind::Note,
        text,
        Some(by),
        &serde_json::json!({}),
    )
    .await?;
    Ok(())
}

/// Hold back the alerts of a result (or of every result of a check) for a while; `None`
/// ends a snooze.
pub async fn snooze(
    pool: &SqlitePool,
    series: &str,
    length: Option<Duration>,
    by: &str,
    note: Option<&str>,
) -> Result<(), AlertError> {
    let now = time_fmt::now_ms();
    let mut tx = pool.begin().await?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    match length {
        Some(d) => {
            if d.is_zero() || d > Duration::from_secs(7 * 24 * 3600) {
                return Err(AlertError::Invalid(
                    "a snooze lasts more than 0 s and at most 7 days".into(),
                ));
            }
            let until = now + d.as_millis() as i64;
            sqlx::query(
                "INSERT INTO snoozes (series, until, by, note, at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (series) DO UPDATE SET until = excluded.until, by = excluded.by, note = excluded.note, at = excluded.at",
            )
            .bind(series)
            .bind(until)
            .bind(by)
            .bind(note)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let message = format!(
                "snoozed for {} (until {}){}",
                channel::short(d),
                time_fmt::rfc3339_from_ms(until),
                note.map(|n| format!(": {n}")).unwrap_or_default()
            );
            timeline::add(
                &mut tx,
                now,
                Some(series),
                EntryKind::Snoozed,
                &message,
                Some(by),
                &serde_json::json!({ "until": time_fmt::rfc3339_from_ms(until) }),
            )
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM snoozes WHERE series = ?")
                .bind(series)
                .execute(&mut *tx)
                .await?;
            timeline::add(
                &mut tx,
                now,
                Some(series),
                EntryKind::Unsnoozed,
                "snooze ended",
                Some(by),
                &serde_json::json!({}),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Send a test notification through a channel now, and say how it went (also on the
/// timeline).
pub async fn test_channel(
    pool: &SqlitePool,
    config: &Config,
    couriers: &Couriers,
    channel_id: &str,
    by: &str,
) -> Result<(), AlertError> {
    let channel = config
        .channel
        .iter()
        .find(|c| c.id() == channel_id)
        .ok_or_else(|| AlertError::NoChannel(channel_id.to_string()))?;
    let n = Notification::new(
        notification_id(),
        Kind::Test,
        Vec::new(),
        time_fmt::now_rfc3339(),
        config.alerting.console_url.clone(),
    );
    let outcome = channel::deliver(couriers, channel, &n).await;
    let mut conn = pool.acquire().await?;
    let message = match &outcome {
        Ok(()) => format!("test notification sent to `{channel_id}`"),
        Err(e) => format!("test notification to `{channel_id}` failed: {e}"),
    };
    timeline::add(
        &mut conn,
        time_fmt::now_ms(),
        None,
        EntryKind::Test,
        &message,
        Some(by),
        &serde_json::json!({ "channel": channel_id, "ok": outcome.is_ok() }),
    )
    .await?;
    outcome.map_err(AlertError::from)
}
