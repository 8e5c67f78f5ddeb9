//! `type = "prometheus"`: an instant PromQL query; one result per returned series.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretRef;
use crate::status::Status;

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrometheusSpec {
    /// Prometheus server base, e.g. `http://prometheus.example.com:9090`.
    pub url: String,
    /// PromQL expression evaluated at the moment of the check.
    pub query: String,
    /// Label whose value names each result (`CHECK/VALUE`); default: all labels but
    /// `__name__`, as `name=value,…`.
    pub label: Option<String>,
    /// A value above this is degraded.
    pub degraded_above: Option<f64>,
    /// A value above this is down.
    pub down_above: Option<f64>,
    /// A value below this is degraded.
    pub degraded_below: Option<f64>,
    /// A value below this is down.
    pub down_below: Option<f64>,
    /// Status when the query returns no series (alert-style queries such as
    /// `probe_success == 0` return none when all is well: use `up` for those).
    #[serde(default = "default_empty")]
    pub if_empty: Status,
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    pub bearer_token: Option<SecretRef>,
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub tls_insecure: bool,
}

fn default_empty() -> Status {
    Status::Unknown
}
