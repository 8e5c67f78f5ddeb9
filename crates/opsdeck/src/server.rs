//! `opsdeck serve`: the HTTP face of the engine. A thin adapter: every `/api` route maps onto
//! one [`Request`] and goes through [`Api::call`] with the caller its token names.

pub mod auth;
pub mod listen;
pub mod push;
pub mod tls;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures::Stream;
use opsdeck_core::access::Caller;
use opsdeck_core::api::{Api, ApiError, FigureWindow, HistoryWindow, Request};
use opsdeck_core::status::Status;
use serde::Deserialize;
use tower_http::services::{ServeDir, ServeFile};

use crate::metrics;

#[derive(Clone, Debug)]
pub struct AppState {
    pub api: Api,
    pub access: auth::Access,
    /// Flips to `true` when the server stops, so long-lived streams end and let it.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// How the server protects itself.
#[derive(Clone, Copy, Debug)]
pub struct Guard {
    /// Bound to loopback: answer only requests addressed to a loopback name, so a web page
    /// on another site cannot reach the console through DNS rebinding.
    pub loopback_only: bool,
}

/// Looks up a UI file by path (`index.html`, `assets/…`): its bytes and MIME type.
pub type UiLookup = Arc<dyn Fn(&str) -> Option<(Vec<u8>, String)> + Send + Sync>;

/// Where the web UI's files come from.
#[derive(Clone)]
pub enum UiFiles {
    /// A built UI on disk (`ui/dist`, or the `ui` folder beside the binary).
    Dir(PathBuf),
    /// Files held in memory, by path (`index.html`, `assets/…`): the desktop app's embedded UI.
    /// Returns the bytes and their MIME type.
    Embedded(UiLookup),
    /// None built: a page says how to build it.
    Missing,
}

impl std::fmt::Debug for UiFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UiFiles::Dir(d) => write!(f, "Dir({})", d.display()),
            UiFiles::Embedded(_) => f.write_str("Embedded"),
            UiFiles::Missing => f.write_str("Missing"),
        }
    }
}

/// An embedded file, or `index.html` for a client-side route (the UI's router handles it).
async fn embedded_file(files: UiLookup, uri: axum::http::Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match files(path).or_else(|| files("index.html")) {
        Some((bytes, mime)) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        None => no_ui().await,
    }
}

pub fn router(
    api: Api,
    access: auth::Access,
    ui: UiFiles,
    guard: Guard,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> Router {
    let state = AppState {
        api,
        access,
        stopping,
    };
    let api_routes = Router::new()
        .route(
            "/session",
            get(auth::session)
                .post(auth::sign_in)
                .delete(auth::sign_out),
        )
        // A CAB upload travels in base64 inside the command.
        .route(
            "/rpc",
            post(rpc).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/cab", get(cab_board))
        .route("/cab/audit", get(cab_audit))
        .route("/cab/audit/verify", get(cab_audit_verify))
        .route("/cab/audit.csv", get(cab_audit_csv))
        .route(
            "/cab/{name}",
            get(cab_detail)
                .put(cab_upload)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/cab/{name}/download", get(cab_download))
        .route("/cab/{name}/install", post(cab_install))
        .route("/cab/{name}/request-review", post(cab_request_review))
        .route("/cab/{name}/approve", post(cab_approve))
        .route("/cab/{name}/reject", post(cab_reject))
        .route("/cab/{name}/promote", post(cab_promote))
        .route("/epicor", get(epicor_environments))
        .route("/epicor/refresh", post(epicor_refresh_all))
        .route("/epicor/{id}/refresh", post(epicor_refresh))
        .route("/overview", get(overview))
        .route("/checks/{id}", get(check_detail))
        .route("/checks/{id}/history", get(history))
        .route("/checks/{id}/figures", get(figures))
        .route("/queues", get(queues))
        .route("/checks/{id}/run", post(check_now))
        .route("/transitions", get(transitions))
        .route("/stats", get(stats))
        .route("/alerts", get(alerts))
        .route("/timeline", get(timeline))
        .route("/checks/{id}/acknowledge", post(acknowledge))
        .route("/checks/{id}/snooze", post(snooze).delete(unsnooze))
        .route("/checks/{id}/notes", post(add_note))
        .route("/channels", get(channels))
        .route("/channels/{id}/test", post(test_channel))
        .route("/events", get(events))
        .route("/push/{token}", get(push::push).post(push::push))
        .fallback(api_not_found);
    let mut app = Router::new()
        .nest("/api", api_routes)
        .route("/metrics", get(metrics_endpoint))
        .route("/HealthCheck", get(health_check))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .with_state(state);
    app = match ui {
        UiFiles::Dir(dir) => {
            let index = dir.join("index.html");
            app.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
        }
        UiFiles::Embedded(files) => app.fallback(move |uri| embedded_file(files.clone(), uri)),
        UiFiles::Missing => app.fallback(no_ui),
    };
    app.layer(axum::middleware::from_fn(move |req, next| {
        protect(guard, req, next)
    }))
    .layer(
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            header::HeaderValue::from_static("nosniff"),
        ),
    )
    .layer(
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
    )
    .layer(
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            header::HeaderValue::from_static("no-referrer"),
        ),
    )
}

/// The web UI loads only its own files and talks only to this server; nothing inline, no
/// frames (the same policy as the desktop shell's, for a browser).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn is_loopback_host(host: &str) -> bool {
    // `host` is a Host header: name or address, optional port, IPv6 in brackets.
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    (status, Json(ApiError::new(code, message))).into_response()
}

/// Refuse requests a browser could be tricked into sending: to a loopback-bound server under a
/// foreign host name (DNS rebinding), and state-changing requests from another origin (CSRF).
async fn protect(
    guard: Guard,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if guard.loopback_only && !is_loopback_host(&host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "forbidden",
            format!(
                "this server listens on loopback and answers only to localhost names, not `{host}`"
            ),
        );
    }
    if req.method() != axum::http::Method::GET && req.method() != axum::http::Method::HEAD {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(str::to_string);
        if let Some(origin) = origin {
            let same = origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(&host));
            if !same {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("requests from origin `{origin}` are not accepted"),
                );
            }
        }
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        if req.uri().path() == "/api/rpc" && !json {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalid_request",
                "send commands as `Content-Type: application/json`".into(),
            );
        }
    }
    next.run(req).await
}

/// `ApiError` as an HTTP response with a status that matches its code.
struct ApiResponse(Result<serde_json::Value, ApiError>);

impl IntoResponse for ApiResponse {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(v) => Json(v).into_response(),
            Err(e) => {
                let status = match e.code.as_str() {
                    "not_found" => StatusCode::NOT_FOUND,
                    "invalid_request" => StatusCode::BAD_REQUEST,
                    "conflict" | "exists" => StatusCode::CONFLICT,
                    "read_only" | "forbidden" => StatusCode::FORBIDDEN,
                    "unauthorized" => StatusCode::UNAUTHORIZED,
                    "unavailable" => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                (status, Json(e)).into_response()
            }
        }
    }
}

async fn call(state: &AppState, caller: &Caller, request: Request) -> ApiResponse {
    ApiResponse(state.api.call(caller, request).await)
}

async fn rpc(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> ApiResponse {
    match serde_json::from_slice::<Request>(&body) {
        Ok(request) => call(&state, &caller, request).await,
        Err(e) => ApiResponse(Err(ApiError::invalid(format!(
            "the request body is not a valid command: {}",
            without_quoted_values(&e.to_string())
        )))),
    }
}

/// serde quotes the offending value in some messages (`invalid type: string "…"`); a command
/// can carry a credential, so error bodies keep the shape of the problem but not the value.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if inside {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

async fn overview(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResponse {
    call(&state, &caller, Request::Overview).await
}

async fn check_detail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResponse {
    call(&state, &caller, Request::CheckDetail { id }).await
}

#[derive(Deserialize)]
struct HistoryQuery {
    window: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> ApiResponse {
    let w = q.window.as_deref().unwrap_or("24h");
    let window = match serde_json::from_value::<HistoryWindow>(serde_json::Value::String(w.into()))
    {
        Ok(w) => w,
        Err(_) => {
            return ApiResponse(Err(ApiError::invalid(format!(
                "window `{w}` is not one of 24h, 7d, 30d, 1y"
            ))))
        }
    };
    call(&state, &caller, Request::History { id, window }).await
}

async fn figures(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> ApiResponse {
    let w = q.window.as_deref().unwrap_or("1h");
    let window = match serde_json::from_value::<FigureWindow>(serde_json::Value::String(w.into())) {
        Ok(w) => w,
        Err(_) => {
            return ApiResponse(Err(ApiError::invalid(format!(
                "window `{w}` is not one of 1h, 6h, 24h, 7d, 30d"
            ))))
        }
    };
    call(&state, &caller, Request::Figures { id, window }).await
}

async fn queues(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResponse {
    call(&state, &caller, Request::Queues).await
}

async fn check_now(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResponse {
    call(&state, &caller, Request::CheckNow { id }).await
}

#[derive(Deserialize)]
struct TransitionsQuery {
    id: Option<String>,
    limit: Option<u32>,
}

async fn transitions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<TransitionsQuery>,
) -> ApiResponse {
    call(
        &state,
        &caller,
        Request::Transitions {
            id: q.id,
            limit: q.limit,
        },
    )
    .await
}

async fn alerts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResponse {
    call(&state, &caller, Request::Alerts).await
}

#[derive(Deserialize)]
struct TimelineQuery {
    id: Option<String>,
    before: Option<String>,
    limit: Option<u32>,
}

async fn timeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<TimelineQuery>,
) -> ApiResponse {
    let request = Request::Timeline {
        id: q.id,
        before: q.before,
        limit: q.limit,
    };
    call(&state, &caller, request).await
}

/// A JSON body with optional fields: an empty body is all defaults.
fn body<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::invalid(format!(
            "the request body is not valid: {}",
            without_quoted_values(&e.to_string())
        ))
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    note: Option<String>,
}

async fn acknowledge(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    match body::<NoteBody>(&bytes) {
        Ok(b) => call(&state, &caller, Request::Acknowledge { id, note: b.note }).await,
        Err(e) => ApiResponse(Err(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SnoozeBody {
    minutes: Option<u32>,
    note: Option<String>,
}

async fn snooze(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    match body::<SnoozeBody>(&bytes) {
        Ok(SnoozeBody { minutes: None, .. }) => ApiResponse(Err(ApiError::invalid(
            "say for how long: `{\"minutes\": 60}` (DELETE ends a snooze)",
        ))),
        Ok(b) => {
            let request = Request::Snooze {
                id,
                minutes: b.minutes,
                note: b.note,
            };
            call(&state, &caller, request).await
        }
        Err(e) => ApiResponse(Err(e)),
    }
}

async fn unsnooze(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResponse {
    let request = Request::Snooze {
        id,
        minutes: None,
        note: None,
    };
    call(&state, &caller, request).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TextBody {
    text: String,
}

async fn add_note(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    match body::<TextBody>(&bytes) {
        Ok(b) => call(&state, &caller, Request::AddNote { id, text: b.text }).await,
        Err(e) => ApiResponse(Err(e)),
    }
}

async fn channels(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResponse {
    call(&state, &caller, Request::Channels).await
}

async fn test_channel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResponse {
    call(&state, &caller, Request::TestChannel { id }).await
}

async fn stats(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> ApiResponse {
    call(&state, &caller, Request::Stats).await
}

/// The largest request body: a CAB of the largest size accepted, in base64, with room to spare.
const UPLOAD_LIMIT: usize = opsdeck_core::cab::MAX_CAB / 3 * 4 + 1024 * 1024;

async fn epicor_environments(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResponse {
    call(&state, &caller, Request::EpicorEnvironments).await
}

async fn epicor_refresh_all(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResponse {
    call(&state, &caller, Request::EpicorRefresh { id: None }).await
}

async fn epicor_refresh(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResponse {
    call(&state, &caller, Request::EpicorRefresh { id: Some(id) }).await
}

async fn cab_board(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResponse {
    call(&state, &caller, Request::CabBoard).await
}

async fn cab_detail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> ApiResponse {
    call(&state, &caller, Request::CabDetail { name }).await
}

#[derive(Deserialize)]
struct UploadQuery {
    message: Option<String>,
    expected_head: Option<String>,
}

/// `PUT /api/cab/NAME.cab?message=…` with the CAB's bytes as the body.
async fn cab_upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(q): Query<UploadQuery>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    use base64::Engine as _;
    let request = Request::CabUpload {
        file_name: name,
        content: base64::engine::general_purpose::STANDARD.encode(&bytes),
        message: q.message.unwrap_or_default(),
        expected_head: q.expected_head,
    };
    call(&state, &caller, request).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VersionQuery {
    version: Option<String>,
}

/// The bytes of a version, as a file.
async fn cab_download(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Response {
    use base64::Engine as _;
    let request = Request::CabDownload {
        name,
        version: q.version,
    };
    let answer = state.api.call(&caller, request).await.and_then(|v| {
        serde_json::from_value::<opsdeck_core::api::CabDownload>(v)
            .map_err(|e| ApiError::new("internal", e.to_string()))
    });
    match answer {
        Ok(file) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(file.content)
                .unwrap_or_default();
            let disposition = format!(
                "attachment; filename*=UTF-8''{}",
                url::form_urlencoded::byte_serialize(file.name.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20")
            );
            let mut r = (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.ms-cab-compressed",
                )],
                bytes,
            )
                .into_response();
            for (k, v) in [
                ("content-disposition", disposition),
                ("x-cab-version", file.version.to_string()),
                ("x-cab-commit", file.commit),
                ("x-cab-sha256", file.sha256),
            ] {
                if let Ok(v) = v.parse() {
                    r.headers_mut().insert(k, v);
                }
            }
            r
        }
        Err(e) => ApiResponse(Err(e)).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct InstallBody {
    version: Option<String>,
    environment: String,
}

async fn cab_install(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    match body::<InstallBody>(&bytes) {
        Ok(b) => {
            let request = Request::CabInstall {
                name,
                version: b.version,
                environment: b.environment,
            };
            call(&state, &caller, request).await
        }
        Err(e) => ApiResponse(Err(e)),
    }
}

async fn cab_request_review(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    match body::<VersionQuery>(&bytes) {
        Ok(b) => {
            let request = Request::CabRequestReview {
                name,
                version: b.version,
            };
            call(&state, &caller, request).await
        }
        Err(e) => ApiResponse(Err(e)),
    }
}

async fn cab_approve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    match body::<VersionQuery>(&bytes) {
        Ok(b) => {
            let request = Request::CabApprove {
                name,
                version: b.version,
            };
            call(&state, &caller, request).await
        }
        Err(e) => ApiResponse(Err(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    version: Option<String>,
    reason: String,
}

async fn cab_reject(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    match body::<RejectBody>(&bytes) {
        Ok(b) => {
            let request = Request::CabReject {
                name,
                version: b.version,
                reason: b.reason,
            };
            call(&state, &caller, request).await
        }
        Err(e) => ApiResponse(Err(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PromoteBody {
    version: Option<String>,
    #[serde(default)]
    replace: bool,
}

async fn cab_promote(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResponse {
    match body::<PromoteBody>(&bytes) {
        Ok(b) => {
            let request = Request::CabPromote {
                name,
                version: b.version,
                replace: b.replace,
            };
            call(&state, &caller, request).await
        }
        Err(e) => ApiResponse(Err(e)),
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    cab: Option<String>,
    before: Option<i64>,
    limit: Option<u32>,
}

async fn cab_audit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<AuditQuery>,
) -> ApiResponse {
    let request = Request::CabAudit {
        cab: q.cab,
        before: q.before,
        limit: q.limit,
    };
    call(&state, &caller, request).await
}

async fn cab_audit_verify(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResponse {
    call(&state, &caller, Request::CabAuditVerify).await
}

async fn cab_audit_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    match state.api.call(&caller, Request::CabAuditCsv).await {
        Ok(v) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"opsdeck-cab-audit.csv\"",
                ),
            ],
            v.get("csv")
                .and_then(|c| c.as_str())
                .unwrap_or_default()
                .to_string(),
        )
            .into_response(),
        Err(e) => ApiResponse(Err(e)).into_response(),
    }
}

async fn api_not_found() -> ApiResponse {
    ApiResponse(Err(ApiError::new("not_found", "no such API route")))
}

/// Live changes as server-sent events: `event:` is the kind, `data:` the event JSON.
async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let mut rx = state.api.engine().subscribe();
    let mut stopping = state.stopping.clone();
    let stream = async_stream(move |tx| async move {
        loop {
            let received = tokio::select! {
                r = rx.recv() => r,
                _ = stopping.wait_for(|s| *s) => break,
            };
            match received {
                Ok(event) => {
                    let kind = match &event {
                        opsdeck_core::engine::Event::Result { .. } => "result",
                        opsdeck_core::engine::Event::Transition { .. } => "transition",
                        opsdeck_core::engine::Event::Config { .. } => "config",
                        opsdeck_core::engine::Event::Removed { .. } => "removed",
                    };
                    let data = serde_json::to_string(&event).unwrap_or_default();
                    if tx
                        .send(SseEvent::default().event(kind).data(data))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                // A slow client missed events: tell it to refetch instead of drifting.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let resync =
                        serde_json::json!({ "kind": "config", "path": null, "error": null });
                    if tx
                        .send(SseEvent::default().event("config").data(resync.to_string()))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    // A named event rather than an SSE comment: scripts in a browser never see comments, and
    // the UI treats a stream that stays silent for long as dead and reconnects.
    Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .event(SseEvent::default().event("ping").data("")),
    )
}

/// A small channel-backed stream, so the SSE loop reads as plain async code.
fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<SseEvent, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<SseEvent>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    tokio::spawn(f(tx));
    futures::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
    )
}

async fn metrics_endpoint(State(state): State<AppState>) -> Response {
    let body = metrics::render(&state.api);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// opsdeck's own health in the ASP.NET plain-text convention, so opsdeck can watch opsdeck:
/// Unhealthy while history cannot be written, Degraded while a config change is refused.
async fn health_check(State(state): State<AppState>) -> Response {
    let engine = state.api.engine();
    let worst = if engine.store_error().is_some() {
        Status::Down
    } else if engine.config_state().1.is_some() {
        Status::Degraded
    } else {
        Status::Up
    };
    let (code, word) = match worst {
        Status::Up => (StatusCode::OK, "Healthy"),
        Status::Degraded => (StatusCode::OK, "Degraded"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "Unhealthy"),
    };
    (
        code,
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::CACHE_CONTROL, "no-store, no-cache"),
        ],
        word,
    )
        .into_response()
}

async fn no_ui() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><title>opsdeck</title><h1>opsdeck</h1>\
             <p>The web UI is not built. Build it with <code>npm ci &amp;&amp; npm run build</code> \
             in <code>ui/</code>, or point <code>--ui-dir</code> at a built UI.</p>\
             <p>The API is available: <a href=\"api/overview\">/api/overview</a>, \
             <a href=\"metrics\">/metrics</a>.</p>",
        ),
    )
        .into_response()
}

/// Serve until `until` completes (Ctrl+C / SIGTERM for `opsdeck serve`: [`shutdown_signal`]),
/// then stop accepting, end event streams, finish requests (for at most 10 s), and return.
pub async fn serve_until<L>(
    listener: L,
    app: Router,
    stop: tokio::sync::watch::Sender<bool>,
    until: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    auth::ClientAddr:
        for<'a> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    let mut stopped = stop.subscribe();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<auth::ClientAddr>(),
    )
    .with_graceful_shutdown(async move {
        until.await;
        let _ = stop.send(true);
    });
    let server = std::pin::pin!(std::future::IntoFuture::into_future(server));
    tokio::select! {
        r = server => r,
        () = async {
            let _ = stopped.wait_for(|s| *s).await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        } => {
            tracing::warn!("requests still open 10 s after the stop signal; stopping anyway");
            Ok(())
        }
    }
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
