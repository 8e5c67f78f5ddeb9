//! The Epicor REST API, v1 (`{url}/api/v1/{Service}/…`) and v2
//! (`{url}/api/v2/odata/{Company}/{Service}/…`, with `x-api-key` on every call), signed in with
//! Basic auth or a bearer token from `TokenResource.svc`.
//!
//! Answers follow Epicor's shapes: OData collections carry a `value` array, method calls a
//! `{ "returnObj": …, "parameters": { … } }` envelope, and errors a body with `HttpStatus`,
//! `ErrorMessage`, `ErrorType` and `CorrelationId`. A 404 from a service means the version
//! does not have it, except on the first call, where it means `url` names no Epicor instance.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{json, Value};

use super::{Company, Context, EnvironmentInfo, HealthFact, InstalledSolution, PartState};
use crate::config::{EpicorApi, EpicorAuth, EpicorSpec, HeaderValue, HttpMethod, HttpSpec};
use crate::probe::http::{self, Extras};

/// Epicor's answers are small, but an estate with many solutions lists them all at once.
const MAX_ANSWER_BYTES: u64 = 8 * 1024 * 1024;

/// Bearer tokens from `TokenResource.svc`, per environment, reused until shortly before they
/// expire so each run does not sign in again.
#[derive(Debug, Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

#[derive(Debug, Clone)]
struct Session {
    /// Which login the token belongs to: a changed user or URL never reuses it.
    login: String,
    token: SecretString,
    renew_at: Instant,
}

impl Sessions {
    fn get(&self, id: &str, login: &str) -> Option<SecretString> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id)
            .filter(|s| s.login == login && Instant::now() < s.renew_at)
            .map(|s| s.token.clone())
    }

    fn put(&self, id: &str, session: Session) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(id.to_string(), session);
    }

    fn forget(&self, id: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }
}

/// Why a call gave nothing.
#[derive(Debug, Clone)]
enum CallError {
    /// The version has no such service or method (404).
    NotAvailable,
    /// The credentials were refused (401).
    Refused(String),
    /// Anything else, said for a person.
    Failed(String),
}

impl CallError {
    fn message(&self) -> String {
        match self {
            CallError::NotAvailable => "not available on this version".into(),
            CallError::Refused(m) | CallError::Failed(m) => m.clone(),
        }
    }
}

/// What the REST API said, to be folded into an [`EnvironmentInfo`].
#[derive(Debug, Default)]
pub(super) struct RestFacts {
    latency_ms: Option<u64>,
    version: Option<String>,
    patch_level: Option<String>,
    framework_patch: Option<String>,
    health: Vec<HealthFact>,
    companies: Vec<Company>,
    solutions: Vec<InstalledSolution>,
    parts: Vec<(String, PartState, Option<String>)>,
}

impl RestFacts {
    pub(super) fn apply(self, info: &mut EnvironmentInfo) {
        info.latency_ms = self.latency_ms;
        info.version = self.version;
        info.patch_level = self.patch_level;
        info.framework_patch = self.framework_patch;
        info.health = self.health;
        info.companies = self.companies;
        info.solutions = self.solutions;
        for (part, state, message) in self.parts {
            info.report(&part, state, message);
        }
    }

    fn part<T>(&mut self, name: &str, result: &Result<T, CallError>) {
        let (state, message) = match result {
            Ok(_) => (PartState::Ok, None),
            Err(CallError::NotAvailable) => (
                PartState::NotAvailable,
                Some("not available on this version".to_string()),
            ),
            Err(e) => (PartState::Failed, Some(e.message())),
        };
        self.parts.push((name.to_string(), state, message));
    }
}

/// One environment's API, signed in.
struct Api<'a> {
    ctx: Context<'a>,
    spec: &'a EpicorSpec,
    id: &'a str,
    /// `{url}/api/v1` or `{url}/api/v2/odata/{company}`.
    base: String,
    /// `host:port`, for messages.
    host: String,
    bearer: Mutex<Option<SecretString>>,
    deadline: tokio::time::Instant,
    /// The whole inspection's timeout, for messages.
    timeout: Duration,
}

pub(super) async fn inspect(
    ctx: Context<'_>,
    id: &str,
    spec: &EpicorSpec,
    timeout: Duration,
) -> RestFacts {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut facts = RestFacts::default();
    let root = spec.url.trim_end_matches('/');
    let base = match spec.api {
        EpicorApi::V1 => format!("{root}/api/v1"),
        EpicorApi::V2 => format!(
            "{root}/api/v2/odata/{}",
            urlencode(spec.company.as_deref().unwrap_or_default())
        ),
    };
    let host = reqwest::Url::parse(root)
        .map(|u| http::authority(&u))
        .unwrap_or_else(|_| root.to_string());
    let api = Api {
        ctx,
        spec,
        id,
        base,
        host,
        bearer: Mutex::new(None),
        deadline,
        timeout,
    };
    let started = Instant::now();
    // Sign in (for a token) and ask the framework patch level: every Epicor 10 and Kinetic
    // has `SessionModSvc`, so a 404 here means `url` names no Epicor instance.
    let first = match api.sign_in().await {
        Ok(()) => {
            api.method("Ice.LIB.SessionModSvc", "GetPatchLevel", json!({}))
                .await
        }
        Err(e) => Err(e),
    };
    facts.latency_ms = Some(started.elapsed().as_millis() as u64);
    let framework = match first {
        Ok(v) => v,
        Err(e) => {
            let message = match e {
                CallError::NotAvailable => format!(
                    "{} has no Epicor REST API at {} (404): check the instance in `url` and `api`",
                    api.host, api.base
                ),
                other => other.message(),
            };
            facts
                .parts
                .push(("sign-in".into(), PartState::Failed, Some(message)));
            for part in ["version", "health", "companies", "solutions"] {
                facts.parts.push((part.into(), PartState::Skipped, None));
            }
            return facts;
        }
    };
    facts.parts.push(("sign-in".into(), PartState::Ok, None));
    facts.framework_patch = return_text(&framework);

    let (app_patch, versions, health, companies, solutions) = tokio::join!(
        api.method("Ice.LIB.SessionModSvc", "GetPatchLevelApp", json!({})),
        api.collection("Ice.BO.ProductVersionSvc", "ProductVersions"),
        api.health(),
        api.collection("Ice.BO.CompanySvc", "Companies"),
        api.method(
            "Ice.BO.ExportPackageSvc",
            "GetInstalledSolutions",
            json!({})
        ),
    );
    facts.patch_level = app_patch.as_ref().ok().and_then(return_text);
    let version = versions.map(|rows| erp_version(&rows));
    // A version without `ProductVersionSvc` still tells its release through the app patch.
    match (&version, &app_patch) {
        (Err(CallError::NotAvailable), Ok(_)) => {
            facts.parts.push(("version".into(), PartState::Ok, None));
        }
        _ => facts.part("version", &version),
    }
    facts.version = version
        .ok()
        .flatten()
        .or_else(|| facts.patch_level.as_deref().map(release_of));
    facts.part("health", &health);
    facts.health = health.unwrap_or_default();
    let companies = companies.map(|rows| rows.iter().filter_map(company).collect::<Vec<_>>());
    facts.part("companies", &companies);
    facts.companies = companies.unwrap_or_default();
    let solutions = solutions.map(|v| installed_solutions(&v));
    facts.part("solutions", &solutions);
    facts.solutions = solutions.unwrap_or_default();
    facts
}

impl Api<'_> {
    fn login_key(&self) -> String {
        format!("{}|{}", self.spec.url, self.spec.username)
    }

    /// For `auth = "token"`: a token from the cache, or a new one from `TokenResource.svc`.
    async fn sign_in(&self) -> Result<(), CallError> {
        if self.spec.auth != EpicorAuth::Token {
            return Ok(());
        }
        if let Some(t) = self.ctx.sessions.get(self.id, &self.login_key()) {
            *self.bearer.lock().unwrap_or_else(|p| p.into_inner()) = Some(t);
            return Ok(());
        }
        self.fetch_token().await
    }

    async fn fetch_token(&self) -> Result<(), CallError> {
        let url = format!("{}/TokenResource.svc/", self.spec.url.trim_end_matches('/'));
        let mut headers = BTreeMap::new();
        headers.insert(
            "username".into(),
            HeaderValue::Literal(self.spec.username.clone()),
        );
        headers.insert(
            "password".into(),
            HeaderValue::Secret(self.spec.password.clone()),
        );
        if let Some(key) = &self.spec.api_key {
            headers.insert("x-api-key".into(), HeaderValue::Secret(key.clone()));
        }
        let spec = self.http_spec(url, HttpMethod::Post, headers, false);
        let answer = self.send(&spec, &Extras::default()).await?;
        let credential = &self.spec.password.secret;
        let user = &self.spec.username;
        match answer.status {
            200 | 201 => {}
            404 => {
                return Err(CallError::Refused(format!(
                    "Epicor at {} offers no token sign-in (TokenResource.svc answered 404): turn token authentication on in the server's web.config, or use `auth = \"basic\"`",
                    self.host
                )))
            }
            400 | 401 | 403 => {
                return Err(CallError::Refused(format!(
                    "Epicor at {} refused a token for user `{user}` with the password in keychain entry `{credential}` ({}{})",
                    self.host,
                    answer.status,
                    error_text(&answer.body).map(|m| format!(": {m}")).unwrap_or_default()
                )))
            }
            code => {
                return Err(CallError::Failed(format!(
                    "Epicor at {} could not issue a token (HTTP {code}{})",
                    self.host,
                    error_text(&answer.body).map(|m| format!(": {m}")).unwrap_or_default()
                )))
            }
        }
        let (token, expires_in) = parse_token(&answer.body).ok_or_else(|| {
            CallError::Failed(format!(
                "Epicor at {} answered the token request with no access token in it",
                self.host
            ))
        })?;
        // Renew a minute early, so a run never starts with a token about to lapse.
        let life = Duration::from_secs(expires_in.unwrap_or(3600).max(120));
        self.ctx.sessions.put(
            self.id,
            Session {
                login: self.login_key(),
                token: token.clone(),
                renew_at: Instant::now() + life - Duration::from_secs(60),
            },
        );
        *self.bearer.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
        Ok(())
    }

    /// A request as the HTTP checks make them (clients, TLS settings, bounded reads), with
    /// Basic auth when `basic`.
    fn http_spec(
        &self,
        url: String,
        method: HttpMethod,
        headers: BTreeMap<String, HeaderValue>,
        basic: bool,
    ) -> HttpSpec {
        let login = http::ApiLogin {
            username: basic.then_some(&self.spec.username),
            password: basic.then_some(&self.spec.password),
            bearer_token: None,
            ca_file: self.spec.ca_file.as_ref(),
            tls_insecure: self.spec.tls_insecure,
        };
        let mut spec = login.spec(url, MAX_ANSWER_BYTES);
        spec.method = method;
        spec.headers.extend(headers);
        spec
    }

    async fn send(&self, spec: &HttpSpec, extras: &Extras) -> Result<http::Answer, CallError> {
        let left = self
            .deadline
            .saturating_duration_since(tokio::time::Instant::now());
        let timed_out = || {
            CallError::Failed(format!(
                "no answer from {} within the {} timeout",
                self.host,
                humantime::format_duration(self.timeout)
            ))
        };
        if left.is_zero() {
            return Err(timed_out());
        }
        http::send(self.ctx.http, self.ctx.secrets, spec, left, extras)
            .await
            .map_err(|f| {
                if f.kind == "timeout" {
                    timed_out()
                } else {
                    CallError::Failed(f.message)
                }
            })
    }

    /// One call to `{base}/{service}/{tail}`, signed in, with Epicor's errors explained.
    async fn call(
        &self,
        service: &str,
        tail: &str,
        body: Option<Value>,
    ) -> Result<Value, CallError> {
        let url = format!("{}/{service}/{tail}", self.base);
        let what = format!("{service}/{tail}");
        for attempt in 0..2 {
            let mut headers = BTreeMap::new();
            if let Some(key) = &self.spec.api_key {
                headers.insert("x-api-key".into(), HeaderValue::Secret(key.clone()));
            }
            if let Some(company) = &self.spec.company {
                // Runs the call in the configured company whatever the user's default is.
                headers.insert(
                    "callsettings".into(),
                    HeaderValue::Literal(json!({ "Company": company }).to_string()),
                );
            }
            let method = if body.is_some() {
                HttpMethod::Post
            } else {
                HttpMethod::Get
            };
            let token = self
                .bearer
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let spec = self.http_spec(url.clone(), method, headers, token.is_none());
            let extras = Extras {
                json_body: body.as_ref().map(|b| b.to_string().into_bytes()),
                bearer: token.clone(),
            };
            let answer = self.send(&spec, &extras).await?;
            let detail = || {
                error_text(&answer.body)
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            };
            match answer.status {
                200..=299 => {
                    if answer.truncated {
                        return Err(CallError::Failed(format!(
                            "{what} answered more than {}",
                            http::human_bytes(answer.cap)
                        )));
                    }
                    if answer.body.iter().all(u8::is_ascii_whitespace) {
                        return Ok(Value::Null);
                    }
                    return serde_json::from_slice(&answer.body).map_err(|e| {
                        CallError::Failed(format!(
                            "{what} answered with something that is not JSON ({e})"
                        ))
                    });
                }
                // An expired token: sign in again once.
                401 if token.is_some() && attempt == 0 => {
                    self.ctx.sessions.forget(self.id);
                    self.fetch_token().await?;
                    continue;
                }
                401 => {
                    let key = self
                        .spec
                        .api_key
                        .as_ref()
                        .map(|k| format!(" or the API key in keychain entry `{}`", k.secret))
                        .unwrap_or_default();
                    let how = if token.is_some() {
                        "the token it issued".to_string()
                    } else {
                        format!(
                            "the password in keychain entry `{}`",
                            self.spec.password.secret
                        )
                    };
                    return Err(CallError::Refused(format!(
                        "Epicor at {} refused user `{}` with {how}{key} (401{})",
                        self.host,
                        self.spec.username,
                        detail()
                    )));
                }
                403 => {
                    return Err(CallError::Failed(format!(
                        "user `{}` may not call {what} (403{}); grant it access to that service (or widen the API key's access scope)",
                        self.spec.username,
                        detail()
                    )))
                }
                404 => return Err(CallError::NotAvailable),
                code => {
                    return Err(CallError::Failed(format!(
                        "{what} failed (HTTP {code}{})",
                        detail()
                    )))
                }
            }
        }
        Err(CallError::Failed(format!(
            "{what}: the token was refused twice"
        )))
    }

    /// A method call: POST with named parameters; the `returnObj` of the answer.
    async fn method(&self, service: &str, method: &str, params: Value) -> Result<Value, CallError> {
        let v = self.call(service, method, Some(params)).await?;
        Ok(v.get("returnObj").cloned().unwrap_or(v))
    }

    /// An OData entity set: GET; the rows of its `value` array.
    async fn collection(&self, service: &str, set: &str) -> Result<Vec<Value>, CallError> {
        let v = self.call(service, set, None).await?;
        match v.get("value") {
            Some(Value::Array(rows)) => Ok(rows.clone()),
            _ => Err(CallError::Failed(format!(
                "{service}/{set} answered without the OData `value` array"
            ))),
        }
    }

    /// `HealthCheckSvc`: the app server, the database (with its round trip) and the report
    /// server. The service is missing on older versions: then nothing is known of them.
    async fn health(&self) -> Result<Vec<HealthFact>, CallError> {
        let svc = "Ice.BO.HealthCheckSvc";
        let (app, db, report) = tokio::join!(
            self.method(svc, "ErpAlive", json!({})),
            self.method(svc, "DatabaseAlive", json!({})),
            self.method(svc, "ReportServerAlive", json!({})),
        );
        if let Err(CallError::NotAvailable) = app {
            return Err(CallError::NotAvailable);
        }
        if let Err(e @ CallError::Refused(_)) = &app {
            return Err(e.clone());
        }
        let mut facts = Vec::new();
        for (name, answer) in [
            ("app server", app),
            ("database", db),
            ("report server", report),
        ] {
            let fact = match answer {
                // Older versions have `ErpAlive` but not every other method.
                Err(CallError::NotAvailable) => continue,
                Err(e) => HealthFact {
                    name: name.into(),
                    ok: false,
                    detail: Some(e.message()),
                },
                Ok(Value::Bool(false)) => HealthFact {
                    name: name.into(),
                    ok: false,
                    detail: Some("Epicor reports it is not alive".into()),
                },
                Ok(v) => HealthFact {
                    name: name.into(),
                    ok: true,
                    detail: match (name, v.as_i64()) {
                        ("database", Some(ms)) => Some(format!("answers in {ms} ms")),
                        _ => None,
                    },
                },
            };
            facts.push(fact);
        }
        Ok(facts)
    }
}

fn return_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `11.2.400.12` → `11.2.400`.
fn release_of(patch: &str) -> String {
    let parts: Vec<&str> = patch.split('.').collect();
    if parts.len() > 3 {
        parts[..3].join(".")
    } else {
        patch.to_string()
    }
}

/// The release of the `ERP` product among `ProductVersions` rows (the latest one, by
/// `ReleaseOrder`), else of the first row.
fn erp_version(rows: &[Value]) -> Option<String> {
    let text = |r: &Value, k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
    let erp = rows
        .iter()
        .filter(|r| text(r, "SystemCode").is_some_and(|c| c.eq_ignore_ascii_case("ERP")))
        .max_by_key(|r| r.get("ReleaseOrder").and_then(Value::as_i64).unwrap_or(0));
    erp.or_else(|| rows.first())
        .and_then(|r| text(r, "SystemVersion"))
}

/// A row of `Ice.BO.CompanySvc/Companies`: the key is `Company1` in REST (the table is also
/// called Company), `Company` in some versions.
fn company(row: &Value) -> Option<Company> {
    let id = ["Company1", "Company", "CompanyID"]
        .iter()
        .find_map(|k| row.get(*k).and_then(Value::as_str))?;
    Some(Company {
        id: id.to_string(),
        name: row
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

/// `GetInstalledSolutions`: an array of rows, or a tableset holding one.
pub(crate) fn installed_solutions(v: &Value) -> Vec<InstalledSolution> {
    let rows: Vec<&Value> = match v {
        Value::Array(rows) => rows.iter().collect(),
        Value::Object(m) => m
            .values()
            .find_map(|x| x.as_array())
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let text = |r: &Value, k: &str| {
        r.get(k)
            .map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    rows.into_iter()
        .filter(|r| !text(r, "SolutionID").is_empty())
        .map(|r| InstalledSolution {
            company: text(r, "CompanyID"),
            solution_id: text(r, "SolutionID"),
            description: text(r, "Description"),
            file_name: text(r, "FileName"),
            build_iteration: r.get("BuildIteration").and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            }),
            reference: text(r, "SolutionReference"),
            changed_by: text(r, "ChangedBy"),
            changed_on: Some(text(r, "ChangedOn")).filter(|s| !s.is_empty()),
        })
        .collect()
}

/// Epicor's error body (`ErrorMessage`), or ASP.NET's (`Message`), with the correlation id a
/// support call to Epicor asks for.
fn error_text(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let message = ["ErrorMessage", "Message", "message"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))?;
    let message: String = message.trim().chars().take(300).collect();
    match v.get("CorrelationId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Some(format!("{message} (correlation id {id})")),
        _ => Some(message),
    }
}

/// `TokenResource.svc`'s answer: JSON (`AccessToken`/`accessToken`, `ExpiresIn`) or XML
/// (`<Token><AccessToken>…</AccessToken><ExpiresIn>…`).
fn parse_token(body: &[u8]) -> Option<(SecretString, Option<u64>)> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let field = |names: &[&str]| names.iter().find_map(|k| v.get(*k)).cloned();
        let token = field(&["AccessToken", "accessToken", "access_token"])?;
        let token = token.as_str()?.to_string();
        let expires = field(&["ExpiresIn", "expiresIn", "expires_in"]).and_then(|e| {
            e.as_u64()
                .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
        });
        return (!token.is_empty()).then(|| (SecretString::from(token), expires));
    }
    let text = std::str::from_utf8(body).ok()?;
    let inner = |tag: &str| {
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{tag}>"))? + start;
        Some(text[start..end].trim().to_string())
    };
    let token = inner("AccessToken").filter(|t| !t.is_empty())?;
    let expires = inner("ExpiresIn").and_then(|s| s.parse().ok());
    Some((SecretString::from(token), expires))
}

fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// For tests of the shapes: the token as sent.
#[cfg(test)]
pub(crate) fn token_of(body: &[u8]) -> Option<(String, Option<u64>)> {
    use secrecy::ExposeSecret;
    parse_token(body).map(|(t, e)| (t.expose_secret().to_string(), e))
}

#[cfg(test)]
pub(crate) fn version_of(rows: &[Value]) -> Option<String> {
    erp_version(rows)
}

#[cfg(test)]
pub(crate) fn error_of(body: &[u8]) -> Option<String> {
    error_text(body)
}
