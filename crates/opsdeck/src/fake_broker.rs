//! A fake of RabbitMQ's management HTTP API (`GET /api/queues[/{vhost}]`), for the demo estate
//! and the benchmarks. It answers in the documented shape: the paged envelope
//! (`page`, `page_size`, `page_count`, `items`, …), queue objects with `messages*`,
//! `consumers` and `message_stats` counters and rates, Basic authentication with the
//! management API's 401 body, and a 404 for an unknown vhost. Each queue's numbers follow a
//! behaviour over time, so the console sees queues move, grow and stall.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// How one fake queue behaves over time (`t` = seconds since the broker started).
#[derive(Debug, Clone, PartialEq)]
pub enum QueueBehaviour {
    /// Consumers keep up: depth wobbles around `depth`, `rate` in and out.
    Moving {
        depth: f64,
        rate: f64,
        consumers: u32,
    },
    /// More in than out: depth rises by `rate_in - rate_out` a second from `depth`.
    Growing {
        depth: f64,
        rate_in: f64,
        rate_out: f64,
    },
    /// A consumer holds `unacked` messages and acknowledges nothing; `depth` wait.
    Stalled { depth: f64, unacked: u64 },
    /// Empty and quiet, with a consumer waiting.
    Idle,
    /// Dead letters parked, nobody consuming.
    DeadLetters { depth: u64 },
}

#[derive(Debug)]
struct Broker {
    vhost: String,
    queues: Vec<(String, QueueBehaviour)>,
    user: String,
    password: String,
    started: Instant,
    requests: AtomicU64,
}

/// A running fake broker on one local port.
#[derive(Debug)]
pub struct FakeBroker {
    pub addr: SocketAddr,
    broker: Arc<Broker>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeBroker {
    /// Serve `queues` in `vhost`, letting in `user` with `password`.
    pub async fn start(
        vhost: &str,
        queues: Vec<(String, QueueBehaviour)>,
        user: &str,
        password: &str,
        ip: std::net::IpAddr,
    ) -> std::io::Result<FakeBroker> {
        let broker = Arc::new(Broker {
            vhost: vhost.to_string(),
            queues,
            user: user.to_string(),
            password: password.to_string(),
            started: Instant::now(),
            requests: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/api/queues", get(all_queues))
            .route("/api/queues/{vhost}", get(vhost_queues))
            .with_state(broker.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeBroker { addr, broker, task })
    }

    /// The management API base, as a check's `url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.broker.requests.load(Ordering::Relaxed)
    }
}

impl Drop for FakeBroker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, Deserialize)]
struct Paging {
    page: Option<usize>,
    page_size: Option<usize>,
}

async fn all_queues(
    State(b): State<Arc<Broker>>,
    headers: HeaderMap,
    Query(p): Query<Paging>,
) -> Response {
    answer(&b, &headers, None, p)
}

async fn vhost_queues(
    State(b): State<Arc<Broker>>,
    headers: HeaderMap,
    Path(vhost): Path<String>,
    Query(p): Query<Paging>,
) -> Response {
    answer(&b, &headers, Some(vhost), p)
}

fn error(code: StatusCode, error: &str, reason: &str) -> Response {
    (code, Json(json!({ "error": error, "reason": reason }))).into_response()
}

fn authorised(b: &Broker, headers: &HeaderMap) -> bool {
    use base64::Engine as _;
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
        return false;
    };
    decoded == format!("{}:{}", b.user, b.password).as_bytes()
}

fn answer(b: &Broker, headers: &HeaderMap, vhost: Option<String>, p: Paging) -> Response {
    b.requests.fetch_add(1, Ordering::Relaxed);
    if !authorised(b, headers) {
        let mut r = error(StatusCode::UNAUTHORIZED, "not_authorized", "Login failed");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"RabbitMQ Management\""),
        );
        return r;
    }
    if vhost.as_ref().is_some_and(|v| *v != b.vhost) {
        return error(StatusCode::NOT_FOUND, "Object Not Found", "Not Found");
    }
    let t = b.started.elapsed().as_secs_f64();
    let size = p.page_size.unwrap_or(100).clamp(1, 500);
    let total = b.queues.len();
    let page_count = total.div_ceil(size).max(1);
    let page = p.page.unwrap_or(1).max(1);
    if page > page_count {
        return error(StatusCode::BAD_REQUEST, "bad_request", "page out of range");
    }
    let items: Vec<Value> = b
        .queues
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|(name, behaviour)| queue(name, &b.vhost, behaviour, t))
        .collect();
    Json(json!({
        "filtered_count": total,
        "item_count": items.len(),
        "items": items,
        "page": page,
        "page_count": page_count,
        "page_size": size,
        "total_count": total,
    }))
    .into_response()
}

/// One queue object at `t` seconds, in the management API's field names.
fn queue(name: &str, vhost: &str, behaviour: &QueueBehaviour, t: f64) -> Value {
    // (ready, unacked, consumers, published, delivered, acked, in/s, out/s)
    let (ready, unacked, consumers, published, delivered, in_rate, out_rate) = match behaviour {
        QueueBehaviour::Moving {
            depth,
            rate,
            consumers,
        } => {
            let d = (depth + depth * 0.5 * (t / 20.0).sin()).max(0.0);
            (
                d,
                (*consumers as f64).min(d),
                *consumers,
                rate * t + d,
                rate * t,
                *rate,
                *rate,
            )
        }
        QueueBehaviour::Growing {
            depth,
            rate_in,
            rate_out,
        } => {
            let d = depth + (rate_in - rate_out) * t;
            (d, 1.0, 1, rate_in * t, rate_out * t, *rate_in, *rate_out)
        }
        QueueBehaviour::Stalled { depth, unacked } => {
            (*depth, *unacked as f64, 1, 5_000.0, 4_000.0, 0.0, 0.0)
        }
        QueueBehaviour::Idle => (0.0, 0.0, 1, 300.0, 300.0, 0.0, 0.0),
        QueueBehaviour::DeadLetters { depth } => {
            (*depth as f64, 0.0, 0, *depth as f64, 0.0, 0.0, 0.0)
        }
    };
    let ready = ready.round();
    let messages = ready + unacked;
    let rate = |r: f64| json!({ "rate": r });
    json!({
        "name": name,
        "vhost": vhost,
        "durable": true,
        "auto_delete": false,
        "exclusive": false,
        "arguments": if matches!(behaviour, QueueBehaviour::DeadLetters { .. }) {
            json!({ "x-queue-type": "classic" })
        } else {
            json!({})
        },
        "node": "rabbit@demo",
        "state": "running",
        "type": "classic",
        "consumers": consumers,
        "messages": messages,
        "messages_ready": ready,
        "messages_unacknowledged": unacked,
        "messages_details": rate(in_rate - out_rate),
        "message_stats": {
            "publish": published.round(),
            "publish_details": rate(in_rate),
            "deliver_get": delivered.round(),
            "deliver_get_details": rate(out_rate),
            "ack": delivered.round(),
            "ack_details": rate(out_rate),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_logins_and_vhosts_as_the_management_api_answers() {
        let queues = (0..7)
            .map(|i| (format!("q{i}"), QueueBehaviour::Idle))
            .collect();
        let b = FakeBroker::start(
            "/",
            queues,
            "monitor",
            "pw",
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        )
        .await
        .unwrap();
        let c = reqwest::Client::new();
        let page: Value = c
            .get(format!("{}/api/queues/%2F?page=2&page_size=3", b.url()))
            .basic_auth("monitor", Some("pw"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["page_count"], 3);
        assert_eq!(page["items"].as_array().unwrap().len(), 3);
        assert_eq!(page["items"][0]["name"], "q3");
        let r = c
            .get(format!("{}/api/queues/%2F", b.url()))
            .basic_auth("monitor", Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = c
            .get(format!("{}/api/queues/other", b.url()))
            .basic_auth("monitor", Some("pw"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(b.requests(), 3);
    }
}
