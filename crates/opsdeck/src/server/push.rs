//! `/api/push/{token}`: services report in for `type = "push"` checks. The token in the path is
//! the credential, so a wrong one is answered with a bare 404 (nothing says whether push checks
//! exist), logged without the token, and slowed by a brake like the one on bad API tokens (but
//! counted apart from it).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use opsdeck_core::engine::PushError;
use serde::Deserialize;

use super::auth::{client_ip, error};
use super::AppState;

/// Largest body read from a push: a status and a short message.
const MAX_BODY: usize = 16 * 1024;

#[derive(Debug, Default, Deserialize)]
pub struct PushParams {
    /// Text (`up`, `down`, `ok`, …) or a number (0, 1, 2, as exit codes go).
    #[serde(default, deserialize_with = "text_or_number")]
    status: Option<String>,
    #[serde(alias = "msg")]
    message: Option<String>,
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(serde::de::Error::custom(
            "`status` must be text or a number",
        )),
    }
}

/// `GET|POST /api/push/{token}?status=…&message=…`; a POST may carry the same fields as JSON
/// or as a form instead.
pub async fn push(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<PushParams>,
    req: axum::extract::Request,
) -> Response {
    let ip = client_ip(&req);
    let limiter = &state.access.push_limiter;
    if let Some(wait) = limiter.blocked(ip) {
        let secs = wait.as_secs().max(1);
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed attempts from {ip}; try again in {secs} s"),
        );
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                format!("a push carries at most {} KiB", MAX_BODY / 1024),
            )
        }
    };
    let from_body: PushParams = if body.is_empty() {
        PushParams::default()
    } else if content_type.starts_with("application/json") {
        match serde_json::from_slice(&body) {
            Ok(p) => p,
            // serde's message may quote the body; it is not echoed.
            Err(_) => return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body is not the JSON a push takes: {\"status\": \"up\", \"message\": \"…\"}",
            ),
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded_form(&body)
    } else {
        // Any other body (a script's plain text) is the message.
        PushParams {
            status: None,
            message: Some(String::from_utf8_lossy(&body).into_owned()),
        }
    };
    let status = query.status.or(from_body.status);
    let message = query.message.or(from_body.message);
    match state
        .api
        .engine()
        .push(&token, status.as_deref(), message.as_deref())
        .await
    {
        Ok(check) => {
            tracing::debug!(%check, client = %ip, "push received");
            Json(serde_json::json!({ "received": true })).into_response()
        }
        Err(PushError::UnknownToken) => {
            let now_blocked = limiter.record_failure(ip);
            tracing::warn!(client = %ip, "refused a push with an unknown token");
            if now_blocked {
                tracing::warn!(client = %ip, "too many failed attempts; refusing this client for a while");
            }
            error(StatusCode::NOT_FOUND, "not_found", "not found")
        }
        Err(e @ PushError::BadStatus) => {
            error(StatusCode::BAD_REQUEST, "invalid_request", e.to_string())
        }
    }
}

fn serde_urlencoded_form(body: &[u8]) -> PushParams {
    let mut p = PushParams::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "status" => p.status = Some(v.into_owned()),
            "message" | "msg" => p.message = Some(v.into_owned()),
            _ => {}
        }
    }
    p
}
