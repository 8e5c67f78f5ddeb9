//! The incident timeline: transitions (from the history), alerts queued, deliveries,
//! suppressions, acknowledgements, notes and snoozes, per result or for the whole estate.

use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection, SqlitePool};
use ts_rs::TS;

use crate::status::Status;
use crate::time_fmt;

/// What kind of thing happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "TimelineEntryKind")]
pub enum EntryKind {
    /// A confirmed change of status.
    Transition,
    /// A notification was queued for a channel.
    Alert,
    Reminder,
    Recovery,
    /// A channel took the notification.
    Delivered,
    /// A channel refused it or could not be reached; it is retried.
    DeliveryFailed,
    /// Retries ran out.
    GaveUp,
    /// The alert is held back (dependency, maintenance, snooze).
    Suppressed,
    /// It no longer is.
    Released,
    Acknowledged,
    Note,
    Snoozed,
    Unsnoozed,
    /// A channel test.
    Test,
    /// The open alert of a result that no longer exists was closed.
    Closed,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Transition => "transition",
            EntryKind::Alert => "alert",
            EntryKind::Reminder => "reminder",
            EntryKind::Recovery => "recovery",
            EntryKind::Delivered => "delivered",
            EntryKind::DeliveryFailed => "delivery_failed",
            EntryKind::GaveUp => "gave_up",
            EntryKind::Suppressed => "suppressed",
            EntryKind::Released => "released",
            EntryKind::Acknowledged => "acknowledged",
            EntryKind::Note => "note",
            EntryKind::Snoozed => "snoozed",
            EntryKind::Unsnoozed => "unsnoozed",
            EntryKind::Test => "test",
            EntryKind::Closed => "closed",
        }
    }

    fn parse(s: &str) -> EntryKind {
        [
            EntryKind::Transition,
            EntryKind::Alert,
            EntryKind::Reminder,
            EntryKind::Recovery,
            EntryKind::Delivered,
            EntryKind::DeliveryFailed,
            EntryKind::GaveUp,
            EntryKind::Suppressed,
            EntryKind::Released,
            EntryKind::Acknowledged,
            EntryKind::Note,
            EntryKind::Snoozed,
            EntryKind::Unsnoozed,
            EntryKind::Test,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .unwrap_or(EntryKind::Closed)
    }
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "TimelineEntry")]
pub struct Entry {
    /// RFC 3339 with milliseconds (the `before` of paging is exact).
    pub at: String,
    /// Result id; none for the estate (a channel test).
    pub series: Option<String>,
    pub kind: EntryKind,
    pub message: String,
    /// Who did it (a token's name, `cli`), for actions by people.
    pub actor: Option<String>,
    /// For a transition: the status it went to.
    pub status: Option<Status>,
    /// Channel, notification id, attempt: what the kind has.
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
}

/// Add an entry, inside the caller's transaction.
pub async fn add(
    tx: &mut SqliteConnection,
    at_ms: i64,
    series: Option<&str>,
    kind: EntryKind,
    message: &str,
    actor: Option<&str>,
    details: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO timeline (ts, series, kind, message, actor, details) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(at_ms)
    .bind(series)
    .bind(kind.as_str())
    .bind(message)
    .bind(actor)
    .bind(details.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Newest first: the entries of `series` (a result id, or a check id with all its things), or
/// of the whole estate, before `before_ms`.
pub async fn read(
    pool: &SqlitePool,
    series: Option<&str>,
    before_ms: Option<i64>,
    limit: u32,
) -> Result<Vec<Entry>, sqlx::Error> {
    let before = before_ms.unwrap_or(i64::MAX);
    let (exact, things) = match series {
        Some(s) => (s.to_string(), format!("{}/%", like_escape(s))),
        None => (String::new(), String::new()),
    };
    let all = series.is_none();
    let rows = sqlx::query(
        "SELECT ts, series, kind, message, actor, details, status FROM (
             SELECT t.ts AS ts, t.series AS series, t.kind AS kind, t.message AS message,
                    t.actor AS actor, t.details AS details, NULL AS status, t.id AS ord, 1 AS src
             FROM timeline t
             WHERE t.ts < ?1 AND (?2 OR t.series = ?3 OR t.series LIKE ?4 ESCAPE '\\')
             UNION ALL
             SELECT r.ts, s.id, 'transition', r.reason, NULL, '{}', r.to_status, r.id, 0
             FROM transitions r JOIN series s ON s.key = r.series
             WHERE r.ts < ?1 AND (?2 OR s.id = ?3 OR s.id LIKE ?4 ESCAPE '\\')
         ) ORDER BY ts DESC, src DESC, ord DESC LIMIT ?5",
    )
    .bind(before)
    .bind(all)
    .bind(&exact)
    .bind(&things)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let kind = EntryKind::parse(r.get::<&str, _>(2));
            let status = r.get::<Option<i64>, _>(6).map(Status::from_code);
            let mut message: String = r.get(3);
            if kind == EntryKind::Transition {
                if let Some(s) = status {
                    message = format!("now {}: {message}", s.as_str());
                }
            }
            Entry {
                at: time_fmt::rfc3339_ms_from_ms(r.get(0)),
                series: r.get(1),
                kind,
                message,
                actor: r.get(4),
                status,
                details: serde_json::from_str(r.get::<&str, _>(5)).unwrap_or_default(),
            }
        })
        .collect())
}

/// `%` and `_` in an id match themselves in a LIKE pattern.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
