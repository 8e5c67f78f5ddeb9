//! `type = "http"`: one request, a bounded read of the answer, and a verdict.

use std::collections::HashMap;
use std::error::Error as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, AUTHORIZATION, CONTENT_TYPE};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::health_report::{self, HealthReport};
use crate::config::{HeaderValue, HealthFormat, HttpMethod, HttpSpec};
use crate::secret::SecretSource;
use crate::status::{ProbeOutcome, Status};

/// Clients are shared between checks with the same TLS and redirect settings, so connections
/// to one host are pooled and reused across sweeps.
#[derive(Debug, Default)]
pub struct HttpClients {
    clients: Mutex<HashMap<ClientKey, reqwest::Client>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    ca_file: Option<PathBuf>,
    insecure: bool,
    max_redirects: u32,
}

impl HttpClients {
    fn client(&self, spec: &HttpSpec) -> Result<reqwest::Client, String> {
        let key = ClientKey {
            ca_file: spec.ca_file.clone(),
            insecure: spec.tls_insecure,
            max_redirects: spec.max_redirects,
        };
        // A CA file may be replaced on disk: clients with one are rebuilt when it fails to load
        // rather than cached forever with a stale error.
        if let Some(c) = self.clients.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let client = build_client(&key)?;
        if let Ok(mut m) = self.clients.lock() {
            m.insert(key, client.clone());
        }
        Ok(client)
    }

    /// Forget clients (after a config reload, so changed CA files are re-read).
    pub fn clear(&self) {
        if let Ok(mut m) = self.clients.lock() {
            m.clear();
        }
    }
}

fn build_client(key: &ClientKey) -> Result<reqwest::Client, String> {
    let max = key.max_redirects as usize;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().iter().any(|u| u == attempt.url()) {
            let url = attempt.url().to_string();
            attempt.error(RedirectProblem(format!(
                "redirect loop: {url} was already visited"
            )))
        } else if attempt.previous().len() > max {
            attempt.error(RedirectProblem(format!("more than {max} redirects")))
        } else {
            attempt.follow()
        }
    });
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_info(true)
        .redirect(policy)
        .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(16)
        .tcp_nodelay(true);
    if key.insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    if let Some(path) = &key.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("CA file {} is not PEM: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "CA file {} holds no PEM certificate",
                path.display()
            ));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

#[derive(Debug)]
struct RedirectProblem(String);
impl std::fmt::Display for RedirectProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for RedirectProblem {}

/// What came back, bounded.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The body was longer than the cap; `body` holds the first `cap` bytes.
    pub truncated: bool,
    pub cap: u64,
    pub cert_not_after: Option<time::OffsetDateTime>,
    pub final_url: String,
}

pub async fn probe(
    clients: &HttpClients,
    secrets: &dyn SecretSource,
    spec: &HttpSpec,
    timeout: Duration,
    default_cap: u64,
) -> ProbeOutcome {
    let started = Instant::now();
    let mut outcome = match request(clients, secrets, spec, timeout, default_cap).await {
        Ok(answer) => {
            let mut o = evaluate(spec, &answer, time::OffsetDateTime::now_utc());
            o.latency_ms = Some(started.elapsed().as_millis() as u64);
            o
        }
        Err(failure) => failure.into_outcome(),
    };
    redact_credentials(&mut outcome, secrets, spec);
    if spec.tls_insecure && spec.url.starts_with("https") {
        if let Value::Object(d) = &mut outcome.details {
            d.insert(
                "warnings".into(),
                json!(["tls_insecure: certificate verification is turned off for this check"]),
            );
        }
    }
    outcome
}

/// An endpoint can echo what it was sent (a debug page listing request headers, an error
/// quoting the `Authorization` header): every credential value this check sends, and the
/// Basic-auth form of its login, is cut out of the message and details before they are shown
/// or stored. Values shorter than 4 characters are left alone: cutting every "a" out of a
/// message would make it unreadable, and such a value protects nothing.
pub(crate) fn redact_credentials(
    outcome: &mut ProbeOutcome,
    secrets: &dyn SecretSource,
    spec: &HttpSpec,
) {
    use base64::Engine as _;
    let mut values: Vec<String> = Vec::new();
    let refs = spec.password.iter().chain(spec.bearer_token.iter()).chain(
        spec.headers.values().filter_map(|v| match v {
            HeaderValue::Secret(s) => Some(s),
            HeaderValue::Literal(_) => None,
        }),
    );
    for r in refs {
        if let Ok(v) = secrets.get(&r.secret) {
            values.push(v.expose_secret().to_string());
        }
    }
    if let (Some(user), Some(pass)) = (&spec.username, &spec.password) {
        if let Ok(p) = secrets.get(&pass.secret) {
            values.push(
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", p.expose_secret())),
            );
        }
    }
    let mut message = Value::String(std::mem::take(&mut outcome.message));
    redact_values(&mut message, &values);
    redact_values(&mut outcome.details, &values);
    if let Value::String(m) = message {
        outcome.message = m;
    }
}

/// Cut every one of `values` (credentials that were sent) out of every string in `value`.
/// Values shorter than 4 characters are left alone (see [`redact_credentials`]).
pub(crate) fn redact_values(value: &mut Value, values: &[String]) {
    let mut values: Vec<&String> = values.iter().filter(|v| v.chars().count() >= 4).collect();
    if values.is_empty() {
        return;
    }
    // Longest first, so a value containing another is cut whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let scrub = |text: &mut String| {
        for v in &values {
            if text.contains(v.as_str()) {
                *text = text.replace(v.as_str(), "[redacted]");
            }
        }
    };
    scrub_json(value, &scrub);
}

fn scrub_json(value: &mut Value, scrub: &dyn Fn(&mut String)) {
    match value {
        Value::String(s) => scrub(s),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_json(v, scrub)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_json(v, scrub)),
        _ => {}
    }
}

#[derive(Debug)]
pub(crate) struct Failure {
    pub status: Status,
    pub kind: &'static str,
    pub message: String,
    /// For a credential that cannot be read: `{ "name", "problem" }`, so the console can offer
    /// to store it.
    pub credential: Option<Value>,
}

impl Failure {
    /// The failure as a probe outcome, with the `error` kind (and credential) in the details.
    pub(crate) fn into_outcome(self) -> ProbeOutcome {
        let mut o = ProbeOutcome::new(self.status, self.message);
        o.details = json!({ "error": self.kind });
        if let (Some(credential), Value::Object(d)) = (self.credential, &mut o.details) {
            d.insert("credential".into(), credential);
        }
        o
    }
}

/// The part of a JSON API check (RabbitMQ management, Prometheus) that is an HTTP request:
/// the same clients, credentials, TLS settings, timeouts and bounded reads as `type = "http"`.
pub(crate) struct ApiLogin<'a> {
    pub username: Option<&'a String>,
    pub password: Option<&'a crate::config::SecretRef>,
    pub bearer_token: Option<&'a crate::config::SecretRef>,
    pub ca_file: Option<&'a PathBuf>,
    pub tls_insecure: bool,
}

impl ApiLogin<'_> {
    /// An HTTP spec for one GET of `url` as this login.
    pub(crate) fn spec(&self, url: String, max_body_bytes: u64) -> HttpSpec {
        let mut headers = std::collections::BTreeMap::new();
        headers.insert(
            "accept".to_string(),
            HeaderValue::Literal("application/json".into()),
        );
        HttpSpec {
            url,
            method: HttpMethod::Get,
            headers,
            expected_status: Vec::new(),
            body_contains: None,
            json_pointer: None,
            json_equals: None,
            format: HealthFormat::Generic,
            username: self.username.cloned(),
            password: self.password.cloned(),
            bearer_token: self.bearer_token.cloned(),
            ca_file: self.ca_file.cloned(),
            tls_insecure: self.tls_insecure,
            max_body_bytes: Some(max_body_bytes),
            max_redirects: 3,
            cert_expiry_warning: Duration::from_secs(14 * 24 * 3600),
        }
    }

    /// The keychain entry whose value this login sends, for messages.
    pub(crate) fn credential_name(&self) -> Option<&str> {
        self.password
            .or(self.bearer_token)
            .map(|r| r.secret.as_str())
    }
}

/// One GET through [`request`], for API probes.
pub(crate) async fn get(
    clients: &HttpClients,
    secrets: &dyn SecretSource,
    spec: &HttpSpec,
    timeout: Duration,
) -> Result<Answer, Failure> {
    let cap = spec.max_body_bytes.unwrap_or(1024 * 1024);
    request(clients, secrets, spec, timeout, cap).await
}

/// What an API request sends beyond its spec: a JSON body, and a bearer token that came from
/// a sign-in rather than from the keychain.
#[derive(Default)]
pub(crate) struct Extras {
    pub json_body: Option<Vec<u8>>,
    pub bearer: Option<secrecy::SecretString>,
}

/// One request through [`request`] with [`Extras`], for API clients (Epicor).
pub(crate) async fn send(
    clients: &HttpClients,
    secrets: &dyn SecretSource,
    spec: &HttpSpec,
    timeout: Duration,
    extras: &Extras,
) -> Result<Answer, Failure> {
    let cap = spec.max_body_bytes.unwrap_or(1024 * 1024);
    request_with(clients, secrets, spec, timeout, cap, extras).await
}

impl Failure {
    fn down(kind: &'static str, message: String) -> Self {
        Failure {
            status: Status::Down,
            kind,
            message,
            credential: None,
        }
    }
}

async fn request(
    clients: &HttpClients,
    secrets: &dyn SecretSource,
    spec: &HttpSpec,
    timeout: Duration,
    default_cap: u64,
) -> Result<Answer, Failure> {
    request_with(
        clients,
        secrets,
        spec,
        timeout,
        default_cap,
        &Extras::default(),
    )
    .await
}

async fn request_with(
    clients: &HttpClients,
    secrets: &dyn SecretSource,
    spec: &HttpSpec,
    timeout: Duration,
    default_cap: u64,
    extras: &Extras,
) -> Result<Answer, Failure> {
    let client = clients.client(spec).map_err(|m| Failure {
        status: Status::Unknown,
        kind: "config",
        message: m,
        credential: None,
    })?;
    let url = reqwest::Url::parse(&spec.url).map_err(|e| Failure {
        status: Status::Unknown,
        kind: "config",
        message: format!("invalid URL: {e}"),
        credential: None,
    })?;
    let host = authority(&url);
    let mut headers = HeaderMap::new();
    let secret_failure = |e: crate::secret::SecretError| Failure {
        status: Status::Unknown,
        kind: "credential",
        credential: Some(json!({ "name": e.name(), "problem": e.problem() })),
        message: e.to_string(),
    };
    for (name, value) in &spec.headers {
        let value = match value {
            HeaderValue::Literal(v) => v.clone(),
            HeaderValue::Secret(r) => secrets
                .get(&r.secret)
                .map_err(secret_failure)?
                .expose_secret()
                .to_string(),
        };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| Failure {
            status: Status::Unknown,
            kind: "config",
            message: format!("invalid header name `{name}`: {e}"),
            credential: None,
        })?;
        let mut value = reqwest::header::HeaderValue::from_str(&value).map_err(|_| Failure {
            status: Status::Unknown,
            kind: "config",
            message: format!("the value for header `{name}` is not a valid header value"),
            credential: None,
        })?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    let method = match spec.method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Head => reqwest::Method::HEAD,
        HttpMethod::Post => reqwest::Method::POST,
    };
    let mut req = client.request(method, url.clone()).headers(headers);
    if let (Some(user), Some(pass)) = (&spec.username, &spec.password) {
        let pass = secrets.get(&pass.secret).map_err(secret_failure)?;
        req = req.basic_auth(user, Some(pass.expose_secret()));
    }
    if let Some(token) = &spec.bearer_token {
        let token = secrets.get(&token.secret).map_err(secret_failure)?;
        let mut v = reqwest::header::HeaderValue::from_str(&format!(
            "Bearer {}",
            token.expose_secret()
        ))
        .map_err(|_| Failure {
            status: Status::Unknown,
            kind: "credential",
            credential: Some(json!({ "name": token_name(spec), "problem": "invalid" })),
            message: format!(
                "credential `{}` cannot be sent as a bearer token (it contains characters not allowed in a header)",
                token_name(spec)
            ),
        })?;
        v.set_sensitive(true);
        req = req.header(AUTHORIZATION, v);
    }
    if let Some(token) = &extras.bearer {
        let mut v =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    Failure::down(
                        "auth",
                        "the server issued a token that cannot be sent back in a header".into(),
                    )
                })?;
        v.set_sensitive(true);
        req = req.header(AUTHORIZATION, v);
    }
    if let Some(body) = &extras.json_body {
        req = req
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let secs = humantime::format_duration(timeout);
    let mut resp = match tokio::time::timeout_at(deadline, req.send()).await {
        Err(_) => {
            return Err(Failure::down(
                "timeout",
                format!("no response from {host} within the {secs} timeout"),
            ))
        }
        Ok(Err(e)) => return Err(describe(&e, &host, &secs)),
        Ok(Ok(r)) => r,
    };
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let cert_not_after = resp
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .and_then(|der| x509_parser::parse_x509_certificate(der).ok())
        .and_then(|(_, cert)| {
            time::OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()).ok()
        });
    let final_url = resp.url().to_string();
    let cap = spec.max_body_bytes.unwrap_or(default_cap);
    let mut body = Vec::new();
    let mut truncated = resp.content_length().is_some_and(|l| l > cap);
    if !truncated {
        loop {
            match tokio::time::timeout_at(deadline, resp.chunk()).await {
                Err(_) => {
                    return Err(Failure::down(
                        "timeout",
                        format!(
                            "{host} answered HTTP {status} but the body did not finish within the {secs} timeout"
                        ),
                    ))
                }
                Ok(Err(e)) => return Err(describe(&e, &host, &secs)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    let room = (cap as usize).saturating_sub(body.len());
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
    }
    Ok(Answer {
        status,
        content_type,
        body,
        truncated,
        cap,
        cert_not_after,
        final_url,
    })
}

fn token_name(spec: &HttpSpec) -> &str {
    spec.bearer_token
        .as_ref()
        .map(|t| t.secret.as_str())
        .unwrap_or("")
}

/// `host:port` as people write it, never with credentials.
pub(crate) fn authority(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.as_str().to_string(),
    }
}

/// Turn a transport error into a message a person can act on.
fn describe(err: &reqwest::Error, host: &str, timeout: &humantime::FormattedDuration) -> Failure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = err.source();
    let mut chain = Vec::new();
    while let Some(e) = source {
        if let Some(r) = e.downcast_ref::<RedirectProblem>() {
            return Failure::down("redirect", format!("{host}: {r}"));
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Failure::down(
                "tls",
                format!("TLS with {host} failed: {}", describe_tls(tls)),
            );
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = rustls_inside(io) {
                return Failure::down(
                    "tls",
                    format!("TLS with {host} failed: {}", describe_tls(tls)),
                );
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return Failure::down(
                        "refused",
                        format!("connection to {host} refused (nothing is listening, or a firewall rejects it)"),
                    )
                }
                std::io::ErrorKind::ConnectionReset => {
                    return Failure::down("reset", format!("connection reset by {host}"))
                }
                std::io::ErrorKind::ConnectionAborted => {
                    return Failure::down("reset", format!("connection to {host} aborted"))
                }
                std::io::ErrorKind::UnexpectedEof => {
                    return Failure::down(
                        "closed",
                        format!("{host} closed the connection before sending a complete response"),
                    )
                }
                _ => {}
            }
        }
        chain.push(e.to_string());
        source = e.source();
    }
    let text = chain.join(": ");
    if text.contains("dns error") || text.contains("failed to lookup address") {
        let host_only = host.rsplit_once(':').map_or(host, |(h, _)| h);
        let why = chain.last().cloned().unwrap_or_default();
        return Failure::down("dns", format!("DNS lookup of `{host_only}` failed: {why}"));
    }
    if err.is_timeout() {
        return Failure::down(
            "timeout",
            format!("no response from {host} within the {timeout} timeout"),
        );
    }
    if text.contains("connection closed before message completed")
        || text.contains("IncompleteMessage")
    {
        return Failure::down(
            "closed",
            format!("{host} closed the connection before sending a complete response"),
        );
    }
    if err.is_redirect() {
        return Failure::down("redirect", format!("{host}: redirect problem: {text}"));
    }
    if err.is_connect() {
        return Failure::down("connect", format!("cannot connect to {host}: {text}"));
    }
    if err.is_body() || err.is_decode() {
        return Failure::down(
            "body",
            format!("reading the response from {host} failed: {text}"),
        );
    }
    let text = if text.is_empty() {
        err.to_string()
    } else {
        text
    };
    Failure::down("http", format!("request to {host} failed: {text}"))
}

/// `io::Error::source()` skips a wrapped error and returns *its* source, so a rustls error
/// wrapped in one or more I/O errors must be dug out through `get_ref`.
fn rustls_inside(io: &std::io::Error) -> Option<&rustls::Error> {
    let inner = io.get_ref()?;
    if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    inner
        .downcast_ref::<std::io::Error>()
        .and_then(rustls_inside)
}

fn describe_tls(err: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match err {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => {
                "the server's certificate has expired".to_string()
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet (check the clocks)".to_string()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the server's certificate is not valid for this host name".to_string()
            }
            C::UnknownIssuer => {
                "the server's certificate is self-signed or issued by an unknown CA; \
                 trust an internal CA with `ca_file`"
                    .to_string()
            }
            C::Revoked => "the server's certificate has been revoked".to_string(),
            other => format!("the server's certificate was rejected ({other:?})"),
        },
        rustls::Error::InvalidMessage(_) => {
            "the server did not speak TLS (is this an http:// endpoint?)".to_string()
        }
        other => other.to_string(),
    }
}

/// The verdict on an answer. Pure, so every rule is unit-tested without a network.
pub fn evaluate(spec: &HttpSpec, answer: &Answer, now: time::OffsetDateTime) -> ProbeOutcome {
    let code = answer.status;
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut details = serde_json::Map::new();
    details.insert("http_status".into(), json!(code));
    if answer.final_url != spec.url {
        details.insert("final_url".into(), json!(answer.final_url));
    }
    let is_json = answer
        .content_type
        .as_deref()
        .is_some_and(|c| c.contains("json"));
    let cap_text = human_bytes(answer.cap);
    let text = std::str::from_utf8(&answer.body);

    // 1. Is the body an ASP.NET health report?
    let mut report: Option<HealthReport> = None;
    let mut body_problem: Option<String> = None;
    let mut json_value: Option<Value> = None;
    if answer.truncated {
        body_problem = Some(format!(
            "the response body is larger than the {cap_text} limit"
        ));
    } else {
        match text {
            Err(e) => {
                body_problem = Some(format!(
                    "the response body is not valid UTF-8 (invalid byte at offset {})",
                    e.valid_up_to()
                ))
            }
            Ok(text) => {
                if is_json || spec.json_pointer.is_some() {
                    match serde_json::from_str::<Value>(text) {
                        Ok(v) => json_value = Some(v),
                        Err(e) => {
                            body_problem = Some(format!("the response body is not valid JSON: {e}"))
                        }
                    }
                }
                if spec.format != HealthFormat::Generic {
                    report = match &json_value {
                        Some(v) => health_report::parse_json(v),
                        None => health_report::parse_plain(text),
                    };
                }
            }
        }
    }

    let mut status;
    let mut message;
    if let Some(r) = &report {
        // A report is read whatever the status code: 503 + body is a parsed Unhealthy report.
        status = r.status;
        message = health_report::summary(r);
        details.insert("format".into(), json!(r.format));
        if let Some(ms) = r.total_duration_ms {
            details.insert("total_duration_ms".into(), json!(ms));
        }
        details.insert("entries".into(), json!(r.entries));
        if !spec.expected_status.is_empty() && !spec.expected_status.contains(&code) {
            status = Status::Down;
            message = format!(
                "HTTP {code} {reason} (expected {}); {message}",
                list(&spec.expected_status)
            );
        } else if r.status == Status::Up && code >= 400 {
            // "Healthy" with an error status code: trust the code.
            status = Status::Down;
            message = format!("HTTP {code} {reason} although the body says Healthy");
        }
    } else {
        details.insert("format".into(), json!("generic"));
        let code_ok = if spec.expected_status.is_empty() {
            (200..400).contains(&code)
        } else {
            spec.expected_status.contains(&code)
        };
        if !code_ok {
            status = Status::Down;
            message = if spec.expected_status.is_empty() {
                format!("HTTP {code} {reason}")
            } else {
                format!(
                    "HTTP {code} {reason} (expected {})",
                    list(&spec.expected_status)
                )
            };
        } else if spec.format == HealthFormat::Aspnet {
            status = Status::Down;
            message = match &body_problem {
                Some(p) => format!("expected an ASP.NET health report, but {p}"),
                None => format!(
                    "expected an ASP.NET health report, got: {}",
                    excerpt(&answer.body)
                ),
            };
        } else if is_json && body_problem.is_some() && spec.format == HealthFormat::Auto {
            // Claims JSON but is not: HealthChecks UI would fail on it too.
            status = Status::Down;
            message = body_problem.clone().unwrap_or_default();
        } else {
            status = Status::Up;
            message = format!("HTTP {code} {reason}");
        }
    }

    // 2. Body expectations (each failure is down, with what was expected and found).
    if status != Status::Down {
        if let Some(needle) = &spec.body_contains {
            match (&body_problem, text) {
                (Some(p), _) => {
                    status = Status::Down;
                    message = format!("cannot look for {needle:?}: {p}");
                }
                (None, Ok(t)) if !t.contains(needle.as_str()) => {
                    status = Status::Down;
                    message = format!("the body does not contain {needle:?}");
                }
                _ => {}
            }
        }
    }
    if status != Status::Down {
        if let Some(pointer) = &spec.json_pointer {
            match (&json_value, &body_problem) {
                (_, Some(p)) => {
                    status = Status::Down;
                    message = format!("cannot read JSON pointer `{pointer}`: {p}");
                }
                (Some(v), None) => match (v.pointer(pointer), &spec.json_equals) {
                    (None, _) => {
                        status = Status::Down;
                        message = format!("JSON pointer `{pointer}` matches nothing in the body");
                    }
                    (Some(found), Some(want)) if !json_equal(found, want) => {
                        status = Status::Down;
                        message = format!("`{pointer}` is {found}, expected {want}");
                    }
                    _ => {}
                },
                (None, None) => {
                    status = Status::Down;
                    message = format!("cannot read JSON pointer `{pointer}`: empty body");
                }
            }
        }
    }
    if status == Status::Up && body_problem.is_some() && spec.body_contains.is_none() {
        // Up on the status code alone; say what could not be read.
        message = format!("{message} ({})", body_problem.clone().unwrap_or_default());
    }

    // 3. Certificate expiry.
    if let Some(not_after) = answer.cert_not_after {
        let left = not_after - now;
        let days = left.whole_days();
        details.insert(
            "tls".into(),
            json!({
                "not_after": not_after.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "days_left": days,
            }),
        );
        let warn =
            time::Duration::try_from(spec.cert_expiry_warning).unwrap_or(time::Duration::days(14));
        if left < warn && status == Status::Up {
            status = Status::Degraded;
            message = format!("{message}; TLS certificate expires in {days} days");
        }
    }

    ProbeOutcome {
        status,
        latency_ms: None,
        message,
        details: Value::Object(details),
    }
}

/// TOML has no null and integers and floats differ: `1` in the config equals `1.0` in JSON.
fn json_equal(found: &Value, want: &Value) -> bool {
    match (found, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => found == want,
    }
}

fn list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "an empty body".into();
    }
    let short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

pub fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 && n % (1024 * 1024) == 0 {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n % 1024 == 0 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests;
