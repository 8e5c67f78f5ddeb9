//! Open incidents (results failing and not yet recovered) and snoozes, as stored.

use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection, SqlitePool};
use ts_rs::TS;

use crate::status::Status;

/// A result that is failing, with what alerting did about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Incident {
    pub series: String,
    #[ts(type = "number")]
    pub opened_at_ms: i64,
    pub status: Status,
    pub reason: String,
    #[ts(type = "number | null")]
    pub notified_at_ms: Option<i64>,
    pub notified_status: Option<Status>,
    #[ts(type = "number | null")]
    pub acked_at_ms: Option<i64>,
    pub acked_by: Option<String>,
    pub ack_note: Option<String>,
    /// Why its alert is held back, while it is.
    pub suppressed_by: Option<String>,
}

pub async fn all(conn: &mut SqliteConnection) -> Result<Vec<Incident>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT series, opened_at, status, reason, notified_at, notified_status, acked_at, acked_by, ack_note, suppressed_by FROM incidents ORDER BY opened_at",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Incident {
            series: r.get(0),
            opened_at_ms: r.get(1),
            status: Status::from_code(r.get(2)),
            reason: r.get(3),
            notified_at_ms: r.get(4),
            notified_status: r.get::<Option<i64>, _>(5).map(Status::from_code),
            acked_at_ms: r.get(6),
            acked_by: r.get(7),
            ack_note: r.get(8),
            suppressed_by: r.get(9),
        })
        .collect())
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<Incident>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    all(&mut conn).await
}

pub async fn save(conn: &mut SqliteConnection, i: &Incident) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO incidents (series, opened_at, status, reason, notified_at, notified_status, acked_at, acked_by, ack_note, suppressed_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (series) DO UPDATE SET opened_at = excluded.opened_at, status = excluded.status,
           reason = excluded.reason, notified_at = excluded.notified_at,
           notified_status = excluded.notified_status, acked_at = excluded.acked_at,
           acked_by = excluded.acked_by, ack_note = excluded.ack_note,
           suppressed_by = excluded.suppressed_by",
    )
    .bind(&i.series)
    .bind(i.opened_at_ms)
    .bind(i.status.to_code())
    .bind(&i.reason)
    .bind(i.notified_at_ms)
    .bind(i.notified_status.map(Status::to_code))
    .bind(i.acked_at_ms)
    .bind(&i.acked_by)
    .bind(&i.ack_note)
    .bind(&i.suppressed_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn close(conn: &mut SqliteConnection, series: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM incidents WHERE series = ?")
        .bind(series)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A result (or a whole check) whose alerts are held back until a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Snooze {
    pub series: String,
    #[ts(type = "number")]
    pub until_ms: i64,
    pub by: Option<String>,
    pub note: Option<String>,
}

pub async fn snoozes(conn: &mut SqliteConnection, now_ms: i64) -> Result<Vec<Snooze>, sqlx::Error> {
    let rows = sqlx::query("SELECT series, until, by, note FROM snoozes WHERE until > ?")
        .bind(now_ms)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Snooze {
            series: r.get(0),
            until_ms: r.get(1),
            by: r.get(2),
            note: r.get(3),
        })
        .collect())
}
