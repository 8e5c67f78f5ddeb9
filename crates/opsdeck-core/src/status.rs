//! The four statuses every check reports, and one check's result.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Health of one checked thing.
///
/// Ordering is by severity (`Up` < `Degraded` < `Unknown` < `Down`), so "worst" is `max()`.
/// `Unknown` ranks below `Down`: a check we could not evaluate (missing credential, config
/// problem) must not hide a service we know is down.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, TS, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Up,
    Degraded,
    Down,
    #[default]
    Unknown,
}

impl Status {
    fn severity(self) -> u8 {
        match self {
            Status::Up => 0,
            Status::Degraded => 1,
            Status::Unknown => 2,
            Status::Down => 3,
        }
    }

    /// Exit code in the monitoring-plugin convention (Nagios/Icinga).
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Up => 0,
            Status::Degraded => 1,
            Status::Down => 2,
            Status::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Degraded => "degraded",
            Status::Down => "down",
            Status::Unknown => "unknown",
        }
    }

    /// Compact integer form used by the store.
    pub fn to_code(self) -> i64 {
        match self {
            Status::Up => 0,
            Status::Degraded => 1,
            Status::Down => 2,
            Status::Unknown => 3,
        }
    }

    pub fn from_code(code: i64) -> Status {
        match code {
            0 => Status::Up,
            1 => Status::Degraded,
            2 => Status::Down,
            _ => Status::Unknown,
        }
    }

    pub fn is_failure(self) -> bool {
        !matches!(self, Status::Up)
    }
}

impl PartialOrd for Status {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Status {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.severity().cmp(&other.severity())
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a probe found, before it is attributed to a check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeOutcome {
    pub status: Status,
    pub latency_ms: Option<u64>,
    pub message: String,
    pub details: serde_json::Value,
}

impl ProbeOutcome {
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        ProbeOutcome {
            status,
            latency_ms: None,
            message: message.into(),
            details: serde_json::Value::Object(Default::default()),
        }
    }
}

/// One result of one check, in the shape of the `--format json` contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct CheckResult {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub check_type: String,
    pub environment: Option<String>,
    pub status: Status,
    #[ts(type = "number | null")]
    pub latency_ms: Option<u64>,
    pub message: String,
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
    /// RFC 3339, UTC.
    pub checked_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_is_down_then_unknown_then_degraded() {
        let all = [Status::Up, Status::Degraded, Status::Unknown, Status::Down];
        assert_eq!(all.iter().copied().max(), Some(Status::Down));
        assert_eq!(
            [Status::Up, Status::Unknown, Status::Degraded]
                .iter()
                .copied()
                .max(),
            Some(Status::Unknown)
        );
        assert_eq!(Status::Degraded.exit_code(), 1);
        for s in all {
            assert_eq!(Status::from_code(s.to_code()), s);
        }
    }
}
