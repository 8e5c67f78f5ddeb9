//! `type = "rabbitmq"`: the queues of one RabbitMQ broker (or cluster), through its management
//! HTTP API.

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretRef;

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RabbitmqSpec {
    /// Management API base, e.g. `http://mq.example.com:15672`.
    pub url: String,
    /// Further nodes of the same cluster, tried in order when `url` does not answer.
    #[serde(default)]
    pub fallback_urls: Vec<String>,
    /// The virtual host to watch; without it, every vhost the user may see.
    pub vhost: Option<String>,
    /// Glob patterns of queue names to watch (`*` and `?`); empty means every queue.
    #[serde(default)]
    pub queues: Vec<String>,
    /// Glob patterns of queue names to leave out, e.g. `amq.gen-*` for server-named queues.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Management user (a user tagged `monitoring` is enough), with `password`.
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    /// OAuth 2 access token sent as `Authorization: Bearer …`, instead of a user and password.
    pub bearer_token: Option<SecretRef>,
    /// Extra CA certificate (PEM) for a management API served over HTTPS by an internal CA.
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub tls_insecure: bool,
    /// Thresholds for every watched queue (`per_queue` entries override them):
    /// more messages than this is degraded while the queue drains, down while it grows or is
    /// stalled. For a dead-letter queue, more than this is down (any message is degraded).
    pub max_depth: Option<u64>,
    /// Messages waiting and nothing delivered or acknowledged for this long is `stalled`
    /// (down). Default 10 minutes.
    #[serde(default, with = "humantime_serde::option")]
    #[schemars(with = "Option<String>")]
    pub stalled_after: Option<Duration>,
    /// Fewer consumers than this is degraded; none while messages wait is down. Default 1;
    /// dead-letter queues default to 0.
    pub min_consumers: Option<u32>,
    /// Thresholds for the queues matching `name` (a glob); the first match wins.
    #[serde(default)]
    pub per_queue: Vec<QueueOverride>,
    /// Queues that hold dead letters, besides those recognised by name (`*.dlq`, `*.dead-letter`,
    /// …) or named as a dead-letter target by another queue's arguments or policy.
    #[serde(default)]
    pub dead_letter_queues: Vec<String>,
    /// Queues asked for per request; the management API allows at most 500.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_page_size() -> u32 {
    500
}

/// What makes a queue degraded or down: the check's own keys, or a `per_queue` entry's.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueueThresholds {
    pub max_depth: Option<u64>,
    pub stalled_after: Option<Duration>,
    pub min_consumers: Option<u32>,
}

impl RabbitmqSpec {
    pub fn thresholds(&self) -> QueueThresholds {
        QueueThresholds {
            max_depth: self.max_depth,
            stalled_after: self.stalled_after,
            min_consumers: self.min_consumers,
        }
    }
}

impl QueueOverride {
    pub fn thresholds(&self) -> QueueThresholds {
        QueueThresholds {
            max_depth: self.max_depth,
            stalled_after: self.stalled_after,
            min_consumers: self.min_consumers,
        }
    }
}

impl QueueThresholds {
    pub const DEFAULT_STALLED_AFTER: Duration = Duration::from_secs(600);

    /// `self`, with what it leaves unset taken from `base`.
    pub fn over(&self, base: &QueueThresholds) -> QueueThresholds {
        QueueThresholds {
            max_depth: self.max_depth.or(base.max_depth),
            stalled_after: self.stalled_after.or(base.stalled_after),
            min_consumers: self.min_consumers.or(base.min_consumers),
        }
    }
}

/// `[[check.per_queue]]`: thresholds for some queues of a broker.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueOverride {
    /// Glob pattern of queue names.
    pub name: String,
    /// More messages than this is degraded while the queue drains, down while it grows or is
    /// stalled. For a dead-letter queue, more than this is down (any message is degraded).
    pub max_depth: Option<u64>,
    /// Messages waiting and nothing delivered or acknowledged for this long is `stalled`
    /// (down). Default 10 minutes.
    #[serde(default, with = "humantime_serde::option")]
    #[schemars(with = "Option<String>")]
    pub stalled_after: Option<Duration>,
    /// Fewer consumers than this is degraded; none while messages wait is down. Default 1;
    /// dead-letter queues default to 0.
    pub min_consumers: Option<u32>,
}
