//! The durable outbox: every notification is stored (in the same transaction as the decision
//! to send it) before any attempt, retried with backoff until a channel takes it, and survives
//! a restart. A crash between a channel taking a notification and the outbox recording it
//! sends it again after the restart: delivery is at least once, and the notification's id goes
//! along as an idempotency key where the channel has a place for one.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection, SqlitePool};
use tokio::sync::Notify;
use ts_rs::TS;

use super::channel::{deliver, Couriers};
use super::notification::{Kind, Notification};
use super::timeline::{self, EntryKind};
use crate::config::Config;
use crate::time_fmt;

/// A notification not sent after this long is given up (and says so in the timeline).
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10 * 60);
/// Sent and given-up notifications are kept this long for the delivery log.
const KEEP: Duration = Duration::from_secs(30 * 24 * 3600);

/// Where a notification stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Pending,
    Sent,
    Failed,
}

/// One notification to one channel, as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Delivery {
    pub id: String,
    pub channel: String,
    pub kind: Kind,
    pub title: String,
    /// Result ids it is about.
    pub series: Vec<String>,
    pub state: DeliveryState,
    pub attempts: u32,
    /// RFC 3339.
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
}

/// Store a notification for a channel, inside the caller's transaction.
pub async fn enqueue(
    tx: &mut SqliteConnection,
    channel: &str,
    n: &Notification,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (key, channel, kind, created_at, payload, state, next_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(&n.id)
    .bind(channel)
    .bind(n.kind.as_str())
    .bind(now_ms)
    .bind(serde_json::to_string(n).unwrap_or_default())
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The delivery log, newest first.
pub async fn log(pool: &SqlitePool, limit: u32) -> Result<Vec<Delivery>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT key, channel, payload, state, attempts, created_at, next_at, sent_at, last_error
         FROM outbox ORDER BY id DESC LIMIT ?",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let n: Notification = serde_json::from_str(r.get::<&str, _>(2)).ok()?;
            let state = match r.get::<&str, _>(3) {
                "sent" => DeliveryState::Sent,
                "failed" => DeliveryState::Failed,
                _ => DeliveryState::Pending,
            };
            Some(Delivery {
                id: r.get(0),
                channel: r.get(1),
                kind: n.kind,
                title: n.title.clone(),
                series: n.items.iter().map(|i| i.id.clone()).collect(),
                state,
                attempts: r.get::<i64, _>(4).max(0) as u32,
                created_at: time_fmt::rfc3339_from_ms(r.get(5)),
                next_attempt_at: (state == DeliveryState::Pending)
                    .then(|| time_fmt::rfc3339_from_ms(r.get(6))),
                sent_at: r.get::<Option<i64>, _>(7).map(time_fmt::rfc3339_from_ms),
                last_error: r.get(8),
            })
        })
        .collect())
}

/// Wait before attempt `attempts + 1`: 10 s, 20 s, 40 s … up to ten minutes, with a little
/// jitter so many queued notifications do not retry in lockstep.
fn backoff(attempts: u32) -> Duration {
    let base = Duration::from_secs(10).saturating_mul(1 << attempts.saturating_sub(1).min(10));
    let base = base.min(MAX_BACKOFF);
    base + Duration::from_millis(rand::rng().random_range(0..=base.as_millis() as u64 / 10))
}

/// Sends what is due, channel by channel (in order within a channel), until the process ends.
pub async fn run(
    pool: SqlitePool,
    config: impl Fn() -> Arc<Config> + Send + 'static,
    couriers: impl Fn() -> Couriers + Send + 'static,
    wake: Arc<Notify>,
) {
    loop {
        let next = match send_due(&pool, &config(), &couriers()).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(error = %e, "reading the notification outbox failed; retrying");
                Some(Duration::from_secs(5))
            }
        };
        let wait = next
            .unwrap_or(Duration::from_secs(60))
            .min(Duration::from_secs(60));
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// A notification due for an attempt.
struct Due {
    id: i64,
    n: Notification,
    attempts: u32,
    created_at: i64,
}

/// One pass: every due notification is attempted once. Answers how long until the next one
/// is due.
pub async fn send_due(
    pool: &SqlitePool,
    config: &Config,
    couriers: &Couriers,
) -> Result<Option<Duration>, sqlx::Error> {
    let now = time_fmt::now_ms();
    let rows = sqlx::query(
        "SELECT id, channel, payload, attempts, created_at FROM outbox
         WHERE state = 'pending' AND next_at <= ? ORDER BY id LIMIT 200",
    )
    .bind(now)
    .fetch_all(pool)
    .await?;
    let mut by_channel: Vec<(String, Vec<Due>)> = Vec::new();
    for r in rows {
        let channel: String = r.get(1);
        let Ok(n) = serde_json::from_str::<Notification>(r.get::<&str, _>(2)) else {
            continue;
        };
        let row = Due {
            id: r.get(0),
            n,
            attempts: r.get::<i64, _>(3).max(0) as u32,
            created_at: r.get(4),
        };
        match by_channel.iter_mut().find(|(c, _)| *c == channel) {
            Some((_, rows)) => rows.push(row),
            None => by_channel.push((channel, vec![row])),
        }
    }
    let sends = by_channel.into_iter().map(|(channel_id, rows)| async move {
        for Due {
            id,
            n,
            attempts,
            created_at,
        } in rows
        {
            let channel = config.channel.iter().find(|c| c.id() == channel_id);
            let outcome = match channel {
                Some(c) if c.common.enabled => deliver(couriers, c, &n).await,
                Some(_) => Err(super::channel::DeliveryError::new(format!(
                    "channel `{channel_id}` is disabled"
                ))),
                None => Err(super::channel::DeliveryError::new(format!(
                    "channel `{channel_id}` is no longer in the configuration"
                ))),
            };
            if let Err(e) = record(
                pool,
                id,
                &channel_id,
                &n,
                attempts + 1,
                created_at,
                outcome.map_err(|e| e.message),
            )
            .await
            {
                tracing::warn!(error = %e, "recording a delivery failed");
            }
        }
    });
    futures::future::join_all(sends).await;
    let next: Option<i64> =
        sqlx::query_scalar("SELECT min(next_at) FROM outbox WHERE state = 'pending'")
            .fetch_one(pool)
            .await?;
    Ok(next.map(|at| Duration::from_millis((at - time_fmt::now_ms()).max(0) as u64)))
}

async fn record(
    pool: &SqlitePool,
    id: i64,
    channel: &str,
    n: &Notification,
    attempts: u32,
    created_at: i64,
    outcome: Result<(), String>,
) -> Result<(), sqlx::Error> {
    let now = time_fmt::now_ms();
    let mut tx = pool.begin().await?;
    let details =
        serde_json::json!({ "channel": channel, "notification": n.id, "attempt": attempts });
    match &outcome {
        Ok(()) => {
            sqlx::query("UPDATE outbox SET state = 'sent', attempts = ?, sent_at = ?, last_error = NULL WHERE id = ?")
                .bind(i64::from(attempts))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for item in &n.items {
                timeline::add(
                    &mut tx,
                    now,
                    Some(&item.id),
                    EntryKind::Delivered,
                    &format!("{} sent to `{channel}`", n.kind.as_str()),
                    None,
                    &details,
                )
                .await?;
            }
            tracing::info!(channel, notification = %n.id, kind = n.kind.as_str(), results = n.items.len(), "notification sent");
        }
        Err(error) => {
            let give_up = now - created_at >= GIVE_UP_AFTER.as_millis() as i64;
            let next = now + backoff(attempts).as_millis() as i64;
            sqlx::query("UPDATE outbox SET state = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?")
                .bind(if give_up { "failed" } else { "pending" })
                .bind(i64::from(attempts))
                .bind(next)
                .bind(error)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            // The first failure and the last say so on each result's timeline; the attempts
            // between only update the delivery log.
            if attempts == 1 || give_up {
                let (kind, message) = if give_up {
                    (EntryKind::GaveUp, format!("gave up sending the {} to `{channel}` after {attempts} attempts: {error}", n.kind.as_str()))
                } else {
                    (
                        EntryKind::DeliveryFailed,
                        format!(
                            "could not send the {} to `{channel}` (retrying): {error}",
                            n.kind.as_str()
                        ),
                    )
                };
                for item in &n.items {
                    timeline::add(&mut tx, now, Some(&item.id), kind, &message, None, &details)
                        .await?;
                }
                if n.items.is_empty() {
                    timeline::add(&mut tx, now, None, kind, &message, None, &details).await?;
                }
            }
            tracing::warn!(channel, notification = %n.id, attempt = attempts, give_up, error = %error, "notification not sent");
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The timeline is kept this long (like a year of daily uptime).
const TIMELINE_KEEP: Duration = Duration::from_secs(400 * 24 * 3600);

/// Forget sent and given-up notifications past the delivery log's keep time, timeline entries
/// past theirs, and snoozes that ended.
pub async fn prune(pool: &SqlitePool, now_ms: i64) -> Result<u64, sqlx::Error> {
    let mut n = sqlx::query("DELETE FROM outbox WHERE state != 'pending' AND created_at < ?")
        .bind(now_ms - KEEP.as_millis() as i64)
        .execute(pool)
        .await?
        .rows_affected();
    n += sqlx::query("DELETE FROM timeline WHERE ts < ?")
        .bind(now_ms - TIMELINE_KEEP.as_millis() as i64)
        .execute(pool)
        .await?
        .rows_affected();
    n += sqlx::query("DELETE FROM snoozes WHERE until < ?")
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(n)
}
