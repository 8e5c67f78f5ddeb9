//! The running engine: schedules every check, damps results into confirmed statuses, stores
//! history through a batching writer, publishes events, and applies config changes live.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, Mutex};
use tokio::task::JoinHandle;
use ts_rs::TS;

use crate::config::{Check, CheckSpec, Config};
use crate::probe::{ProbeMemory, Runner};
use crate::secret::SecretSource;
use crate::state::{Damper, Thresholds, Transition};
use crate::status::{CheckResult, Status};
use crate::store::{Record, Store, StoreError};
use crate::time_fmt;

/// The current state of one result series, as the overview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CheckView {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub check_type: String,
    pub environment: Option<String>,
    pub tags: Vec<String>,
    /// Where the check points (URL), for search and display.
    pub target: Option<String>,
    /// Confirmed (damped) status.
    pub status: Status,
    /// Status of the newest result, which may not be confirmed yet.
    pub last_status: Status,
    pub message: String,
    #[ts(type = "number | null")]
    pub latency_ms: Option<u64>,
    /// RFC 3339 time of the newest result.
    pub checked_at: Option<String>,
    /// RFC 3339 time the confirmed status began.
    pub since: Option<String>,
    #[ts(type = "number")]
    pub interval_s: u64,
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
}

/// Something that changed, pushed to every subscriber (UI, SSE stream).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Result {
        check: CheckView,
    },
    Transition {
        transition: Transition,
    },
    Config {
        path: Option<String>,
        error: Option<String>,
    },
    /// Results that no longer exist (a queue deleted on its broker, a series gone from a
    /// query's answer); their history stays.
    Removed {
        ids: Vec<String>,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PushError {
    /// Said to the caller as a plain 404, so a guessed token learns nothing.
    #[error("no push check has this token")]
    UnknownToken,
    #[error("`status` must be up, degraded or down (or ok, warning, error)")]
    BadStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no check with id `{0}`")]
    NotFound(String),
}

/// How often push tokens are read from the keychain again.
const PUSH_TOKENS_EVERY: Duration = Duration::from_secs(60);
/// An unknown push token makes the tokens be read again, at most this often: a token just
/// stored from the command line works on its first push, and guessing cannot hammer the
/// keychain (a new token pushed right after a guess waits this long at most).
const PUSH_TOKENS_AGAIN_AFTER: Duration = Duration::from_secs(10);

/// How often hourly and daily buckets are brought up to date from the 5-minute ones. Uptime
/// over 24 h or more barely moves in this time, and each pass reads the day's buckets.
const ROLL_UP_EVERY_MS: i64 = 30_000;

/// Runs in a row that must miss a thing (a queue, a series) before it leaves the console. One
/// miss is not enough: a queue created or deleted while a large broker is read page by page
/// shifts the pages, and a queue on the seam is missed once without being gone; forgetting it
/// would reset its "waiting since" and restart its stall timer.
const MISSES_TO_FORGET: u8 = 2;

/// What the writer last put in each series' `latest` row: (status, confirmed, message,
/// written at).
type LatestRows = HashMap<String, (Status, Status, String, i64)>;

struct Scheduled {
    check: Check,
    task: JoinHandle<()>,
}

/// The engine behind every face of opsdeck.
pub struct Engine {
    store: Store,
    secrets: Arc<dyn SecretSource>,
    config: RwLock<Arc<Config>>,
    config_state: RwLock<(Option<String>, Option<String>)>,
    runner: RwLock<Arc<Runner>>,
    memory: Arc<ProbeMemory>,
    /// SHA-256 of each push check's token, to the check's id.
    push_tokens: RwLock<HashMap<[u8; 32], String>>,
    /// When an unknown push token last made the tokens be read again, so guesses re-read them
    /// at most so often.
    push_tokens_missed: std::sync::Mutex<Option<std::time::Instant>>,
    dampers: std::sync::Mutex<HashMap<String, (Damper, i64)>>,
    views: RwLock<HashMap<String, CheckView>>,
    /// Runs in a row of a check with one result per thing that did not report the thing.
    misses: std::sync::Mutex<HashMap<String, u8>>,
    /// One run at a time per check: a "check now" or a push during a scheduled run waits for
    /// it, so two runs never judge the same queue against each other's samples out of order.
    running: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Things forgotten since the writer last wrote, whose `latest` rows it deletes (after
    /// their last results, which it may still hold).
    forgotten: std::sync::Mutex<Vec<String>>,
    events: broadcast::Sender<Event>,
    writer: Mutex<Option<(mpsc::Sender<Record>, JoinHandle<()>)>>,
    scheduled: Mutex<HashMap<String, Scheduled>>,
    stored: AtomicU64,
    /// Why the last write to the store failed, until a write succeeds again.
    store_error: RwLock<Option<String>>,
    /// Signalled after a write that stored transitions, for the alerter.
    transitions_written: Arc<tokio::sync::Notify>,
    /// Where notifications for `type = "desktop"` channels are shown (the desktop app).
    desktop: RwLock<Option<Arc<dyn crate::alerting::channel::DesktopSink>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Build the engine on a store and resume damping state from it. Nothing runs until
    /// [`Engine::start`].
    pub async fn new(
        config: Config,
        store: Store,
        secrets: Arc<dyn SecretSource>,
    ) -> Result<Arc<Engine>, EngineError> {
        let (events, _) = broadcast::channel(4096);
        let memory = Arc::new(ProbeMemory::default());
        let runner =
            Arc::new(Runner::new(&config.settings, secrets.clone()).with_memory(memory.clone()));
        let mut dampers = HashMap::new();
        let mut views = HashMap::new();
        let mut forgotten = Vec::new();
        let config = Arc::new(config);
        let rows = store.latest().await?;
        // The newest row of each check, to tell things it still reports from things that
        // went while opsdeck was not running to see them go.
        let mut newest: HashMap<String, i64> = HashMap::new();
        for l in &rows {
            let at = newest
                .entry(series_check(&l.id).to_string())
                .or_insert(l.ts);
            *at = (*at).max(l.ts);
        }
        for latest in rows {
            if let Some(check) = config
                .check
                .iter()
                .find(|c| c.common.enabled && owns(c, &latest.id))
            {
                if check.spec.is_multi() && latest.id != check.id() {
                    // An unchanged thing's row is rewritten at least once a minute, so a row
                    // this far behind its check's newest is a thing that is gone.
                    let slack = 2 * check.common.interval.as_millis() as i64 + 120_000;
                    if latest.ts < newest[series_check(&latest.id)] - slack {
                        forgotten.push(latest.id);
                        continue;
                    }
                }
                dampers.insert(
                    latest.id.clone(),
                    (Damper::restored(latest.confirmed), latest.confirmed_since),
                );
                match &check.spec {
                    CheckSpec::Rabbitmq(_) if latest.id != check.id() => {
                        if let Some(t) =
                            crate::probe::rabbitmq::Track::from_details(&latest.details)
                        {
                            memory.queues.seed(&latest.id, t);
                        }
                    }
                    CheckSpec::Push(_) => memory.pushes.seed(check.id(), &latest.details),
                    _ => {}
                }
                let mut v = skeleton_view(check);
                v.id = latest.id.clone();
                if latest.id != check.id() {
                    let thing = &latest.id[check.id().len() + 1..];
                    v.name = format!("{}: {thing}", check.display_name());
                }
                v.status = latest.confirmed;
                v.last_status = latest.status;
                v.message = latest.message;
                v.latency_ms = latest.latency_ms;
                v.checked_at = Some(time_fmt::rfc3339_from_ms(latest.ts));
                v.since = Some(time_fmt::rfc3339_from_ms(latest.confirmed_since));
                v.details = latest.details;
                views.insert(latest.id, v);
            }
        }
        for check in config.check.iter().filter(|c| c.common.enabled) {
            if !has_series(&views, check) {
                views.insert(check.id().to_string(), skeleton_view(check));
            }
        }
        Ok(Arc::new(Engine {
            store,
            secrets,
            config: RwLock::new(config),
            config_state: RwLock::new((None, None)),
            runner: RwLock::new(runner),
            memory,
            push_tokens: RwLock::new(HashMap::new()),
            push_tokens_missed: std::sync::Mutex::new(None),
            dampers: std::sync::Mutex::new(dampers),
            views: RwLock::new(views),
            misses: std::sync::Mutex::new(HashMap::new()),
            running: std::sync::Mutex::new(HashMap::new()),
            forgotten: std::sync::Mutex::new(forgotten),
            events,
            writer: Mutex::new(None),
            scheduled: Mutex::new(HashMap::new()),
            stored: AtomicU64::new(0),
            store_error: RwLock::new(None),
            transitions_written: Arc::new(tokio::sync::Notify::new()),
            desktop: RwLock::new(None),
        }))
    }

    /// Start the writer and schedule every enabled check.
    pub async fn start(self: &Arc<Self>) {
        let (tx, rx) = mpsc::channel(8192);
        let task = tokio::spawn(self.clone().write_loop(rx));
        *self.writer.lock().await = Some((tx, task));
        let config = self.config();
        self.refresh_push_tokens().await;
        self.schedule(&config, true).await;
        tokio::spawn(self.clone().prune_loop());
        tokio::spawn(self.clone().push_token_loop());
        crate::alerting::start(self.clone());
    }

    /// Show desktop-channel notifications through this (the desktop app, before `start`).
    pub fn set_desktop_sink(&self, sink: Arc<dyn crate::alerting::channel::DesktopSink>) {
        *self.desktop.write().unwrap_or_else(|p| p.into_inner()) = Some(sink);
    }

    /// What notifications are delivered with: the keychain, HTTP, the desktop if any.
    pub fn couriers(&self) -> crate::alerting::channel::Couriers {
        crate::alerting::channel::Couriers::new(
            self.secrets.clone(),
            self.desktop
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }

    /// Signalled whenever transitions have been stored.
    pub fn transitions_written(&self) -> Arc<tokio::sync::Notify> {
        self.transitions_written.clone()
    }

    /// Stop every check and flush what is queued for the store.
    pub async fn shutdown(&self) {
        for (_, s) in self.scheduled.lock().await.drain() {
            s.task.abort();
        }
        if let Some((tx, task)) = self.writer.lock().await.take() {
            drop(tx);
            let _ = task.await;
        }
        self.store.close().await;
    }

    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Where this engine's checks read credentials (the OS keychain, or the demo's none).
    pub fn secrets(&self) -> &Arc<dyn SecretSource> {
        &self.secrets
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Results committed to the store since start.
    pub fn stored_count(&self) -> u64 {
        self.stored.load(Ordering::Acquire)
    }

    /// Why history cannot be written right now (results are kept and retried).
    pub fn store_error(&self) -> Option<String> {
        self.store_error
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Path of the config file and the error of the last failed reload, if any.
    pub fn config_state(&self) -> (Option<String>, Option<String>) {
        self.config_state
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_config_state(&self, path: Option<String>, error: Option<String>) {
        *self.config_state.write().unwrap_or_else(|p| p.into_inner()) =
            (path.clone(), error.clone());
        let _ = self.events.send(Event::Config { path, error });
    }

    pub fn views(&self) -> Vec<CheckView> {
        self.views
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    pub fn view_count(&self) -> usize {
        self.views.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn view(&self, id: &str) -> Option<CheckView> {
        self.views
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Replace the config: unchanged checks keep running undisturbed, changed ones restart,
    /// removed ones stop (their history stays).
    pub async fn apply_config(self: &Arc<Self>, config: Config) {
        let old = self.config();
        let settings_changed = old.settings != config.settings;
        if settings_changed {
            *self.runner.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(
                Runner::new(&config.settings, self.secrets.clone())
                    .with_memory(self.memory.clone()),
            );
        } else {
            self.runner().forget_clients();
        }
        let removed: Vec<String> = {
            let mut views = self.views.write().unwrap_or_else(|p| p.into_inner());
            // Views of removed or disabled checks go, and so do the `CHECK/THING` views of a
            // check that no longer yields one result per thing (its type changed).
            let removed: Vec<String> = views
                .keys()
                .filter(|id| !config.check.iter().any(|c| c.common.enabled && owns(c, id)))
                .cloned()
                .collect();
            for id in &removed {
                views.remove(id);
            }
            for check in config.check.iter().filter(|c| c.common.enabled) {
                let fresh = skeleton_view(check);
                let prefix = format!("{}/", check.id());
                let mut any = false;
                for (id, v) in views.iter_mut() {
                    if id == check.id() || id.starts_with(&prefix) {
                        any = true;
                        if id == check.id() {
                            v.name = fresh.name.clone();
                        } else {
                            v.name = format!("{}: {}", fresh.name, &id[prefix.len()..]);
                        }
                        v.check_type = fresh.check_type.clone();
                        v.environment = fresh.environment.clone();
                        v.tags = fresh.tags.clone();
                        v.target = fresh.target.clone();
                        v.interval_s = fresh.interval_s;
                    }
                }
                if !any {
                    views.insert(check.id().to_string(), fresh);
                }
            }
            removed
        };
        // A check that is no longer a push check (or no longer there) keeps no last push.
        for old_check in &old.check {
            let still_push = config
                .check
                .iter()
                .any(|c| c.id() == old_check.id() && matches!(c.spec, CheckSpec::Push(_)));
            if matches!(old_check.spec, CheckSpec::Push(_)) && !still_push {
                self.memory.pushes.forget(old_check.id());
            }
        }
        if !removed.is_empty() {
            self.forget(&removed);
        }
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|id, _| config.check.iter().any(|c| c.id() == id));
        let config = Arc::new(config);
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = config.clone();
        self.refresh_push_tokens().await;
        self.schedule(&config, settings_changed).await;
    }

    async fn schedule(self: &Arc<Self>, config: &Config, restart_all: bool) {
        let mut scheduled = self.scheduled.lock().await;
        scheduled.retain(|id, s| {
            let keep = !restart_all
                && config
                    .check
                    .iter()
                    .any(|c| c.id() == id && *c == s.check && c.common.enabled);
            if !keep {
                s.task.abort();
            }
            keep
        });
        for check in config.check.iter().filter(|c| c.common.enabled) {
            if scheduled.contains_key(check.id()) {
                continue;
            }
            let task = tokio::spawn(self.clone().check_loop(check.clone()));
            scheduled.insert(
                check.id().to_string(),
                Scheduled {
                    check: check.clone(),
                    task,
                },
            );
        }
    }

    fn runner(&self) -> Arc<Runner> {
        self.runner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn check_loop(self: Arc<Self>, check: Check) {
        // Jittered start, so a thousand checks do not all fire in the same second.
        let spread = check.common.interval.min(Duration::from_secs(10));
        let jitter = rand::rng().random_range(0..=spread.as_millis() as u64);
        tokio::time::sleep(Duration::from_millis(jitter)).await;
        loop {
            self.run_check(&check).await;
            // Counted from the end of the run: a slow check is never run back to back.
            tokio::time::sleep(check.common.interval).await;
        }
    }

    /// Run one check now and record its results.
    pub async fn run_check(&self, check: &Check) -> Vec<CheckResult> {
        let turn = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(check.id().to_string())
            .or_default()
            .clone();
        let _turn = turn.lock().await;
        let mut results = self.runner().run(check).await;
        if check.spec.is_multi() {
            results = self.spread_failure(check, results);
        }
        self.record(check, &results).await;
        results
    }

    /// A check with one result per thing that could not ask at all (the server is down, the
    /// login was refused) reports one failure under its own id: each thing it reported before
    /// gets that failure instead, so the things stay in view as unknown rather than vanish.
    fn spread_failure(&self, check: &Check, results: Vec<CheckResult>) -> Vec<CheckResult> {
        let failed = results.len() == 1
            && results[0].id == check.id()
            && results[0].details.get("error").is_some();
        if !failed {
            return results;
        }
        let prefix = format!("{}/", check.id());
        let views = self.views.read().unwrap_or_else(|p| p.into_inner());
        let known: Vec<(String, String)> = views
            .values()
            .filter(|v| v.id.starts_with(&prefix))
            .map(|v| (v.id.clone(), v.name.clone()))
            .collect();
        drop(views);
        if known.is_empty() {
            return results;
        }
        known
            .into_iter()
            .map(|(id, name)| CheckResult {
                id,
                name,
                ..results[0].clone()
            })
            .collect()
    }

    /// Run a check by id now ("check now").
    pub async fn check_now(&self, id: &str) -> Result<Vec<CheckResult>, EngineError> {
        let config = self.config();
        let check = config
            .check
            .iter()
            .find(|c| c.id() == series_check(id))
            .ok_or_else(|| EngineError::NotFound(id.to_string()))?;
        let results = self.run_check(check).await;
        // "Check now" on one queue runs its whole check (one request for all of them), and
        // answers for the queue that was asked about.
        if id != check.id() {
            let one: Vec<CheckResult> = results.iter().filter(|r| r.id == id).cloned().collect();
            if !one.is_empty() {
                return Ok(one);
            }
        }
        Ok(results)
    }

    /// Run every enabled check now ("check all now"), within the usual concurrency limits.
    pub async fn check_all_now(&self) -> Vec<CheckResult> {
        let config = self.config();
        let runs = config
            .check
            .iter()
            .filter(|c| c.common.enabled)
            .map(|c| self.run_check(c));
        futures::future::join_all(runs)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    async fn record(&self, check: &Check, results: &[CheckResult]) {
        // A disabled check may be run by hand, but it is not watched: nothing is recorded.
        if !check.common.enabled {
            return;
        }
        let settings = &self.config().settings;
        // A heartbeat's age and a push's lateness are already measured against a time the
        // user chose: counting failures on top would only delay the alarm.
        let timed = matches!(check.spec, CheckSpec::HeartbeatFile(_) | CheckSpec::Push(_));
        let thresholds = Thresholds {
            failures_to_down: check.common.failures_to_down.unwrap_or(if timed {
                1
            } else {
                settings.failures_to_down
            }),
            successes_to_up: check.common.successes_to_up.unwrap_or(if timed {
                1
            } else {
                settings.successes_to_up
            }),
        };
        for result in results {
            let ts = time_fmt::now_ms();
            let (confirmed, since, change) = {
                let mut dampers = self.dampers.lock().unwrap_or_else(|p| p.into_inner());
                let (damper, since) = dampers.entry(result.id.clone()).or_default();
                let change = damper.observe(result.status, &result.message, thresholds);
                if change.is_some() {
                    *since = ts;
                }
                (damper.confirmed.unwrap_or(result.status), *since, change)
            };
            let transition = change.map(|(from, to, reason)| Transition {
                id: result.id.clone(),
                from,
                to,
                reason,
                at: time_fmt::rfc3339_from_ms(ts),
            });
            let view = {
                let mut views = self.views.write().unwrap_or_else(|p| p.into_inner());
                let v = views
                    .entry(result.id.clone())
                    .or_insert_with(|| skeleton_view(check));
                v.id = result.id.clone();
                v.name = result.name.clone();
                v.status = confirmed;
                v.last_status = result.status;
                v.message = result.message.clone();
                v.latency_ms = result.latency_ms;
                v.checked_at = Some(time_fmt::rfc3339_from_ms(ts));
                v.since = Some(time_fmt::rfc3339_from_ms(since));
                v.details = result.details.clone();
                v.clone()
            };
            let record = Record {
                result: result.clone(),
                ts,
                confirmed,
                confirmed_since: since,
                transition: transition.clone(),
                write_latest: true,
            };
            let writer = self.writer.lock().await.as_ref().map(|(tx, _)| tx.clone());
            if let Some(tx) = writer {
                // Bounded: if the disk cannot keep up, checks slow down rather than memory grow.
                let _ = tx.send(record).await;
            }
            let _ = self.events.send(Event::Result { check: view });
            if let Some(t) = transition {
                tracing::info!(check = %t.id, from = ?t.from, to = %t.to, reason = %t.reason, "status changed");
                let _ = self.events.send(Event::Transition { transition: t });
            }
        }
        if check.spec.is_multi() && !results.is_empty() {
            self.forget_missing(check, results);
        }
    }

    /// After a run of a check that yields one result per thing: the things it has not
    /// reported for [`MISSES_TO_FORGET`] runs (and at once its own placeholder) leave the
    /// console.
    fn forget_missing(&self, check: &Check, results: &[CheckResult]) {
        let prefix = format!("{}/", check.id());
        let reported: HashSet<&str> = results.iter().map(|r| r.id.as_str()).collect();
        let removed: Vec<String> = {
            let mut views = self.views.write().unwrap_or_else(|p| p.into_inner());
            let mut misses = self.misses.lock().unwrap_or_else(|p| p.into_inner());
            for id in &reported {
                misses.remove(*id);
            }
            let gone: Vec<String> = views
                .keys()
                .filter(|id| *id == check.id() || id.starts_with(&prefix))
                .filter(|id| !reported.contains(id.as_str()))
                .filter(|id| {
                    // The placeholder only ever stood for "nothing reported yet".
                    if *id == check.id() {
                        return true;
                    }
                    let n = misses.entry((*id).clone()).or_insert(0);
                    *n += 1;
                    *n >= MISSES_TO_FORGET
                })
                .cloned()
                .collect();
            for id in &gone {
                views.remove(id);
            }
            gone
        };
        if !removed.is_empty() {
            self.forget(&removed);
        }
    }

    /// Everything kept about results that left the console: damping state, queue tracks,
    /// miss counts, and (through the writer) their `latest` rows, so a restart does not bring
    /// them back. Their history stays.
    fn forget(&self, ids: &[String]) {
        {
            let mut dampers = self.dampers.lock().unwrap_or_else(|p| p.into_inner());
            let mut misses = self.misses.lock().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                dampers.remove(id);
                misses.remove(id);
            }
        }
        self.memory.queues.forget(ids);
        self.forgotten
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(ids.iter().cloned());
        let _ = self.events.send(Event::Removed { ids: ids.to_vec() });
    }

    /// Read every push check's token from the keychain (off the async workers) and keep only
    /// its hash. Called at start, after a config change and after a credential is stored.
    pub async fn refresh_push_tokens(&self) {
        let config = self.config();
        let wanted: Vec<(String, String)> = config
            .check
            .iter()
            .filter(|c| c.common.enabled)
            .filter_map(|c| match &c.spec {
                CheckSpec::Push(p) => Some((c.id().to_string(), p.token.secret.clone())),
                _ => None,
            })
            .collect();
        let source = self.secrets.clone();
        let tokens = tokio::task::spawn_blocking(move || {
            use secrecy::ExposeSecret;
            use sha2::Digest;
            let mut out = HashMap::new();
            for (id, name) in wanted {
                match source.get(&name) {
                    Ok(v) => {
                        out.insert(
                            sha2::Sha256::digest(v.expose_secret().as_bytes()).into(),
                            id,
                        );
                    }
                    Err(e) => {
                        tracing::warn!(check = %id, error = %e, "push check cannot receive pushes")
                    }
                }
            }
            out
        })
        .await
        .unwrap_or_default();
        *self.push_tokens.write().unwrap_or_else(|p| p.into_inner()) = tokens;
    }

    fn push_check_of(&self, hash: &[u8; 32]) -> Option<String> {
        self.push_tokens
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
            .cloned()
    }

    /// A service reports in at `/api/push/{token}`: record it and judge the check at once.
    /// Answers the check's id.
    pub async fn push(
        &self,
        token: &str,
        status: Option<&str>,
        message: Option<&str>,
    ) -> Result<String, PushError> {
        use sha2::Digest;
        let hash: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        let id = match self.push_check_of(&hash) {
            Some(id) => id,
            None => {
                let again = {
                    let mut missed = self
                        .push_tokens_missed
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    let again = missed.is_none_or(|at| at.elapsed() >= PUSH_TOKENS_AGAIN_AFTER);
                    if again {
                        *missed = Some(std::time::Instant::now());
                    }
                    again
                };
                if again {
                    self.refresh_push_tokens().await;
                }
                self.push_check_of(&hash).ok_or(PushError::UnknownToken)?
            }
        };
        let status = match status {
            None => Status::Up,
            Some(s) => crate::probe::push::parse_status(s).ok_or(PushError::BadStatus)?,
        };
        let config = self.config();
        let check = config
            .check
            .iter()
            .find(|c| c.id() == id)
            .ok_or(PushError::UnknownToken)?;
        self.memory.pushes.record(
            &id,
            crate::probe::push::LastPush {
                at_ms: time_fmt::now_ms(),
                status,
                message: message.and_then(crate::probe::push::clean_message),
            },
        );
        self.run_check(check).await;
        Ok(id)
    }

    async fn write_loop(self: Arc<Self>, mut rx: mpsc::Receiver<Record>) {
        let mut batch = Vec::with_capacity(1024);
        let mut latest = LatestRows::new();
        let mut rolled_up_at = 0i64;
        loop {
            batch.clear();
            if rx.recv_many(&mut batch, 1024).await == 0 {
                break;
            }
            // Gather a little more, so bursts become one transaction.
            tokio::time::sleep(Duration::from_millis(500)).await;
            while batch.len() < 4096 && rx.recv_many(&mut batch, 1024).await > 0 {
                if rx.is_empty() {
                    break;
                }
            }
            // An unchanged result refreshes `latest` at most once a minute: that row only
            // serves a restart, and skipping it halves the writes of a healthy estate.
            for r in batch.iter_mut() {
                let fresh = (r.result.status, r.confirmed, r.result.message.as_str());
                r.write_latest = match latest.get(&r.result.id) {
                    Some((s, c, m, at)) => {
                        (*s, *c, m.as_str()) != fresh
                            || r.ts - at >= 60_000
                            || r.transition.is_some()
                    }
                    None => true,
                };
                if r.write_latest {
                    latest.insert(
                        r.result.id.clone(),
                        (r.result.status, r.confirmed, r.result.message.clone(), r.ts),
                    );
                }
            }
            let mut attempt = 0u32;
            loop {
                match self.store.write(&batch).await {
                    Ok(()) => {
                        self.stored.fetch_add(batch.len() as u64, Ordering::AcqRel);
                        if batch.iter().any(|r| r.transition.is_some()) {
                            self.transitions_written.notify_one();
                        }
                        if attempt > 0 {
                            tracing::info!("writing history works again");
                            *self.store_error.write().unwrap_or_else(|p| p.into_inner()) = None;
                        }
                        break;
                    }
                    Err(e) => {
                        attempt += 1;
                        *self.store_error.write().unwrap_or_else(|p| p.into_inner()) =
                            Some(e.to_string());
                        // Stopping: a few more tries, then give up rather than never exit.
                        if rx.is_closed() && attempt >= 5 {
                            tracing::error!(error = %e, "stopping with {} results not written", batch.len());
                            break;
                        }
                        // Keep the batch and retry: a locked or full disk must not lose history.
                        tracing::error!(error = %e, attempt, "writing {} results failed; retrying", batch.len());
                        tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt.min(20))))
                            .await;
                    }
                }
            }
            self.forget_latest(&mut latest).await;
            let now = time_fmt::now_ms();
            if now - rolled_up_at >= ROLL_UP_EVERY_MS {
                rolled_up_at = now;
                if let Err(e) = self.store.roll_up().await {
                    tracing::warn!(error = %e, "rolling up history failed; retrying after the next batch");
                }
            }
        }
        self.forget_latest(&mut latest).await;
        if let Err(e) = self.store.roll_up().await {
            tracing::warn!(error = %e, "rolling up history at shutdown failed");
        }
    }

    /// Delete the `latest` rows of the things forgotten since the last call (called by the
    /// writer after a batch, so no result of theirs it still held can write the row again).
    async fn forget_latest(&self, latest: &mut LatestRows) {
        let gone = std::mem::take(&mut *self.forgotten.lock().unwrap_or_else(|p| p.into_inner()));
        if gone.is_empty() {
            return;
        }
        for id in &gone {
            latest.remove(id);
        }
        // Not retried: a row left behind is recognised as stale at the next start.
        if let Err(e) = self.store.forget_latest(&gone).await {
            tracing::warn!(error = %e, "forgetting {} results that are gone failed", gone.len());
        }
    }

    /// A push token rotated with `opsdeck secret set` outside this process is picked up within
    /// a minute (the old one stops working then, too).
    async fn push_token_loop(self: Arc<Self>) {
        let mut tick = tokio::time::interval(PUSH_TOKENS_EVERY);
        tick.tick().await;
        loop {
            tick.tick().await;
            self.refresh_push_tokens().await;
        }
    }

    async fn prune_loop(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let retention = self.config().settings.raw_retention;
            match self.store.prune(time_fmt::now_ms(), retention).await {
                Ok(n) if n > 0 => tracing::debug!(rows = n, "pruned history"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning history failed"),
            }
            if let Err(e) =
                crate::alerting::outbox::prune(self.store.pool(), time_fmt::now_ms()).await
            {
                tracing::warn!(error = %e, "pruning the delivery log failed");
            }
        }
    }
}

/// Whether `views` holds the check's own view or any of its `CHECK/THING` views.
fn has_series(views: &HashMap<String, CheckView>, check: &Check) -> bool {
    views.keys().any(|id| owns(check, id))
}

/// Whether result `id` is the check's: its own id, or `CHECK/THING` when the check yields one
/// result per thing.
fn owns(check: &Check, id: &str) -> bool {
    match id.strip_prefix(check.id()) {
        Some("") => true,
        Some(rest) => check.spec.is_multi() && rest.starts_with('/'),
        None => false,
    }
}

/// `CHECK/THING` belongs to check `CHECK`.
pub fn series_check(id: &str) -> &str {
    id.split_once('/').map_or(id, |(c, _)| c)
}

pub fn skeleton_view(check: &Check) -> CheckView {
    CheckView {
        id: check.id().to_string(),
        name: check.display_name().to_string(),
        check_type: check.spec.type_name().to_string(),
        environment: check.common.environment.clone(),
        tags: check.common.tags.clone(),
        target: check.spec.target(),
        status: Status::Unknown,
        last_status: Status::Unknown,
        message: "not checked yet".into(),
        latency_ms: None,
        checked_at: None,
        since: None,
        interval_s: check.common.interval.as_secs(),
        details: serde_json::json!({}),
    }
}

/// One concurrent sweep of the given checks (all when `ids` is empty), as `opsdeck check` does:
/// no store, no damping, every check once.
pub async fn sweep(
    config: &Config,
    ids: &[String],
    secrets: Arc<dyn SecretSource>,
) -> Result<Vec<CheckResult>, EngineError> {
    for id in ids {
        if !config.check.iter().any(|c| c.id() == series_check(id)) {
            return Err(EngineError::NotFound(id.clone()));
        }
    }
    let runner = Arc::new(Runner::new(&config.settings, secrets));
    let selected: Vec<Check> = config
        .check
        .iter()
        .filter(|c| {
            if ids.is_empty() {
                c.common.enabled
            } else {
                ids.iter().any(|i| series_check(i) == c.id())
            }
        })
        .cloned()
        .collect();
    let tasks: Vec<_> = selected
        .iter()
        .map(|check| {
            let runner = runner.clone();
            let check = check.clone();
            tokio::spawn(async move { runner.run(&check).await })
        })
        .collect();
    let mut out = Vec::new();
    for (check, joined) in selected.iter().zip(futures::future::join_all(tasks).await) {
        match joined {
            Ok(results) => out.extend(results),
            // A probe that panicked still yields a result: a missing line would read as fine.
            Err(e) => out.push(crate::probe::result_for(
                check,
                crate::status::ProbeOutcome::new(
                    Status::Unknown,
                    format!("internal error while running the check: {e}"),
                ),
                None,
            )),
        }
    }
    if !ids.is_empty() {
        // A check that could not ask at all (the broker refused the login) reports that under
        // its own id: it is the answer for each of its things asked about, too.
        let failures: HashMap<String, CheckResult> = out
            .iter()
            .filter(|r| !r.id.contains('/') && r.details.get("error").is_some())
            .map(|r| (r.id.clone(), r.clone()))
            .collect();
        // `CHECK/THING` selects one result of a multi-result check.
        out.retain(|r| ids.iter().any(|i| i == &r.id || i == series_check(&r.id)));
        // A thing the check no longer reports (a deleted queue, a typo) is said, not skipped.
        for id in ids.iter().filter(|i| i.contains('/')) {
            if out.iter().any(|r| &r.id == id) {
                continue;
            }
            let Some(check) = selected.iter().find(|c| c.id() == series_check(id)) else {
                continue;
            };
            let thing = &id[check.id().len() + 1..];
            if let Some(failure) = failures.get(check.id()) {
                out.push(CheckResult {
                    id: id.clone(),
                    name: format!("{}: {thing}", check.display_name()),
                    ..failure.clone()
                });
                continue;
            }
            let mut r = crate::probe::result_for(
                check,
                crate::status::ProbeOutcome::new(
                    Status::Unknown,
                    format!("`{}` reports nothing named `{thing}`", check.id()),
                ),
                None,
            );
            r.id = id.clone();
            out.push(r);
        }
    }
    Ok(out)
}
