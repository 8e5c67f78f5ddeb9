//! Catalogue benchmark: a repository with 2,000 CAB versions (40 CABs of 50 versions) in the
//! fake of Bitbucket Cloud and of Data Center (`opsdeck::fake_bitbucket`, served by this
//! process on loopback), read the way `opsdeck cab list` reads it: the branch head, the folder,
//! each CAB's history and its newest bytes.
//!
//! Budget: the catalogue loads in at most 2 s, using pagination efficiently.
//!
//! Run: `cargo bench -p opsdeck --bench cab`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::fake_bitbucket::{Behaviour, FakeBitbucket, Repository, Version};
use opsdeck_core::config::Config;
use opsdeck_core::secret::{ExplicitSecrets, SecretSource};
use secrecy::SecretString;

const CABS: usize = 40;
const VERSIONS: usize = 50;
const RUNS: usize = 10;

fn repository() -> Repository {
    let files = (0..CABS)
        .map(|c| {
            let path = format!("cabs/Customisation {c:02}.cab");
            let versions = (0..VERSIONS)
                .map(|v| Version {
                    hash: format!("{:040x}", c * 1000 + v),
                    at_ms: 1_780_000_000_000 + (v * CABS + c) as i64 * 60_000,
                    author_name: "Anna Dev".into(),
                    author_email: "anna@example.com".into(),
                    message: format!("{path}: change {v}"),
                    // A CAB of a few hundred KiB, as Solution Workbench exports them.
                    bytes: vec![(c + v) as u8; 300 * 1024],
                })
                .collect();
            (path, versions)
        })
        .collect();
    Repository {
        branch: "main".into(),
        files,
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!("CAB catalogue benchmark on {}", support::machine());
    println!(
        "{CABS} CABs x {VERSIONS} versions = {} versions; {RUNS} loads each",
        CABS * VERSIONS
    );
    let mut all_within = true;
    for (name, provider) in [
        ("Cloud", "bitbucket-cloud"),
        ("Data Center", "bitbucket-dc"),
    ] {
        runtime.block_on(async {
            let fake = FakeBitbucket::start(
                "gha",
                "epicor-cabs",
                repository(),
                Behaviour {
                    accept: "Bearer bench-token".into(),
                    ..Behaviour::default()
                },
            )
            .await
            .unwrap();
            let url = if provider == "bitbucket-cloud" { fake.cloud_base() } else { fake.dc_base() };
            let config = Config::parse(
                &format!(
                    "[cab]\nprovider = \"{provider}\"\nurl = \"{url}\"\nworkspace = \"gha\"\nrepository = \"epicor-cabs\"\n\
                     path = \"cabs\"\ntoken = {{ secret = \"bb\" }}\napprovers = [\"a@example.com\"]\n"
                ),
                "bench.toml",
            )
            .unwrap();
            let settings = config.cab.unwrap();
            let secrets: Arc<dyn SecretSource> = Arc::new(ExplicitSecrets(HashMap::from([(
                "bb".to_string(),
                SecretString::from("bench-token".to_string()),
            )])));
            let client = opsdeck_core::cab::client(&settings, &secrets).unwrap();
            let mut times: Vec<Duration> = Vec::new();
            let before = fake.requests();
            for _ in 0..RUNS {
                let started = Instant::now();
                let cabs = opsdeck_core::cab::catalogue(&client, &settings).await.unwrap();
                times.push(started.elapsed());
                assert_eq!(cabs.len(), CABS);
                assert!(cabs.iter().all(|c| c.versions as usize == VERSIONS));
            }
            let requests = (fake.requests() - before) / RUNS as u64;
            times.sort();
            let median = times[RUNS / 2];
            let worst = times[RUNS - 1];
            let ok = worst <= Duration::from_secs(2);
            all_within &= ok;
            println!(
                "{name}: median {:.0} ms, worst {:.0} ms, {requests} requests per load: {}",
                median.as_secs_f64() * 1000.0,
                worst.as_secs_f64() * 1000.0,
                support::verdict(ok)
            );
        });
    }
    println!(
        "catalogue of 2,000 versions in at most 2 s: {}",
        support::verdict(all_within)
    );
}
