//! How `opsdeck check` prints a sweep: a readable table (colour on a terminal) or the stable
//! JSON contract.

use opsdeck_core::status::{CheckResult, Status};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct SweepReport<'a> {
    pub checked_at: String,
    pub duration_ms: u64,
    pub results: &'a [CheckResult],
}

pub fn json(report: &SweepReport<'_>) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

fn symbol(s: Status) -> &'static str {
    match s {
        Status::Up => "✔",
        Status::Degraded => "▲",
        Status::Down => "✖",
        Status::Unknown => "?",
    }
}

fn colour(s: Status) -> &'static str {
    match s {
        Status::Up => "\x1b[32m",
        Status::Degraded => "\x1b[33m",
        Status::Down => "\x1b[31;1m",
        Status::Unknown => "\x1b[35m",
    }
}

/// Text from elsewhere (a queue's name, a server's message) as it may reach a terminal: line
/// breaks and tabs become spaces, other control characters are shown escaped (`\u{1b}`), so a
/// name cannot move the cursor, recolour the screen or retitle the window.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

pub fn table(report: &SweepReport<'_>, colour_on: bool, width: usize) -> String {
    let rows = report.results;
    let ids: Vec<String> = rows.iter().map(|r| printable(&r.id)).collect();
    let envs: Vec<String> = rows
        .iter()
        .map(|r| printable(r.environment.as_deref().unwrap_or("-")))
        .collect();
    let id_w = ids
        .iter()
        .map(|id| id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let env_w = envs
        .iter()
        .map(|e| e.chars().count())
        .max()
        .unwrap_or(3)
        .max(3);
    let fixed = 12 + id_w + 2 + env_w + 2 + 9 + 2;
    let msg_w = width.saturating_sub(fixed).max(20);
    let mut out = format!(
        "{:<12}{:<id_w$}  {:<env_w$}  {:>9}  MESSAGE\n",
        "STATUS", "ID", "ENV", "LATENCY"
    );
    for ((r, id), env) in rows.iter().zip(&ids).zip(&envs) {
        let status = format!("{} {}", symbol(r.status), r.status);
        let status = format!("{status:<12}");
        let status = if colour_on {
            format!("{}{status}\x1b[0m", colour(r.status))
        } else {
            status
        };
        let latency = r
            .latency_ms
            .map(|l| format!("{l} ms"))
            .unwrap_or_else(|| "-".into());
        let mut message = printable(&r.message);
        if message.chars().count() > msg_w {
            message = message
                .chars()
                .take(msg_w.saturating_sub(1))
                .collect::<String>()
                + "…";
        }
        out.push_str(&format!(
            "{status}{id:<id_w$}  {env:<env_w$}  {latency:>9}  {message}\n",
        ));
    }
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    out.push_str(&format!(
        "\n{} up, {} degraded, {} down, {} unknown — {} result{} in {} ms\n",
        count(Status::Up),
        count(Status::Degraded),
        count(Status::Down),
        count(Status::Unknown),
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        report.duration_ms
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status) -> CheckResult {
        CheckResult {
            id: id.into(),
            name: id.into(),
            check_type: "http".into(),
            environment: Some("live".into()),
            status,
            latency_ms: Some(41),
            message: "Healthy".into(),
            details: serde_json::json!({}),
            checked_at: "2026-11-25T09:00:00Z".into(),
        }
    }

    #[test]
    fn json_follows_the_contract() {
        let results = vec![result("fsw-api-live", Status::Up)];
        let report = SweepReport {
            checked_at: "2026-11-25T09:00:00Z".into(),
            duration_ms: 212,
            results: &results,
        };
        let v: serde_json::Value = serde_json::from_str(&json(&report)).expect("json");
        assert_eq!(v["duration_ms"], 212);
        let r = &v["results"][0];
        for key in [
            "id",
            "name",
            "type",
            "environment",
            "status",
            "latency_ms",
            "message",
            "details",
        ] {
            assert!(r.get(key).is_some(), "missing {key}");
        }
        assert_eq!(r["status"], "up");
    }

    #[test]
    fn table_has_a_summary_and_no_colour_when_off() {
        let results = vec![result("a", Status::Up), result("b", Status::Down)];
        let report = SweepReport {
            checked_at: String::new(),
            duration_ms: 5,
            results: &results,
        };
        let t = table(&report, false, 100);
        assert!(t.contains("✖ down"));
        assert!(t.contains("1 up, 0 degraded, 1 down, 0 unknown — 2 results in 5 ms"));
        assert!(!t.contains('\x1b'));
    }

    #[test]
    fn names_and_messages_cannot_drive_the_terminal() {
        let mut r = result("mq/evil\x1b]0;owned\x07", Status::Down);
        r.message = "line one\nline two\x1b[2J".into();
        let results = vec![r];
        let report = SweepReport {
            checked_at: String::new(),
            duration_ms: 1,
            results: &results,
        };
        let t = table(&report, false, 200);
        assert!(!t.contains('\x1b') && !t.contains('\x07'), "{t}");
        assert!(t.contains(r"mq/evil\u{1b}]0;owned\u{7}"), "{t}");
        assert!(t.contains(r"line one line two\u{1b}[2J"), "{t}");
    }
}
