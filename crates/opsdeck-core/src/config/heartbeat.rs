//! Heartbeats: `type = "heartbeat-file"` (a file a service keeps touching or writing a time
//! into) and `type = "push"` (a service calls opsdeck at `/api/push/{token}`).

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretRef;

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatFileSpec {
    /// Local or UNC path, e.g. `\\fileserver\logs\ap-automation\heartbeat.txt`.
    pub path: PathBuf,
    /// The last beat must be younger than this, or the check is down.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub max_age: Duration,
    /// A beat older than this (but within `max_age`) is degraded.
    #[serde(default, with = "humantime_serde::option")]
    #[schemars(with = "Option<String>")]
    pub warn_age: Option<Duration>,
    /// Where the time of the last beat comes from.
    #[serde(default)]
    pub timestamp: BeatSource,
    /// With `timestamp = "format"`: a strftime pattern for the time written in the file, e.g.
    /// `%d/%m/%Y %H:%M:%S`.
    pub format: Option<String>,
    /// IANA time zone of times written without an offset, e.g. `Europe/London`; default: the
    /// time zone of the machine opsdeck runs on.
    pub time_zone: Option<String>,
    /// A beat this far in the future is accepted as "now" (clocks of two machines differ a
    /// little); further ahead is degraded.
    #[serde(default = "default_skew", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub max_clock_skew: Duration,
}

fn default_skew() -> Duration {
    Duration::from_secs(120)
}

/// Where a heartbeat file's time is read from.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BeatSource {
    /// The file's modification time.
    #[default]
    Mtime,
    /// An ISO 8601 / RFC 3339 time written in the file, e.g. `2026-12-04T09:30:00+01:00`.
    Iso8601,
    /// Unix seconds (or milliseconds, when the number is that large) written in the file.
    Unix,
    /// A time written in the file in the pattern given by `format`.
    Format,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PushSpec {
    /// Keychain entry holding this check's push token (the secret part of its push URL).
    pub token: SecretRef,
    /// A push is expected at least this often.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub period: Duration,
    /// Extra time allowed after `period` before the check is down.
    #[serde(default = "default_grace", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub grace: Duration,
}

fn default_grace() -> Duration {
    Duration::from_secs(60)
}
