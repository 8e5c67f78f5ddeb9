//! Alert storm benchmark: `opsdeck serve` with 500 HTTP checks and two webhook channels; all
//! 500 endpoints start failing at the same moment.
//!
//! Budget: one grouped notification per channel (not 500), within 5 s of the sweep that saw the
//! failures, i.e. of the last of the 500 transitions to down.
//!
//! Run: `cargo bench -p opsdeck --bench alerts`. The endpoints and the webhook receivers are
//! served by this process; `opsdeck serve` runs as a child, as in production.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::StatusCode;

const CHECKS: usize = 500;

/// (arrived at, channel, body) of every notification.
type Received = Arc<Mutex<Vec<(Instant, String, serde_json::Value)>>>;

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let failing = Arc::new(AtomicBool::new(false));
    let received: Received = Arc::default();
    let (endpoints, hooks) = runtime.block_on(async {
        let f = failing.clone();
        let endpoints = serve(axum::Router::new().route(
            "/e/{n}",
            axum::routing::get(move |Path(_n): Path<u32>| {
                let down = f.load(Ordering::SeqCst);
                async move {
                    if down {
                        (StatusCode::SERVICE_UNAVAILABLE, "Unhealthy")
                    } else {
                        (StatusCode::OK, "Healthy")
                    }
                }
            }),
        ))
        .await;
        let r = received.clone();
        let hooks = serve(axum::Router::new().route(
            "/{channel}",
            axum::routing::post(
                move |Path(channel): Path<String>, body: axum::body::Bytes| {
                    let r = r.clone();
                    async move {
                        let body = serde_json::from_slice(&body).unwrap_or_default();
                        r.lock().unwrap().push((Instant::now(), channel, body));
                        StatusCode::OK
                    }
                },
            ),
        ))
        .await;
        (endpoints, hooks)
    });
    let dir = tempfile::tempdir().unwrap();
    let mut config = format!(
        "[settings]\nfailures_to_down = 1\n\n[[environment]]\nid = \"live\"\nname = \"Live\"\n\n\
         [[channel]]\nid = \"support\"\ntype = \"webhook\"\nurl = \"{hooks}/support\"\n\n\
         [[channel]]\nid = \"ops\"\ntype = \"webhook\"\nurl = \"{hooks}/ops\"\n\n"
    );
    for n in 0..CHECKS {
        config.push_str(&format!(
            "[[check]]\nid = \"api-{n}\"\nenvironment = \"live\"\ntype = \"http\"\nurl = \"{endpoints}/e/{n}\"\ninterval = \"10s\"\ntimeout = \"2s\"\n\n"
        ));
    }
    let path = dir.path().join("opsdeck.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = support::serve(&path, &dir.path().join("data"));
    println!("opsdeck alert storm benchmark on {}", support::machine());
    println!("{CHECKS} checks at a 10 s interval, 2 webhook channels; all fail at once");
    // Every check has run (and been recorded up) before the storm.
    std::thread::sleep(Duration::from_secs(15));
    let flipped = Instant::now();
    failing.store(true, Ordering::SeqCst);
    // Everything the storm sends: give it the whole interval, grouping and some margin.
    std::thread::sleep(Duration::from_secs(25));
    let _ = child.kill();
    let _ = child.wait();

    let got = received.lock().unwrap().clone();
    let mut within = true;
    let mut one_each = true;
    for channel in ["support", "ops"] {
        let mine: Vec<&(Instant, String, serde_json::Value)> =
            got.iter().filter(|(_, c, _)| c == channel).collect();
        let items: usize = mine
            .iter()
            .map(|(_, _, b)| b["items"].as_array().map_or(0, Vec::len))
            .sum();
        // The sweep that saw the failures ends with the last transition to down; its time is
        // each item's `since`.
        let last_transition = mine
            .iter()
            .flat_map(|(_, _, b)| b["items"].as_array().cloned().unwrap_or_default())
            .filter_map(|i| i["since"].as_str().map(str::to_string))
            .max()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok());
        let arrived = mine.iter().map(|(at, _, _)| *at).max();
        let (Some(last), Some(arrived)) = (last_transition, arrived) else {
            println!("channel `{channel}`: nothing arrived");
            within = false;
            one_each = false;
            continue;
        };
        // Both clocks: the flip on this process's monotonic clock, the transitions on the
        // system clock; bring the arrival onto the system clock through the flip.
        let flip_wall =
            jiff::Timestamp::now() - jiff::SignedDuration::try_from(flipped.elapsed()).unwrap();
        let arrival_wall = flip_wall + jiff::SignedDuration::try_from(arrived - flipped).unwrap();
        let after_sweep = arrival_wall.duration_since(last).as_secs_f64();
        let sweep = last.duration_since(flip_wall).as_secs_f64();
        println!(
            "channel `{channel}`: {} notification(s) with {items} results; the sweep saw the last failure {sweep:.1} s after the flip; notification {after_sweep:.2} s after it",
            mine.len()
        );
        one_each &= mine.len() == 1 && items == CHECKS;
        within &= after_sweep <= 5.0;
    }
    println!(
        "one grouped notification per channel: {}",
        support::verdict(one_each)
    );
    println!("within 5 s of the sweep: {}", support::verdict(within));
}
