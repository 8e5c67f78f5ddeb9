//! One poll of a broker with 500 queues: how many HTTP requests it takes (budget 2) and how
//! much CPU opsdeck spends on it (budget 50 ms): the request, reading ~400 KiB of JSON,
//! classifying every queue and building its result.
//!
//! The fake management API (the same one the demo estate uses) runs on its own thread and
//! runtime; the poll runs on a single-threaded runtime on the main thread, whose CPU time is
//! read from `/proc/thread-self/schedstat` (nanoseconds, Linux), so the fake is not counted.
//!
//! `cargo bench -p opsdeck --bench queues`; numbers go to docs/performance.md.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::fake_broker::{FakeBroker, QueueBehaviour};
use opsdeck_core::config::{Config, Settings};
use opsdeck_core::probe::Runner;
use opsdeck_core::secret::ExplicitSecrets;

const QUEUES: usize = 500;
const POLLS: usize = 50;

/// CPU time this thread has run, from the scheduler's own accounting.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn behaviour(i: usize) -> QueueBehaviour {
    match i % 6 {
        0 | 1 => QueueBehaviour::Moving {
            depth: 40.0,
            rate: 10.0,
            consumers: 2,
        },
        2 => QueueBehaviour::Growing {
            depth: 500.0,
            rate_in: 5.0,
            rate_out: 3.0,
        },
        3 => QueueBehaviour::Stalled {
            depth: 900.0,
            unacked: 10,
        },
        4 => QueueBehaviour::Idle,
        _ => QueueBehaviour::DeadLetters { depth: 3 },
    }
}

fn main() {
    let queues: Vec<(String, QueueBehaviour)> = (0..QUEUES)
        .map(|i| (format!("erp.bench.queue-{i:04}"), behaviour(i)))
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let broker = FakeBroker::start(
                "/",
                queues,
                "monitor",
                "bench-pass",
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            )
            .await
            .unwrap();
            tx.send((broker.url(), Arc::new(broker))).unwrap();
            std::future::pending::<()>().await;
        });
    });
    let (url, broker) = rx.recv().unwrap();

    let text = format!(
        "[[check]]\nid = \"mq\"\ntype = \"rabbitmq\"\nurl = \"{url}\"\nvhost = \"/\"\n\
         username = \"monitor\"\npassword = {{ secret = \"mq\" }}\ntimeout = \"10s\"\nmax_depth = 1000\n"
    );
    let check = Config::parse(&text, "bench").unwrap().check.remove(0);
    let mut secrets = HashMap::new();
    secrets.insert(
        "mq".to_string(),
        secrecy::SecretString::from("bench-pass".to_string()),
    );
    let runner = Runner::new(&Settings::default(), Arc::new(ExplicitSecrets(secrets)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // Warm up: connection pool, allocator, the queues' first tracks.
    for _ in 0..3 {
        assert_eq!(rt.block_on(runner.run(&check)).len(), QUEUES);
    }
    let mut cpu = Vec::new();
    let mut wall = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..POLLS {
        let before_requests = broker.requests();
        let before_cpu = thread_cpu();
        let started = Instant::now();
        let results = rt.block_on(runner.run(&check));
        wall.push(started.elapsed());
        if let (Some(a), Some(b)) = (before_cpu, thread_cpu()) {
            cpu.push(b - a);
        }
        requests.push(broker.requests() - before_requests);
        assert_eq!(results.len(), QUEUES);
    }
    cpu.sort();
    wall.sort();
    let max_requests = requests.iter().copied().max().unwrap_or(0);
    println!("broker with {QUEUES} queues, {POLLS} polls");
    println!(
        "HTTP requests per poll: {max_requests} (budget 2): {}",
        support::verdict(max_requests <= 2)
    );
    println!(
        "wall per poll:  median {:?}  p95 {:?}",
        wall[wall.len() / 2],
        wall[wall.len() * 95 / 100]
    );
    if cpu.is_empty() {
        println!("CPU per poll: not measured (needs Linux's /proc/thread-self/schedstat)");
    } else {
        let median = cpu[cpu.len() / 2];
        let p95 = cpu[cpu.len() * 95 / 100];
        println!(
            "CPU per poll:   median {median:?}  p95 {p95:?}  max {:?} (budget 50 ms): {}",
            cpu[cpu.len() - 1],
            support::verdict(p95 <= Duration::from_millis(50))
        );
    }
}
