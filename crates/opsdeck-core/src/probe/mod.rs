//! Probes: one module per check type, run through a [`Runner`] that enforces the concurrency
//! caps and the timeout, whatever the probe does.

pub mod health_report;
pub mod heartbeat_file;
pub mod http;
pub mod prometheus;
pub mod push;
pub mod rabbitmq;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::config::{Check, CheckSpec, Settings};
use crate::secret::{SecretError, SecretSource};
use crate::status::{CheckResult, ProbeOutcome, Status};

/// Runs checks with a global cap and a per-host cap, so a slow host queues only its own checks.
#[derive(Debug)]
pub struct Runner {
    global: Semaphore,
    per_host_limit: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    http: http::HttpClients,
    secrets: Arc<dyn SecretSource>,
    max_body_bytes: u64,
    memory: Arc<ProbeMemory>,
}

/// What probes remember between runs: queue trends and the last pushes. It outlives the
/// runner (which is rebuilt when settings change) and is seeded from the store at start.
#[derive(Debug, Default)]
pub struct ProbeMemory {
    pub queues: rabbitmq::QueueTracks,
    pub pushes: push::Pushes,
    /// Epicor bearer tokens, reused until shortly before they expire.
    pub epicor: crate::epicor::Sessions,
}

impl Runner {
    pub fn new(settings: &Settings, secrets: Arc<dyn SecretSource>) -> Self {
        Runner {
            global: Semaphore::new(settings.max_concurrency),
            per_host_limit: settings.max_per_host,
            hosts: Mutex::new(HashMap::new()),
            http: http::HttpClients::default(),
            secrets,
            max_body_bytes: settings.max_body_bytes,
            memory: Arc::default(),
        }
    }

    /// The same runner, remembering into `memory` (shared with earlier runners).
    pub fn with_memory(mut self, memory: Arc<ProbeMemory>) -> Self {
        self.memory = memory;
        self
    }

    pub fn memory(&self) -> &Arc<ProbeMemory> {
        &self.memory
    }

    /// Drop cached clients, e.g. after a config reload.
    pub fn forget_clients(&self) {
        self.http.clear();
    }

    fn host_semaphore(&self, key: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(key.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host_limit)))
            .clone()
    }

    /// Run one check to completion. Never panics, never takes much longer than the timeout
    /// once it holds its slots.
    pub async fn run(&self, check: &Check) -> Vec<CheckResult> {
        // Credentials first, so a slow keychain holds no concurrency slot.
        let secrets = self.resolve(check).await;
        let host = host_key(check);
        // Host first, then global: a check waiting on a busy host must not hold a global slot.
        let host_sem = self.host_semaphore(&host);
        let _host = host_sem.acquire().await;
        let _global = self.global.acquire().await;
        let started = Instant::now();
        let timeout = check.common.timeout;
        // The probe enforces the timeout itself with specific messages; this outer guard
        // only catches a probe that forgets to.
        let guard = timeout + Duration::from_millis(500);
        let outcomes = match tokio::time::timeout(guard, self.probe(check, &secrets, timeout)).await
        {
            Ok(o) => o,
            Err(_) => {
                // A check with one result per thing does not know its things' state (as with
                // a broker that cannot be asked), and marks the failure as such, so the things
                // shown before stay and take it on rather than vanish.
                let mut o = ProbeOutcome::new(
                    if check.spec.is_multi() {
                        Status::Unknown
                    } else {
                        Status::Down
                    },
                    format!(
                        "no result within the {} timeout",
                        humantime::format_duration(timeout)
                    ),
                );
                o.details = serde_json::json!({ "error": "timeout" });
                vec![(check.id().to_string(), o)]
            }
        };
        let elapsed = started.elapsed().as_millis() as u64;
        outcomes
            .into_iter()
            .map(|(id, outcome)| {
                let latency = outcome.latency_ms.or(Some(elapsed));
                let mut r = result_for(check, outcome, latency);
                if id != r.id {
                    // `CHECK/THING`: named after the thing, within the check.
                    let thing = id.strip_prefix(&format!("{}/", r.id)).unwrap_or(&id);
                    r.name = format!("{}: {thing}", r.name);
                    r.id = id;
                }
                r
            })
            .collect()
    }

    /// The outcomes of one run, each with its result id.
    async fn probe(
        &self,
        check: &Check,
        secrets: &ResolvedSecrets,
        timeout: Duration,
    ) -> Vec<(String, ProbeOutcome)> {
        let id = check.id().to_string();
        match &check.spec {
            CheckSpec::Http(spec) => vec![(
                id,
                http::probe(&self.http, secrets, spec, timeout, self.max_body_bytes).await,
            )],
            CheckSpec::Rabbitmq(spec) => {
                rabbitmq::probe(&self.http, secrets, &self.memory.queues, &id, spec, timeout).await
            }
            CheckSpec::Prometheus(spec) => {
                prometheus::probe(&self.http, secrets, &id, spec, timeout).await
            }
            CheckSpec::HeartbeatFile(spec) => {
                vec![(id, heartbeat_file::probe(spec, timeout).await)]
            }
            CheckSpec::Epicor(_) => {
                let ctx = crate::epicor::Context {
                    http: &self.http,
                    secrets,
                    sessions: &self.memory.epicor,
                };
                // Boxed: an inspection (REST and SQL Server at once) is a large future, and
                // would otherwise make every check's run as large.
                vec![(
                    id,
                    Box::pin(crate::epicor::probe(ctx, check, timeout)).await,
                )]
            }
            CheckSpec::Push(spec) => {
                // Without its token in the keychain, no push can reach the check: say so,
                // rather than wait for pushes that cannot come.
                if let Err(e) = secrets.get(&spec.token.secret) {
                    let mut o = ProbeOutcome::new(Status::Unknown, e.to_string());
                    o.details = serde_json::json!({
                        "error": "credential",
                        "credential": { "name": e.name(), "problem": e.problem() },
                    });
                    return vec![(id, o)];
                }
                let o = push::evaluate(spec, &self.memory.pushes, &id, crate::time_fmt::now_ms());
                vec![(id, o)]
            }
        }
    }
}

pub fn result_for(check: &Check, outcome: ProbeOutcome, latency_ms: Option<u64>) -> CheckResult {
    CheckResult {
        id: check.common.id.clone(),
        name: check.display_name().to_string(),
        check_type: check.spec.type_name().to_string(),
        environment: check.common.environment.clone(),
        status: outcome.status,
        latency_ms: if outcome.status == Status::Unknown {
            None
        } else {
            latency_ms
        },
        message: outcome.message,
        details: outcome.details,
        checked_at: crate::time_fmt::now_rfc3339(),
    }
}

impl Runner {
    /// Read the check's credentials from the keychain off the async workers: keychain backends
    /// block (D-Bus, Win32) and must not stall other checks.
    async fn resolve(&self, check: &Check) -> ResolvedSecrets {
        let names: Vec<String> = check
            .secret_refs()
            .into_iter()
            .map(|r| r.secret.clone())
            .collect();
        if names.is_empty() {
            return ResolvedSecrets::default();
        }
        ResolvedSecrets::read(self.secrets.clone(), names).await
    }
}

/// The credentials one run needs, read once before it starts.
#[derive(Debug, Default)]
pub struct ResolvedSecrets(HashMap<String, Result<secrecy::SecretString, SecretError>>);

impl ResolvedSecrets {
    /// Read `names` from `source` on a blocking thread: keychain backends block (D-Bus, Win32)
    /// and must not stall the async workers.
    pub async fn read(source: Arc<dyn SecretSource>, names: Vec<String>) -> ResolvedSecrets {
        tokio::task::spawn_blocking(move || {
            ResolvedSecrets(
                names
                    .into_iter()
                    .map(|n| {
                        let v = source.get(&n);
                        (n, v)
                    })
                    .collect(),
            )
        })
        .await
        .unwrap_or_default()
    }
}

impl SecretSource for ResolvedSecrets {
    fn get(&self, name: &str) -> Result<secrecy::SecretString, SecretError> {
        self.0
            .get(name)
            .cloned()
            .unwrap_or_else(|| Err(SecretError::Missing { name: name.into() }))
    }
}

/// `host:port` a check talks to, for the per-host cap.
pub fn host_key(check: &Check) -> String {
    let of_url = |url: &str| {
        url::Url::parse(url)
            .ok()
            .and_then(|u| {
                Some(format!(
                    "{}:{}",
                    u.host_str()?.to_ascii_lowercase(),
                    u.port_or_known_default()?
                ))
            })
            .unwrap_or_else(|| url.to_string())
    };
    match &check.spec {
        CheckSpec::Http(spec) => of_url(&spec.url),
        CheckSpec::Rabbitmq(spec) => of_url(&spec.url),
        CheckSpec::Prometheus(spec) => of_url(&spec.url),
        CheckSpec::Epicor(spec) => of_url(&spec.url),
        // A file server is a host too: `\\server\share\…` counts against `server`, and so
        // do the other spellings Windows accepts for it (`//server/share/…`, and the
        // extended-length `\\?\UNC\server\share\…`).
        CheckSpec::HeartbeatFile(spec) => {
            let p = spec.path.display().to_string();
            let unc = match p.strip_prefix(r"\\?\UNC\") {
                Some(rest) => Some(rest),
                // `\\?\C:\…` and `\\.\…` are local.
                None if p.starts_with(r"\\?\") || p.starts_with(r"\\.\") => None,
                None => p.strip_prefix(r"\\").or_else(|| p.strip_prefix("//")),
            };
            match unc {
                Some(rest) => format!(
                    "smb:{}",
                    rest.split(['\\', '/'])
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                ),
                None => "local-files".to_string(),
            }
        }
        // Evaluated in memory: no host to spare.
        CheckSpec::Push(_) => format!("push:{}", check.id()),
    }
}

#[cfg(test)]
mod tests {
    use super::host_key;
    use crate::config::Config;

    fn key_of_file(path: &str) -> String {
        let text = format!(
            "[[check]]\nid = \"beat\"\ntype = \"heartbeat-file\"\npath = '{path}'\nmax_age = \"15m\"\n"
        );
        host_key(&Config::parse(&text, "test.toml").expect("config").check[0])
    }

    #[test]
    fn every_spelling_of_a_file_server_counts_against_that_server() {
        for path in [
            r"\\FS01\beats\ap.txt",
            "//fs01/beats/ap.txt",
            r"\\?\UNC\fs01\beats\ap.txt",
        ] {
            assert_eq!(key_of_file(path), "smb:fs01", "{path}");
        }
        for path in [
            r"C:\beats\ap.txt",
            r"\\?\C:\beats\ap.txt",
            "/var/beats/ap.txt",
        ] {
            assert_eq!(key_of_file(path), "local-files", "{path}");
        }
    }
}
