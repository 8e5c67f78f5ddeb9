//! Epicor environments against the fake of the Epicor REST API (`opsdeck::fake_epicor`, built
//! from the documented response and error shapes; no Epicor server can run here): both API
//! versions, Basic and token sign-in, API keys, endpoints older versions lack, slow, hanging
//! and failing servers; then the CLI and the HTTP API with the credentials in the real
//! keychain (scripts/with-keyring). SQL Server: connection failures against local sockets
//! here, and a real server when `OPSDECK_TEST_MSSQL` names one.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use opsdeck::fake_epicor::{solution, FakeEpicor, FakeInstance};
use opsdeck_core::config::{Check, Config};
use opsdeck_core::epicor::{self, EnvironmentInfo, PartState};
use opsdeck_core::probe::http::HttpClients;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::status::Status;
use secrecy::SecretString;
use support::*;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn secrets(pairs: &[(&str, &str)]) -> ExplicitSecrets {
    ExplicitSecrets(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), SecretString::from(v.to_string())))
            .collect(),
    )
}

fn env_toml(id: &str, url: &str, extra: &str) -> String {
    format!(
        "\n[[epicor]]\nid = \"{id}\"\nurl = \"{url}\"\nusername = \"svc-opsdeck\"\n\
         password = {{ secret = \"{id}-pw\" }}\ntimeout = \"3s\"\n{extra}\n"
    )
}

fn checks(text: &str) -> Vec<Check> {
    let config = Config::parse(text, "opsdeck.toml").unwrap();
    config
        .check
        .into_iter()
        .filter(|c| c.spec.type_name() == "epicor")
        .collect()
}

struct Rig {
    http: HttpClients,
    sessions: epicor::Sessions,
    secrets: ExplicitSecrets,
}

impl Rig {
    fn new(secrets: ExplicitSecrets) -> Rig {
        Rig {
            http: HttpClients::default(),
            sessions: epicor::Sessions::default(),
            secrets,
        }
    }

    async fn inspect(&self, checks: &[Check]) -> Vec<EnvironmentInfo> {
        let ctx = epicor::Context {
            http: &self.http,
            secrets: &self.secrets,
            sessions: &self.sessions,
        };
        let refs: Vec<&Check> = checks.iter().collect();
        epicor::inspect_all(ctx, &refs).await
    }

    async fn one(&self, text: &str) -> EnvironmentInfo {
        self.inspect(&checks(text)).await.remove(0)
    }
}

fn state(info: &EnvironmentInfo, part: &str) -> PartState {
    info.part(part)
        .map(|p| p.state)
        .unwrap_or_else(|| panic!("no part {part}: {:?}", info.parts))
}

#[tokio::test]
async fn kinetic_through_rest_v2_with_an_api_key() {
    let mut live = FakeInstance::kinetic("KineticLive", "svc-opsdeck", "pw-live", "key-live");
    live.companies
        .push(("EPIC06".into(), "Epicor Education".into()));
    live.solutions = vec![solution(
        "GHA",
        "GHA_Parts",
        "C:\\CABs\\GHA_Parts_v3.cab",
        3,
        "dana",
        "2026-11-30T10:00:00",
    )];
    let fake = FakeEpicor::start(vec![live], LOCAL).await.unwrap();
    let rig = Rig::new(secrets(&[
        ("erp-live-pw", "pw-live"),
        ("live-key", "key-live"),
    ]));
    let text = env_toml(
        "erp-live",
        &fake.url("KineticLive"),
        "api = \"v2\"\ncompany = \"GHA\"\napi_key = { secret = \"live-key\" }",
    );
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Up, "{info:#?}");
    assert_eq!(info.version.as_deref(), Some("11.2.400"));
    assert_eq!(info.patch_level.as_deref(), Some("11.2.400.12"));
    assert_eq!(info.framework_patch.as_deref(), Some("4.2.400.12"));
    assert_eq!(info.companies.len(), 2);
    assert_eq!(info.solutions.len(), 1);
    assert_eq!(info.solutions[0].build_iteration, Some(3));
    let health: Vec<(&str, bool)> = info
        .health
        .iter()
        .map(|h| (h.name.as_str(), h.ok))
        .collect();
    assert_eq!(
        health,
        [
            ("app server", true),
            ("database", true),
            ("report server", true)
        ]
    );
    assert_eq!(
        info.message,
        "Epicor 11.2.400 (patch 11.2.400.12) · 2 companies · 1 solution"
    );
    // Every call went through the v2 company-scoped URLs.
    let calls = fake.requests();
    assert!(
        calls
            .iter()
            .all(|c| c.contains("/KineticLive/api/v2/odata/GHA/")),
        "{calls:?}"
    );

    // A wrong API key: refused, and the message names both keychain entries.
    let rig = Rig::new(secrets(&[
        ("erp-live-pw", "pw-live"),
        ("live-key", "stale-key"),
    ]));
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message.contains("refused user `svc-opsdeck`")
            && info.message.contains("keychain entry `erp-live-pw`")
            && info
                .message
                .contains("API key in keychain entry `live-key`")
            && info.message.contains("Invalid API Key"),
        "{}",
        info.message
    );
    assert!(!info.message.contains("stale-key"), "{}", info.message);
    assert_eq!(state(&info, "version"), PartState::Skipped);
}

#[tokio::test]
async fn an_old_version_says_what_it_lacks_without_failing() {
    let old = FakeInstance::epicor_10_1("E10Test", "svc-opsdeck", "pw-test");
    let fake = FakeEpicor::start(vec![old], LOCAL).await.unwrap();
    let rig = Rig::new(secrets(&[("erp-old-pw", "pw-test")]));
    let info = rig
        .one(&env_toml("erp-old", &fake.url("E10Test"), "api = \"v1\""))
        .await;
    assert_eq!(info.status, Status::Up, "{info:#?}");
    // No ProductVersionSvc: the release comes from the app patch level.
    assert_eq!(info.version.as_deref(), Some("10.1.600"));
    assert_eq!(state(&info, "version"), PartState::Ok);
    assert_eq!(state(&info, "health"), PartState::NotAvailable);
    assert_eq!(state(&info, "solutions"), PartState::NotAvailable);
    assert_eq!(state(&info, "companies"), PartState::Ok);
    assert_eq!(
        info.part("solutions").unwrap().message.as_deref(),
        Some("not available on this version")
    );
    assert!(info.health.is_empty());

    // REST v2 asked of a version without it: the first call says the URL holds no such API.
    let info = rig
        .one(&env_toml(
            "erp-old",
            &fake.url("E10Test"),
            "api = \"v2\"\ncompany = \"GHA\"\napi_key = { secret = \"erp-old-pw\" }",
        ))
        .await;
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message.contains("has no Epicor REST API at")
            && info.message.contains("/E10Test/api/v2/odata/GHA (404)"),
        "{}",
        info.message
    );
    // A wrong instance name, likewise.
    let info = rig
        .one(&env_toml("erp-old", &fake.url("E10Tset"), "api = \"v1\""))
        .await;
    assert!(
        info.message.contains("check the instance in `url`"),
        "{}",
        info.message
    );
}

#[tokio::test]
async fn token_sign_in_is_reused_and_renewed_when_it_lapses() {
    let inst = FakeInstance::kinetic("Live", "svc-opsdeck", "pw", "k");
    let fake = FakeEpicor::start(vec![inst], LOCAL).await.unwrap();
    let rig = Rig::new(secrets(&[("erp-pw", "pw")]));
    let text = env_toml("erp", &fake.url("Live"), "api = \"v1\"\nauth = \"token\"");
    let tokens = || {
        fake.requests()
            .iter()
            .filter(|r| r.contains("TokenResource.svc"))
            .count()
    };
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Up, "{info:#?}");
    assert_eq!(tokens(), 1);
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Up);
    assert_eq!(tokens(), 1, "the token is reused while it is valid");
    // The server forgets its tokens (restart, lifetime): one new sign-in, and the run succeeds.
    fake.expire_tokens();
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Up, "{info:#?}");
    assert_eq!(tokens(), 2);
    // A password the token service refuses.
    let rig = Rig::new(secrets(&[("erp-pw", "wrong")]));
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message
            .contains("refused a token for user `svc-opsdeck`")
            && info.message.contains("keychain entry `erp-pw`"),
        "{}",
        info.message
    );
    // A server without token sign-in says how to proceed.
    fake.update("Live", |i| i.token_auth = false);
    let info = Rig::new(secrets(&[("erp-pw", "pw")])).one(&text).await;
    assert!(
        info.message.contains("use `auth = \"basic\"`"),
        "{}",
        info.message
    );
}

#[tokio::test]
async fn failing_parts_rank_by_what_they_stop() {
    let inst = FakeInstance::kinetic("Live", "svc-opsdeck", "pw", "k");
    let fake = FakeEpicor::start(vec![inst], LOCAL).await.unwrap();
    let rig = Rig::new(secrets(&[("erp-pw", "pw")]));
    let text = env_toml("erp", &fake.url("Live"), "api = \"v1\"");
    fake.update("Live", |i| i.report_server_alive = false);
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Degraded);
    assert!(
        info.message.starts_with("the report server is not alive: ")
            && info
                .message
                .contains("ReportServerAlive failed (HTTP 500: The report server did not answer."),
        "{}",
        info.message
    );
    fake.update("Live", |i| i.database_alive = false);
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message.starts_with("the database is not alive"),
        "{}",
        info.message
    );
    // Everything answering 500: the sign-in call fails, with Epicor's message and correlation id.
    fake.update("Live", |i| i.fail_with = Some(500));
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message.contains("HTTP 500")
            && info.message.contains("unexpected internal problem")
            && info.message.contains("correlation id"),
        "{}",
        info.message
    );
}

#[tokio::test]
async fn answers_that_are_not_epicor_are_said_so() {
    let inst = FakeInstance::kinetic("Live", "svc-opsdeck", "pw", "k");
    let fake = FakeEpicor::start(vec![inst], LOCAL).await.unwrap();
    let rig = Rig::new(secrets(&[("erp-pw", "pw")]));
    let text = env_toml("erp", &fake.url("Live"), "api = \"v1\"");
    // A proxy's sign-in page in place of the API.
    fake.update("Live", |i| i.html_instead = true);
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message.contains(
            "Ice.LIB.SessionModSvc/GetPatchLevel answered with something that is not JSON"
        ),
        "{}",
        info.message
    );
    // A list of installed solutions larger than opsdeck reads: that part fails, the rest stands.
    fake.update("Live", |i| {
        i.html_instead = false;
        let row = solution(
            "GHA",
            "GHA_Sol",
            &"x".repeat(200),
            1,
            "dana",
            "2026-12-01T10:00:00",
        );
        i.solutions = vec![row; 40_000];
    });
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Degraded, "{}", info.message);
    assert_eq!(state(&info, "solutions"), PartState::Failed);
    assert!(
        info.message
            .contains("GetInstalledSolutions answered more than 8 MiB"),
        "{}",
        info.message
    );
    assert_eq!(info.version.as_deref(), Some("11.2.400"));
}

#[tokio::test]
async fn credentials_a_server_quotes_back_are_cut_out() {
    let inst = FakeInstance::kinetic(
        "Live",
        "svc-opsdeck",
        "correct-horse-battery",
        "key-0123456789",
    );
    let fake = FakeEpicor::start(vec![inst], LOCAL).await.unwrap();
    fake.update("Live", |i| {
        i.fail_with = Some(500);
        i.echo_credentials = true;
    });
    let rig = Rig::new(secrets(&[
        ("erp-pw", "correct-horse-battery"),
        ("erp-key", "key-0123456789"),
    ]));
    let text = env_toml(
        "erp",
        &fake.url("Live"),
        "api = \"v2\"\ncompany = \"GHA\"\napi_key = { secret = \"erp-key\" }",
    );
    let info = rig.one(&text).await;
    assert_eq!(info.status, Status::Down);
    let all = serde_json::to_string(&info).unwrap();
    assert!(all.contains("[redacted]"), "{all}");
    for secret in [
        "correct-horse-battery",
        "key-0123456789",
        "c3ZjLW9wc2RlY2s6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5",
    ] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}

#[tokio::test]
async fn slow_hanging_and_absent_servers_are_said_so_within_the_timeout() {
    let inst = FakeInstance::kinetic("Live", "svc-opsdeck", "pw", "k");
    let fake = FakeEpicor::start(vec![inst], LOCAL).await.unwrap();
    let rig = Rig::new(secrets(&[("erp-pw", "pw")]));
    let text = env_toml("erp", &fake.url("Live"), "api = \"v1\"").replace("3s", "1s");
    fake.update("Live", |i| i.hang = true);
    let started = Instant::now();
    let info = rig.one(&text).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message.contains("within the 1s timeout"),
        "{}",
        info.message
    );

    // Nothing listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let info = rig
        .one(&env_toml(
            "erp",
            &format!("http://{closed}/Live"),
            "api = \"v1\"",
        ))
        .await;
    assert_eq!(info.status, Status::Down);
    assert!(info.message.contains("refused"), "{}", info.message);
    // A credential missing from the keychain.
    let info = Rig::new(secrets(&[]))
        .one(&env_toml("erp", &fake.url("Live"), "api = \"v1\""))
        .await;
    assert!(
        info.message.contains("opsdeck secret set erp-pw"),
        "{}",
        info.message
    );
}

#[tokio::test]
async fn ten_environments_take_as_long_as_the_slowest() {
    let mut fakes = Vec::new();
    let mut text = String::new();
    for n in 0..10u64 {
        let mut inst = FakeInstance::kinetic("Live", "svc-opsdeck", "pw", "k");
        inst.delay = Duration::from_millis(40 + n * 10);
        let fake = FakeEpicor::start(vec![inst], LOCAL).await.unwrap();
        text.push_str(&env_toml(
            &format!("erp-{n}"),
            &fake.url("Live"),
            "api = \"v1\"",
        ));
        fakes.push(fake);
    }
    let rig = Rig::new(secrets(
        &(0..10)
            .map(|n| (format!("erp-{n}-pw"), "pw".to_string()))
            .collect::<Vec<_>>()
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect::<Vec<_>>(),
    ));
    let infos = rig.inspect(&checks(&text)).await;
    assert_eq!(infos.len(), 10);
    assert!(infos.iter().all(|i| i.status == Status::Up), "{infos:#?}");
    // Each environment asked its own server, in the config's order.
    let ids: Vec<&str> = infos.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids[0], "erp-0");
    assert_eq!(ids[9], "erp-9");
    for f in &fakes {
        assert!(!f.requests().is_empty());
    }
}

/// SQL Server: what a person reads when the connection cannot be made. (No SQL Server can run
/// here; `sql_server_for_real` below runs against one when `OPSDECK_TEST_MSSQL` names it.)
#[tokio::test]
async fn sql_server_that_cannot_be_reached_is_explained() {
    let inst = FakeInstance::kinetic("Live", "svc-opsdeck", "pw", "k");
    let fake = FakeEpicor::start(vec![inst], LOCAL).await.unwrap();
    let rig = Rig::new(secrets(&[("erp-pw", "pw"), ("sql-pw", "sqlpw")]));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sql = |port: u16| {
        format!(
            "api = \"v1\"\nsql = {{ host = \"127.0.0.1\", port = {port}, database = \"ERP11Live\", username = \"opsdeck_ro\", password = {{ secret = \"sql-pw\" }} }}"
        )
    };
    let info = rig
        .one(&env_toml("erp", &fake.url("Live"), &sql(closed)))
        .await;
    assert_eq!(info.status, Status::Degraded, "{info:#?}");
    assert!(
        info.message
            .starts_with("SQL Server: connection to SQL Server at 127.0.0.1:")
            && info.message.contains("refused"),
        "{}",
        info.message
    );
    // A server that accepts and never answers: the timeout, not a hang.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let started = Instant::now();
    let info = rig
        .one(&env_toml("erp", &fake.url("Live"), &sql(port)).replace("3s", "1s"))
        .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        info.message.contains("did not answer within the timeout"),
        "{}",
        info.message
    );
    // Something that is not SQL Server (an HTTP server) on the port.
    let info = rig
        .one(&env_toml("erp", &fake.url("Live"), &sql(fake.addr.port())))
        .await;
    assert_eq!(info.status, Status::Degraded);
    assert!(
        info.message
            .contains("does not speak SQL Server's protocol"),
        "{}",
        info.message
    );
    keep.abort();
}

/// Against a real SQL Server, when `OPSDECK_TEST_MSSQL` holds an ADO.NET connection string
/// (`server=tcp:HOST,PORT;database=DB;user id=USER;password=PW;TrustServerCertificate=true`).
#[tokio::test]
async fn sql_server_for_real() {
    let Ok(ado) = std::env::var("OPSDECK_TEST_MSSQL") else {
        // Straight to the process's stderr, past the test harness's capture, so the skip shows
        // in every run's output.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED sql_server_for_real: OPSDECK_TEST_MSSQL is not set, so no real SQL Server was asked"
        );
        return;
    };
    let mut host = String::new();
    let mut port = 1433u16;
    let (mut database, mut user, mut password, mut trust) =
        (String::from("master"), String::new(), String::new(), false);
    for part in ado.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "server" | "data source" => {
                let v = v.trim().trim_start_matches("tcp:");
                let (h, p) = v.split_once(',').unwrap_or((v, "1433"));
                host = h.to_string();
                port = p.trim().parse().unwrap_or(1433);
            }
            "database" | "initial catalog" => database = v.trim().to_string(),
            "user id" | "uid" | "user" => user = v.trim().to_string(),
            "password" | "pwd" => password = v.to_string(),
            "trustservercertificate" => trust = v.trim().eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    let config = Config::parse(
        &format!(
            "[[epicor]]\nid = \"erp\"\nurl = \"http://127.0.0.1:9/E\"\napi = \"v1\"\nusername = \"x\"\n\
             password = {{ secret = \"x\" }}\n\
             sql = {{ host = \"{host}\", port = {port}, database = \"{database}\", username = \"{user}\", \
             password = {{ secret = \"sql-pw\" }}, trust_server_certificate = {trust} }}\n"
        ),
        "t.toml",
    )
    .unwrap();
    let settings = config.epicor[0].spec.sql.clone().unwrap();
    let s = secrets(&[("sql-pw", &password)]);
    let facts = epicor::sql::inspect(
        &s,
        &settings,
        tokio::time::Instant::now() + Duration::from_secs(20),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(facts.major_version.is_some(), "{facts:#?}");
    assert!(facts.product.starts_with("SQL Server"), "{facts:#?}");
    assert_eq!(facts.database.name, database);
    assert!(facts.database.compatibility_level.is_some());
    // And a wrong password is named as such.
    let s = secrets(&[("sql-pw", "certainly-not-the-password")]);
    let e = epicor::sql::inspect(
        &s,
        &settings,
        tokio::time::Instant::now() + Duration::from_secs(20),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("refused the login"), "{e}");
}

/// `opsdeck epicor info` and the HTTP API, with the credentials in the real keychain.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_and_the_http_api() {
    if !keychain_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pid = std::process::id();
    let mut test = FakeInstance::kinetic("KineticTest", "svc-opsdeck", "pw-test", "key-test");
    test.solutions = vec![
        solution(
            "GHA",
            "GHA_Parts",
            "GHA_Parts_v4.cab",
            4,
            "dana",
            "2026-12-01T09:00:00",
        ),
        solution(
            "GHA",
            "GHA_Orders",
            "GHA_Orders.cab",
            2,
            "dana",
            "2026-12-01T09:00:00",
        ),
    ];
    test.app_patch = "11.2.400.14".into();
    let mut live = FakeInstance::kinetic("KineticLive", "svc-opsdeck", "pw-live", "key-live");
    live.solutions = vec![solution(
        "GHA",
        "GHA_Parts",
        "GHA_Parts_v3.cab",
        3,
        "dana",
        "2026-11-20T09:00:00",
    )];
    let fake = FakeEpicor::start(vec![test, live], LOCAL).await.unwrap();
    let (tpw, lpw) = (
        format!("epicor-test-pw-{pid}"),
        format!("epicor-live-pw-{pid}"),
    );
    let (tkey, lkey) = (
        format!("epicor-test-key-{pid}"),
        format!("epicor-live-key-{pid}"),
    );
    for (name, value) in [
        (&tpw, "pw-test"),
        (&lpw, "pw-live"),
        (&tkey, "key-test"),
        (&lkey, "key-live"),
    ] {
        let out = set_secret(name, value, &data);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let config = write_config(
        dir.path(),
        &format!(
            "[[environment]]\nid = \"test\"\nname = \"Test\"\n[[environment]]\nid = \"live\"\nname = \"Live\"\n\
             [[epicor]]\nid = \"erp-test\"\nname = \"Epicor Test\"\nenvironment = \"test\"\nurl = \"{}\"\n\
             company = \"GHA\"\nusername = \"svc-opsdeck\"\npassword = {{ secret = \"{tpw}\" }}\napi_key = {{ secret = \"{tkey}\" }}\n\
             [[epicor]]\nid = \"erp-live\"\nname = \"Epicor Live\"\nenvironment = \"live\"\nurl = \"{}\"\n\
             company = \"GHA\"\nusername = \"svc-opsdeck\"\npassword = {{ secret = \"{lpw}\" }}\napi_key = {{ secret = \"{lkey}\" }}\n",
            fake.url("KineticTest"),
            fake.url("KineticLive"),
        ),
    );
    let out = run(&["epicor", "info", "--format", "json"], Some(&config));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let envs = report["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 2);
    assert_eq!(envs[0]["id"], "erp-test");
    assert_eq!(envs[0]["status"], "up");
    assert_eq!(envs[0]["version"], "11.2.400");
    assert_eq!(envs[0]["companies"][0]["id"], "GHA");
    assert_eq!(envs[0]["solutions"].as_array().unwrap().len(), 2);
    let orders = report["comparison"]["solutions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["solution_id"] == "GHA_Orders")
        .unwrap();
    assert_eq!(orders["missing_in"], serde_json::json!(["erp-live"]));

    let out = run(&["epicor", "info", "erp-live"], Some(&config));
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("erp-live  Epicor Live  UP"), "{table}");
    assert!(table.contains("GHA_Parts build 3"), "{table}");
    let out = run(&["epicor", "info", "erp-nope"], Some(&config));
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("configured: erp-test, erp-live"));

    // Live goes down: the exit code says so.
    fake.update("KineticLive", |i| i.database_alive = false);
    let out = run(&["epicor", "info"], Some(&config));
    assert_eq!(out.status.code(), Some(2));

    // The server: the environments are checks, and the page compares them.
    fake.update("KineticLive", |i| i.database_alive = true);
    let server = Server::start(&config, &data);
    let page = client(&server.base)
        .post(format!("{}/api/epicor/refresh", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page: serde_json::Value = page.json().await.unwrap();
    assert_eq!(page["environments"][1]["id"], "erp-live");
    assert_eq!(page["environments"][1]["version"], "11.2.400");
    let patch = page["comparison"]["facts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == "Patch level")
        .unwrap();
    assert_eq!(patch["drift"], true);
    let overview = get_json(&server.base, "/api/overview").await;
    let text = overview.to_string();
    assert!(
        text.contains("\"erp-live\"") && text.contains("\"epicor\""),
        "{text}"
    );
    let one = get_json(&server.base, "/api/epicor").await;
    assert_eq!(one["environments"].as_array().unwrap().len(), 2);
    let r = client(&server.base)
        .post(format!("{}/api/epicor/erp-nope/refresh", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for name in [&tpw, &lpw, &tkey, &lkey] {
        let _ = run(&["secret", "delete", name], None);
    }
}

/// The CAB matrix beside what Epicor lists, on the built-in demo (a fake Bitbucket with CABs
/// at every stage, and the fake Epicor): installs recorded in Bitbucket that an environment
/// does not list, and solutions an environment has without a record, are flagged.
#[tokio::test(flavor = "multi_thread")]
async fn the_cab_matrix_is_reconciled_with_what_epicor_lists() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let c = client(&server.base);
    // Inspect every Epicor environment now, rather than wait for the first sweep.
    let r = c
        .post(format!("{}/api/epicor/refresh", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let board = get_json(&server.base, "/api/cab").await;
    let card = |name: &str| {
        board["cabs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {board}"))
    };
    let sighting = |card: &serde_json::Value, epicor: &str| {
        card["epicor"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["epicor"] == epicor)
            .cloned()
            .unwrap_or_else(|| panic!("no {epicor} in {card}"))
    };
    // Field Service: recorded in Dev and Test, and both list it; Live neither.
    let fs = card("GHA Field Service.cab");
    for env in ["erp-dev", "erp-test", "erp-live"] {
        assert!(sighting(&fs, env)["difference"].is_null(), "{env}: {fs}");
    }
    assert_eq!(sighting(&fs, "erp-test")["solution"]["build_iteration"], 3);
    // Orders: recorded only in Test, but Live has an old build installed without a record.
    let orders = card("GHA Orders.cab");
    let live = sighting(&orders, "erp-live");
    let text = live["difference"].as_str().unwrap();
    assert!(
        text.contains("Epicor Live has GHA_Orders installed (build 1")
            && text.contains("no install in Live is recorded"),
        "{text}"
    );
    // The customer's Epicor 10.2 cannot list its solutions: nothing is claimed either way.
    let old = sighting(&orders, "erp-98411");
    assert_eq!(old["known"], false);
    assert!(old["difference"].is_null());
    // The CAB's own page says the same.
    let detail = get_json(&server.base, "/api/cab/GHA%20Orders.cab").await;
    assert_eq!(
        sighting(&detail["card"], "erp-live")["difference"],
        live["difference"]
    );
}

/// SQL Server through a small TDS fake (`opsdeck::fake_sqlserver`, built from the [MS-TDS]
/// token layouts; it answers opsdeck's three queries and runs no SQL): the facts end to end,
/// a refused login, encryption the two sides do not agree on, and a login that cannot read
/// the backup history.
#[tokio::test]
async fn sql_server_facts_and_failures_through_tds() {
    use opsdeck::fake_sqlserver::{FakeSqlServer, RunningSqlServer};
    let sql = RunningSqlServer::start(
        FakeSqlServer::sql2017("opsdeck_ro", "sqlpw", "ERP11Live"),
        LOCAL,
    )
    .await
    .unwrap();
    let settings = |extra: &str| {
        let text = format!(
            "[[epicor]]\nid = \"erp\"\nurl = \"http://127.0.0.1:9/E\"\napi = \"v1\"\nusername = \"x\"\n\
             password = {{ secret = \"x\" }}\n[epicor.sql]\nhost = \"127.0.0.1\"\nport = {}\n\
             database = \"ERP11Live\"\nusername = \"opsdeck_ro\"\npassword = {{ secret = \"sql-pw\" }}\n{extra}\n",
            sql.addr.port()
        );
        Config::parse(&text, "t.toml").unwrap().epicor[0]
            .spec
            .sql
            .clone()
            .unwrap()
    };
    let deadline = || tokio::time::Instant::now() + Duration::from_secs(5);
    let right = secrets(&[("sql-pw", "sqlpw")]);

    let facts = epicor::sql::inspect(&right, &settings("encrypt = \"off\""), deadline())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(facts.product_label(), "SQL Server 2017 CU31");
    assert_eq!(facts.product_version, "14.0.3456.2");
    assert_eq!(facts.edition, "Standard Edition (64-bit)");
    assert_eq!(facts.database.name, "ERP11Live");
    assert_eq!(facts.database.compatibility_level, Some(140));
    assert_eq!(facts.database.recovery_model, "FULL");
    assert_eq!(facts.database.data_mb, Some(51_200));
    let full = facts.database.last_full_backup.clone().unwrap();
    assert_eq!(
        (full.finished.as_str(), full.age_minutes),
        ("2026-12-04T22:00:13.000", 600)
    );
    assert!(facts.database.last_differential_backup.is_none());
    assert_eq!(facts.lifecycle.as_ref().unwrap().extended_end, "2027-10-12");

    // A wrong password: SQL Server's error 18456, with the login and the keychain entry named.
    let wrong = secrets(&[("sql-pw", "nope")]);
    let e = epicor::sql::inspect(&wrong, &settings("encrypt = \"off\""), deadline())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("refused the login `opsdeck_ro` with the password in keychain entry `sql-pw`")
            && e.contains("error 18456")
            && e.contains("Login failed for user 'opsdeck_ro'"),
        "{e}"
    );
    assert!(!e.contains("nope"), "{e}");

    // Encryption required here, but the server has no TLS.
    let e = epicor::sql::inspect(&right, &settings(""), deadline())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("TLS with SQL Server at 127.0.0.1:"), "{e}");
    assert!(e.contains("`encrypt = \"off\"`"), "{e}");

    // The server requires encryption, and the settings turned it off.
    sql.update(|s| s.require_encryption = true);
    let e = epicor::sql::inspect(&right, &settings("encrypt = \"off\""), deadline())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("set `encrypt = \"required\"`"), "{e}");
    sql.update(|s| s.require_encryption = false);

    // No SELECT on msdb.dbo.backupset: everything else still shows, and the grant is named.
    sql.update(|s| s.deny_backup_history = true);
    let facts = epicor::sql::inspect(&right, &settings("encrypt = \"off\""), deadline())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(facts.database.compatibility_level, Some(140));
    let why = facts.database.backup_history_error.clone().unwrap();
    assert!(
        why.contains("error 229") && why.contains("the login needs SELECT on it"),
        "{why}"
    );
}
