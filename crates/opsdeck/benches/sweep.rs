//! Sweep benchmark: `opsdeck check` against 1,000 HTTP endpoints on 50 local servers
//! (127.0.0.1–127.0.0.50), latencies spread 10–200 ms, 2% never answering, timeout 2 s.
//!
//! Budget: wall time at most 1.2 × the timeout, every answering endpoint up, at most 0.3
//! CPU-seconds for the `opsdeck check` process. The fakes run in this process, so only
//! opsdeck's own CPU is counted.
//!
//! Run: `cargo bench -p opsdeck --bench sweep` (Linux; reads /proc).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;
use std::time::{Duration, Instant};

use opsdeck::fakes::{Behaviour, FakeServer};

const SERVERS: usize = 50;
const PER_SERVER: usize = 20;
const TIMEOUT_S: f64 = 2.0;

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (config, hanging, _servers) = runtime.block_on(async {
        let mut servers = Vec::new();
        let mut config = match std::env::var("BENCH_PER_HOST") {
            Ok(n) => format!("[settings]\nmax_per_host = {n}\n\n"),
            Err(_) => String::new(),
        };
        let mut hanging = 0;
        for s in 0..SERVERS {
            let mut services = Vec::new();
            for e in 0..PER_SERVER {
                let i = s * PER_SERVER + e;
                // Every 50th endpoint never answers: 20 of 1,000, on different servers.
                let behaviour = if i % 50 == 7 {
                    hanging += 1;
                    Behaviour::Hang
                } else {
                    Behaviour::Jittery { min_ms: 10, max_ms: 200 }
                };
                services.push((format!("e{i}"), behaviour));
            }
            let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, (s + 1) as u8));
            let server = FakeServer::start(services, ip).await.unwrap();
            for e in 0..PER_SERVER {
                let i = s * PER_SERVER + e;
                config.push_str(&format!(
                    "[[check]]\nid = \"e{i}\"\ntype = \"http\"\nurl = \"{}\"\ntimeout = \"{TIMEOUT_S}s\"\n\n",
                    server.url(&format!("e{i}"))
                ));
            }
            servers.push(server);
        }
        (config, hanging, servers)
    });
    let path = dir.path().join("opsdeck.toml");
    std::fs::write(&path, config).unwrap();

    let mut runs = Vec::new();
    for _ in 0..5 {
        let before = support::children_cpu();
        let started = Instant::now();
        let exe = env!("CARGO_BIN_EXE_opsdeck").to_string();
        let cfg = path.clone();
        // The child runs while this process's runtime serves the fakes.
        let output = std::thread::spawn(move || {
            std::process::Command::new(exe)
                .args(["check", "--format", "json", "--config"])
                .arg(cfg)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        })
        .join()
        .unwrap();
        let wall = started.elapsed();
        let cpu = support::children_cpu() - before;
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let results = json["results"].as_array().unwrap();
        let up = results.iter().filter(|r| r["status"] == "up").count();
        let down = results.iter().filter(|r| r["status"] == "down").count();
        runs.push((
            wall,
            cpu,
            up,
            down,
            json["duration_ms"].as_u64().unwrap_or(0),
        ));
    }
    println!("opsdeck check sweep benchmark on {}", support::machine());
    println!(
        "{} endpoints on {SERVERS} servers, {hanging} never answer, timeout {TIMEOUT_S} s",
        SERVERS * PER_SERVER
    );
    println!("run  wall (s)  sweep (s)  cpu (s)  up   down");
    for (i, (wall, cpu, up, down, sweep_ms)) in runs.iter().enumerate() {
        println!(
            "{:>3}  {:>8.3}  {:>9.3}  {:>7.2}  {up:>4} {down:>4}",
            i + 1,
            wall.as_secs_f64(),
            *sweep_ms as f64 / 1000.0,
            cpu.as_secs_f64()
        );
    }
    let worst_wall = runs.iter().map(|r| r.0).max().unwrap_or_default();
    let worst_cpu = runs.iter().map(|r| r.1).max().unwrap_or_default();
    let all_up = runs
        .iter()
        .all(|r| r.2 == SERVERS * PER_SERVER - hanging && r.3 == hanging);
    let wall_ok = worst_wall <= Duration::from_secs_f64(TIMEOUT_S * 1.2);
    let cpu_ok = worst_cpu <= Duration::from_millis(300);
    println!(
        "worst wall {:.3} s (budget {:.1} s): {}",
        worst_wall.as_secs_f64(),
        TIMEOUT_S * 1.2,
        support::verdict(wall_ok)
    );
    println!(
        "worst CPU {:.2} s (budget 0.30 s): {}",
        worst_cpu.as_secs_f64(),
        support::verdict(cpu_ok)
    );
    println!(
        "every answering endpoint up, every silent one down: {}",
        support::verdict(all_up)
    );
}
