//! ASP.NET Core health reports: the minimal plain-text writer (`Healthy`/`Degraded`/`Unhealthy`)
//! and the HealthChecks UI JSON writer (`status`, `totalDuration`, `entries`).

use serde::Serialize;
use serde_json::Value;

use crate::status::Status;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    pub status: Status,
    /// `aspnet-text` or `aspnet-json`.
    pub format: &'static str,
    pub total_duration_ms: Option<f64>,
    pub entries: Vec<HealthEntry>,
}

/// One registered health check inside a report, kept whole so the UI can show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthEntry {
    pub name: String,
    pub status: Status,
    pub duration_ms: Option<f64>,
    pub description: Option<String>,
    pub exception: Option<String>,
    pub tags: Vec<String>,
    pub data: Value,
}

pub fn status_word(word: &str) -> Option<Status> {
    match word.trim() {
        w if w.eq_ignore_ascii_case("healthy") => Some(Status::Up),
        w if w.eq_ignore_ascii_case("degraded") => Some(Status::Degraded),
        w if w.eq_ignore_ascii_case("unhealthy") => Some(Status::Down),
        _ => None,
    }
}

/// The plain-text writer's body is exactly one status word.
pub fn parse_plain(body: &str) -> Option<HealthReport> {
    status_word(body).map(|status| HealthReport {
        status,
        format: "aspnet-text",
        total_duration_ms: None,
        entries: Vec::new(),
    })
}

/// A HealthChecks UI report: an object whose `status` is a status word. `entries` may be
/// missing on hand-written endpoints; entries that are not objects are skipped.
pub fn parse_json(value: &Value) -> Option<HealthReport> {
    let obj = value.as_object()?;
    let status = status_word(obj.get("status")?.as_str()?)?;
    let total_duration_ms = obj
        .get("totalDuration")
        .and_then(Value::as_str)
        .and_then(parse_timespan_ms);
    let mut entries: Vec<HealthEntry> = obj
        .get("entries")
        .and_then(Value::as_object)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|(name, e)| {
                    let e = e.as_object()?;
                    Some(HealthEntry {
                        name: name.clone(),
                        status: e
                            .get("status")
                            .and_then(Value::as_str)
                            .and_then(status_word)
                            .unwrap_or(Status::Unknown),
                        duration_ms: e
                            .get("duration")
                            .and_then(Value::as_str)
                            .and_then(parse_timespan_ms),
                        description: e
                            .get("description")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        exception: e
                            .get("exception")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        tags: e
                            .get("tags")
                            .and_then(Value::as_array)
                            .map(|t| {
                                t.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                        data: e.get("data").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // Worst first, so the reason for a bad status is the first thing shown.
    entries.sort_by(|a, b| b.status.cmp(&a.status).then(a.name.cmp(&b.name)));
    Some(HealthReport {
        status,
        format: "aspnet-json",
        total_duration_ms,
        entries,
    })
}

/// .NET `TimeSpan.ToString()`: `[-][d.]hh:mm:ss[.fffffff]`, in milliseconds.
pub fn parse_timespan_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut parts = s.split(':');
    let (first, minutes, seconds) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => (d.parse::<u64>().ok()?, h.parse::<u64>().ok()?),
        None => (0, first.parse::<u64>().ok()?),
    };
    let minutes: u64 = minutes.parse().ok()?;
    let seconds: f64 = seconds.parse().ok()?;
    if hours > 23 || minutes > 59 || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    let ms = ((days * 24 + hours) * 60 + minutes) as f64 * 60_000.0 + seconds * 1000.0;
    Some(if neg { -ms } else { ms })
}

/// The reason shown for a report: the worst entries' descriptions, or the status word.
pub fn summary(report: &HealthReport) -> String {
    let word = match report.status {
        Status::Up => "Healthy",
        Status::Degraded => "Degraded",
        Status::Down => "Unhealthy",
        Status::Unknown => "Unknown",
    };
    let bad: Vec<String> = report
        .entries
        .iter()
        .filter(|e| e.status != Status::Up)
        .map(|e| {
            let why = e
                .description
                .as_deref()
                .or(e.exception.as_deref())
                .unwrap_or(match e.status {
                    Status::Degraded => "Degraded",
                    _ => "Unhealthy",
                });
            format!("{}: {}", e.name, why)
        })
        .collect();
    if bad.is_empty() {
        word.to_string()
    } else {
        format!("{word} ({})", bad.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan_ms("00:00:00.0187432"), Some(18.7432));
        assert_eq!(parse_timespan_ms("00:00:01"), Some(1000.0));
        assert_eq!(parse_timespan_ms("1.02:00:00"), Some(26.0 * 3_600_000.0));
        assert_eq!(parse_timespan_ms("nonsense"), None);
        assert_eq!(parse_timespan_ms("00:61:00"), None);
    }

    #[test]
    fn plain_words() {
        assert_eq!(parse_plain("Healthy").map(|r| r.status), Some(Status::Up));
        assert_eq!(
            parse_plain("Degraded\n").map(|r| r.status),
            Some(Status::Degraded)
        );
        assert_eq!(
            parse_plain("Unhealthy").map(|r| r.status),
            Some(Status::Down)
        );
        assert_eq!(parse_plain("OK"), None);
    }

    #[test]
    fn ui_json_report_keeps_entries_worst_first() {
        let body = json!({
            "status": "Unhealthy",
            "totalDuration": "00:00:00.0521000",
            "entries": {
                "redis": { "data": {}, "duration": "00:00:00.0010000", "status": "Healthy", "tags": [] },
                "sqlserver": {
                    "data": {}, "duration": "00:00:00.0500000", "status": "Unhealthy", "tags": ["db"],
                    "description": "A network-related error occurred",
                    "exception": "A network-related error occurred"
                }
            }
        });
        let r = parse_json(&body).expect("report");
        assert_eq!(r.status, Status::Down);
        assert_eq!(r.total_duration_ms, Some(52.1));
        assert_eq!(r.entries[0].name, "sqlserver");
        assert_eq!(r.entries[0].tags, vec!["db"]);
        assert_eq!(r.entries[1].description, None);
        assert_eq!(
            summary(&r),
            "Unhealthy (sqlserver: A network-related error occurred)"
        );
    }

    #[test]
    fn other_json_is_not_a_report() {
        assert!(parse_json(&json!({"status": "ok"})).is_none());
        assert!(parse_json(&json!([1, 2])).is_none());
    }
}
