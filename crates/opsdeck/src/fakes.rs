//! Protocol-faithful fakes of ASP.NET Core health endpoints, served over real local HTTP.
//! The demo estate is built from them, and so are the tests.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

/// How one fake service answers `GET /svc/{name}/HealthCheck`.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// Plain text `Healthy` (the default ASP.NET writer).
    HealthyText,
    /// HealthChecks UI JSON, every entry Healthy.
    HealthyJson { entries: Vec<&'static str> },
    /// HealthChecks UI JSON, one entry Degraded with a description (HTTP 200).
    Degraded {
        entry: &'static str,
        description: &'static str,
    },
    /// HealthChecks UI JSON, one entry Unhealthy with an exception (HTTP 503).
    Unhealthy {
        entry: &'static str,
        exception: &'static str,
    },
    /// Plain text `Unhealthy` with 503.
    UnhealthyText,
    /// Healthy, after a delay.
    Slow { delay: Duration },
    /// Alternates between Healthy and Unhealthy on every request.
    Flapping,
    /// Healthy, with a latency that varies per request within the range.
    Jittery { min_ms: u64, max_ms: u64 },
    /// Accepts the request and never answers.
    Hang,
    /// A generic JSON endpoint (not a health report).
    GenericJson { body: serde_json::Value },
}

#[derive(Debug, Default)]
struct Fleet {
    services: Vec<(String, Behaviour)>,
    hits: Vec<AtomicU64>,
    /// Behaviours set at run time through `PUT /svc/{name}/behaviour`.
    overrides: std::sync::Mutex<std::collections::HashMap<String, Behaviour>>,
}

/// A running set of fake services on one local port.
#[derive(Debug)]
pub struct FakeServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// Serve the given services on 127.0.0.1 (an ephemeral port unless `port` is given).
    pub async fn start(
        services: Vec<(String, Behaviour)>,
        ip: std::net::IpAddr,
    ) -> std::io::Result<FakeServer> {
        let hits = services.iter().map(|_| AtomicU64::new(0)).collect();
        let fleet = Arc::new(Fleet {
            services,
            hits,
            overrides: Default::default(),
        });
        let app = Router::new()
            .route("/svc/{name}/HealthCheck", get(health))
            .route("/svc/{name}/behaviour", axum::routing::put(set_behaviour))
            .route("/hooks/{name}", axum::routing::post(hook))
            .with_state(fleet);
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeServer { addr, task })
    }

    pub fn url(&self, service: &str) -> String {
        format!("http://{}/svc/{service}/HealthCheck", self.addr)
    }

    /// A webhook receiver on this server, for a notification channel to post to.
    pub fn hook_url(&self, name: &str) -> String {
        format!("http://{}/hooks/{name}", self.addr)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A webhook receiver that takes any notification, as a team's endpoint would (a Teams
/// workflow answers 202 too).
async fn hook(
    axum::extract::Path(name): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> StatusCode {
    tracing::debug!(hook = %name, bytes = body.len(), "demo webhook received a notification");
    StatusCode::ACCEPTED
}

fn timespan(ms: u64) -> String {
    let total = Duration::from_millis(ms);
    let secs = total.as_secs();
    format!(
        "{:02}:{:02}:{:02}.{:07}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        total.subsec_nanos() / 100
    )
}

fn report(status: &str, entries: serde_json::Value) -> Response {
    let code = if status == "Unhealthy" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let body = json!({ "status": status, "totalDuration": timespan(12), "entries": entries });
    let mut r = (code, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    no_cache(r)
}

fn entry(status: &str, ms: u64) -> serde_json::Value {
    json!({ "data": {}, "duration": timespan(ms), "status": status, "tags": [] })
}

fn text(code: StatusCode, body: &'static str) -> Response {
    let mut r = (code, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    no_cache(r)
}

/// The headers the ASP.NET middleware sends unless caching is allowed.
fn no_cache(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        header::EXPIRES,
        HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
    );
    r
}

/// Change how a service answers, so a demo (or a test driving one) can break and mend a
/// service live: body `healthy`, `degraded`, `unhealthy` or `reset` (back to its own behaviour).
async fn set_behaviour(
    State(fleet): State<Arc<Fleet>>,
    Path(name): Path<String>,
    body: String,
) -> Response {
    if !fleet.services.iter().any(|(n, _)| *n == name) {
        return (StatusCode::NOT_FOUND, "no such service").into_response();
    }
    let behaviour = match body.trim() {
        "healthy" => Behaviour::HealthyText,
        "degraded" => Behaviour::Degraded {
            entry: "database",
            description: "Query time above 500 ms",
        },
        "unhealthy" => Behaviour::Unhealthy {
            entry: "database",
            exception: "Connection refused (set by hand)",
        },
        "reset" => {
            lock(&fleet.overrides).remove(&name);
            return StatusCode::NO_CONTENT.into_response();
        }
        other => {
            return (
                StatusCode::BAD_REQUEST,
                format!("unknown behaviour `{other}`; use healthy, degraded, unhealthy or reset"),
            )
                .into_response();
        }
    };
    lock(&fleet.overrides).insert(name, behaviour);
    StatusCode::NO_CONTENT.into_response()
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn health(State(fleet): State<Arc<Fleet>>, Path(name): Path<String>) -> Response {
    let Some(index) = fleet.services.iter().position(|(n, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such service").into_response();
    };
    let hit = fleet.hits[index].fetch_add(1, Ordering::Relaxed);
    let overridden = lock(&fleet.overrides).get(&name).cloned();
    match overridden.as_ref().unwrap_or(&fleet.services[index].1) {
        Behaviour::HealthyText => text(StatusCode::OK, "Healthy"),
        Behaviour::UnhealthyText => text(StatusCode::SERVICE_UNAVAILABLE, "Unhealthy"),
        Behaviour::HealthyJson { entries } => {
            let map: serde_json::Map<String, serde_json::Value> = entries
                .iter()
                .map(|e| (e.to_string(), entry("Healthy", 3)))
                .collect();
            report("Healthy", map.into())
        }
        Behaviour::Degraded {
            entry: name,
            description,
        } => {
            let mut e = entry("Degraded", 850);
            e["description"] = json!(description);
            report(
                "Degraded",
                json!({ "sqlserver": entry("Healthy", 4), name.to_string(): e }),
            )
        }
        Behaviour::Unhealthy {
            entry: name,
            exception,
        } => {
            let mut e = entry("Unhealthy", 15_000);
            e["description"] = json!(exception);
            e["exception"] = json!(exception);
            report(
                "Unhealthy",
                json!({ "self": entry("Healthy", 0), name.to_string(): e }),
            )
        }
        Behaviour::Slow { delay } => {
            tokio::time::sleep(*delay).await;
            text(StatusCode::OK, "Healthy")
        }
        Behaviour::Flapping => {
            if hit % 2 == 0 {
                text(StatusCode::OK, "Healthy")
            } else {
                text(StatusCode::SERVICE_UNAVAILABLE, "Unhealthy")
            }
        }
        Behaviour::Jittery { min_ms, max_ms } => {
            let span = max_ms.saturating_sub(*min_ms).max(1);
            // Deterministic spread without a random source: each service and each hit lands
            // somewhere else in the range.
            let ms = min_ms + (hit * 37 + index as u64 * 7_919) % span;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            text(StatusCode::OK, "Healthy")
        }
        Behaviour::Hang => {
            std::future::pending::<()>().await;
            text(StatusCode::OK, "Healthy")
        }
        Behaviour::GenericJson { body } => {
            let mut r = (StatusCode::OK, body.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_look_like_dotnet() {
        assert_eq!(timespan(12), "00:00:00.0120000");
        assert_eq!(timespan(61_500), "00:01:01.5000000");
    }

    #[tokio::test]
    async fn a_service_can_be_broken_and_mended_live() {
        let fake = FakeServer::start(
            vec![("erp".into(), Behaviour::HealthyText)],
            std::net::Ipv4Addr::LOCALHOST.into(),
        )
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let status = |url: String| {
            let client = client.clone();
            async move { client.get(url).send().await.unwrap().status().as_u16() }
        };
        let control = format!("http://{}/svc/erp/behaviour", fake.addr);
        assert_eq!(status(fake.url("erp")).await, 200);
        let put = |body: &'static str| client.put(&control).body(body).send();
        assert_eq!(put("unhealthy").await.unwrap().status().as_u16(), 204);
        assert_eq!(status(fake.url("erp")).await, 503);
        assert_eq!(put("sideways").await.unwrap().status().as_u16(), 400);
        assert_eq!(put("reset").await.unwrap().status().as_u16(), 204);
        assert_eq!(status(fake.url("erp")).await, 200);
    }
}
