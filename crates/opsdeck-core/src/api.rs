//! The typed command surface. Every face of opsdeck (HTTP server, desktop shell) routes one
//! [`Request`] enum through [`Api::call`], so a command is defined once, here.

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod alerts;
mod cab;
mod credentials;
mod epicor;
mod queues;
mod tokens;

pub use alerts::{ChannelView, Timeline};
pub use cab::{AuditCsv, AuditPage, CabDownload};
pub use credentials::{CredentialState, CredentialView, Credentials};
pub use epicor::EpicorPage;
pub use queues::{FigureHistory, FigureWindow, QueueList, QueueRow, SPARK_POINTS};
pub use tokens::CreatedToken;

use crate::access::{Caller, Role};
use crate::config::Config;
use crate::engine::{CheckView, Engine, EngineError};
use crate::estate::{
    CheckForm, EnvironmentForm, EstateError, EstateFile, EstateFileEditor, FieldError,
};
use crate::state::Transition;
use crate::status::{CheckResult, Status};
use crate::store::{HistoryPoint, Uptime};
use crate::time_fmt;

/// Every command the UI and scripts can send.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
pub enum Request {
    Overview,
    CheckDetail {
        id: String,
    },
    History {
        id: String,
        window: HistoryWindow,
    },
    Transitions {
        id: Option<String>,
        limit: Option<u32>,
    },
    CheckNow {
        id: String,
    },
    /// Depth, rates, age or value of one result series over a window, for its charts.
    Figures {
        id: String,
        window: FigureWindow,
    },
    /// Every queue of every RabbitMQ check, with a sparkline of its depth.
    Queues,
    Stats,
    /// Run every enabled check now; answers how many results came back in each status.
    CheckAll,
    /// Version, and where opsdeck keeps its files.
    About,
    /// The environments and checks as the settings forms edit them.
    Estate,
    /// Write a starter config file where none exists yet.
    CreateEstate,
    /// Add a check (`original_id` null) or change one. `revision` is the one `estate` gave.
    SaveCheck {
        revision: String,
        original_id: Option<String>,
        check: Box<CheckForm>,
    },
    RemoveCheck {
        revision: String,
        id: String,
    },
    SaveEnvironment {
        revision: String,
        original_id: Option<String>,
        environment: EnvironmentForm,
    },
    RemoveEnvironment {
        revision: String,
        id: String,
    },
    /// Who the caller is and what role they hold.
    Session,
    /// Every credential the config refers to (or that was stored from the console): whether
    /// it is in the keychain, who uses it, when it was last set. Never a value.
    Credentials,
    /// Store (or replace) a credential in the OS keychain.
    SetCredential {
        name: String,
        value: SecretInput,
    },
    DeleteCredential {
        name: String,
    },
    /// Run the checks that use a credential now.
    TestCredential {
        name: String,
    },
    /// The server's API tokens (names, roles, dates; never values).
    Tokens,
    /// Create a token; the answer holds its value, which is shown this once.
    CreateToken {
        name: String,
        role: Role,
    },
    RevokeToken {
        name: String,
    },
    /// Open alerts, snoozes and the delivery log.
    Alerts,
    /// What happened to alerts, newest first: of one result (or a check with all its
    /// things), or of the whole estate.
    Timeline {
        id: Option<String>,
        /// RFC 3339: only entries before this (the `before` of the previous page).
        before: Option<String>,
        limit: Option<u32>,
    },
    /// Stop reminders of a failing result until it recovers.
    Acknowledge {
        id: String,
        note: Option<String>,
    },
    /// Hold back a result's (or a check's) alerts for some minutes; `minutes` null ends it.
    Snooze {
        id: String,
        minutes: Option<u32>,
        note: Option<String>,
    },
    /// A note on a result's timeline.
    AddNote {
        id: String,
        text: String,
    },
    /// The notification channels (never a credential).
    Channels,
    /// Send a test notification through a channel now.
    TestChannel {
        id: String,
    },
    /// Every CAB as a pipeline (in the repository, installed, approved, promoted) with the
    /// environment matrix, and what the caller's Bitbucket account may do.
    CabBoard,
    /// One CAB's versions with their installs, approvals, rejections and promotion.
    CabDetail {
        name: String,
    },
    /// Commit a `.cab` (bytes in base64) as a new CAB or a new version. `expected_head` is the
    /// board's `head`: when the branch has moved since, nothing is written (`conflict`).
    CabUpload {
        file_name: String,
        content: String,
        message: String,
        expected_head: Option<String>,
    },
    /// A version's bytes (newest unless `version`: a number or a commit).
    CabDownload {
        name: String,
        version: Option<String>,
    },
    /// Record that a version was installed in an environment.
    CabInstall {
        name: String,
        version: Option<String>,
        environment: String,
    },
    /// The pull-request flow: open a pull request of the version into the release branch.
    CabRequestReview {
        name: String,
        version: Option<String>,
    },
    CabApprove {
        name: String,
        version: Option<String>,
    },
    CabReject {
        name: String,
        version: Option<String>,
        reason: String,
    },
    /// Copy an approved version to the destination; `replace` overwrites a different file of
    /// the same name (refused with `exists` without it).
    CabPromote {
        name: String,
        version: Option<String>,
        #[serde(default)]
        replace: bool,
    },
    /// The audit log, newest first: of one CAB (its path) or all; `before` is the previous
    /// page's `before`.
    CabAudit {
        cab: Option<String>,
        #[ts(type = "number | null")]
        before: Option<i64>,
        limit: Option<u32>,
    },
    /// Check the audit log's hash chain.
    CabAuditVerify,
    /// The whole audit log as CSV.
    CabAuditCsv,
    /// Every Epicor environment as its last check left it, and the comparison between them.
    EpicorEnvironments,
    /// Inspect one Epicor environment (or all of them) now; answers the page.
    EpicorRefresh {
        id: Option<String>,
    },
}

impl Request {
    /// The least role allowed to send this command.
    pub fn required_role(&self) -> Role {
        match self {
            Request::Overview
            | Request::CheckDetail { .. }
            | Request::History { .. }
            | Request::Figures { .. }
            | Request::Queues
            | Request::Transitions { .. }
            | Request::Stats
            | Request::About
            | Request::Session
            | Request::Alerts
            | Request::Timeline { .. }
            | Request::Channels
            | Request::CabBoard
            | Request::CabDetail { .. }
            | Request::CabDownload { .. }
            | Request::CabAudit { .. }
            | Request::CabAuditVerify
            | Request::CabAuditCsv
            | Request::EpicorEnvironments => Role::Viewer,
            Request::CheckNow { .. }
            | Request::CheckAll
            | Request::TestCredential { .. }
            | Request::Acknowledge { .. }
            | Request::Snooze { .. }
            | Request::AddNote { .. }
            | Request::TestChannel { .. }
            | Request::CabUpload { .. }
            | Request::CabInstall { .. }
            | Request::CabRequestReview { .. }
            | Request::EpicorRefresh { .. } => Role::Operator,
            Request::CabApprove { .. } | Request::CabReject { .. } | Request::CabPromote { .. } => {
                Role::Approver
            }
            Request::Estate
            | Request::CreateEstate
            | Request::SaveCheck { .. }
            | Request::RemoveCheck { .. }
            | Request::SaveEnvironment { .. }
            | Request::RemoveEnvironment { .. }
            | Request::Credentials
            | Request::SetCredential { .. }
            | Request::DeleteCredential { .. }
            | Request::Tokens
            | Request::CreateToken { .. }
            | Request::RevokeToken { .. } => Role::Admin,
        }
    }

    /// The method name as sent on the wire (`check_now`), for messages and logs.
    pub fn method(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("method").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or_default()
    }
}

/// A credential value sent by the console: read straight into a `SecretString`, shown as
/// `[redacted]` by `Debug`, and serialised as `"[redacted]"`, so a logged or echoed request
/// never carries it.
#[derive(Clone, Deserialize, TS)]
#[ts(type = "string")]
pub struct SecretInput(pub SecretString);

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for SecretInput {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS, PartialEq, Eq)]
pub enum HistoryWindow {
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "1y")]
    Year,
}

impl HistoryWindow {
    fn millis(self) -> i64 {
        const DAY: i64 = 86_400_000;
        match self {
            HistoryWindow::Day => DAY,
            HistoryWindow::Week => 7 * DAY,
            HistoryWindow::Month => 30 * DAY,
            HistoryWindow::Year => 365 * DAY,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
pub struct StatusCounts {
    pub up: u32,
    pub degraded: u32,
    pub down: u32,
    pub unknown: u32,
}

impl StatusCounts {
    /// "2 down, 1 degraded, 27 up", worst first, zeros left out; "no checks" when empty.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.down, "down"),
            (self.degraded, "degraded"),
            (self.unknown, "unknown"),
            (self.up, "up"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
        if parts.is_empty() {
            "no checks".into()
        } else {
            parts.join(", ")
        }
    }

    fn add(&mut self, s: Status) {
        match s {
            Status::Up => self.up += 1,
            Status::Degraded => self.degraded += 1,
            Status::Down => self.down += 1,
            Status::Unknown => self.unknown += 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EnvironmentView {
    /// Empty for checks without an environment.
    pub id: String,
    pub name: String,
    pub status: Status,
    pub counts: StatusCounts,
    /// Worst first, then by name.
    pub checks: Vec<CheckView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ConfigState {
    pub path: Option<String>,
    /// Why the newest version of the file was refused (the engine keeps the previous one).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Overview {
    pub generated_at: String,
    pub status: Status,
    pub counts: StatusCounts,
    /// Worst environment first.
    pub environments: Vec<EnvironmentView>,
    /// 24-hour uptime per check id.
    pub uptime_24h: BTreeMap<String, f64>,
    pub config: ConfigState,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CheckDetail {
    pub check: CheckView,
    pub uptime: Uptime,
    /// Newest first.
    pub transitions: Vec<Transition>,
    /// Last 24 hours in 5-minute buckets.
    pub history: Vec<HistoryPoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct History {
    pub id: String,
    pub window: HistoryWindow,
    #[ts(type = "number")]
    pub bucket_seconds: i64,
    pub points: Vec<HistoryPoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Stats {
    pub checks: u32,
    /// Results committed to the database since the engine started.
    #[ts(type = "number")]
    pub results_stored: u64,
    pub started_at: String,
    pub version: String,
}

/// Version and file locations, for the settings page and support requests.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct About {
    pub version: String,
    /// `windows`, `macos`, `linux`, …
    pub os: String,
    /// The config file watched, or the one that would be (when the demo is shown instead).
    pub config_path: Option<String>,
    /// The built-in demo estate is running.
    pub demo: bool,
    pub data_dir: Option<String>,
    pub database: Option<String>,
    pub log_dir: Option<String>,
}

/// Where this engine's files are; given by the face that booted it.
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// The config file edited by the settings forms (also when it does not exist yet).
    pub config: Option<std::path::PathBuf>,
    /// The demo estate is running (then the file, if any, is not what the engine watches).
    pub demo: bool,
    pub data_dir: Option<std::path::PathBuf>,
    pub database: Option<std::path::PathBuf>,
    pub log_dir: Option<std::path::PathBuf>,
}

/// An error with a stable code the UI can match on.
#[derive(Debug, Clone, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// `unauthorized`, `forbidden`, `not_found`, `invalid_request`, `conflict`, `exists` (a
    /// different file is in the way; repeat with `replace` to overwrite it), `read_only`,
    /// `unavailable` or `internal`.
    pub code: String,
    pub message: String,
    /// For `invalid_request` from a form: the problem with each field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fields: Option<Vec<FieldError>>,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
            fields: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new("invalid_request", message)
    }
}

impl From<EstateError> for ApiError {
    fn from(e: EstateError) -> Self {
        let message = e.to_string();
        match e {
            EstateError::Invalid(fields) => ApiError {
                fields: Some(fields),
                ..ApiError::new("invalid_request", message)
            },
            EstateError::Conflict => ApiError::new("conflict", message),
            EstateError::ReadOnly(_) => ApiError::new("read_only", message),
            EstateError::NotFound { .. } => ApiError::new("not_found", message),
            EstateError::Io { .. } => ApiError::new("internal", message),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let code = match e {
            EngineError::NotFound(_) => "not_found",
            EngineError::Store(_) => "internal",
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        EngineError::Store(e).into()
    }
}

#[derive(Debug, Clone)]
pub struct Api {
    engine: Arc<Engine>,
    files: Files,
    /// One form edit at a time: each reads, validates and replaces the whole file.
    editing: Arc<tokio::sync::Mutex<()>>,
    started_at: String,
    uptime_24h: Arc<tokio::sync::Mutex<Option<UptimeCache>>>,
    /// The CAB file names, to link installed solutions to (see `api::epicor`).
    cab_names: Arc<std::sync::Mutex<Option<CabNames>>>,
}

/// When the CAB names were read, and the names.
type CabNames = (std::time::Instant, Vec<String>);

/// When the 24-hour uptime map was computed (Unix ms), and the map.
type UptimeCache = (i64, BTreeMap<String, f64>);

/// How long the overview's 24-hour uptime may be reused: a day-long ratio barely moves in a
/// minute, and recomputing it for every open console would cost more than the rest of the page.
const UPTIME_CACHE_MS: i64 = 60_000;

impl Api {
    pub fn new(engine: Arc<Engine>) -> Self {
        Api::with_files(engine, Files::default())
    }

    pub fn with_files(engine: Arc<Engine>, files: Files) -> Self {
        Api {
            engine,
            files,
            editing: Arc::default(),
            started_at: time_fmt::now_rfc3339(),
            uptime_24h: Arc::default(),
            cab_names: Arc::default(),
        }
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The one entry point both transports use: checks the caller's role, then runs the command.
    pub async fn call(
        &self,
        caller: &Caller,
        request: Request,
    ) -> Result<serde_json::Value, ApiError> {
        fn json<T: Serialize>(v: T) -> Result<serde_json::Value, ApiError> {
            serde_json::to_value(v).map_err(|e| ApiError::new("internal", e.to_string()))
        }
        let needed = request.required_role();
        if caller.role < needed {
            return Err(ApiError::new(
                "forbidden",
                format!(
                    "`{}` needs the {needed} role; the token `{}` has the {} role",
                    request.method(),
                    caller.name,
                    caller.role
                ),
            ));
        }
        match request {
            Request::Session => json(caller),
            Request::Credentials => json(self.credentials().await?),
            Request::SetCredential { name, value } => {
                json(self.set_credential(name, value.0).await?)
            }
            Request::DeleteCredential { name } => json(self.delete_credential(name).await?),
            Request::TestCredential { name } => json(self.test_credential(&name).await?),
            Request::Tokens => json(self.tokens().await?),
            Request::CreateToken { name, role } => json(self.create_token(name, role).await?),
            Request::RevokeToken { name } => json(self.revoke_token(name).await?),
            Request::Overview => json(self.overview().await?),
            Request::Alerts => json(self.alerts().await?),
            Request::Timeline { id, before, limit } => json(
                self.timeline(id.as_deref(), before.as_deref(), limit)
                    .await?,
            ),
            Request::Acknowledge { id, note } => {
                json(self.acknowledge(caller, &id, note.as_deref()).await?)
            }
            Request::Snooze { id, minutes, note } => {
                json(self.snooze(caller, &id, minutes, note.as_deref()).await?)
            }
            Request::AddNote { id, text } => json(self.add_note(caller, &id, &text).await?),
            Request::Channels => json(self.channels()),
            Request::TestChannel { id } => json(self.test_channel(caller, &id).await?),
            Request::CabBoard => json(self.cab_board(caller).await?),
            Request::EpicorEnvironments => json(self.epicor_page(caller).await?),
            Request::EpicorRefresh { id } => {
                json(self.epicor_refresh(caller, id.as_deref()).await?)
            }
            Request::CabDetail { name } => json(self.cab_detail(caller, &name).await?),
            Request::CabUpload {
                file_name,
                content,
                message,
                expected_head,
            } => json(
                self.cab_upload(
                    caller,
                    &file_name,
                    &content,
                    &message,
                    expected_head.as_deref(),
                )
                .await?,
            ),
            Request::CabDownload { name, version } => {
                json(self.cab_download(caller, &name, version.as_deref()).await?)
            }
            Request::CabInstall {
                name,
                version,
                environment,
            } => json(
                self.releases(caller)
                    .await?
                    .install(&name, version.as_deref(), &environment)
                    .await?,
            ),
            Request::CabRequestReview { name, version } => json(
                self.releases(caller)
                    .await?
                    .request_review(&name, version.as_deref())
                    .await?,
            ),
            Request::CabApprove { name, version } => json(
                self.releases(caller)
                    .await?
                    .approve(&name, version.as_deref())
                    .await?,
            ),
            Request::CabReject {
                name,
                version,
                reason,
            } => json(
                self.releases(caller)
                    .await?
                    .reject(&name, version.as_deref(), &reason)
                    .await?,
            ),
            Request::CabPromote {
                name,
                version,
                replace,
            } => json(
                self.releases(caller)
                    .await?
                    .promote(&name, version.as_deref(), replace)
                    .await?,
            ),
            Request::CabAudit { cab, before, limit } => {
                json(self.cab_audit(cab.as_deref(), before, limit).await?)
            }
            Request::CabAuditVerify => json(self.cab_audit_verify().await?),
            Request::CabAuditCsv => json(self.cab_audit_csv().await?),
            Request::CheckDetail { id } => json(self.check_detail(&id).await?),
            Request::History { id, window } => json(self.history(&id, window).await?),
            Request::Transitions { id, limit } => {
                json(self.transitions(id.as_deref(), limit).await?)
            }
            Request::CheckNow { id } => json(self.check_now(&id).await?),
            Request::Figures { id, window } => json(self.figures(&id, window).await?),
            Request::Queues => json(self.queues().await?),
            Request::Stats => json(self.stats()),
            Request::CheckAll => json(self.check_all().await),
            Request::About => json(self.about()),
            Request::Estate => json(self.estate().await?),
            Request::CreateEstate => json(self.create_estate().await?),
            Request::SaveCheck {
                revision,
                original_id,
                check,
            } => {
                let edit = move |e: &EstateFileEditor| {
                    e.save_check(&revision, original_id.as_deref(), &check)
                };
                json(self.edit(edit).await?)
            }
            Request::RemoveCheck { revision, id } => {
                json(self.edit(move |e| e.remove_check(&revision, &id)).await?)
            }
            Request::SaveEnvironment {
                revision,
                original_id,
                environment,
            } => {
                let edit = move |e: &EstateFileEditor| {
                    e.save_environment(&revision, original_id.as_deref(), &environment)
                };
                json(self.edit(edit).await?)
            }
            Request::RemoveEnvironment { revision, id } => json(
                self.edit(move |e| e.remove_environment(&revision, &id))
                    .await?,
            ),
        }
    }

    pub async fn check_all(&self) -> StatusCounts {
        let mut counts = StatusCounts::default();
        for r in self.engine.check_all_now().await {
            counts.add(r.status);
        }
        counts
    }

    /// The worst confirmed status and the count of each, for a tray icon or a title.
    pub fn summary(&self) -> (Status, StatusCounts) {
        let mut counts = StatusCounts::default();
        let mut worst = Status::Up;
        for v in self.engine.views() {
            counts.add(v.status);
            worst = worst.max(v.status);
        }
        (worst, counts)
    }

    pub fn about(&self) -> About {
        let show = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
        About {
            version: env!("CARGO_PKG_VERSION").to_string(),
            os: std::env::consts::OS.to_string(),
            config_path: show(&self.files.config),
            demo: self.files.demo,
            data_dir: show(&self.files.data_dir),
            database: show(&self.files.database),
            log_dir: show(&self.files.log_dir),
        }
    }

    fn editor(&self) -> Result<EstateFileEditor, ApiError> {
        match &self.files.config {
            Some(path) => Ok(EstateFileEditor::new(path.clone())),
            None => Err(ApiError::new(
                "read_only",
                "this estate has no configuration file to edit",
            )),
        }
    }

    pub async fn estate(&self) -> Result<EstateFile, ApiError> {
        let Some(path) = self.files.config.clone() else {
            return Ok(EstateFile {
                path: None,
                exists: false,
                revision: String::new(),
                editable: false,
                read_only_reason: Some(
                    "This is the built-in demo estate; it has no configuration file to edit. Run opsdeck with your own configuration file to edit it here.".into(),
                ),
                environments: self
                    .engine
                    .config()
                    .environment
                    .iter()
                    .map(Into::into)
                    .collect(),
                checks: Vec::new(),
            });
        };
        let editor = EstateFileEditor::new(path);
        let mut estate = blocking(move || editor.read()).await?;
        if self.files.demo && estate.exists {
            estate.editable = false;
            estate.read_only_reason = Some(
                "The configuration file exists, but the demo estate is running in its place until opsdeck restarts.".into(),
            );
        }
        Ok(estate)
    }

    pub async fn create_estate(&self) -> Result<EstateFile, ApiError> {
        let editor = self.editor()?;
        let _one = self.editing.lock().await;
        blocking(move || editor.create()).await
    }

    /// Run one form edit; on success the engine takes the new config at once (the file
    /// watcher would, a moment later) and the fresh forms are returned.
    async fn edit<F>(&self, edit: F) -> Result<EstateFile, ApiError>
    where
        F: FnOnce(&EstateFileEditor) -> Result<Config, EstateError> + Send + 'static,
    {
        let editor = self.editor()?;
        if self.files.demo {
            return Err(ApiError::new(
                "read_only",
                "the demo estate is running; the configuration file is used after a restart",
            ));
        }
        let _one = self.editing.lock().await;
        let reader = editor.clone();
        let mut config = blocking(move || edit(&editor)).await?;
        config.resolve_relative_to(reader.path());
        self.engine.apply_config(config).await;
        let (path, _) = self.engine.config_state();
        self.engine.set_config_state(path, None);
        blocking(move || reader.read()).await
    }

    pub async fn overview(&self) -> Result<Overview, ApiError> {
        let config = self.engine.config();
        let now = time_fmt::now_ms();
        let uptime = self.uptime_24h(now).await?;
        let mut groups: BTreeMap<String, Vec<CheckView>> = BTreeMap::new();
        for v in self.engine.views() {
            groups
                .entry(v.environment.clone().unwrap_or_default())
                .or_default()
                .push(v);
        }
        let mut counts = StatusCounts::default();
        let mut environments: Vec<(i64, usize, EnvironmentView)> = groups
            .into_iter()
            .map(|(id, mut checks)| {
                checks.sort_by(|a, b| b.status.cmp(&a.status).then_with(|| a.name.cmp(&b.name)));
                let mut c = StatusCounts::default();
                for check in &checks {
                    c.add(check.status);
                    counts.add(check.status);
                }
                let position = config.environment.iter().position(|e| e.id == id);
                let env = position.map(|p| &config.environment[p]);
                let status = checks.iter().map(|c| c.status).max().unwrap_or(Status::Up);
                let order = env.and_then(|e| e.order).unwrap_or(0);
                (
                    order,
                    position.unwrap_or(usize::MAX),
                    EnvironmentView {
                        name: env.map_or_else(
                            || {
                                if id.is_empty() {
                                    "No environment".to_string()
                                } else {
                                    id.clone()
                                }
                            },
                            |e| e.name.clone(),
                        ),
                        id,
                        status,
                        counts: c,
                        checks,
                    },
                )
            })
            .collect();
        environments.sort_by(|a, b| {
            b.2.status
                .cmp(&a.2.status)
                .then(a.0.cmp(&b.0))
                .then(a.1.cmp(&b.1))
        });
        let environments: Vec<EnvironmentView> = environments.into_iter().map(|e| e.2).collect();
        let (path, error) = self.engine.config_state();
        Ok(Overview {
            generated_at: time_fmt::now_rfc3339(),
            status: environments
                .iter()
                .map(|e| e.status)
                .max()
                .unwrap_or(Status::Up),
            counts,
            environments,
            uptime_24h: uptime,
            config: ConfigState { path, error },
        })
    }

    /// 24-hour uptime of every check: computed on first use, then served from memory and
    /// refreshed in the background when older than a minute, so no request waits for it.
    async fn uptime_24h(&self, now: i64) -> Result<BTreeMap<String, f64>, ApiError> {
        let mut cache = self.uptime_24h.lock().await;
        match cache.as_mut() {
            Some((at, map)) => {
                // Checks without a figure yet (just started, or just added): look again soon.
                let ttl = if map.len() < self.engine.view_count() {
                    UPTIME_CACHE_MS / 12
                } else {
                    UPTIME_CACHE_MS
                };
                if now - *at >= ttl {
                    *at = now;
                    let (engine, slot) = (self.engine.clone(), self.uptime_24h.clone());
                    tokio::spawn(async move {
                        if let Ok(fresh) = compute_uptime_24h(&engine, now).await {
                            if let Some(c) = slot.lock().await.as_mut() {
                                c.1 = fresh;
                            }
                        }
                    });
                }
                Ok(map.clone())
            }
            None => {
                let map = compute_uptime_24h(&self.engine, now).await?;
                *cache = Some((now, map.clone()));
                Ok(map)
            }
        }
    }

    pub async fn check_detail(&self, id: &str) -> Result<CheckDetail, ApiError> {
        let check = self
            .engine
            .view(id)
            .ok_or_else(|| EngineError::NotFound(id.to_string()))?;
        let now = time_fmt::now_ms();
        let store = self.engine.store();
        Ok(CheckDetail {
            check,
            uptime: store.uptime(id, now).await?,
            transitions: store.transitions(Some(id), 50).await?,
            history: store.history(id, HistoryWindow::Day.millis(), now).await?.1,
        })
    }

    pub async fn history(&self, id: &str, window: HistoryWindow) -> Result<History, ApiError> {
        if self.engine.view(id).is_none() {
            return Err(EngineError::NotFound(id.to_string()).into());
        }
        let (bucket_seconds, points) = self
            .engine
            .store()
            .history(id, window.millis(), time_fmt::now_ms())
            .await?;
        Ok(History {
            id: id.to_string(),
            window,
            bucket_seconds,
            points,
        })
    }

    pub async fn transitions(
        &self,
        id: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<Transition>, ApiError> {
        let limit = limit.unwrap_or(100).clamp(1, 10_000);
        Ok(self.engine.store().transitions(id, limit).await?)
    }

    pub async fn check_now(&self, id: &str) -> Result<Vec<CheckResult>, ApiError> {
        Ok(self.engine.check_now(id).await?)
    }

    pub fn stats(&self) -> Stats {
        Stats {
            checks: self.engine.config().check.len() as u32,
            results_stored: self.engine.stored_count(),
            started_at: self.started_at.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

async fn blocking<T, E, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(Into::into),
        Err(e) => Err(ApiError::new(
            "internal",
            format!("a file task failed: {e}"),
        )),
    }
}

async fn compute_uptime_24h(engine: &Engine, now: i64) -> Result<BTreeMap<String, f64>, ApiError> {
    Ok(engine
        .store()
        .uptime_window("rollup_1h", now - 86_400_000, None)
        .await?
        .into_iter()
        .filter_map(|(id, r)| Some((id, r?)))
        .collect())
}
