//! `type = "prometheus"`: an instant query against a Prometheus server's HTTP API
//! (`/api/v1/query`); one result per returned series, judged by the check's thresholds.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::http::{self, ApiLogin, HttpClients};
use crate::config::PrometheusSpec;
use crate::secret::SecretSource;
use crate::status::{ProbeOutcome, Status};

/// Largest answer read: a query returning more is not a health check.
const MAX_ANSWER_BYTES: u64 = 8 * 1024 * 1024;
/// Most series turned into results; the rest are counted in the message.
const MAX_SERIES: usize = 1000;

#[derive(Debug, Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Value,
}

#[derive(Debug, Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

pub async fn probe(
    clients: &HttpClients,
    secrets: &dyn SecretSource,
    check_id: &str,
    spec: &PrometheusSpec,
    timeout: Duration,
) -> Vec<(String, ProbeOutcome)> {
    let login = ApiLogin {
        username: spec.username.as_ref(),
        password: spec.password.as_ref(),
        bearer_token: spec.bearer_token.as_ref(),
        ca_file: spec.ca_file.as_ref(),
        tls_insecure: spec.tls_insecure,
    };
    let root = spec.url.trim_end_matches('/');
    let host = reqwest::Url::parse(root)
        .map(|u| http::authority(&u))
        .unwrap_or_else(|_| root.to_string());
    let query: String = url::form_urlencoded::byte_serialize(spec.query.as_bytes()).collect();
    // Prometheus stops evaluating at its own timeout a little before ours, and says so.
    let server_timeout = timeout
        .saturating_sub(Duration::from_millis(250))
        .max(Duration::from_millis(500));
    let url = format!(
        "{root}/api/v1/query?query={query}&timeout={}ms",
        server_timeout.as_millis()
    );
    let http_spec = login.spec(url, MAX_ANSWER_BYTES);
    let started = std::time::Instant::now();
    let whole = |mut o: ProbeOutcome| {
        http::redact_credentials(&mut o, secrets, &http_spec);
        vec![(check_id.to_string(), o)]
    };
    let answer = match http::get(clients, secrets, &http_spec, timeout).await {
        Ok(a) => a,
        Err(f) => {
            let mut o = f.into_outcome();
            o.status = Status::Unknown;
            o.message = format!("Prometheus at {host}: {}", o.message);
            return whole(o);
        }
    };
    let latency_ms = started.elapsed().as_millis() as u64;
    let mut outcomes = evaluate(check_id, spec, &host, &answer);
    for (_, o) in &mut outcomes {
        o.latency_ms = Some(latency_ms);
        http::redact_credentials(o, secrets, &http_spec);
    }
    outcomes
}

/// The verdict on an answer of `/api/v1/query`.
pub(crate) fn evaluate(
    check_id: &str,
    spec: &PrometheusSpec,
    host: &str,
    answer: &http::Answer,
) -> Vec<(String, ProbeOutcome)> {
    let whole = |status: Status, message: String, details: Value| {
        let mut o = ProbeOutcome::new(status, message);
        o.details = details;
        vec![(check_id.to_string(), o)]
    };
    if answer.truncated {
        return whole(
            Status::Unknown,
            format!(
                "Prometheus at {host} answered more than {}; narrow the query",
                http::human_bytes(answer.cap)
            ),
            json!({ "error": "too-large" }),
        );
    }
    let envelope: Envelope = match serde_json::from_slice(&answer.body) {
        Ok(e) => e,
        Err(_) if answer.status >= 500 => {
            return whole(
                Status::Unknown,
                format!("Prometheus at {host} is not available (HTTP {})", answer.status),
                json!({ "error": "unavailable", "http_status": answer.status }),
            )
        }
        Err(_) if answer.status == 401 || answer.status == 403 => {
            return whole(
                Status::Unknown,
                format!("Prometheus at {host} refused the request (HTTP {}); check the login", answer.status),
                json!({ "error": "auth" }),
            )
        }
        Err(e) => {
            return whole(
                Status::Unknown,
                format!(
                    "{host} answered HTTP {} with something that is not Prometheus's JSON ({e}); check `url` points at the Prometheus server",
                    answer.status
                ),
                json!({ "error": "invalid" }),
            )
        }
    };
    if envelope.status != "success" {
        let kind = envelope.error_type.unwrap_or_else(|| "error".into());
        let why = envelope.error.unwrap_or_default();
        return whole(
            Status::Unknown,
            format!(
                "Prometheus at {host} could not run the query (HTTP {}, {kind}): {why}",
                answer.status
            ),
            json!({ "error": "query", "error_type": kind, "http_status": answer.status }),
        );
    }
    let Some(data) = envelope.data else {
        return whole(
            Status::Unknown,
            format!("Prometheus at {host} answered without data"),
            json!({ "error": "invalid" }),
        );
    };
    let warnings = envelope.warnings;
    let series: Vec<Series> = match data.result_type.as_str() {
        "vector" => match serde_json::from_value(data.result) {
            Ok(s) => s,
            Err(e) => {
                return whole(Status::Unknown, format!("Prometheus at {host} sent a vector that cannot be read: {e}"), json!({ "error": "invalid" }))
            }
        },
        "scalar" => match serde_json::from_value::<(f64, String)>(data.result) {
            Ok(value) => vec![Series { metric: BTreeMap::new(), value }],
            Err(e) => {
                return whole(Status::Unknown, format!("Prometheus at {host} sent a scalar that cannot be read: {e}"), json!({ "error": "invalid" }))
            }
        },
        other => {
            return whole(
                Status::Unknown,
                format!("the query returns a {other}; a check needs an instant vector or a scalar (drop range selectors such as `[5m]`, or wrap them in a function such as `rate(…)`)"),
                json!({ "error": "result-type", "result_type": other }),
            )
        }
    };
    if series.is_empty() {
        let message = match spec.if_empty {
            Status::Up => "the query returned no series (as expected)".to_string(),
            _ => "the query returned no series".to_string(),
        };
        return whole(
            spec.if_empty,
            message,
            json!({ "series": 0, "query": spec.query, "warnings": warnings }),
        );
    }
    // Prometheus answers series in no set order: sorted by name, the ones kept when there are
    // too many are the same ones every run, rather than a different thousand each time.
    let mut named: Vec<(String, Series)> = series
        .into_iter()
        .map(|s| {
            let thing = thing(spec, &s.metric);
            let id = if thing.is_empty() {
                check_id.to_string()
            } else {
                format!("{check_id}/{thing}")
            };
            (id, s)
        })
        .collect();
    // Stable: of two series with the same name (a `label` not unique among them), the first
    // answered stays first, and is the one kept.
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named.dedup_by(|later, first| later.0 == first.0);
    let total = named.len();
    let mut out: Vec<(String, ProbeOutcome)> = Vec::new();
    for (id, s) in named.into_iter().take(MAX_SERIES) {
        let value: f64 = match s.value.1.as_str() {
            "NaN" => f64::NAN,
            "+Inf" | "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or(f64::NAN),
        };
        let (status, why) = judge(spec, value);
        let shown = show(value);
        let message = match why {
            Some(why) => format!("{shown} ({why})"),
            None => shown.clone(),
        };
        let mut o = ProbeOutcome::new(status, message);
        o.details = json!({
            "value": if value.is_finite() { json!(value) } else { json!(s.value.1) },
            "labels": s.metric,
            "sampled_at": crate::time_fmt::rfc3339_from_ms((s.value.0 * 1000.0) as i64),
            "query": spec.query,
            "thresholds": {
                "degraded_above": spec.degraded_above, "down_above": spec.down_above,
                "degraded_below": spec.degraded_below, "down_below": spec.down_below,
            },
            "warnings": warnings,
        });
        out.push((id, o));
    }
    if total > MAX_SERIES {
        for (_, o) in &mut out {
            if let Value::Object(d) = &mut o.details {
                d.insert("series_left_out".into(), json!(total - MAX_SERIES));
            }
        }
    }
    out
}

/// What names a series' result: the value of `label`, or every label but `__name__`.
fn thing(spec: &PrometheusSpec, labels: &BTreeMap<String, String>) -> String {
    if let Some(l) = &spec.label {
        if let Some(v) = labels.get(l) {
            return v.clone();
        }
    }
    labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn show(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Status of a value against the thresholds, with the threshold it crossed.
pub(crate) fn judge(spec: &PrometheusSpec, v: f64) -> (Status, Option<String>) {
    if v.is_nan() {
        return (Status::Unknown, Some("not a number".into()));
    }
    let checks = [
        (
            spec.down_above.filter(|t| v > *t),
            Status::Down,
            "above",
            spec.down_above,
        ),
        (
            spec.down_below.filter(|t| v < *t),
            Status::Down,
            "below",
            spec.down_below,
        ),
        (
            spec.degraded_above.filter(|t| v > *t),
            Status::Degraded,
            "above",
            spec.degraded_above,
        ),
        (
            spec.degraded_below.filter(|t| v < *t),
            Status::Degraded,
            "below",
            spec.degraded_below,
        ),
    ];
    for (hit, status, side, t) in checks {
        if hit.is_some() {
            let t = t.map(show).unwrap_or_default();
            let word = if status == Status::Down {
                "down"
            } else {
                "degraded"
            };
            return (status, Some(format!("{side} {t}, {word}")));
        }
    }
    (Status::Up, None)
}

#[cfg(test)]
mod tests;
