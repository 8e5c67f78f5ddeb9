//! Alerting: `[alerting]` defaults, `[[channel]]` (where notifications go), `[[route]]` (which
//! results go where) and `[[maintenance]]` (when alerts are held back).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::de::DeTable;
use ts_rs::TS;

use super::locate::{self, Seg};
use super::{HeaderValue, SecretRef};

/// How loudly an alert is raised. Set per environment (Live pages more loudly than Dev) and
/// per check.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
    TS,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// What raises an alert.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, JsonSchema, TS, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum AlertOn {
    /// A result confirmed down.
    Down,
    /// A result confirmed degraded.
    Degraded,
    /// A result whose state cannot be known (a broker that cannot be asked).
    Unknown,
    /// A result that alerted before is up again.
    Recovery,
}

/// `[alerting]`: defaults for every route.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// Which transitions alert.
    pub on: Vec<AlertOn>,
    /// While a result stays failed and nobody acknowledged it, remind this often; `0s` sends
    /// no reminders.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub reminder: Duration,
    /// Failures arriving less than this apart are gathered into one notification.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub group_wait: Duration,
    /// A notification of gathered failures goes out at the latest this long after the first.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub group_max: Duration,
    /// Severity of checks whose environment sets none.
    pub severity: Severity,
    /// Address of the console people open from a notification
    /// (`https://opsdeck.example.com`); notifications then link each result's page.
    pub console_url: Option<String>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            on: vec![
                AlertOn::Down,
                AlertOn::Degraded,
                AlertOn::Unknown,
                AlertOn::Recovery,
            ],
            reminder: Duration::from_secs(30 * 60),
            // Checks run on their own schedules, so the failures of one outage reach the alerter
            // spread over an interval: a group stays open while they keep coming less than
            // `group_wait` apart, and goes out that long after the last one.
            group_wait: Duration::from_secs(2),
            group_max: Duration::from_secs(60),
            severity: Severity::Warning,
            console_url: None,
        }
    }
}

/// One place notifications go (`[[channel]]`).
#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq)]
pub struct Channel {
    #[serde(flatten)]
    pub common: ChannelCommon,
    #[serde(flatten)]
    pub spec: ChannelSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ChannelCommon {
    /// Slug, unique across channels; routes name channels by it.
    pub id: String,
    /// Display name; defaults to the id.
    pub name: Option<String>,
    /// Most time one delivery attempt may take.
    #[serde(default = "default_send_timeout", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub timeout: Duration,
    #[serde(default = "super::default_true")]
    pub enabled: bool,
}

fn default_send_timeout() -> Duration {
    Duration::from_secs(15)
}

impl Channel {
    pub fn id(&self) -> &str {
        &self.common.id
    }

    pub fn display_name(&self) -> &str {
        self.common.name.as_deref().unwrap_or(&self.common.id)
    }

    /// Keychain entries this channel reads.
    pub fn secret_refs(&self) -> Vec<&SecretRef> {
        match &self.spec {
            ChannelSpec::Email(e) => e.password.iter().collect(),
            ChannelSpec::Teams(w) | ChannelSpec::Slack(w) => vec![&w.url],
            ChannelSpec::Webhook(w) => w
                .url_secret
                .iter()
                .chain(w.headers.values().filter_map(|v| match v {
                    HeaderValue::Secret(s) => Some(s),
                    HeaderValue::Literal(_) => None,
                }))
                .collect(),
            ChannelSpec::Desktop(_) => Vec::new(),
        }
    }
}

/// The kind of a channel, chosen by `type`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ChannelSpec {
    /// E-mail over SMTP.
    Email(EmailChannel),
    /// Microsoft Teams, through a Workflows "post to a channel when a webhook request is
    /// received" flow: an Adaptive Card.
    Teams(WebhookUrl),
    /// A Slack incoming webhook.
    Slack(WebhookUrl),
    /// Any HTTP endpoint: a documented JSON payload.
    Webhook(WebhookChannel),
    /// A notification on the desktop of whoever runs the opsdeck desktop app.
    Desktop(DesktopChannel),
}

impl ChannelSpec {
    pub const TYPES: &'static [&'static str] = &["email", "teams", "slack", "webhook", "desktop"];

    pub fn type_name(&self) -> &'static str {
        match self {
            ChannelSpec::Email(_) => "email",
            ChannelSpec::Teams(_) => "teams",
            ChannelSpec::Slack(_) => "slack",
            ChannelSpec::Webhook(_) => "webhook",
            ChannelSpec::Desktop(_) => "desktop",
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// TLS from the first byte (SMTPS, port 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS, which must be offered (port 587).
    #[default]
    Starttls,
    /// No TLS at all: only for a relay on the same machine or a trusted network (port 25).
    None,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmailChannel {
    /// SMTP server name.
    pub host: String,
    /// Default: 465 for `implicit`, 587 for `starttls`, 25 for `none`.
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    /// SMTP login; without it, mail is sent without authentication.
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    /// Sender, e.g. `opsdeck <opsdeck@example.com>`.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// PEM file of a CA to trust besides the system's (an internal CA); relative to the
    /// config file.
    pub ca_file: Option<std::path::PathBuf>,
}

impl EmailChannel {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Implicit => 465,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::None => 25,
        })
    }
}

/// A webhook whose URL is itself the credential (Teams Workflows and Slack URLs carry their
/// signature), so it lives in the keychain.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookUrl {
    pub url: SecretRef,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookChannel {
    /// Where the JSON is posted. Write `url_secret` instead when the URL holds a token.
    pub url: Option<String>,
    /// Keychain entry holding the whole URL.
    pub url_secret: Option<SecretRef>,
    /// Extra request headers; values may be keychain references.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderValue>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DesktopChannel {}

/// Which results a route or a maintenance window covers. Every list that is not empty must
/// match; all empty covers everything.
#[derive(Clone, Copy, Debug)]
pub struct Selector<'a> {
    /// Result ids or glob patterns over them (`erp-mq/*`, `fsw-*`).
    pub checks: &'a [String],
    /// Environment ids.
    pub environments: &'a [String],
    /// Tags; a check with any of them matches.
    pub tags: &'a [String],
}

/// `[[route]]`: where the alerts of some results go.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Result ids or glob patterns over them (`erp-mq/*`, `fsw-*`); empty: any.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Environment ids; empty: any.
    #[serde(default)]
    pub environments: Vec<String>,
    /// Tags (a check with any of them matches); empty: any.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only alerts at least this severe.
    pub min_severity: Option<Severity>,
    /// Channel ids.
    pub channels: Vec<String>,
    /// Overrides `alerting.on` for these results.
    pub on: Option<Vec<AlertOn>>,
    /// Overrides `alerting.reminder` for these results.
    #[serde(default, with = "humantime_serde::option")]
    #[schemars(with = "Option<String>")]
    pub reminder: Option<Duration>,
}

/// How a maintenance window repeats.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Repeat {
    /// Once.
    #[default]
    Never,
    Daily,
    /// On `days` (default: the weekday of `start`).
    Weekly,
    /// On the day of the month of `start` (months without that day are skipped).
    Monthly,
}

/// `[[maintenance]]`: a time when alerts of some results are held back.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Maintenance {
    /// Slug, unique across maintenance windows.
    pub id: String,
    pub name: Option<String>,
    /// Result ids or glob patterns over them (`erp-mq/*`, `fsw-*`); empty: any.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Environment ids; empty: any.
    #[serde(default)]
    pub environments: Vec<String>,
    /// Tags (a check with any of them matches); empty: any.
    #[serde(default)]
    pub tags: Vec<String>,
    /// First start, as a wall-clock time in `time_zone`: `2026-12-06T22:00`.
    pub start: String,
    /// How long each window lasts (elapsed time).
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub duration: Duration,
    /// IANA time zone of `start`, e.g. `Europe/London`; default: the machine's.
    pub time_zone: Option<String>,
    #[serde(default)]
    pub repeat: Repeat,
    /// With `repeat = "weekly"`: `mon` … `sun`.
    #[serde(default)]
    pub days: Vec<String>,
    /// Last day a repeating window may start on (`2027-06-30`), in `time_zone`.
    pub until: Option<String>,
}

impl Route {
    pub fn selector(&self) -> Selector<'_> {
        Selector {
            checks: &self.checks,
            environments: &self.environments,
            tags: &self.tags,
        }
    }
}

impl Maintenance {
    pub fn selector(&self) -> Selector<'_> {
        Selector {
            checks: &self.checks,
            environments: &self.environments,
            tags: &self.tags,
        }
    }

    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A weekday as `days` takes it.
pub fn weekday(name: &str) -> Option<jiff::civil::Weekday> {
    use jiff::civil::Weekday::*;
    Some(match name.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Monday,
        "tue" | "tuesday" => Tuesday,
        "wed" | "wednesday" => Wednesday,
        "thu" | "thursday" => Thursday,
        "fri" | "friday" => Friday,
        "sat" | "saturday" => Saturday,
        "sun" | "sunday" => Sunday,
        _ => return None,
    })
}

/// `start` of a maintenance window: a wall-clock date and time, `T` or a space between.
pub fn civil_start(text: &str) -> Result<jiff::civil::DateTime, String> {
    text.trim()
        .replacen(' ', "T", 1)
        .parse::<jiff::civil::DateTime>()
        .map_err(|_| {
            format!("`{text}` is not a date and time; write it as `2026-12-06T22:00` (wall-clock time in `time_zone`, no offset)")
        })
}

/// `time_zone` of a maintenance window; none is the machine's.
pub fn zone(name: Option<&str>) -> Result<jiff::tz::TimeZone, String> {
    match name {
        None => Ok(jiff::tz::TimeZone::system()),
        Some(n) => jiff::tz::TimeZone::get(n).map_err(|_| {
            format!(
                "`{n}` is not a known IANA time zone; write one such as `Europe/London` or `UTC`"
            )
        }),
    }
}

impl<'a> super::Loader<'a> {
    pub(super) fn validate_alerting(&mut self, config: &super::Config, root: &DeTable<'a>) {
        let at = |table: &'static str, i: usize, k: &'static str| {
            locate::span(root, &[Seg::Key(table), Seg::Index(i), Seg::Key(k)])
        };
        let a = &config.alerting;
        if a.group_max < a.group_wait {
            self.problem(
                locate::span(root, &[Seg::Key("alerting"), Seg::Key("group_max")]),
                Some("alerting.group_max".into()),
                "must not be shorter than `group_wait`".into(),
            );
        }
        if let Some(url) = &a.console_url {
            self.base_url_at(
                locate::span(root, &[Seg::Key("alerting"), Seg::Key("console_url")]),
                Some("alerting.console_url".into()),
                url,
            );
        }
        let mut ids = HashSet::new();
        for (i, c) in config.channel.iter().enumerate() {
            let key = |k: &str| Some(format!("channel[{i}].{k}"));
            if !super::is_slug(c.id()) {
                self.problem(
                    at("channel", i, "id"),
                    key("id"),
                    format!(
                        "`{}` is not a valid id: use lower-case letters, digits, `-`, `_` and `.`",
                        c.id()
                    ),
                );
            }
            if !ids.insert(c.id()) {
                self.problem(
                    at("channel", i, "id"),
                    key("id"),
                    format!("duplicate channel id `{}`", c.id()),
                );
            }
            if c.common.timeout.is_zero() {
                self.problem(
                    at("channel", i, "timeout"),
                    key("timeout"),
                    "must be more than 0s".into(),
                );
            }
            match &c.spec {
                ChannelSpec::Email(e) => {
                    if e.host.trim().is_empty() {
                        self.problem(at("channel", i, "host"), key("host"), "must name the SMTP server".into());
                    }
                    if e.username.is_some() != e.password.is_some() {
                        self.problem(
                            at("channel", i, "username"),
                            key("username"),
                            "an SMTP login needs both `username` and `password`".into(),
                        );
                    }
                    if e.to.is_empty() {
                        self.problem(at("channel", i, "to"), key("to"), "needs at least one recipient".into());
                    }
                    for (field, list) in [("from", std::slice::from_ref(&e.from)), ("to", &e.to[..]), ("cc", &e.cc[..])] {
                        for address in list {
                            if let Err(why) = mailbox(address) {
                                self.problem(at("channel", i, field), key(field), why);
                            }
                        }
                    }
                }
                ChannelSpec::Webhook(w) => match (&w.url, &w.url_secret) {
                    (Some(url), None) => self.base_url_at(at("channel", i, "url"), key("url"), url),
                    (None, Some(_)) => {}
                    _ => self.problem(
                        locate::span(root, &[Seg::Key("channel"), Seg::Index(i)]),
                        key("url"),
                        "give exactly one of `url` and `url_secret` (the keychain entry holding a URL that carries a token)".into(),
                    ),
                },
                ChannelSpec::Teams(_) | ChannelSpec::Slack(_) | ChannelSpec::Desktop(_) => {}
            }
        }
        let env_ids: Vec<&str> = config.environment.iter().map(|e| e.id.as_str()).collect();
        let channel_ids: Vec<&str> = config.channel.iter().map(Channel::id).collect();
        for (i, r) in config.route.iter().enumerate() {
            self.selector(root, "route", i, r.selector(), &env_ids);
            if r.channels.is_empty() {
                self.problem(
                    at("route", i, "channels"),
                    Some(format!("route[{i}].channels")),
                    "needs at least one channel".into(),
                );
            }
            for c in &r.channels {
                if !channel_ids.contains(&c.as_str()) {
                    let hint = super::did_you_mean(c, channel_ids.iter().copied())
                        .map(|b| format!("; did you mean `{b}`?"))
                        .unwrap_or_default();
                    self.problem(
                        at("route", i, "channels"),
                        Some(format!("route[{i}].channels")),
                        format!("unknown channel `{c}`{hint}"),
                    );
                }
            }
        }
        let mut ids = HashSet::new();
        for (i, m) in config.maintenance.iter().enumerate() {
            let key = |k: &str| Some(format!("maintenance[{i}].{k}"));
            if !super::is_slug(&m.id) {
                self.problem(
                    at("maintenance", i, "id"),
                    key("id"),
                    format!(
                        "`{}` is not a valid id: use lower-case letters, digits, `-`, `_` and `.`",
                        m.id
                    ),
                );
            }
            if !ids.insert(m.id.as_str()) {
                self.problem(
                    at("maintenance", i, "id"),
                    key("id"),
                    format!("duplicate maintenance id `{}`", m.id),
                );
            }
            self.selector(root, "maintenance", i, m.selector(), &env_ids);
            if let Err(why) = civil_start(&m.start) {
                self.problem(at("maintenance", i, "start"), key("start"), why);
            }
            if let Err(why) = zone(m.time_zone.as_deref()) {
                self.problem(at("maintenance", i, "time_zone"), key("time_zone"), why);
            }
            if m.duration.is_zero() {
                self.problem(
                    at("maintenance", i, "duration"),
                    key("duration"),
                    "must be more than 0s".into(),
                );
            }
            if !m.days.is_empty() && m.repeat != Repeat::Weekly {
                self.problem(
                    at("maintenance", i, "days"),
                    key("days"),
                    "`days` goes with `repeat = \"weekly\"`".into(),
                );
            }
            for d in &m.days {
                if weekday(d).is_none() {
                    self.problem(at("maintenance", i, "days"), key("days"), format!("`{d}` is not a weekday; write `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`"));
                }
            }
            if let Some(u) = &m.until {
                if u.parse::<jiff::civil::Date>().is_err() {
                    self.problem(
                        at("maintenance", i, "until"),
                        key("until"),
                        format!("`{u}` is not a date; write it as `2027-06-30`"),
                    );
                }
            }
        }
        self.validate_dependencies(config, root);
    }

    /// `checks`, `environments` and `tags` of a route or a maintenance window.
    fn selector(
        &mut self,
        root: &DeTable<'a>,
        table: &'static str,
        i: usize,
        s: Selector<'_>,
        env_ids: &[&str],
    ) {
        for pattern in s.checks {
            if let Err(why) = super::glob(pattern) {
                self.problem(
                    locate::span(root, &[Seg::Key(table), Seg::Index(i), Seg::Key("checks")]),
                    Some(format!("{table}[{i}].checks")),
                    why,
                );
            }
        }
        for env in s.environments {
            if !env_ids.contains(&env.as_str()) {
                let hint = super::did_you_mean(env, env_ids.iter().copied())
                    .map(|b| format!("; did you mean `{b}`?"))
                    .unwrap_or_default();
                self.problem(
                    locate::span(
                        root,
                        &[Seg::Key(table), Seg::Index(i), Seg::Key("environments")],
                    ),
                    Some(format!("{table}[{i}].environments")),
                    format!("unknown environment `{env}`{hint}"),
                );
            }
        }
    }

    /// `depends_on` names other checks, and never leads back to the check itself.
    fn validate_dependencies(&mut self, config: &super::Config, root: &DeTable<'a>) {
        let ids: Vec<&str> = config.check.iter().map(|c| c.id()).collect();
        for (i, check) in config.check.iter().enumerate() {
            let at = locate::span(
                root,
                &[Seg::Key("check"), Seg::Index(i), Seg::Key("depends_on")],
            );
            let key = Some(format!("check[{i}].depends_on"));
            for parent in &check.common.depends_on {
                if !ids.contains(&parent.as_str()) {
                    let hint = super::did_you_mean(parent, ids.iter().copied())
                        .map(|b| format!("; did you mean `{b}`?"))
                        .unwrap_or_default();
                    self.problem(
                        at.clone(),
                        key.clone(),
                        format!("unknown check `{parent}`{hint}"),
                    );
                }
            }
            if let Some(path) = cycle_from(config, check.id()) {
                self.problem(
                    at,
                    key,
                    format!(
                        "checks cannot depend on each other in a circle: {}",
                        path.join(" → ")
                    ),
                );
            }
        }
    }
}

/// A path of `depends_on` from `start` back to `start`, if there is one.
fn cycle_from<'c>(config: &'c super::Config, start: &'c str) -> Option<Vec<&'c str>> {
    fn walk<'c>(
        config: &'c super::Config,
        at: &'c str,
        start: &str,
        path: &mut Vec<&'c str>,
        seen: &mut HashSet<&'c str>,
    ) -> bool {
        let Some(check) = config.check.iter().find(|c| c.id() == at) else {
            return false;
        };
        for parent in &check.common.depends_on {
            if parent == start {
                path.push(parent);
                return true;
            }
            if seen.insert(parent) {
                path.push(parent);
                if walk(config, parent, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start];
    let mut seen = HashSet::new();
    walk(config, start, start, &mut path, &mut seen).then_some(path)
}

/// An address as `from`, `to` and `cc` take it: `name@example.com` or
/// `Support <support@example.com>`.
pub fn mailbox(text: &str) -> Result<lettre::message::Mailbox, String> {
    text.parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("`{text}` is not an e-mail address ({e}); write `name@example.com` or `Name <name@example.com>`"))
}
