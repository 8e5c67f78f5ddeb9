//! Refreshing Epicor environments: ten environments, each on its own fake Epicor REST server
//! (`opsdeck::fake_epicor`, served by this process on loopback) answering every request after
//! its own delay, the slowest 220 ms, and a TDS fake of its SQL Server (`opsdeck::fake_sqlserver`)
//! answering after a third of that. Each environment is asked what `opsdeck epicor info` asks
//! (sign-in, patch levels, versions, health ×3, companies, installed solutions, and the SQL
//! Server session: pre-login, login, three queries).
//!
//! Budget: refreshing all ten takes no longer than the slowest one alone plus 10%.
//!
//! Run: `cargo bench -p opsdeck --bench epicor`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use opsdeck::fake_epicor::{solution, FakeEpicor, FakeInstance};
use opsdeck::fake_sqlserver::{FakeSqlServer, RunningSqlServer};
use opsdeck_core::config::{Check, Config};
use opsdeck_core::epicor;
use opsdeck_core::probe::http::HttpClients;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::status::Status;
use secrecy::SecretString;

const ENVIRONMENTS: u64 = 10;
const RUNS: usize = 15;

fn delay_of(n: u64) -> Duration {
    Duration::from_millis(40 + n * 20)
}

async fn measure(checks: &[&Check], secrets: &ExplicitSecrets) -> Vec<Duration> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        // A fresh client per run: every run connects and signs in, as the first one of the day.
        let http = HttpClients::default();
        let sessions = epicor::Sessions::default();
        let ctx = epicor::Context {
            http: &http,
            secrets,
            sessions: &sessions,
        };
        let started = Instant::now();
        let infos = epicor::inspect_all(ctx, checks).await;
        times.push(started.elapsed());
        assert!(
            infos.iter().all(|i| i.status == Status::Up),
            "{:?}",
            infos.iter().map(|i| &i.message).collect::<Vec<_>>()
        );
    }
    times.sort();
    times
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!("Epicor refresh benchmark on {}", support::machine());
    let mut all_within = true;
    for auth in ["basic", "token"] {
        let (median_one, median_all, worst_all) = runtime.block_on(async {
            let mut fakes = Vec::new();
            let mut text = String::new();
            let mut secrets = std::collections::HashMap::new();
            for n in 0..ENVIRONMENTS {
                let mut inst = FakeInstance::kinetic("KineticLive", "svc-opsdeck", "pw", "key");
                inst.delay = delay_of(n);
                inst.solutions = (0..40)
                    .map(|s| solution("GHA", &format!("GHA_Sol{s:02}"), &format!("GHA_Sol{s:02}.cab"), s, "dana", "2026-12-01T10:00:00"))
                    .collect();
                let fake = FakeEpicor::start(vec![inst], IpAddr::V4(Ipv4Addr::LOCALHOST))
                    .await
                    .unwrap();
                text.push_str(&format!(
                    "[[epicor]]\nid = \"erp-{n}\"\nurl = \"{}\"\napi = \"v2\"\ncompany = \"GHA\"\n\
                     auth = \"{auth}\"\nusername = \"svc-opsdeck\"\npassword = {{ secret = \"pw\" }}\n\
                     api_key = {{ secret = \"key\" }}\ntimeout = \"10s\"\n",
                    fake.url("KineticLive")
                ));
                // The SQL Server under it, as far away: a session is five round trips (pre-login,
                // login, three queries).
                let mut db = FakeSqlServer::sql2017("opsdeck_ro", "sqlpw", "KineticLive");
                db.delay = delay_of(n) / 3;
                let db = RunningSqlServer::start(db, IpAddr::V4(Ipv4Addr::LOCALHOST))
                    .await
                    .unwrap();
                text.push_str(&format!(
                    "[epicor.sql]\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"KineticLive\"\n\
                     username = \"opsdeck_ro\"\npassword = {{ secret = \"sqlpw\" }}\nencrypt = \"off\"\n",
                    db.addr.port()
                ));
                fakes.push((fake, db));
            }
            secrets.insert("pw".to_string(), SecretString::from("pw".to_string()));
            secrets.insert("key".to_string(), SecretString::from("key".to_string()));
            secrets.insert("sqlpw".to_string(), SecretString::from("sqlpw".to_string()));
            let secrets = ExplicitSecrets(secrets);
            let config = Config::parse(&text, "bench.toml").unwrap();
            let checks: Vec<&Check> = config.check.iter().collect();
            let slowest = [checks[checks.len() - 1]];
            let one = measure(&slowest, &secrets).await;
            let all = measure(&checks, &secrets).await;
            (one[RUNS / 2], all[RUNS / 2], all[RUNS - 1])
        });
        let budget = median_one.mul_f64(1.10);
        let ok = median_all <= budget;
        all_within &= ok;
        println!(
            "auth = {auth}: the slowest environment alone {:.0} ms (median); all {ENVIRONMENTS} at once {:.0} ms median, {:.0} ms worst; budget {:.0} ms: {}",
            median_one.as_secs_f64() * 1000.0,
            median_all.as_secs_f64() * 1000.0,
            worst_all.as_secs_f64() * 1000.0,
            budget.as_secs_f64() * 1000.0,
            if ok { "within" } else { "OVER" }
        );
    }
    if !all_within {
        std::process::exit(1);
    }
}
