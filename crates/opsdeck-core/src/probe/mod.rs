//! Probes: one module per check type, run through a [`Runner`] that enforces the concurrency
//! caps and the timeout, whatever the probe does.

pub mod health_report;
pub mod http;

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
        }
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
        let outcome = match &check.spec {
            CheckSpec::Http(spec) => {
                // The probe enforces the timeout itself with specific messages; this outer
                // guard only catches a probe that forgets to.
                let guard = timeout + Duration::from_millis(500);
                match tokio::time::timeout(
                    guard,
                    http::probe(&self.http, &secrets, spec, timeout, self.max_body_bytes),
                )
                .await
                {
                    Ok(o) => o,
                    Err(_) => ProbeOutcome::new(
                        Status::Down,
                        format!(
                            "no result within the {} timeout",
                            humantime::format_duration(timeout)
                        ),
                    ),
                }
            }
        };
        let latency = outcome
            .latency_ms
            .or(Some(started.elapsed().as_millis() as u64));
        vec![result_for(check, outcome, latency)]
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
        let source = self.secrets.clone();
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

/// The credentials one run needs, read once before it starts.
#[derive(Debug, Default)]
struct ResolvedSecrets(HashMap<String, Result<secrecy::SecretString, SecretError>>);

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
    match &check.spec {
        CheckSpec::Http(spec) => url::Url::parse(&spec.url)
            .ok()
            .and_then(|u| {
                Some(format!(
                    "{}:{}",
                    u.host_str()?.to_ascii_lowercase(),
                    u.port_or_known_default()?
                ))
            })
            .unwrap_or_else(|| spec.url.clone()),
    }
}
