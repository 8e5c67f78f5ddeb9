//! Steady-state benchmark: `opsdeck serve` with 1,000 HTTP checks at a 10 s interval against
//! local fakes (served by this process, so only opsdeck's own CPU and memory are counted).
//!
//! Budget: at most 3% of one core and 80 MB RSS after 10 minutes, with no growth.
//!
//! Run: `cargo bench -p opsdeck --bench steady` (Linux; reads /proc). `BENCH_MINUTES` shortens
//! or lengthens the run (default 10).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use opsdeck::fakes::{Behaviour, FakeServer};

fn main() {
    let minutes: u64 = std::env::var("BENCH_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(10);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (config, _servers) = runtime.block_on(async {
        let mut servers = Vec::new();
        let mut config = String::from("[[environment]]\nid = \"live\"\nname = \"Live\"\n\n");
        for s in 0..50usize {
            let services = (0..20)
                .map(|e| {
                    let b = match (s * 20 + e) % 10 {
                        0 => Behaviour::HealthyJson { entries: vec!["sqlserver", "rabbitmq", "self"] },
                        _ => Behaviour::Jittery { min_ms: 5, max_ms: 60 },
                    };
                    (format!("e{e}"), b)
                })
                .collect();
            let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, (s + 1) as u8));
            let server = FakeServer::start(services, ip).await.unwrap();
            for e in 0..20 {
                config.push_str(&format!(
                    "[[check]]\nid = \"s{s}-e{e}\"\nenvironment = \"live\"\ntype = \"http\"\nurl = \"{}\"\ninterval = \"10s\"\ntimeout = \"5s\"\n\n",
                    server.url(&format!("e{e}"))
                ));
            }
            servers.push(server);
        }
        (config, servers)
    });
    let path = dir.path().join("opsdeck.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = support::serve(&path, &dir.path().join("data"));
    let pid = child.id();
    println!(
        "opsdeck serve steady-state benchmark on {}",
        support::machine()
    );
    println!("1000 checks at 10 s on 50 local servers, {minutes} minutes");
    println!("minute  cpu% (last minute)  rss MiB");
    let started = Instant::now();
    let mut last_cpu = support::cpu_of(pid);
    let mut samples = Vec::new();
    for minute in 1..=minutes {
        let target = Duration::from_secs(60 * minute);
        std::thread::sleep(target.saturating_sub(started.elapsed()));
        let cpu = support::cpu_of(pid);
        let pct = (cpu - last_cpu).as_secs_f64() / 60.0 * 100.0;
        last_cpu = cpu;
        let rss = support::rss_mib(pid);
        println!("{minute:>6}  {pct:>18.2}  {rss:>7.1}");
        samples.push((pct, rss));
    }
    let _ = child.kill();
    let _ = child.wait();
    // Steady state: ignore the first minute (start-up, connection pools, first writes).
    let steady: Vec<_> = samples.iter().skip(1).collect();
    let avg_cpu = steady.iter().map(|s| s.0).sum::<f64>() / steady.len().max(1) as f64;
    let final_rss = samples.last().map_or(0.0, |s| s.1);
    let growth = match (steady.first(), steady.last()) {
        (Some(a), Some(b)) => b.1 - a.1,
        _ => 0.0,
    };
    println!(
        "average CPU after the first minute {avg_cpu:.2}% of one core (budget 3%): {}",
        support::verdict(avg_cpu <= 3.0)
    );
    println!(
        "RSS at the end {final_rss:.1} MiB (budget 80 MB): {}",
        support::verdict(final_rss <= 80.0)
    );
    println!("RSS change from minute 2 to the end: {growth:+.1} MiB");
}
