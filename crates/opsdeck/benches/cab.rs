//! Catalogue benchmark: a repository with 2,000 CAB versions (40 CABs of 50 versions) in the
//! fake of Bitbucket Cloud and of Data Center (`opsdeck::fake_bitbucket`, served by this
//! process on loopback), read the way `opsdeck cab list` reads it: the branch head, the folder,
//! each CAB's history and its newest bytes. Then the CAB page's board the way the console loads
//! it: the catalogue with SHA-256s remembered per commit (first load and later ones), and the
//! records (comments) of each CAB's newest ten versions.
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
            let config_for_board = format!(
                "[[environment]]\nid = \"test\"\nname = \"Test\"\n\n[cab]\nprovider = \"{provider}\"\nurl = \"{url}\"\n\
                 workspace = \"gha\"\nrepository = \"epicor-cabs\"\npath = \"cabs\"\ntoken = {{ secret = \"bb\" }}\n\
                 approvers = [\"a@example.com\"]\n"
            );
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

            // The CAB page: a store that remembers SHA-256s, so only the first load downloads.
            let store = opsdeck_core::store::Store::in_memory().await.unwrap();
            let board_config = Config::parse(&config_for_board, "bench.toml").unwrap();
            let releases = opsdeck_core::cab::Releases::new(
                &board_config,
                &secrets,
                store.pool().clone(),
                None,
            )
            .unwrap();
            let mut board_times = Vec::new();
            let mut board_requests = Vec::new();
            for _ in 0..RUNS {
                let before = fake.requests();
                let started = Instant::now();
                let board = releases.board().await.unwrap();
                board_times.push(started.elapsed());
                board_requests.push(fake.requests() - before);
                assert_eq!(board.cabs.len(), CABS);
            }
            let first = board_times[0];
            let mut later: Vec<Duration> = board_times[1..].to_vec();
            later.sort();
            let ok = first <= Duration::from_secs(2) && later[later.len() - 1] <= Duration::from_secs(2);
            all_within &= ok;
            println!(
                "{name} board: first {:.0} ms ({} requests), later median {:.0} ms, worst {:.0} ms ({} requests): {}",
                first.as_secs_f64() * 1000.0,
                board_requests[0],
                later[later.len() / 2].as_secs_f64() * 1000.0,
                later[later.len() - 1].as_secs_f64() * 1000.0,
                board_requests[RUNS - 1],
                support::verdict(ok)
            );
        });
    }
    println!(
        "catalogue and board of 2,000 versions in at most 2 s: {}",
        support::verdict(all_within)
    );
}
