//! `/metrics` in the OpenMetrics text format, built at scrape time from the engine's current
//! view, so a removed check disappears from the next scrape instead of lingering.

use opsdeck_core::api::Api;
use opsdeck_core::status::Status;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

type Labels = Vec<(String, String)>;

pub fn render(api: &Api) -> String {
    let mut registry = Registry::with_prefix("opsdeck");
    let status = Family::<Labels, Gauge>::default();
    let up = Family::<Labels, Gauge>::default();
    let latency = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    let last = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    registry.register(
        "check_status",
        "Confirmed status of a check: 0 up, 1 degraded, 2 down, 3 unknown",
        status.clone(),
    );
    registry.register(
        "check_up",
        "1 when the check's confirmed status is up or degraded, else 0",
        up.clone(),
    );
    registry.register(
        "check_latency_seconds",
        "Latency of the newest result",
        latency.clone(),
    );
    registry.register(
        "check_last_run_timestamp_seconds",
        "Unix time of the newest result",
        last.clone(),
    );
    for v in api.engine().views() {
        let labels: Labels = vec![
            ("check".into(), label_value(&v.id)),
            ("name".into(), label_value(&v.name)),
            (
                "environment".into(),
                label_value(v.environment.as_deref().unwrap_or_default()),
            ),
            ("type".into(), label_value(&v.check_type)),
        ];
        status.get_or_create(&labels).set(v.status.to_code());
        up.get_or_create(&labels)
            .set(i64::from(matches!(v.status, Status::Up | Status::Degraded)));
        if let Some(ms) = v.latency_ms {
            latency.get_or_create(&labels).set(ms as f64 / 1000.0);
        }
        if let Some(t) = v
            .checked_at
            .as_deref()
            .and_then(opsdeck_core::time_fmt::parse_rfc3339_ms)
        {
            last.get_or_create(&labels).set(t as f64 / 1000.0);
        }
    }
    let stored: Counter = Counter::default();
    stored.inc_by(api.engine().stored_count());
    registry.register(
        "results_stored",
        "Results committed to the database since start",
        stored,
    );
    let mut out = String::new();
    if encode(&mut out, &registry).is_err() {
        out.clear();
    }
    out
}

/// The text format's escaping of a label value, which the encoder leaves to its caller: queue
/// names, Prometheus series labels and check names are free text, and one unescaped `"` or line
/// break would make the whole scrape unparseable, not just its own line.
fn label_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::label_value;

    #[test]
    fn label_values_escape_what_the_text_format_requires() {
        assert_eq!(label_value("orders"), "orders");
        assert_eq!(label_value(r#"a"b"#), r#"a\"b"#);
        assert_eq!(label_value(r"C:\dir\"), r"C:\\dir\\");
        assert_eq!(label_value("two\nlines"), r"two\nlines");
    }
}
