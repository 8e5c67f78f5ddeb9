//! Which channels hear about a result, on which changes, how often they are reminded, and how
//! loudly: from `[[route]]`, `[alerting]` and the severity of the result's environment.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{glob, AlertOn, Config, Selector, Severity};
use crate::engine::{series_check, CheckView};

/// What a result is, for matching: its id, its check's id, environment and tags.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub id: &'a str,
    pub environment: Option<&'a str>,
    pub tags: &'a [String],
}

impl<'a> Subject<'a> {
    pub fn of(view: &'a CheckView) -> Subject<'a> {
        Subject {
            id: &view.id,
            environment: view.environment.as_deref(),
            tags: &view.tags,
        }
    }
}

/// Whether a route's or maintenance window's selector covers a result. A pattern in `checks`
/// matches the result id (`erp-mq/erp.orders`) or its check's id (`erp-mq`, for all its
/// queues).
pub fn covers(s: Selector<'_>, subject: Subject<'_>) -> bool {
    let check = series_check(subject.id);
    let id_ok = s.checks.is_empty()
        || s.checks.iter().any(|p| {
            p == subject.id
                || p == check
                || glob(p).is_ok_and(|g| g.is_match(subject.id) || g.is_match(check))
        });
    let env_ok = s.environments.is_empty()
        || subject
            .environment
            .is_some_and(|e| s.environments.iter().any(|x| x == e));
    let tag_ok = s.tags.is_empty() || s.tags.iter().any(|t| subject.tags.contains(t));
    id_ok && env_ok && tag_ok
}

/// How loudly a result's alerts are raised: its check's severity, else its environment's,
/// else `alerting.severity`.
pub fn severity(config: &Config, subject: Subject<'_>) -> Severity {
    let check = config
        .check
        .iter()
        .find(|c| c.id() == series_check(subject.id));
    check
        .and_then(|c| c.common.severity)
        .or_else(|| {
            subject
                .environment
                .and_then(|e| config.environment(e))
                .and_then(|e| e.severity)
        })
        .unwrap_or(config.alerting.severity)
}

/// One channel a result's alerts go to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub channel: String,
    pub on: Vec<AlertOn>,
    /// `None`: no reminders.
    pub reminder: Option<Duration>,
}

/// The channels a result's alerts go to. Without any `[[route]]`, every enabled channel with
/// the `[alerting]` defaults; with routes, the channels of every route that covers it (a
/// channel named by two routes takes the changes of both and the shorter reminder).
pub fn targets(config: &Config, subject: Subject<'_>, severity: Severity) -> Vec<Target> {
    let enabled = |id: &str| {
        config
            .channel
            .iter()
            .any(|c| c.id() == id && c.common.enabled)
    };
    let defaults = &config.alerting;
    let reminder = |r: Duration| (!r.is_zero()).then_some(r);
    if config.route.is_empty() {
        return config
            .channel
            .iter()
            .filter(|c| c.common.enabled)
            .map(|c| Target {
                channel: c.id().to_string(),
                on: defaults.on.clone(),
                reminder: reminder(defaults.reminder),
            })
            .collect();
    }
    let mut out: BTreeMap<String, Target> = BTreeMap::new();
    for route in &config.route {
        if route.min_severity.is_some_and(|m| severity < m) || !covers(route.selector(), subject) {
            continue;
        }
        let on = route.on.clone().unwrap_or_else(|| defaults.on.clone());
        let every = reminder(route.reminder.unwrap_or(defaults.reminder));
        for channel in route.channels.iter().filter(|c| enabled(c)) {
            let t = out.entry(channel.clone()).or_insert_with(|| Target {
                channel: channel.clone(),
                on: Vec::new(),
                reminder: every,
            });
            for o in &on {
                if !t.on.contains(o) {
                    t.on.push(*o);
                }
            }
            t.reminder = match (t.reminder, every) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESTATE: &str = r#"
[[environment]]
id = "live"
name = "Live"
severity = "critical"

[[environment]]
id = "dev"
name = "Dev"
severity = "info"

[[check]]
id = "erp-mq"
environment = "live"
type = "http"
url = "http://mq"
tags = ["queues"]

[[check]]
id = "fsw-dev"
environment = "dev"
type = "http"
url = "http://fsw"

[[channel]]
id = "mail"
type = "email"
host = "smtp.example.com"
from = "opsdeck@example.com"
to = ["support@example.com"]

[[channel]]
id = "teams"
type = "teams"
url = { secret = "teams-hook" }

[[route]]
environments = ["live"]
channels = ["mail", "teams"]
reminder = "15m"

[[route]]
checks = ["erp-mq/*"]
channels = ["mail"]
on = ["down", "recovery"]
reminder = "1h"

[[route]]
min_severity = "warning"
channels = ["teams"]
"#;

    fn subject<'a>(id: &'a str, env: &'a str, tags: &'a [String]) -> Subject<'a> {
        Subject {
            id,
            environment: Some(env),
            tags,
        }
    }

    #[test]
    fn routes_pick_channels_by_environment_pattern_and_severity() {
        let config = Config::parse(ESTATE, "t.toml").expect("valid");
        let tags = vec!["queues".to_string()];
        let queue = subject("erp-mq/erp.orders", "live", &tags);
        assert_eq!(severity(&config, queue), Severity::Critical);
        let t = targets(&config, queue, Severity::Critical);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].channel, "mail");
        assert_eq!(
            t[0].reminder,
            Some(Duration::from_secs(15 * 60)),
            "the shorter"
        );
        assert_eq!(t[1].channel, "teams");
        let dev = subject("fsw-dev", "dev", &[]);
        assert_eq!(severity(&config, dev), Severity::Info);
        assert!(
            targets(&config, dev, Severity::Info).is_empty(),
            "info is below every route"
        );
    }

    #[test]
    fn without_routes_every_channel_hears_everything() {
        let text = ESTATE.split("[[route]]").next().expect("the estate");
        let config = Config::parse(text, "t.toml").expect("valid");
        let t = targets(&config, subject("fsw-dev", "dev", &[]), Severity::Info);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].reminder, Some(Duration::from_secs(30 * 60)));
    }
}
