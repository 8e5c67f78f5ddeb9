//! Who `opsdeck serve` lets in. Every request but the open ones (the web UI's files, the
//! health endpoint, `/metrics` when configured public, signing in and out) carries an API token,
//! as `Authorization: Bearer …` from scripts or in the sign-in cookie from the web UI. The role
//! each command needs is checked by the core ([`opsdeck_core::api::Request::required_role`]);
//! here a token is turned into a [`Caller`], and clients that keep presenting bad tokens are
//! slowed down.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use opsdeck_core::access::{Caller, TokenVerifier, Verdict};
use opsdeck_core::api::ApiError;
use serde::Deserialize;

use super::AppState;

/// The sign-in cookie is the token itself, out of reach of scripts (`HttpOnly`) and never sent
/// by another site (`SameSite=Strict`). Browsers share cookies between the ports of one host,
/// so the name carries the server's port (`opsdeck_token_7410`): two consoles on one machine
/// keep their own sign-ins.
pub const COOKIE_PREFIX: &str = "opsdeck_token_";

/// How long a browser stays signed in.
const COOKIE_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Clone, Debug)]
pub struct Access {
    pub verifier: Arc<TokenVerifier>,
    pub limiter: Arc<FailureLimiter>,
    /// Failed pushes, counted apart from sign-ins: a job with a stale push URL behind the
    /// office's NAT must not lock the people behind it out of the console.
    pub push_limiter: Arc<FailureLimiter>,
    /// Mark the cookie `Secure` (served over TLS).
    pub secure_cookie: bool,
    /// `opsdeck_token_<port>`.
    pub cookie_name: String,
}

impl Access {
    /// Access rules for a server listening on `port`.
    pub fn new(verifier: Arc<TokenVerifier>, secure_cookie: bool, port: u16) -> Access {
        Access {
            verifier,
            limiter: Arc::new(FailureLimiter::new(10, Duration::from_secs(60))),
            push_limiter: Arc::new(FailureLimiter::new(10, Duration::from_secs(60))),
            secure_cookie,
            cookie_name: format!("{COOKIE_PREFIX}{port}"),
        }
    }
}

/// The address a connection came from, for both plain and TLS listeners.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for ClientAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

/// Counts failed token checks per client address: more than `allowed` within `window` and
/// the client is refused (429) until the oldest failure is older than the window. Token
/// guessing is hopeless anyway (256 random bits); this keeps it from costing the server.
#[derive(Debug)]
pub struct FailureLimiter {
    allowed: usize,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

/// Most client addresses remembered; beyond it the quietest are forgotten.
const MAX_CLIENTS: usize = 10_000;

impl FailureLimiter {
    pub fn new(allowed: usize, window: Duration) -> Self {
        FailureLimiter {
            allowed,
            window,
            failures: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long `ip` must wait before its next attempt, if it has failed too often.
    pub fn blocked(&self, ip: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.lock();
        let times = map.get_mut(&ip)?;
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        if times.is_empty() {
            map.remove(&ip);
            return None;
        }
        (times.len() >= self.allowed).then(|| {
            self.window
                .saturating_sub(now - times[0])
                .max(Duration::from_secs(1))
        })
    }

    /// Count a failure; true when the client is now blocked.
    pub fn record_failure(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= MAX_CLIENTS && !map.contains_key(&ip) {
            let window = self.window;
            map.retain(|_, t| t.back().is_some_and(|last| now - *last < window));
        }
        let times = map.entry(ip).or_default();
        times.push_back(now);
        while times.len() > self.allowed {
            times.pop_front();
        }
        times.len() >= self.allowed
    }
}

pub(super) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(ApiError::new(code, message))).into_response()
}

pub(super) fn client_ip(req: &axum::extract::Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<ClientAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0 .0.ip())
}

/// The token a request carries: the `Authorization: Bearer` header, else the sign-in cookie.
fn presented(headers: &HeaderMap, cookie_name: &str) -> Option<(String, bool)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
            return Some((token.trim().to_string(), false));
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == cookie_name && !value.is_empty())
        .map(|(_, value)| (value.to_string(), true))
}

fn cookie(access: &Access, value: &str, max_age: Duration) -> HeaderValue {
    let secure = if access.secure_cookie { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        access.cookie_name,
        max_age.as_secs()
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("opsdeck_token=; Max-Age=0"))
}

fn clear_cookie(access: &Access) -> HeaderValue {
    cookie(access, "", Duration::ZERO)
}

/// Requests that need no API token: the web UI's own files (it shows the sign-in screen), the
/// health endpoint, `/metrics` when public, signing in or out, and push heartbeats.
fn is_open(state: &AppState, method: &axum::http::Method, path: &str) -> bool {
    match path {
        "/HealthCheck" => true,
        "/metrics" => state.api.engine().config().server.metrics_public,
        "/api/session" => method != axum::http::Method::GET,
        // The push token in the path is the credential; the handler checks it.
        p if p.starts_with("/api/push/") => true,
        p => !p.starts_with("/api/") && p != "/api",
    }
}

enum Checked {
    Valid(Caller),
    Refused(Response),
}

/// Verify `token` for the client at `ip`, counting and logging a failure.
async fn check_token(access: &Access, ip: IpAddr, token: String, cookie_used: bool) -> Checked {
    if let Some(wait) = access.limiter.blocked(ip) {
        let secs = wait.as_secs().max(1);
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed sign-ins from {ip}; try again in {secs} s"),
        );
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Checked::Refused(r);
    }
    let verifier = access.verifier.clone();
    let verdict = tokio::task::spawn_blocking(move || verifier.verify(&token))
        .await
        .unwrap_or_else(|e| Verdict::Unreadable(format!("the token check failed: {e}")));
    match verdict {
        Verdict::Valid(caller) => Checked::Valid(caller),
        Verdict::Invalid => {
            let now_blocked = access.limiter.record_failure(ip);
            tracing::warn!(client = %ip, via = if cookie_used { "cookie" } else { "header" }, "refused an invalid API token");
            if now_blocked {
                tracing::warn!(client = %ip, "too many invalid API tokens; refusing this client for a while");
            }
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the API token is not valid: it was revoked, mistyped, or belongs to another opsdeck server",
            );
            if cookie_used {
                r.headers_mut()
                    .insert(header::SET_COOKIE, clear_cookie(access));
            }
            Checked::Refused(r)
        }
        Verdict::Unreadable(why) => {
            tracing::error!("cannot check API tokens: {why}");
            Checked::Refused(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("opsdeck cannot check API tokens right now: {why}"),
            ))
        }
    }
}

/// Middleware: let open requests through; otherwise require a valid token and hand the
/// [`Caller`] to the handlers.
pub async fn authenticate(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if is_open(&state, req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let ip = client_ip(&req);
    let Some((token, cookie_used)) = presented(req.headers(), &state.access.cookie_name) else {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in first: send an API token as `Authorization: Bearer <token>` (an admin creates one with `opsdeck token create --name NAME --role viewer`)",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    };
    match check_token(&state.access, ip, token, cookie_used).await {
        Checked::Valid(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Checked::Refused(r) => r,
    }
}

#[derive(Deserialize)]
pub struct SignIn {
    token: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignIn { token: [redacted] }")
    }
}

/// `POST /api/session {"token": "…"}`: check the token, then keep it in the sign-in cookie.
pub async fn sign_in(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let ip = client_ip(&req);
    let body = match axum::body::to_bytes(req.into_body(), 64 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "the sign-in request is too large",
            )
        }
    };
    // Never echo the body: it holds a token, or something someone took for one.
    let Ok(SignIn { token }) = serde_json::from_slice::<SignIn>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send `{\"token\": \"…\"}` as JSON to sign in",
        );
    };
    let token = token.trim().to_string();
    match check_token(&state.access, ip, token.clone(), false).await {
        Checked::Valid(caller) => {
            tracing::info!(client = %ip, token = %caller.name, role = %caller.role, "signed in");
            let mut r = Json(&caller).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                cookie(&state.access, &token, COOKIE_MAX_AGE),
            );
            r
        }
        Checked::Refused(r) => r,
    }
}

/// `DELETE /api/session`: forget the sign-in cookie.
pub async fn sign_out(State(state): State<AppState>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state.access));
    r
}

/// `GET /api/session`: who the token belongs to.
pub async fn session(Extension(caller): Extension<Caller>) -> Json<Caller> {
    Json(caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_blocks_after_the_allowed_failures_and_forgets_with_time() {
        let limiter = FailureLimiter::new(3, Duration::from_millis(200));
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        assert!(limiter.blocked(ip).is_none());
        assert!(!limiter.record_failure(ip));
        assert!(!limiter.record_failure(ip));
        assert!(limiter.record_failure(ip));
        assert!(limiter.blocked(ip).is_some());
        assert!(limiter.blocked(other).is_none(), "per client");
        std::thread::sleep(Duration::from_millis(250));
        assert!(limiter.blocked(ip).is_none());
    }

    #[test]
    fn the_token_comes_from_the_header_or_this_servers_cookie() {
        let name = "opsdeck_token_7410";
        let mut h = HeaderMap::new();
        assert_eq!(presented(&h, name), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; opsdeck_token_7411=other; opsdeck_token_7410=tok1"),
        );
        assert_eq!(presented(&h, name), Some(("tok1".into(), true)));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  tok2 "),
        );
        assert_eq!(presented(&h, name), Some(("tok2".into(), false)));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(presented(&h, name), Some(("tok1".into(), true)));
    }
}
