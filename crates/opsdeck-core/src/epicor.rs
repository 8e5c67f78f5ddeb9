//! Epicor environments: what each one runs (version, patch level, companies, installed
//! solutions), whether its app server, database and report server answer, and the state of
//! the SQL Server database under it. One inspection asks the REST API and SQL Server at the
//! same time; the verdict ([`assess`]) turns the facts into a check result.
//!
//! Parts a version does not offer (REST v1 on an old 10.x without `HealthCheckSvc`, say) are
//! reported as "not available on this version", never as failures.

pub mod drift;
pub mod lifecycle;
pub mod rest;
pub mod sql;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::{Check, CheckCommon, CheckSpec, EpicorApi, EpicorSpec};
use crate::probe::http::HttpClients;
use crate::secret::SecretSource;
use crate::status::{ProbeOutcome, Status};

pub use rest::Sessions;

/// Everything opsdeck learnt about one environment in one inspection.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS, PartialEq)]
pub struct EnvironmentInfo {
    pub id: String,
    pub name: String,
    /// The `[[environment]]` it belongs to (Dev, Test, Live …).
    pub environment: Option<String>,
    /// Server and instance, as configured.
    pub url: String,
    /// `v1` or `v2`.
    pub api: String,
    pub company: Option<String>,
    pub status: Status,
    /// The verdict in one line.
    pub message: String,
    /// What made the status worse than up, worst first.
    pub problems: Vec<String>,
    /// Things to know that do not change the status (support ending, compatibility level).
    pub warnings: Vec<String>,
    /// RFC 3339.
    pub checked_at: String,
    /// Round trip of the first REST call (sign-in included).
    #[ts(type = "number | null")]
    pub latency_ms: Option<u64>,
    /// Epicor's release, e.g. `11.2.400` (the `ERP` row of `ProductVersions`).
    pub version: Option<String>,
    /// The application patch level, e.g. `11.2.400.12`.
    pub patch_level: Option<String>,
    /// The framework (ICE) patch level.
    pub framework_patch: Option<String>,
    /// App server, database and report server, as Epicor's `HealthCheckSvc` reports them.
    pub health: Vec<HealthFact>,
    pub companies: Vec<Company>,
    pub solutions: Vec<InstalledSolution>,
    /// How each part of the inspection went.
    pub parts: Vec<PartReport>,
    pub sql: Option<sql::SqlFacts>,
}

/// One of Epicor's own health endpoints.
#[derive(Clone, Debug, Serialize, Deserialize, TS, PartialEq)]
pub struct HealthFact {
    /// `app server`, `database` or `report server`.
    pub name: String,
    pub ok: bool,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS, PartialEq)]
pub struct Company {
    pub id: String,
    pub name: String,
}

/// A Solution Workbench solution installed in the environment (`GetInstalledSolutions`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS, PartialEq)]
pub struct InstalledSolution {
    pub company: String,
    pub solution_id: String,
    pub description: String,
    /// The `.cab` it was installed from.
    pub file_name: String,
    #[ts(type = "number | null")]
    pub build_iteration: Option<i64>,
    pub reference: String,
    pub changed_by: String,
    pub changed_on: Option<String>,
}

/// Which part of an inspection, and how it went.
#[derive(Clone, Debug, Serialize, Deserialize, TS, PartialEq)]
pub struct PartReport {
    /// `sign-in`, `version`, `patch level`, `health`, `companies`, `solutions`, `sql`.
    pub part: String,
    pub state: PartState,
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PartState {
    Ok,
    /// The version does not offer it: not a failure.
    NotAvailable,
    Failed,
    /// Not asked (the sign-in failed, or nothing is configured for it).
    Skipped,
}

impl EnvironmentInfo {
    /// The environment as configured, before anything is known of it.
    pub fn configured(common: &CheckCommon, spec: &EpicorSpec) -> Self {
        EnvironmentInfo {
            id: common.id.clone(),
            name: common.name.clone().unwrap_or_else(|| common.id.clone()),
            environment: common.environment.clone(),
            url: spec.url.clone(),
            api: match spec.api {
                EpicorApi::V1 => "v1".into(),
                EpicorApi::V2 => "v2".into(),
            },
            company: spec.company.clone(),
            checked_at: crate::time_fmt::now_rfc3339(),
            ..EnvironmentInfo::default()
        }
    }

    fn report(&mut self, part: &str, state: PartState, message: Option<String>) {
        self.parts.push(PartReport {
            part: part.to_string(),
            state,
            message,
        });
    }

    pub fn part(&self, part: &str) -> Option<&PartReport> {
        self.parts.iter().find(|p| p.part == part)
    }
}

/// What one inspection needs besides the environment's settings.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub http: &'a HttpClients,
    pub secrets: &'a dyn SecretSource,
    pub sessions: &'a Sessions,
}

/// Ask the REST API and the SQL Server (at the same time) everything the console shows.
pub async fn inspect(
    ctx: Context<'_>,
    check: &Check,
    spec: &EpicorSpec,
    timeout: Duration,
) -> EnvironmentInfo {
    let mut info = EnvironmentInfo::configured(&check.common, spec);
    let deadline = tokio::time::Instant::now() + timeout;
    let sql_part = async {
        match &spec.sql {
            None => None,
            Some(settings) => Some(sql::inspect(ctx.secrets, settings, deadline).await),
        }
    };
    let (rest_facts, sql_facts) =
        tokio::join!(rest::inspect(ctx, check.id(), spec, timeout), sql_part);
    rest_facts.apply(&mut info);
    match sql_facts {
        None => info.report("sql", PartState::Skipped, None),
        Some(Ok(facts)) => {
            info.report("sql", PartState::Ok, None);
            info.sql = Some(facts);
        }
        Some(Err(e)) => info.report("sql", PartState::Failed, Some(e.to_string())),
    }
    let now = time::OffsetDateTime::now_utc();
    assess(&mut info, spec, now.date());
    redact(info, ctx.secrets, spec)
}

/// A server may quote what it was sent (an error echoing a header): every credential this
/// environment sends, and the Basic-auth form of its login, is cut out before it is shown,
/// stored or logged.
fn redact(info: EnvironmentInfo, secrets: &dyn SecretSource, spec: &EpicorSpec) -> EnvironmentInfo {
    use base64::Engine as _;
    use secrecy::ExposeSecret;
    let mut values: Vec<String> = spec
        .secret_refs()
        .iter()
        .filter_map(|r| secrets.get(&r.secret).ok())
        .map(|v| v.expose_secret().to_string())
        .collect();
    if let Ok(p) = secrets.get(&spec.password.secret) {
        values.push(base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            spec.username,
            p.expose_secret()
        )));
    }
    let Ok(mut value) = serde_json::to_value(&info) else {
        return info;
    };
    crate::probe::http::redact_values(&mut value, &values);
    serde_json::from_value(value).unwrap_or(info)
}

/// The verdict: status, message, problems and warnings from the facts. Pure, so every rule is
/// unit-tested without a server.
pub fn assess(info: &mut EnvironmentInfo, spec: &EpicorSpec, today: time::Date) {
    let mut worst = Status::Up;
    let mut problems: Vec<(Status, String)> = Vec::new();
    let mut warnings = Vec::new();
    let mut raise = |status: Status, message: String| {
        problems.push((status, message));
    };
    if let Some(p) = info
        .part("sign-in")
        .filter(|p| p.state == PartState::Failed)
    {
        raise(
            Status::Down,
            p.message.clone().unwrap_or_else(|| "cannot sign in".into()),
        );
    }
    for h in &info.health {
        if !h.ok {
            let status = if h.name == "report server" {
                Status::Degraded
            } else {
                Status::Down
            };
            let detail = h
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            raise(status, format!("the {} is not alive{detail}", h.name));
        }
    }
    for p in &info.parts {
        if p.state == PartState::Failed && p.part != "sign-in" && p.part != "sql" {
            raise(
                Status::Degraded,
                format!("{}: {}", p.part, p.message.as_deref().unwrap_or("failed")),
            );
        }
    }
    if let Some(p) = info.part("sql").filter(|p| p.state == PartState::Failed) {
        raise(
            Status::Degraded,
            format!(
                "SQL Server: {}",
                p.message.as_deref().unwrap_or("cannot be asked")
            ),
        );
    }
    if let (Some(facts), Some(settings)) = (&info.sql, &spec.sql) {
        for (status, message) in sql::judge(facts, settings) {
            raise(status, message);
        }
        warnings.extend(sql::notes(facts));
        if let Some(l) = &facts.lifecycle {
            let (status, note) = lifecycle::judge(l, today, settings.support_warning);
            if let Some(note) = note {
                if status == Status::Up {
                    warnings.push(note);
                } else {
                    raise(status, note);
                }
            }
        }
    }
    if spec
        .sql
        .as_ref()
        .is_some_and(|s| s.encrypt == crate::config::SqlEncrypt::Off)
    {
        warnings.push(
            "encrypt = \"off\": the SQL login and every answer cross the network unencrypted"
                .into(),
        );
    }
    if spec.tls_insecure && info.url.starts_with("https") {
        warnings.push(
            "tls_insecure: certificate verification is turned off for this environment".into(),
        );
    }
    problems.sort_by_key(|p| std::cmp::Reverse(p.0));
    if let Some((s, _)) = problems.first() {
        worst = *s;
    }
    info.status = worst;
    info.message = match problems.first() {
        Some((_, m)) if problems.len() == 1 => m.clone(),
        Some((_, m)) => format!("{m} (and {} more)", problems.len() - 1),
        None => summary(info),
    };
    info.problems = problems.into_iter().map(|(_, m)| m).collect();
    info.warnings = warnings;
}

/// "Epicor 11.2.400 (patch 11.2.400.12) · 3 companies · 12 solutions · SQL Server 2019 CU18".
fn summary(info: &EnvironmentInfo) -> String {
    let mut parts = Vec::new();
    match (&info.version, &info.patch_level) {
        (Some(v), Some(p)) if p != v => parts.push(format!("Epicor {v} (patch {p})")),
        (Some(v), _) => parts.push(format!("Epicor {v}")),
        (None, Some(p)) => parts.push(format!("Epicor patch {p}")),
        (None, None) => parts.push("Epicor answers".to_string()),
    }
    if info
        .part("companies")
        .is_some_and(|p| p.state == PartState::Ok)
    {
        parts.push(plural(info.companies.len(), "company", "companies"));
    }
    if info
        .part("solutions")
        .is_some_and(|p| p.state == PartState::Ok)
    {
        parts.push(plural(info.solutions.len(), "solution", "solutions"));
    }
    if let Some(sql) = &info.sql {
        parts.push(sql.product_label());
    }
    parts.join(" · ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The check run: one inspection, as a result whose details are the whole [`EnvironmentInfo`].
pub async fn probe(ctx: Context<'_>, check: &Check, timeout: Duration) -> ProbeOutcome {
    let CheckSpec::Epicor(spec) = &check.spec else {
        return ProbeOutcome::new(Status::Unknown, "not an Epicor environment");
    };
    let started = Instant::now();
    let info = inspect(ctx, check, spec, timeout).await;
    let mut o = ProbeOutcome::new(info.status, info.message.clone());
    o.latency_ms = info
        .latency_ms
        .or(Some(started.elapsed().as_millis() as u64));
    o.details = serde_json::to_value(&info).unwrap_or_default();
    o
}

/// The environment as the last result left it; `None` for a result that is not one (a
/// timeout noted by the runner, or a result from an older opsdeck).
pub fn from_details(details: &serde_json::Value) -> Option<EnvironmentInfo> {
    details.get("parts")?;
    serde_json::from_value(details.clone()).ok()
}

/// Inspect `checks` once, now, with credentials from `source` (read once, off the async
/// workers), as a one-shot command does.
pub async fn inspect_once(
    checks: &[&Check],
    source: std::sync::Arc<dyn SecretSource>,
) -> Vec<EnvironmentInfo> {
    let names = checks
        .iter()
        .flat_map(|c| c.secret_refs())
        .map(|r| r.secret.clone())
        .collect();
    let secrets = crate::probe::ResolvedSecrets::read(source, names).await;
    let http = HttpClients::default();
    let sessions = Sessions::default();
    let ctx = Context {
        http: &http,
        secrets: &secrets,
        sessions: &sessions,
    };
    inspect_all(ctx, checks).await
}

/// Inspect many environments at once: the slowest one sets the pace, not their sum.
pub async fn inspect_all(ctx: Context<'_>, checks: &[&Check]) -> Vec<EnvironmentInfo> {
    let runs = checks.iter().filter_map(|check| match &check.spec {
        CheckSpec::Epicor(spec) => Some(async move {
            let timeout = check.common.timeout;
            // The inspection keeps to its deadline itself; this only catches one that forgets.
            match tokio::time::timeout(
                timeout + Duration::from_millis(500),
                Box::pin(inspect(ctx, check, spec, timeout)),
            )
            .await
            {
                Ok(info) => info,
                Err(_) => EnvironmentInfo {
                    status: Status::Down,
                    message: format!(
                        "no answer within the {} timeout",
                        humantime::format_duration(timeout)
                    ),
                    ..EnvironmentInfo::configured(&check.common, spec)
                },
            }
        }),
        _ => None,
    });
    futures::future::join_all(runs).await
}

#[cfg(test)]
mod tests;
