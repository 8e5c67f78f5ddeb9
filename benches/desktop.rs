//! Desktop app budgets: cold start to a painted overview (≤ 2 s under Xvfb) and idle memory of
//! all the app's processes (≤ 200 MB). Each run starts the real app through tauri-driver on a
//! fresh data directory; memory is read from `/proc/*/smaps_rollup` after a minute of idling.
//!
//! `cargo bench -p opsdeck-desktop --features custom-protocol --bench desktop`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/desktop/driver.rs"]
mod driver;

use std::time::Duration;

const RUNS: usize = 5;
const IDLE: Duration = Duration::from_secs(60);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` asks for a list; there is nothing to unit-test here.
    }
    if let Err(why) = driver::available() {
        println!("desktop bench skipped: {why}");
        return;
    }
    let mut starts = Vec::new();
    for run in 1..=RUNS {
        let app = driver::launch().await;
        println!("run {run}: cold start to overview {:?}", app.cold_start);
        starts.push(app.cold_start);
        if run < RUNS {
            app.close().await;
            continue;
        }
        tokio::time::sleep(IDLE).await;
        println!("after {IDLE:?} idle:");
        for (name, memory) in app.memory_by_process() {
            println!("  {name:<16} {memory}");
        }
        let all = app.memory();
        println!("  {:<16} {all}", "all");
        println!(
            "private memory (MB; what Windows calls the private working set): {:.0}",
            all.private * 1.048_576
        );
        let pss_mb = all.proportional * 1.048_576;
        println!(
            "idle memory (proportional, MB): {pss_mb:.0} (budget 200) {}",
            if pss_mb <= 200.0 { "PASS" } else { "FAIL" }
        );
        app.close().await;
    }
    starts.sort();
    let median = starts[RUNS / 2];
    let max = starts[RUNS - 1];
    println!(
        "cold start: median {median:?}, max {max:?} (budget 2 s) {}",
        if max <= Duration::from_secs(2) {
            "PASS"
        } else {
            "FAIL"
        }
    );
}
