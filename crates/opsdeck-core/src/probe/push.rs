//! `type = "push"`: services report in by calling `opsdeck serve` at `/api/push/{token}`; the
//! check is down when no report arrives within its period plus grace.
//!
//! Pushes are kept in memory by the runner (and seeded from the store after a restart); each
//! run of the check only compares the last push with the clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use super::heartbeat_file::ago;
use crate::config::PushSpec;
use crate::status::{ProbeOutcome, Status};

/// Longest message kept from a push.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// The last report of one push check.
#[derive(Clone, Debug, PartialEq)]
pub struct LastPush {
    pub at_ms: i64,
    pub status: Status,
    pub message: Option<String>,
}

/// Last pushes by check id, and when the runner began waiting for each.
#[derive(Debug, Default)]
pub struct Pushes(Mutex<HashMap<String, (Option<LastPush>, i64)>>);

impl Pushes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Option<LastPush>, i64)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, check: &str, push: LastPush) {
        let mut all = self.lock();
        let entry = all.entry(check.to_string()).or_insert((None, push.at_ms));
        entry.0 = Some(push);
    }

    /// Resume from a stored result's details after a restart.
    /// A check that is no longer a push check.
    pub fn forget(&self, check: &str) {
        self.lock().remove(check);
    }

    pub fn seed(&self, check: &str, details: &Value) {
        let at = details
            .get("last_push_at")
            .and_then(Value::as_str)
            .and_then(crate::time_fmt::parse_rfc3339_ms);
        let Some(at_ms) = at else { return };
        let status = details
            .get("pushed_status")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .unwrap_or(Status::Up);
        let message = details
            .get("pushed_message")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.record(
            check,
            LastPush {
                at_ms,
                status,
                message,
            },
        );
    }

    /// The last push, and since when pushes have been awaited.
    fn get(&self, check: &str, now_ms: i64) -> (Option<LastPush>, i64) {
        self.lock()
            .entry(check.to_string())
            .or_insert((None, now_ms))
            .clone()
    }
}

/// The verdict at `now_ms`.
pub fn evaluate(spec: &PushSpec, pushes: &Pushes, check: &str, now_ms: i64) -> ProbeOutcome {
    let (last, waiting_since) = pushes.get(check, now_ms);
    let allowed = spec.period + spec.grace;
    let expected = format!(
        "expected every {} (+{} grace)",
        ago(spec.period),
        ago(spec.grace)
    );
    let mut details = json!({
        "period_s": spec.period.as_secs(),
        "grace_s": spec.grace.as_secs(),
    });
    let d = details.as_object_mut().expect("an object");
    let Some(last) = last else {
        let waited = Duration::from_millis((now_ms - waiting_since).max(0) as u64);
        let (status, message) = if waited > allowed {
            (
                Status::Down,
                format!(
                    "no push received in {} of watching; {expected}",
                    ago(waited)
                ),
            )
        } else {
            (
                Status::Unknown,
                format!("waiting for the first push; {expected}"),
            )
        };
        d.insert("state".into(), json!("waiting"));
        let mut o = ProbeOutcome::new(status, message);
        o.details = details;
        return o;
    };
    let age = Duration::from_millis((now_ms - last.at_ms).max(0) as u64);
    d.insert(
        "last_push_at".into(),
        json!(crate::time_fmt::rfc3339_from_ms(last.at_ms)),
    );
    d.insert("age_s".into(), json!(age.as_secs()));
    d.insert("pushed_status".into(), json!(last.status));
    if let Some(m) = &last.message {
        d.insert("pushed_message".into(), json!(m));
    }
    let (status, message, state) = if age > allowed {
        (
            Status::Down,
            format!("last push {} ago; {expected}", ago(age)),
            "late",
        )
    } else {
        let said = last
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        (
            last.status,
            format!("last push {} ago{said}", ago(age)),
            "on-time",
        )
    };
    d.insert("state".into(), json!(state));
    let mut o = ProbeOutcome::new(status, message);
    o.details = details;
    o
}

/// A push's `status` parameter, as monitoring tools send it.
pub fn parse_status(s: &str) -> Option<Status> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "up" | "ok" | "healthy" | "success" | "0" => Some(Status::Up),
        "degraded" | "warning" | "warn" | "1" => Some(Status::Degraded),
        "down" | "unhealthy" | "error" | "fail" | "failed" | "critical" | "2" => Some(Status::Down),
        _ => None,
    }
}

/// A push's message: one line, bounded, control characters dropped.
pub fn clean_message(m: &str) -> Option<String> {
    let text: String = m
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PushSpec {
        PushSpec {
            token: crate::config::SecretRef {
                secret: "push-x".into(),
            },
            period: Duration::from_secs(900),
            grace: Duration::from_secs(60),
        }
    }

    #[test]
    fn on_time_late_and_never() {
        let pushes = Pushes::default();
        let t0 = 1_000_000_000_000;
        let o = evaluate(&spec(), &pushes, "job", t0);
        assert_eq!(o.status, Status::Unknown);
        assert!(
            o.message.starts_with("waiting for the first push"),
            "{}",
            o.message
        );
        let o = evaluate(&spec(), &pushes, "job", t0 + 962_000);
        assert_eq!(o.status, Status::Down, "{o:?}");
        assert!(
            o.message.contains("no push received in 16m 2s"),
            "{}",
            o.message
        );

        pushes.record(
            "job",
            LastPush {
                at_ms: t0 + 1_000_000,
                status: Status::Up,
                message: Some("42 invoices".into()),
            },
        );
        let o = evaluate(&spec(), &pushes, "job", t0 + 1_120_000);
        assert_eq!(o.status, Status::Up);
        assert_eq!(o.message, "last push 2m ago: 42 invoices");
        assert_eq!(o.details["state"], "on-time");

        let o = evaluate(&spec(), &pushes, "job", t0 + 1_000_000 + 961_000);
        assert_eq!(o.status, Status::Down);
        assert_eq!(
            o.message,
            "last push 16m 1s ago; expected every 15m (+1m grace)"
        );

        pushes.record(
            "job",
            LastPush {
                at_ms: t0 + 3_000_000,
                status: Status::Down,
                message: None,
            },
        );
        assert_eq!(
            evaluate(&spec(), &pushes, "job", t0 + 3_000_500).status,
            Status::Down
        );
    }

    #[test]
    fn a_restart_resumes_from_the_stored_push() {
        let pushes = Pushes::default();
        pushes.record(
            "job",
            LastPush {
                at_ms: 1_700_000_000_000,
                status: Status::Degraded,
                message: Some("slow".into()),
            },
        );
        let o = evaluate(&spec(), &pushes, "job", 1_700_000_060_000);
        let again = Pushes::default();
        again.seed("job", &o.details);
        let o2 = evaluate(&spec(), &again, "job", 1_700_000_060_000);
        assert_eq!(o, o2);
    }

    #[test]
    fn statuses_and_messages_from_callers() {
        assert_eq!(parse_status("OK"), Some(Status::Up));
        assert_eq!(parse_status("down"), Some(Status::Down));
        assert_eq!(parse_status("warning"), Some(Status::Degraded));
        assert_eq!(parse_status("purple"), None);
        assert_eq!(
            clean_message("  line\nbreak\u{7} "),
            Some("line break".into())
        );
        assert_eq!(
            clean_message(&"x".repeat(900)).unwrap().len(),
            MAX_MESSAGE_CHARS
        );
        assert_eq!(clean_message(" \n"), None);
    }
}
