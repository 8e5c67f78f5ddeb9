//! The estate as configuration: one TOML file, validated at load.
//!
//! Loading walks the spanned TOML tree (`toml::de::DeTable`) rather than deserializing the whole
//! file in one go, for two reasons: each `[[check]]` is deserialized by its `type`, and every
//! error (serde's or ours) can then name the exact line and key instead of the enclosing table.

mod alerting;
mod cab;
mod epicor;
mod heartbeat;
mod locate;
mod prometheus;
mod queues;
mod validate;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use schemars::JsonSchema;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

pub use alerting::{
    civil_start, mailbox, weekday, zone, AlertOn, AlertSettings, Channel, ChannelCommon,
    ChannelSpec, DesktopChannel, EmailChannel, Maintenance, Repeat, Route, Selector, Severity,
    SmtpSecurity, WebhookChannel, WebhookUrl,
};
pub use cab::{CabDestination, CabFlow, CabProvider, CabSettings};
pub use epicor::{
    EpicorApi, EpicorAuth, EpicorEnvironment, EpicorSpec, SqlAuth, SqlEncrypt, SqlServerSettings,
};
pub use heartbeat::{BeatSource, HeartbeatFileSpec, PushSpec};
pub use locate::Position;
pub use prometheus::PrometheusSpec;
pub use queues::{QueueOverride, QueueThresholds, RabbitmqSpec};
pub use validate::glob;

/// The whole estate.
#[derive(Clone, Debug, Default, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schemars(title = "opsdeck configuration")]
pub struct Config {
    /// Engine-wide settings.
    #[serde(default)]
    pub settings: Settings,
    /// Environments (Dev, Test, Live, customer environments) that checks belong to.
    #[serde(default)]
    pub environment: Vec<Environment>,
    /// Everything opsdeck watches.
    #[serde(default)]
    pub check: Vec<Check>,
    /// How `opsdeck serve` lets people in.
    #[serde(default)]
    pub server: ServerSettings,
    /// Defaults for alerts.
    #[serde(default)]
    pub alerting: AlertSettings,
    /// Where notifications go: e-mail, Teams, Slack, webhooks, the desktop.
    #[serde(default)]
    pub channel: Vec<Channel>,
    /// Which results alert which channels; without any, every alert goes to every channel.
    #[serde(default)]
    pub route: Vec<Route>,
    /// Times when the alerts of some results are held back.
    #[serde(default)]
    pub maintenance: Vec<Maintenance>,
    /// The CAB file release workflow: the Bitbucket repository, approvers, destination.
    pub cab: Option<CabSettings>,
    /// Epicor environments: REST API, version, companies, installed solutions and the SQL
    /// Server under each. Each is also a check of type `epicor` (in `check` too, once loaded).
    #[serde(default)]
    pub epicor: Vec<EpicorEnvironment>,
}

/// `[server]`: access rules of `opsdeck serve`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Whether `/metrics` answers without a token (Prometheus scrapers often have none). When
    /// false, a scraper sends a viewer token as `Authorization: Bearer …`.
    pub metrics_public: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            metrics_public: true,
        }
    }
}

/// Engine-wide settings (`[settings]`).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Most checks running at the same moment.
    pub max_concurrency: usize,
    /// Most checks running at the same moment against one host:port.
    pub max_per_host: usize,
    /// Consecutive failed results before a check is marked down (or degraded).
    pub failures_to_down: u32,
    /// Consecutive good results before a failed check is marked up again.
    pub successes_to_up: u32,
    /// How long raw results are kept before only the 5-minute/hourly/daily roll-ups remain.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub raw_retention: Duration,
    /// Largest response body read from an endpoint, in bytes.
    pub max_body_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_concurrency: 512,
            max_per_host: 8,
            failures_to_down: 3,
            successes_to_up: 2,
            raw_retention: Duration::from_secs(48 * 3600),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// One environment (`[[environment]]`).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Slug, unique.
    pub id: String,
    pub name: String,
    /// Sort position in the overview among environments of equal status (lower first);
    /// without it an environment counts as 0, and ties keep file order.
    pub order: Option<i64>,
    /// How loudly the alerts of its checks are raised; default: `alerting.severity`.
    pub severity: Option<Severity>,
}

/// One check (`[[check]]`): fields every type shares, plus the type's own.
#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq)]
pub struct Check {
    #[serde(flatten)]
    pub common: CheckCommon,
    #[serde(flatten)]
    pub spec: CheckSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CheckCommon {
    /// Slug, unique across checks. Results of checks that watch many things are `ID/THING`.
    pub id: String,
    /// Display name; defaults to the id.
    pub name: Option<String>,
    /// Id of an `[[environment]]`.
    pub environment: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Time between the end of one run and the start of the next.
    #[serde(default = "default_interval", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub interval: Duration,
    /// The whole check (connect, TLS, request, body) must finish within this.
    #[serde(default = "default_timeout", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub timeout: Duration,
    /// Overrides `settings.failures_to_down` for this check.
    pub failures_to_down: Option<u32>,
    /// Overrides `settings.successes_to_up` for this check.
    pub successes_to_up: Option<u32>,
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Checks this one needs (a gateway, a database): while one of them is failing, this
    /// check's alerts are held back as "suppressed by" it.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// How loudly this check's alerts are raised; default: its environment's.
    pub severity: Option<Severity>,
}

fn default_interval() -> Duration {
    Duration::from_secs(30)
}
fn default_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_true() -> bool {
    true
}

/// The type-specific part of a check, chosen by `type`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CheckSpec {
    /// An HTTP endpoint: ASP.NET Core `/HealthCheck` (plain text or HealthChecks UI JSON) or any
    /// generic endpoint with expectations on status, body and JSON.
    Http(HttpSpec),
    /// The queues of a RabbitMQ broker, through its management API: depth, consumers, rates
    /// and whether each queue moves. One result per queue.
    Rabbitmq(RabbitmqSpec),
    /// A file a service keeps touching, or writes its last beat's time into.
    HeartbeatFile(HeartbeatFileSpec),
    /// A service calls `opsdeck serve` at `/api/push/{token}` at least every `period`.
    Push(PushSpec),
    /// An instant PromQL query against a Prometheus server; one result per returned series.
    Prometheus(PrometheusSpec),
    /// An Epicor environment, written as an `[[epicor]]` table rather than a `[[check]]`.
    #[schemars(skip)]
    Epicor(Box<EpicorSpec>),
}

impl CheckSpec {
    pub fn type_name(&self) -> &'static str {
        match self {
            CheckSpec::Http(_) => "http",
            CheckSpec::Rabbitmq(_) => "rabbitmq",
            CheckSpec::HeartbeatFile(_) => "heartbeat-file",
            CheckSpec::Push(_) => "push",
            CheckSpec::Prometheus(_) => "prometheus",
            CheckSpec::Epicor(_) => "epicor",
        }
    }

    /// Whether the check yields one result per thing it watches (`CHECK/THING`) rather than
    /// one result under its own id.
    pub fn is_multi(&self) -> bool {
        matches!(self, CheckSpec::Rabbitmq(_) | CheckSpec::Prometheus(_))
    }

    /// Where the check points, as people read it: a URL, a path, or the push endpoint.
    pub fn target(&self) -> Option<String> {
        match self {
            CheckSpec::Http(h) => Some(h.url.clone()),
            CheckSpec::Rabbitmq(r) => Some(r.url.clone()),
            CheckSpec::HeartbeatFile(f) => Some(f.path.display().to_string()),
            CheckSpec::Push(_) => None,
            CheckSpec::Prometheus(p) => Some(p.url.clone()),
            CheckSpec::Epicor(e) => Some(e.url.clone()),
        }
    }

    const TYPES: &'static [&'static str] =
        &["http", "rabbitmq", "heartbeat-file", "push", "prometheus"];
}

impl Check {
    pub fn id(&self) -> &str {
        &self.common.id
    }
    pub fn display_name(&self) -> &str {
        self.common.name.as_deref().unwrap_or(&self.common.id)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpSpec {
    pub url: String,
    #[serde(default)]
    pub method: HttpMethod,
    /// Extra request headers; a value may be a literal or `{ secret = "NAME" }`.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderValue>,
    /// Accepted final status codes. Empty: 2xx and 3xx, with ASP.NET's 503-with-report rule.
    #[serde(default)]
    pub expected_status: Vec<u16>,
    /// The body must contain this text.
    pub body_contains: Option<String>,
    /// A JSON pointer (RFC 6901) into the body, e.g. `/status`.
    pub json_pointer: Option<String>,
    /// The value `json_pointer` must point at. Without it, the pointer must merely exist.
    #[schemars(with = "Option<serde_json::Value>")]
    pub json_equals: Option<serde_json::Value>,
    #[serde(default)]
    pub format: HealthFormat,
    /// Basic auth user name (with `password`).
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    /// Bearer token sent as `Authorization: Bearer …`.
    pub bearer_token: Option<SecretRef>,
    /// Extra CA certificate (PEM) trusted besides the OS root store, e.g. an internal CA.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate. Shown as a warning on every result.
    #[serde(default)]
    pub tls_insecure: bool,
    /// Overrides `settings.max_body_bytes`.
    pub max_body_bytes: Option<u64>,
    #[serde(default = "default_redirects")]
    pub max_redirects: u32,
    /// A certificate expiring sooner than this makes the check degraded.
    #[serde(default = "default_cert_warning", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub cert_expiry_warning: Duration,
}

fn default_redirects() -> u32 {
    5
}
fn default_cert_warning() -> Duration {
    Duration::from_secs(14 * 24 * 3600)
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Get,
    Head,
    Post,
}

/// How the body of an HTTP check is read.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum HealthFormat {
    /// Recognise ASP.NET Core health reports (plain text or JSON) when the body is one.
    #[default]
    Auto,
    /// The body must be an ASP.NET Core health report.
    Aspnet,
    /// Never interpret the body as a health report.
    Generic,
}

/// A reference to an OS keychain entry: service `opsdeck`, account `secret`.
#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub secret: String,
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Ref {
                secret: String,
            },
            // Matched only to refuse it; the value itself is never read or echoed.
            #[allow(dead_code)]
            Literal(String),
            Other(serde::de::IgnoredAny),
        }
        match Form::deserialize(d)? {
            Form::Ref { secret } if is_slug(&secret) => Ok(SecretRef { secret }),
            Form::Ref { secret } => Err(D::Error::custom(format!(
                "secret name `{secret}` must be a slug (lower-case letters, digits, `-`, `_`, `.`)"
            ))),
            Form::Literal(_) => Err(D::Error::custom(
                "a literal secret is not allowed in the config file; store it in the OS keychain \
                 with `opsdeck secret set NAME` (the value is read from standard input) and write \
                 `{ secret = \"NAME\" }` here",
            )),
            Form::Other(serde::de::IgnoredAny) => Err(D::Error::custom(
                "expected a keychain reference such as `{ secret = \"NAME\" }`",
            )),
        }
    }
}

/// A request header value: a literal, or a keychain reference for tokens and API keys.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum HeaderValue {
    Secret(SecretRef),
    Literal(String),
}

impl Check {
    /// Keychain entries this check reads.
    pub fn secret_refs(&self) -> Vec<&SecretRef> {
        match &self.spec {
            CheckSpec::Http(http) => http
                .password
                .iter()
                .chain(http.bearer_token.iter())
                .chain(http.headers.values().filter_map(|v| match v {
                    HeaderValue::Secret(s) => Some(s),
                    HeaderValue::Literal(_) => None,
                }))
                .collect(),
            CheckSpec::Rabbitmq(r) => r.password.iter().chain(r.bearer_token.iter()).collect(),
            CheckSpec::Prometheus(p) => p.password.iter().chain(p.bearer_token.iter()).collect(),
            CheckSpec::HeartbeatFile(_) => Vec::new(),
            CheckSpec::Push(p) => vec![&p.token],
            CheckSpec::Epicor(e) => e.secret_refs(),
        }
    }
}

impl Config {
    /// Every keychain entry the config refers to, with the checks that use it.
    pub fn secret_refs(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for check in &self.check {
            for r in check.secret_refs() {
                let users = out.entry(r.secret.clone()).or_default();
                if !users.contains(&check.common.id) {
                    users.push(check.common.id.clone());
                }
            }
        }
        out
    }

    /// The keychain entry of the CAB workflow's Bitbucket token, if any.
    pub fn cab_secret_ref(&self) -> Option<&SecretRef> {
        self.cab.as_ref().map(|c| &c.token)
    }

    /// Every keychain entry notification channels read, with the channels that use it.
    pub fn channel_secret_refs(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for channel in &self.channel {
            for r in channel.secret_refs() {
                let users = out.entry(r.secret.clone()).or_default();
                if !users.iter().any(|u| u == channel.id()) {
                    users.push(channel.id().to_string());
                }
            }
        }
        out
    }

    pub fn environment(&self, id: &str) -> Option<&Environment> {
        self.environment.iter().find(|e| e.id == id)
    }

    /// JSON Schema of the file format, generated from these types.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default()
    }

    /// Parse and validate a config file's text. `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        Loader::new(text, origin).load()
    }

    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            origin: origin.clone(),
            problems: vec![Problem {
                position: None,
                key: None,
                message: match e.kind() {
                    std::io::ErrorKind::NotFound => "the config file does not exist".to_string(),
                    std::io::ErrorKind::InvalidData => {
                        "the config file is not valid UTF-8 text".to_string()
                    }
                    _ => format!("cannot read the config file: {e}"),
                },
            }],
        })?;
        let mut config = Config::parse(&text, &origin)?;
        config.resolve_relative_to(path);
        Ok(config)
    }

    /// Relative paths in the file mean relative to the file, wherever opsdeck was started.
    pub fn resolve_relative_to(&mut self, file: &Path) {
        let Some(dir) = file.parent() else { return };
        let resolve = |p: &mut PathBuf| {
            // `\\server\share\file` is absolute wherever the file is read, even where the OS
            // running this (not Windows) calls it relative.
            let unc = p.to_string_lossy().starts_with(r"\\");
            if p.is_relative() && !unc {
                *p = dir.join(&*p);
            }
        };
        for check in &mut self.check {
            match &mut check.spec {
                CheckSpec::Http(h) => h.ca_file.iter_mut().for_each(resolve),
                CheckSpec::Rabbitmq(r) => r.ca_file.iter_mut().for_each(resolve),
                CheckSpec::Prometheus(p) => p.ca_file.iter_mut().for_each(resolve),
                CheckSpec::HeartbeatFile(f) => resolve(&mut f.path),
                CheckSpec::Push(_) => {}
                CheckSpec::Epicor(e) => {
                    e.ca_file.iter_mut().for_each(resolve);
                    if let Some(sql) = &mut e.sql {
                        sql.ca_file.iter_mut().for_each(resolve);
                    }
                }
            }
        }
        for channel in &mut self.channel {
            if let ChannelSpec::Email(e) = &mut channel.spec {
                e.ca_file.iter_mut().for_each(resolve);
            }
        }
        if let Some(CabSettings {
            destination: Some(CabDestination::Folder { path }),
            ..
        }) = &mut self.cab
        {
            resolve(path);
        }
    }
}

/// A config that cannot be used, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    pub origin: String,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub position: Option<Position>,
    /// Dotted path of the key, e.g. `check[2].interval`.
    pub key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.origin)?;
            if let Some(pos) = p.position {
                write!(f, ":{}:{}", pos.line, pos.column)?;
            }
            write!(f, ": ")?;
            if let Some(key) = &p.key {
                write!(f, "`{key}`: ")?;
            }
            write!(f, "{}", p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Ids are used in URLs, metric labels and `CHECK/THING` result ids.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' || c == '.'
        })
}

/// Field names of a type, read from its generated JSON Schema so they cannot drift.
fn schema_fields<T: JsonSchema>() -> Vec<String> {
    let schema = schemars::schema_for!(T);
    let value = serde_json::to_value(schema).unwrap_or_default();
    value
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

fn common_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(schema_fields::<CheckCommon>)
}

fn http_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(schema_fields::<HttpSpec>)
}

fn epicor_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(schema_fields::<EpicorSpec>)
}

fn rabbitmq_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(schema_fields::<RabbitmqSpec>)
}

fn heartbeat_file_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(schema_fields::<HeartbeatFileSpec>)
}

fn push_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(schema_fields::<PushSpec>)
}

fn channel_common_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(schema_fields::<ChannelCommon>)
}

fn prometheus_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(schema_fields::<PrometheusSpec>)
}

/// The closest candidate within a small edit distance, for "did you mean".
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d > 0)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Adds "did you mean" to serde's "unknown field `x`, expected one of `a`, `b`" messages.
fn improve_serde_message(message: &str) -> String {
    let message = message.trim_end_matches('\n').to_string();
    // humantime says only "expected a duration"; show what one looks like.
    if let Some(rest) = message.strip_prefix("invalid value: string ") {
        if let Some(value) = rest.strip_suffix(", expected a duration") {
            return format!(
                "{value} is not a duration; write a number and a unit, such as \"30s\", \"5m\" or \"1h 30m\""
            );
        }
    }
    for prefix in ["unknown field `", "unknown variant `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let Some(end) = rest.find('`') else { break };
            let word = &rest[..end];
            // After the word: "`, expected one of `a`, `b`": names sit between backticks.
            let expected: Vec<&str> = rest[end + 1..]
                .split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, s)| s)
                .collect();
            if let Some(best) = did_you_mean(word, expected.iter().copied()) {
                return format!("{message}; did you mean `{best}`?");
            }
        }
    }
    message
}

/// Serde names the problem but not the key: find the key whose value holds the error's span.
fn refine_key(
    key: String,
    value: &Spanned<DeValue<'_>>,
    span: Option<std::ops::Range<usize>>,
) -> String {
    let (Some(table), Some(span)) = (value.get_ref().as_table(), span) else {
        return key;
    };
    for (k, v) in table.iter() {
        let vs = v.span();
        if (vs.start <= span.start && span.end <= vs.end) || k.span() == span {
            let name: &str = k.get_ref();
            return refine_key(format!("{key}.{name}"), v, Some(span));
        }
    }
    key
}

struct Loader<'a> {
    text: &'a str,
    origin: &'a str,
    problems: Vec<Problem>,
}

impl<'a> Loader<'a> {
    fn new(text: &'a str, origin: &'a str) -> Self {
        Loader {
            text,
            origin,
            problems: Vec::new(),
        }
    }

    fn problem(
        &mut self,
        span: Option<std::ops::Range<usize>>,
        key: Option<String>,
        message: String,
    ) {
        let position = span.map(|s| locate::position(self.text, s.start));
        self.problems.push(Problem {
            position,
            key,
            message,
        });
    }

    fn serde_problem(&mut self, key: String, err: toml::de::Error) {
        let message = improve_serde_message(err.message());
        self.problem(err.span(), Some(key), message);
    }

    fn finish<T>(self, value: T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(ConfigError {
                origin: self.origin.to_string(),
                problems: self.problems,
            })
        }
    }

    fn load(mut self) -> Result<Config, ConfigError> {
        let root = match DeTable::parse(self.text) {
            Ok(root) => root,
            Err(e) => {
                let message = e.message().trim_end().to_string();
                self.problem(e.span(), None, format!("invalid TOML: {message}"));
                return self.finish(Config::default());
            }
        };
        let mut config = Config::default();
        let mut epicor_checks = Vec::new();
        const TOP: &[&str] = &[
            "settings",
            "server",
            "environment",
            "check",
            "alerting",
            "channel",
            "route",
            "maintenance",
            "cab",
            "epicor",
        ];
        for (key, value) in root.get_ref().iter() {
            let key_name: &str = key.get_ref();
            match key_name {
                "settings" => {
                    if let Some(s) = self.typed::<Settings>("settings".into(), value) {
                        config.settings = s;
                    }
                }
                "server" => {
                    if let Some(s) = self.typed::<ServerSettings>("server".into(), value) {
                        config.server = s;
                    }
                }
                "environment" => {
                    for (i, item) in self.array_of_tables("environment", value) {
                        if let Some(env) =
                            self.typed::<Environment>(format!("environment[{i}]"), &item)
                        {
                            config.environment.push(env);
                        }
                    }
                }
                "check" => {
                    for (i, item) in self.array_of_tables("check", value) {
                        if let Some(check) = self.check(i, &item) {
                            config.check.push(check);
                        }
                    }
                }
                "cab" => {
                    config.cab = self.typed::<CabSettings>("cab".into(), value);
                }
                "epicor" => {
                    for (i, item) in self.array_of_tables("epicor", value) {
                        if let Some(env) = self.epicor(i, &item) {
                            epicor_checks.push(Check {
                                common: env.common.clone(),
                                spec: CheckSpec::Epicor(Box::new(env.spec.clone())),
                            });
                            config.epicor.push(env);
                        }
                    }
                }
                "alerting" => {
                    if let Some(a) = self.typed::<AlertSettings>("alerting".into(), value) {
                        config.alerting = a;
                    }
                }
                "channel" => {
                    for (i, item) in self.array_of_tables("channel", value) {
                        if let Some(channel) = self.channel(i, &item) {
                            config.channel.push(channel);
                        }
                    }
                }
                "route" => {
                    for (i, item) in self.array_of_tables("route", value) {
                        if let Some(r) = self.typed::<Route>(format!("route[{i}]"), &item) {
                            config.route.push(r);
                        }
                    }
                }
                "maintenance" => {
                    for (i, item) in self.array_of_tables("maintenance", value) {
                        if let Some(m) =
                            self.typed::<Maintenance>(format!("maintenance[{i}]"), &item)
                        {
                            config.maintenance.push(m);
                        }
                    }
                }
                other => {
                    let hint = did_you_mean(other, TOP.iter().copied())
                        .map(|b| format!("; did you mean `{b}`?"))
                        .unwrap_or_default();
                    self.problem(
                        Some(key.span()),
                        Some(other.to_string()),
                        format!(
                            "unknown top-level key `{other}`; expected one of `{}`{hint}",
                            TOP.join("`, `")
                        ),
                    );
                }
            }
        }
        // After every `[[check]]`, wherever the tables sit in the file: validation tells the
        // two apart by position.
        config.check.extend(epicor_checks);
        self.validate(&config, root.get_ref());
        self.finish(config)
    }

    fn array_of_tables(
        &mut self,
        name: &str,
        value: &Spanned<DeValue<'a>>,
    ) -> Vec<(usize, Spanned<DeValue<'a>>)> {
        match value.get_ref() {
            DeValue::Array(items) => items.iter().cloned().enumerate().collect(),
            other => {
                self.problem(
                    Some(value.span()),
                    Some(name.to_string()),
                    format!(
                        "expected an array of tables (`[[{name}]]`), found {}",
                        other.type_str()
                    ),
                );
                Vec::new()
            }
        }
    }

    fn typed<T: serde::de::DeserializeOwned>(
        &mut self,
        key: String,
        value: &Spanned<DeValue<'a>>,
    ) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(v) => Some(v),
            Err(e) => {
                let key = refine_key(key, value, e.span());
                self.serde_problem(key, e);
                None
            }
        }
    }

    fn check(&mut self, index: usize, item: &Spanned<DeValue<'a>>) -> Option<Check> {
        let key = format!("check[{index}]");
        let Some(table) = item.get_ref().as_table() else {
            self.problem(Some(item.span()), Some(key), "expected a table".into());
            return None;
        };
        let common = self.typed::<CheckCommon>(key.clone(), item);
        let type_name = match table.get("type") {
            None => {
                self.problem(
                    Some(item.span()),
                    Some(key),
                    format!(
                        "missing key `type`; one of: {}",
                        CheckSpec::TYPES.join(", ")
                    ),
                );
                return None;
            }
            Some(t) => match t.get_ref().as_str() {
                Some(s) => (s.to_string(), t.span()),
                None => {
                    self.problem(
                        Some(t.span()),
                        Some(format!("{key}.type")),
                        "expected a string".into(),
                    );
                    return None;
                }
            },
        };
        let (type_name, type_span) = type_name;
        let (spec, spec_fields) = match type_name.as_str() {
            "http" => (
                self.typed_lenient::<HttpSpec>(&key, item, common_fields())
                    .map(CheckSpec::Http),
                http_fields(),
            ),
            "rabbitmq" => (
                self.typed_lenient::<RabbitmqSpec>(&key, item, common_fields())
                    .map(CheckSpec::Rabbitmq),
                rabbitmq_fields(),
            ),
            "heartbeat-file" => (
                self.typed_lenient::<HeartbeatFileSpec>(&key, item, common_fields())
                    .map(CheckSpec::HeartbeatFile),
                heartbeat_file_fields(),
            ),
            "push" => (
                self.typed_lenient::<PushSpec>(&key, item, common_fields())
                    .map(CheckSpec::Push),
                push_fields(),
            ),
            "prometheus" => (
                self.typed_lenient::<PrometheusSpec>(&key, item, common_fields())
                    .map(CheckSpec::Prometheus),
                prometheus_fields(),
            ),
            "epicor" => {
                self.problem(
                    Some(type_span),
                    Some(format!("{key}.type")),
                    "an Epicor environment is written as an `[[epicor]]` table (with `id`, `url`, `username`, `password`, …), not as a `[[check]]`".into(),
                );
                return None;
            }
            other => {
                self.unknown_type(type_span, &key, "check", other, CheckSpec::TYPES);
                return None;
            }
        };
        self.unknown_keys(
            &key,
            table,
            common_fields(),
            spec_fields,
            &format!("a check of type `{type_name}`"),
        );
        Some(Check {
            common: common?,
            spec: spec?,
        })
    }

    /// An `[[epicor]]`: the keys every check has, then the environment's own.
    fn epicor(&mut self, index: usize, item: &Spanned<DeValue<'a>>) -> Option<EpicorEnvironment> {
        let key = format!("epicor[{index}]");
        let Some(table) = item.get_ref().as_table() else {
            self.problem(Some(item.span()), Some(key), "expected a table".into());
            return None;
        };
        if let Some(t) = table.get("type") {
            self.problem(
                Some(t.span()),
                Some(format!("{key}.type")),
                "an `[[epicor]]` table is always an Epicor environment: remove `type`".into(),
            );
        }
        let common = self.typed::<CheckCommon>(key.clone(), item);
        let spec = self.typed_lenient::<EpicorSpec>(&key, item, common_fields());
        self.unknown_keys(
            &key,
            table,
            common_fields(),
            epicor_fields(),
            "an Epicor environment",
        );
        Some(EpicorEnvironment {
            common: common?,
            spec: spec?,
        })
    }

    /// A `[[channel]]`: the shared keys, then the keys of its `type`.
    fn channel(&mut self, index: usize, item: &Spanned<DeValue<'a>>) -> Option<Channel> {
        let key = format!("channel[{index}]");
        let Some(table) = item.get_ref().as_table() else {
            self.problem(Some(item.span()), Some(key), "expected a table".into());
            return None;
        };
        let common = self.typed::<ChannelCommon>(key.clone(), item);
        let Some(type_value) = table.get("type") else {
            self.problem(
                Some(item.span()),
                Some(key),
                format!(
                    "missing key `type`; one of: {}",
                    ChannelSpec::TYPES.join(", ")
                ),
            );
            return None;
        };
        let type_name = type_value
            .get_ref()
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (spec, spec_fields) = match type_name.as_str() {
            "email" => self.channel_spec(&key, item, ChannelSpec::Email),
            "teams" => self.channel_spec(&key, item, ChannelSpec::Teams),
            "slack" => self.channel_spec(&key, item, ChannelSpec::Slack),
            "webhook" => self.channel_spec(&key, item, ChannelSpec::Webhook),
            "desktop" => self.channel_spec(&key, item, ChannelSpec::Desktop),
            other => {
                self.unknown_type(
                    type_value.span(),
                    &key,
                    "channel",
                    other,
                    ChannelSpec::TYPES,
                );
                return None;
            }
        };
        self.unknown_keys(
            &key,
            table,
            channel_common_fields(),
            &spec_fields,
            &format!("a channel of type `{type_name}`"),
        );
        Some(Channel {
            common: common?,
            spec: spec?,
        })
    }

    /// The keys of a channel's `type`, and the names of those keys.
    fn channel_spec<T: serde::de::DeserializeOwned + JsonSchema>(
        &mut self,
        key: &str,
        item: &Spanned<DeValue<'a>>,
        wrap: fn(T) -> ChannelSpec,
    ) -> (Option<ChannelSpec>, Vec<String>) {
        (
            self.typed_lenient::<T>(key, item, channel_common_fields())
                .map(wrap),
            schema_fields::<T>(),
        )
    }

    /// A `type` that names no kind of check or channel, with the closest one.
    fn unknown_type(
        &mut self,
        span: std::ops::Range<usize>,
        key: &str,
        what: &str,
        given: &str,
        types: &[&str],
    ) {
        let hint = did_you_mean(given, types.iter().copied())
            .map(|b| format!("; did you mean `{b}`?"))
            .unwrap_or_default();
        self.problem(
            Some(span),
            Some(format!("{key}.type")),
            format!(
                "unknown {what} type `{given}`; supported: {}{hint}",
                types.join(", ")
            ),
        );
    }

    /// Reports each key of `table` that neither the shared keys, the type's keys nor `type`
    /// is, with the closest known one.
    fn unknown_keys(
        &mut self,
        key: &str,
        table: &DeTable<'a>,
        common: &[String],
        own: &[String],
        what: &str,
    ) {
        let known: Vec<&str> = common
            .iter()
            .chain(own.iter())
            .map(String::as_str)
            .chain(["type"])
            .collect();
        for (k, _) in table.iter() {
            let name: &str = k.get_ref();
            if !known.contains(&name) {
                let hint = did_you_mean(name, known.iter().copied())
                    .map(|b| format!("; did you mean `{b}`?"))
                    .unwrap_or_default();
                self.problem(
                    Some(k.span()),
                    Some(format!("{key}.{name}")),
                    format!("unknown key `{name}` for {what}{hint}"),
                );
            }
        }
    }

    /// Deserialize a type-specific struct from the check's table minus the common keys
    /// (which the type's `deny_unknown_fields` would otherwise refuse).
    fn typed_lenient<T: serde::de::DeserializeOwned>(
        &mut self,
        key: &str,
        item: &Spanned<DeValue<'a>>,
        skip: &[String],
    ) -> Option<T> {
        let DeValue::Table(table) = item.get_ref() else {
            return None;
        };
        let mut own = DeTable::new();
        for (k, v) in table.iter() {
            let name: &str = k.get_ref();
            if name == "type" || skip.iter().any(|s| s == name) {
                continue;
            }
            own.insert(k.clone(), v.clone());
        }
        let value = Spanned::new(item.span(), DeValue::Table(own));
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(v) => Some(v),
            // Unknown keys are reported once, by `check`, with the full list of valid keys.
            Err(e) if e.message().starts_with("unknown field") => None,
            Err(e) => {
                let key = refine_key(key.to_string(), item, e.span());
                self.serde_problem(key, e);
                None
            }
        }
    }

    fn validate(&mut self, config: &Config, root: &DeTable<'a>) {
        let span_of = |path: &[locate::Seg<'_>]| locate::span(root, path);
        let mut env_ids = HashSet::new();
        for (i, env) in config.environment.iter().enumerate() {
            let at = span_of(&[
                locate::Seg::Key("environment"),
                locate::Seg::Index(i),
                locate::Seg::Key("id"),
            ]);
            if !is_slug(&env.id) {
                self.problem(
                    at.clone(),
                    Some(format!("environment[{i}].id")),
                    format!(
                        "`{}` is not a valid id: use lower-case letters, digits, `-`, `_` and `.`",
                        env.id
                    ),
                );
            }
            if !env_ids.insert(env.id.as_str()) {
                self.problem(
                    at,
                    Some(format!("environment[{i}].id")),
                    format!("duplicate environment id `{}`", env.id),
                );
            }
        }
        let mut check_ids = HashSet::new();
        let plain = config.check.len() - config.epicor.len();
        for (n, check) in config.check.iter().enumerate() {
            let c = &check.common;
            // `[[epicor]]` environments follow the `[[check]]` tables.
            let (section, i) = if n < plain {
                ("check", n)
            } else {
                ("epicor", n - plain)
            };
            let seg = |k| {
                [
                    locate::Seg::Key(section),
                    locate::Seg::Index(i),
                    locate::Seg::Key(k),
                ]
            };
            let key = |k: &str| Some(format!("{section}[{i}].{k}"));
            if !is_slug(&c.id) {
                self.problem(
                    span_of(&seg("id")),
                    key("id"),
                    format!(
                        "`{}` is not a valid id: use lower-case letters, digits, `-`, `_` and `.`",
                        c.id
                    ),
                );
            }
            if !check_ids.insert(c.id.as_str()) {
                self.problem(
                    span_of(&seg("id")),
                    key("id"),
                    format!("duplicate check id `{}`", c.id),
                );
            }
            if let Some(env) = &c.environment {
                if !env_ids.contains(env.as_str()) {
                    let hint = did_you_mean(env, env_ids.iter().copied())
                        .map(|b| format!("; did you mean `{b}`?"))
                        .unwrap_or_default();
                    self.problem(
                        span_of(&seg("environment")),
                        key("environment"),
                        format!(
                            "unknown environment `{env}`: no `[[environment]]` has this id{hint}"
                        ),
                    );
                }
            }
            if c.interval < Duration::from_secs(1) {
                self.problem(
                    span_of(&seg("interval")),
                    key("interval"),
                    "must be at least 1s".into(),
                );
            }
            if c.timeout.is_zero() {
                self.problem(
                    span_of(&seg("timeout")),
                    key("timeout"),
                    "must be more than 0s".into(),
                );
            }
            if c.failures_to_down == Some(0) || c.successes_to_up == Some(0) {
                self.problem(
                    span_of(&[locate::Seg::Key(section), locate::Seg::Index(i)]),
                    key("failures_to_down"),
                    "thresholds must be at least 1".into(),
                );
            }
            match &check.spec {
                CheckSpec::Http(http) => self.validate_http(i, http, root),
                CheckSpec::Rabbitmq(r) => self.validate_rabbitmq(i, r, root),
                CheckSpec::HeartbeatFile(f) => self.validate_heartbeat_file(i, f, root),
                CheckSpec::Push(p) => self.validate_push(i, p, root),
                CheckSpec::Prometheus(p) => self.validate_prometheus(i, p, root),
                CheckSpec::Epicor(e) => self.validate_epicor(i, e, root),
            }
        }
        self.validate_push_tokens(&config.check, root);
        self.validate_alerting(config, root);
        if let Some(cab) = &config.cab {
            self.validate_cab(cab, root);
        }
        let st = &config.settings;
        for (key, zero) in [
            ("max_concurrency", st.max_concurrency == 0),
            ("max_per_host", st.max_per_host == 0),
            ("failures_to_down", st.failures_to_down == 0),
            ("successes_to_up", st.successes_to_up == 0),
            ("max_body_bytes", st.max_body_bytes == 0),
        ] {
            if zero {
                self.problem(
                    span_of(&[locate::Seg::Key("settings"), locate::Seg::Key(key)]),
                    Some(format!("settings.{key}")),
                    "must be at least 1".into(),
                );
            }
        }
    }

    fn validate_http(&mut self, i: usize, http: &HttpSpec, root: &DeTable<'a>) {
        let seg = |k| {
            [
                locate::Seg::Key("check"),
                locate::Seg::Index(i),
                locate::Seg::Key(k),
            ]
        };
        let key = |k: &str| Some(format!("check[{i}].{k}"));
        self.base_url(root, i, "url", &http.url);
        for code in &http.expected_status {
            if !(100..=599).contains(code) {
                self.problem(
                    locate::span(root, &seg("expected_status")),
                    key("expected_status"),
                    format!("{code} is not an HTTP status code"),
                );
            }
        }
        if let Some(p) = &http.json_pointer {
            if !(p.is_empty() || p.starts_with('/')) {
                self.problem(
                    locate::span(root, &seg("json_pointer")),
                    key("json_pointer"),
                    format!("`{p}` is not a JSON pointer; it must start with `/`, e.g. `/status`"),
                );
            }
        }
        if http.json_equals.is_some() && http.json_pointer.is_none() {
            self.problem(
                locate::span(root, &seg("json_equals")),
                key("json_equals"),
                "`json_equals` needs `json_pointer`".into(),
            );
        }
        if http.password.is_some() != http.username.is_some() {
            self.problem(
                locate::span(root, &[locate::Seg::Key("check"), locate::Seg::Index(i)]),
                key("username"),
                "basic auth needs both `username` and `password`".into(),
            );
        }
        if http.password.is_some() && http.bearer_token.is_some() {
            self.problem(
                locate::span(root, &seg("bearer_token")),
                key("bearer_token"),
                "use either basic auth (`username`/`password`) or `bearer_token`, not both".into(),
            );
        }
        for name in http.headers.keys() {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.problem(
                    locate::span(root, &seg("headers")),
                    key("headers"),
                    format!("`{name}` is not a valid header name"),
                );
            }
        }
        if http.max_body_bytes == Some(0) {
            self.problem(
                locate::span(root, &seg("max_body_bytes")),
                key("max_body_bytes"),
                "must be more than 0".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests;
