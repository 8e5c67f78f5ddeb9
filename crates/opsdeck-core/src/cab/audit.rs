//! The audit log of the CAB workflow: every upload, install, approval, rejection and promotion
//! (and every failure of one) in an append-only table whose entries are hash-chained. Each
//! entry's hash covers its fields and the previous entry's hash, so editing or deleting an entry
//! (other than the newest, which nothing follows) breaks every hash after it and
//! [`verify`] names the first broken entry.

use serde::{Deserialize, Serialize};
use sha2::Digest;
use sqlx::{Row, SqlitePool};
use ts_rs::TS;

use crate::store::StoreError;

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    /// `upload`, `install`, `approve`, `reject`, `promote`.
    pub action: String,
    /// `started` (a promotion under way, or one that was interrupted), `ok` or `failed`.
    pub outcome: String,
    /// The CAB's path in the repository.
    pub cab: String,
    /// The version's commit.
    pub version: String,
    pub detail: String,
    pub prev: String,
    pub hash: String,
}

/// What is written; the log adds the sequence, the time and the hashes.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub outcome: &'a str,
    pub cab: &'a str,
    pub version: &'a str,
    pub detail: &'a str,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Verification {
    pub ok: bool,
    #[ts(type = "number")]
    pub entries: i64,
    /// What is wrong, first problem first (empty when `ok`).
    pub problems: Vec<String>,
}

fn digest(seq: i64, at: &str, e: &Event<'_>, prev: &str) -> String {
    // Length-prefixed fields: no two different entries hash the same text.
    let mut h = sha2::Sha256::new();
    for field in [
        seq.to_string().as_str(),
        at,
        e.actor,
        e.action,
        e.outcome,
        e.cab,
        e.version,
        e.detail,
        prev,
    ] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Append an entry. One writer at a time (SQLite's write lock, taken by `BEGIN IMMEDIATE`), so
/// two appends never share a sequence number.
pub async fn append(pool: &SqlitePool, e: &Event<'_>) -> Result<AuditEntry, StoreError> {
    // A transaction object, not a bare BEGIN: dropped half-way (a caller gone), it rolls back
    // instead of going back to the pool holding the write lock.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let last = sqlx::query("SELECT seq, hash FROM cab_audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    let (seq, prev) = match last {
        Some(r) => (r.get::<i64, _>(0) + 1, r.get::<String, _>(1)),
        None => (1, String::new()),
    };
    let at = crate::time_fmt::now_rfc3339();
    let hash = digest(seq, &at, e, &prev);
    sqlx::query(
        "INSERT INTO cab_audit (seq, at, actor, action, outcome, cab, version, detail, prev, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(seq)
    .bind(&at)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.outcome)
    .bind(e.cab)
    .bind(e.version)
    .bind(e.detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(AuditEntry {
        seq,
        at,
        actor: e.actor.into(),
        action: e.action.into(),
        outcome: e.outcome.into(),
        cab: e.cab.into(),
        version: e.version.into(),
        detail: e.detail.into(),
        prev,
        hash,
    })
}

fn entry(r: &sqlx::sqlite::SqliteRow) -> AuditEntry {
    AuditEntry {
        seq: r.get("seq"),
        at: r.get("at"),
        actor: r.get("actor"),
        action: r.get("action"),
        outcome: r.get("outcome"),
        cab: r.get("cab"),
        version: r.get("version"),
        detail: r.get("detail"),
        prev: r.get("prev"),
        hash: r.get("hash"),
    }
}

/// Entries, newest first: of one CAB (path) or all, before `before_seq`, at most `limit`.
pub async fn read(
    pool: &SqlitePool,
    cab: Option<&str>,
    before_seq: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT * FROM cab_audit WHERE (? IS NULL OR cab = ?) AND (? IS NULL OR seq < ?) \
         ORDER BY seq DESC LIMIT ?",
    )
    .bind(cab)
    .bind(cab)
    .bind(before_seq)
    .bind(before_seq)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(entry).collect())
}

/// The newest promotion of `cab` if it started and never finished (its process was killed, or
/// the machine stopped): its `started` entry.
pub async fn unfinished_promotion(
    pool: &SqlitePool,
    cab: &str,
) -> Result<Option<AuditEntry>, StoreError> {
    let row = sqlx::query(
        "SELECT * FROM cab_audit WHERE cab = ? AND action = 'promote' ORDER BY seq DESC LIMIT 1",
    )
    .bind(cab)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| entry(&r)).filter(|e| e.outcome == "started"))
}

/// Walk the whole chain, oldest first.
pub async fn verify(pool: &SqlitePool) -> Result<Verification, StoreError> {
    use futures::TryStreamExt;
    let mut rows = sqlx::query("SELECT * FROM cab_audit ORDER BY seq").fetch(pool);
    let mut problems = Vec::new();
    let mut expected_seq = 1;
    let mut prev = String::new();
    let mut entries = 0;
    while let Some(r) = rows.try_next().await? {
        let e = entry(&r);
        entries += 1;
        if e.seq != expected_seq {
            problems.push(if e.seq > expected_seq {
                format!("entries {expected_seq}–{} are missing (deleted)", e.seq - 1)
            } else {
                format!("entry {} is out of order", e.seq)
            });
        }
        if e.prev != prev {
            problems.push(format!(
                "entry {} does not follow the entry before it (its link to the previous hash was changed, or that entry was)",
                e.seq
            ));
        }
        let event = Event {
            actor: &e.actor,
            action: &e.action,
            outcome: &e.outcome,
            cab: &e.cab,
            version: &e.version,
            detail: &e.detail,
        };
        if digest(e.seq, &e.at, &event, &e.prev) != e.hash {
            problems.push(format!(
                "entry {} ({} {} at {}) was edited: its contents no longer match its hash",
                e.seq, e.action, e.cab, e.at
            ));
        }
        expected_seq = e.seq + 1;
        prev = e.hash;
    }
    Ok(Verification {
        ok: problems.is_empty(),
        entries,
        problems,
    })
}

/// The whole log as CSV, oldest first, with a header row.
pub async fn csv(pool: &SqlitePool) -> Result<String, StoreError> {
    let rows = sqlx::query("SELECT * FROM cab_audit ORDER BY seq")
        .fetch_all(pool)
        .await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "seq", "at", "actor", "action", "outcome", "cab", "version", "detail", "prev", "hash",
    ];
    let io = |e: csv::Error| StoreError::Query(sqlx::Error::Protocol(e.to_string()));
    w.write_record(header).map_err(io)?;
    for r in &rows {
        let e = entry(r);
        w.write_record([
            e.seq.to_string().as_str(),
            &e.at,
            &e.actor,
            &e.action,
            &e.outcome,
            &e.cab,
            &e.version,
            &e.detail,
            &e.prev,
            &e.hash,
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| StoreError::Query(sqlx::Error::Protocol(e.to_string())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The SHA-256 and size of a version already read, if it was.
pub async fn known_digest(
    pool: &SqlitePool,
    commit: &str,
    path: &str,
) -> Result<Option<(String, u64)>, StoreError> {
    let row = sqlx::query("SELECT sha256, size FROM cab_digests WHERE commit_id = ? AND path = ?")
        .bind(commit)
        .bind(path)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| (r.get(0), r.get::<i64, _>(1) as u64)))
}

pub async fn remember_digest(
    pool: &SqlitePool,
    commit: &str,
    path: &str,
    sha256: &str,
    size: u64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cab_digests (commit_id, path, sha256, size) VALUES (?, ?, ?, ?) \
         ON CONFLICT (commit_id, path) DO NOTHING",
    )
    .bind(commit)
    .bind(path)
    .bind(sha256)
    .bind(size as i64)
    .execute(pool)
    .await?;
    Ok(())
}

/// The comments on `commit` as read at most `max_age_ms` ago, if they were.
pub async fn known_comments(
    pool: &SqlitePool,
    commit: &str,
    max_age_ms: i64,
) -> Result<Option<Vec<crate::cab::bitbucket::Comment>>, StoreError> {
    let row =
        sqlx::query("SELECT comments FROM cab_comments WHERE commit_id = ? AND fetched_at >= ?")
            .bind(commit)
            .bind(crate::time_fmt::now_ms() - max_age_ms)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.get::<String, _>(0)).ok()))
}

pub async fn remember_comments(
    pool: &SqlitePool,
    commit: &str,
    comments: &[crate::cab::bitbucket::Comment],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cab_comments (commit_id, fetched_at, comments) VALUES (?, ?, ?) \
         ON CONFLICT (commit_id) DO UPDATE SET fetched_at = excluded.fetched_at, comments = excluded.comments",
    )
    .bind(commit)
    .bind(crate::time_fmt::now_ms())
    .bind(serde_json::to_string(comments).unwrap_or_else(|_| "[]".into()))
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::Store;

    fn ev<'a>(action: &'a str, detail: &'a str) -> Event<'a> {
        Event {
            actor: "dev@example.com",
            action,
            outcome: "ok",
            cab: "cabs/A.cab",
            version: "abc",
            detail,
        }
    }

    #[tokio::test]
    async fn an_edited_or_deleted_entry_breaks_the_chain() {
        let store = Store::in_memory().await.unwrap();
        let pool = store.pool();
        for d in ["one", "two", "three", "four"] {
            append(pool, &ev("upload", d)).await.unwrap();
        }
        let v = verify(pool).await.unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.entries, 4);

        sqlx::query("UPDATE cab_audit SET detail = 'two, edited' WHERE seq = 2")
            .execute(pool)
            .await
            .unwrap();
        let v = verify(pool).await.unwrap();
        assert!(!v.ok);
        assert!(v.problems[0].contains("entry 2"), "{v:?}");

        sqlx::query("UPDATE cab_audit SET detail = 'two' WHERE seq = 2")
            .execute(pool)
            .await
            .unwrap();
        assert!(verify(pool).await.unwrap().ok);
        sqlx::query("DELETE FROM cab_audit WHERE seq = 3")
            .execute(pool)
            .await
            .unwrap();
        let v = verify(pool).await.unwrap();
        assert!(!v.ok);
        assert!(v.problems.iter().any(|p| p.contains("missing")), "{v:?}");
        assert!(v.problems.iter().any(|p| p.contains("entry 4")), "{v:?}");
    }

    #[tokio::test]
    async fn csv_quotes_what_needs_quoting() {
        let store = Store::in_memory().await.unwrap();
        append(
            store.pool(),
            &ev("reject", "does not start, \"Orders\" form\nbreaks"),
        )
        .await
        .unwrap();
        let text = csv(store.pool()).await.unwrap();
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<::csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][7], "does not start, \"Orders\" form\nbreaks");
    }
}
