//! The built-in demo estate: about thirty fake services across Dev, Test and Live, answering in
//! both ASP.NET formats over real local HTTP, so a newcomer sees a living console without any
//! infrastructure. Some are slow, one is degraded, one flaps, one is down. A fake Bitbucket holds
//! a CAB repository with releases at every stage of the workflow.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use opsdeck_core::config::Config;
use opsdeck_core::secret::ExplicitSecrets;

use crate::fake_bitbucket::{self, FakeBitbucket, FakeUser};
use crate::fake_broker::{FakeBroker, QueueBehaviour};
use crate::fake_epicor::{self, FakeEpicor, FakeInstance};
use crate::fake_sqlserver::{FakeSqlServer, RunningSqlServer};
use crate::fakes::{Behaviour, FakeServer};

/// The running fakes; dropping this stops them.
#[derive(Debug)]
pub struct DemoEstate {
    pub config: Config,
    /// The demo's own credentials (the fake broker's password), never the keychain's.
    pub secrets: ExplicitSecrets,
    _servers: Vec<FakeServer>,
    _broker: FakeBroker,
    _heartbeats: Heartbeats,
    _bitbucket: FakeBitbucket,
    _epicor: FakeEpicor,
    _sql: Vec<RunningSqlServer>,
}

/// Heartbeat files of the demo: one kept fresh, one left stale. Removed when dropped.
#[derive(Debug)]
struct Heartbeats {
    dir: std::path::PathBuf,
    writer: tokio::task::JoinHandle<()>,
}

impl Heartbeats {
    fn start() -> std::io::Result<Heartbeats> {
        let dir = std::env::temp_dir().join(format!("opsdeck-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        // A job that stopped 40 minutes ago.
        let stale = std::fs::File::create(dir.join("edi-import.done"))?;
        stale.set_modified(std::time::SystemTime::now() - Duration::from_secs(40 * 60))?;
        let fresh = dir.join("ap-automation.txt");
        let beat = move || {
            let now = jiff::Timestamp::now().to_string();
            let _ = std::fs::write(&fresh, format!("{now}\n"));
        };
        beat();
        let writer = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(20));
            loop {
                tick.tick().await;
                beat();
            }
        });
        Ok(Heartbeats { dir, writer })
    }
}

impl Drop for Heartbeats {
    fn drop(&mut self) {
        self.writer.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The demo broker's queues: most move, one grows, one stalls, one holds dead letters.
fn demo_queues() -> Vec<(String, QueueBehaviour)> {
    use QueueBehaviour::*;
    [
        (
            "erp.orders",
            Moving {
                depth: 40.0,
                rate: 12.0,
                consumers: 2,
            },
        ),
        (
            "erp.invoices",
            Moving {
                depth: 6.0,
                rate: 3.0,
                consumers: 1,
            },
        ),
        (
            "erp.shipments",
            Moving {
                depth: 15.0,
                rate: 5.0,
                consumers: 2,
            },
        ),
        (
            "erp.edi.inbound",
            Moving {
                depth: 2.0,
                rate: 0.5,
                consumers: 1,
            },
        ),
        (
            "erp.audit",
            Growing {
                depth: 1_200.0,
                rate_in: 6.0,
                rate_out: 4.0,
            },
        ),
        (
            "erp.sync",
            Stalled {
                depth: 4_210.0,
                unacked: 10,
            },
        ),
        ("erp.notifications", Idle),
        ("erp.orders.dlq", DeadLetters { depth: 3 }),
    ]
    .into_iter()
    .map(|(n, b)| (n.to_string(), b))
    .collect()
}

struct Service {
    id: &'static str,
    name: &'static str,
    behaviour: Behaviour,
    tags: &'static [&'static str],
}

fn healthy_json() -> Behaviour {
    Behaviour::HealthyJson {
        entries: vec!["sqlserver", "rabbitmq", "self"],
    }
}

fn services(env: &str) -> Vec<Service> {
    use Behaviour::*;
    let mut s = vec![
        Service {
            id: "fsw-api",
            name: "Field Service Web API",
            behaviour: healthy_json(),
            tags: &["api", "fsw"],
        },
        Service {
            id: "fsw-web",
            name: "Field Service Web",
            behaviour: HealthyText,
            tags: &["web", "fsw"],
        },
        Service {
            id: "ap-automation",
            name: "AP Automation",
            behaviour: HealthyText,
            tags: &["service", "finance"],
        },
        Service {
            id: "epicor-sync",
            name: "Epicor Sync API",
            behaviour: healthy_json(),
            tags: &["api", "epicor"],
        },
        Service {
            id: "customer-portal",
            name: "Customer Portal",
            behaviour: Jittery {
                min_ms: 20,
                max_ms: 180,
            },
            tags: &["web"],
        },
        Service {
            id: "identity",
            name: "Identity Server",
            behaviour: HealthyText,
            tags: &["auth"],
        },
        Service {
            id: "reporting-api",
            name: "Reporting API",
            behaviour: healthy_json(),
            tags: &["api", "reports"],
        },
        Service {
            id: "document-service",
            name: "Document Service",
            behaviour: Jittery {
                min_ms: 10,
                max_ms: 90,
            },
            tags: &["service"],
        },
        Service {
            id: "notification-service",
            name: "Notification Service",
            behaviour: HealthyText,
            tags: &["service"],
        },
        Service {
            id: "scheduler",
            name: "Job Scheduler",
            behaviour: healthy_json(),
            tags: &["service"],
        },
    ];
    match env {
        "live" => {
            // The interesting ones live in Live, where people look first.
            s[3].behaviour = Degraded {
                entry: "rabbitmq",
                description: "Queue erp.sync has 4,210 messages waiting",
            };
            s[6].behaviour = Slow {
                delay: Duration::from_millis(1_600),
            };
            s[7].behaviour = Flapping;
        }
        "test" => {
            s[6].behaviour = Unhealthy {
                entry: "sqlserver",
                exception: "A network-related or instance-specific error occurred while establishing a connection to SQL Server.",
            };
            s.truncate(9);
        }
        _ => {
            s[4].behaviour = Slow {
                delay: Duration::from_millis(900),
            };
            s.truncate(8);
        }
    }
    s.push(Service {
        id: "api-gateway",
        name: "API Gateway",
        behaviour: HealthyText,
        tags: &["gateway"],
    });
    s
}

/// Bytes that look like a cabinet file, different for each `seed`.
fn demo_cab(seed: &str, size: usize) -> Vec<u8> {
    let mut bytes = b"MSCF\0\0\0\0".to_vec();
    let mut n: u32 = seed
        .bytes()
        .fold(17, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    while bytes.len() < size {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((n >> 16) as u8);
    }
    bytes
}

/// The people of the demo's Bitbucket: the console's own user (Dana, who may publish and
/// approve), a developer and two approvers.
fn demo_people(token: &str) -> (FakeUser, FakeUser, FakeUser, FakeUser) {
    let person = |name: &str, display: &str, secret: &str| FakeUser {
        display_name: display.to_string(),
        ..FakeUser::basic(name, &format!("{name}@example.com"), secret)
    };
    (
        person("dana", "Dana Demo", token),
        person("ben", "Ben Developer", "unused-ben"),
        person("anna", "Anna Approver", "unused-anna"),
        person("boss", "Bo Sørensen", "unused-boss"),
    )
}

/// A CAB repository with releases at every stage: in the repository, installed in Test,
/// approved, rejected, promoted.
async fn demo_bitbucket(
    token: &str,
    destination: &std::path::Path,
) -> std::io::Result<FakeBitbucket> {
    use opsdeck_core::cab::bitbucket::Identity;
    use opsdeck_core::cab::records::{self, Claim};
    let (dana, ben, anna, boss) = demo_people(token);
    let day = 86_400_000;
    let start = jiff::Timestamp::now().as_millisecond() - 20 * day;
    let mut n = 0;
    let mut version = |path: &str, who: &FakeUser, message: &str, size: usize| {
        n += 1;
        fake_bitbucket::Version {
            // Hashes that look like git's, not a run of zeros.
            hash: {
                use sha2::Digest;
                hex::encode(&sha2::Sha256::digest(format!("demo commit {n}"))[..20])
            },
            at_ms: start + n as i64 * day,
            author_name: who.display_name.clone(),
            author_email: who.email.clone(),
            message: message.to_string(),
            bytes: demo_cab(&format!("{path}{n}"), size),
        }
    };
    let files = vec![
        (
            "cabs/GHA Field Service.cab".to_string(),
            vec![
                version("fs", &ben, "Field Service: technician app fields", 48_000),
                version("fs", &ben, "Field Service: fix the visit date BPM", 48_500),
                version("fs", &ben, "Field Service: parts usage dashboard", 51_200),
            ],
        ),
        (
            "cabs/GHA Orders.cab".to_string(),
            vec![
                version("or", &ben, "Orders: credit hold check", 30_000),
                version("or", &ben, "Orders: new order entry layout", 33_000),
            ],
        ),
        (
            "cabs/GHA Invoicing.cab".to_string(),
            vec![version("in", &ben, "Invoicing: e-invoice export", 22_000)],
        ),
        (
            "cabs/GHA Quotes.cab".to_string(),
            vec![version("qu", &ben, "Quotes: margin warning", 18_000)],
        ),
    ];
    let commit = |files: &[(String, Vec<fake_bitbucket::Version>)], path: &str, v: usize| {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, vs)| vs[v - 1].clone())
    };
    let fs3 = commit(&files, "cabs/GHA Field Service.cab", 3);
    let fs2 = commit(&files, "cabs/GHA Field Service.cab", 2);
    let or2 = commit(&files, "cabs/GHA Orders.cab", 2);
    let in1 = commit(&files, "cabs/GHA Invoicing.cab", 1);
    let fake = FakeBitbucket::start(
        "gha",
        "epicor-cabs",
        fake_bitbucket::Repository {
            branch: "main".into(),
            files,
        },
        fake_bitbucket::Behaviour {
            users: vec![dana.clone(), ben.clone(), anna.clone(), boss.clone()],
            ..fake_bitbucket::Behaviour::default()
        },
    )
    .await?;
    let id = |u: &FakeUser| Identity {
        name: u.name.clone(),
        display_name: u.display_name.clone(),
        email: Some(u.email.clone()),
        account_id: Some(u.account_id.clone()),
    };
    let record = |v: &Option<fake_bitbucket::Version>, path: &str, who: &FakeUser, claim: Claim| {
        if let Some(v) = v {
            fake.comment_as(
                "epicor-cabs",
                &v.hash,
                who,
                &records::format(&claim, path, &id(who), None),
            );
        }
    };
    let installed = |env: &str| Claim::Installed {
        environment: env.to_string(),
    };
    let sha = |v: &Option<fake_bitbucket::Version>| {
        use sha2::Digest;
        v.as_ref()
            .map(|v| hex::encode(sha2::Sha256::digest(&v.bytes)))
            .unwrap_or_default()
    };
    let fs = "cabs/GHA Field Service.cab";
    record(&fs2, fs, &ben, installed("dev"));
    record(&fs2, fs, &ben, installed("test"));
    record(&fs3, fs, &ben, installed("dev"));
    record(&fs3, fs, &ben, installed("test"));
    record(&fs3, fs, &anna, Claim::Approved { sha256: sha(&fs3) });
    let or = "cabs/GHA Orders.cab";
    record(&or2, or, &ben, installed("test"));
    record(
        &or2,
        or,
        &boss,
        Claim::Rejected {
            reason: "The order entry form does not open in Test for users without the new security group".into(),
        },
    );
    let inv = "cabs/GHA Invoicing.cab";
    record(&in1, inv, &ben, installed("test"));
    record(&in1, inv, &ben, installed("live"));
    record(&in1, inv, &anna, Claim::Approved { sha256: sha(&in1) });
    record(
        &in1,
        inv,
        &boss,
        Claim::Promoted {
            destination: destination.display().to_string(),
            sha256: sha(&in1),
        },
    );
    if let Some(v) = &in1 {
        std::fs::write(destination.join("GHA Invoicing.cab"), &v.bytes)?;
    }
    let _ = dana;
    Ok(fake)
}

/// Start the fakes and build the config that watches them.
pub async fn start() -> std::io::Result<DemoEstate> {
    let mut toml = String::from(
        "# The built-in demo estate.\n\n\
         [[environment]]\nid = \"live\"\nname = \"Live\"\n\n\
         [[environment]]\nid = \"test\"\nname = \"Test\"\n\n\
         [[environment]]\nid = \"dev\"\nname = \"Dev\"\n",
    );
    let mut servers = Vec::new();
    for (env, host) in [("live", 1u8), ("test", 2), ("dev", 3)] {
        let list = services(env);
        let fleet = list
            .iter()
            .map(|s| (s.id.to_string(), s.behaviour.clone()))
            .collect();
        // One loopback address per environment, like separate hosts; 127.0.0.x is all local.
        let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, host));
        let server = match FakeServer::start(fleet, ip).await {
            Ok(s) => s,
            // Some systems (macOS) only configure 127.0.0.1.
            Err(_) => {
                FakeServer::start(
                    list.iter()
                        .map(|s| (s.id.to_string(), s.behaviour.clone()))
                        .collect(),
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                )
                .await?
            }
        };
        if env == "live" {
            // Alerts of the demo go to a stand-in for the support team's webhook, so the
            // Alerts page has deliveries to show.
            toml.push_str(&format!(
                "\n[[channel]]\nid = \"support-hook\"\nname = \"Support webhook (demo stand-in)\"\n\
                 type = \"webhook\"\nurl = \"{}\"\n",
                server.hook_url("support")
            ));
        }
        for s in &list {
            let tags = s
                .tags
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ");
            toml.push_str(&format!(
                "\n[[check]]\nid = \"{id}-{env}\"\nname = \"{name}\"\nenvironment = \"{env}\"\n\
                 type = \"http\"\nurl = \"{url}\"\ninterval = \"10s\"\ntimeout = \"3s\"\ntags = [{tags}]\n",
                id = s.id,
                name = s.name,
                url = server.url(s.id),
            ));
        }
        servers.push(server);
    }
    // A made-up password for the fake broker: the demo reads nothing from the keychain.
    let password: String = {
        use rand::Rng;
        rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(24)
            .map(char::from)
            .collect()
    };
    let broker = FakeBroker::start(
        "/",
        demo_queues(),
        "monitor",
        &password,
        IpAddr::V4(Ipv4Addr::LOCALHOST),
    )
    .await?;
    let heartbeats = Heartbeats::start()?;
    let cab_token: String = {
        use rand::Rng;
        rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(24)
            .map(char::from)
            .collect()
    };
    let destination = heartbeats.dir.join("GHA Mods - New CABs");
    std::fs::create_dir_all(&destination)?;
    let bitbucket = demo_bitbucket(&cab_token, &destination).await?;
    toml.push_str(&format!(
        "\n[cab]\nprovider = \"bitbucket-cloud\"\nurl = \"{url}\"\nworkspace = \"gha\"\n\
         repository = \"epicor-cabs\"\npath = \"cabs\"\nusername = \"dana@example.com\"\n\
         token = {{ secret = \"demo-bitbucket\" }}\n\
         approvers = [\"Anna Approver <557058:anna>\", \"Bo Sørensen <557058:boss>\", \"Dana Demo <557058:dana>\"]\n\
         publishers = [\"Ben Developer <557058:ben>\", \"Dana Demo <557058:dana>\"]\nrequired_approvals = 1\n\
         \n[cab.destination]\ntype = \"folder\"\npath = {dest}\n",
        url = bitbucket.cloud_base(),
        dest = toml_string(&destination),
    ));
    toml.push_str(&format!(
        "\n[[check]]\nid = \"erp-mq\"\nname = \"ERP broker\"\nenvironment = \"live\"\n\
         type = \"rabbitmq\"\nurl = \"{url}\"\nvhost = \"/\"\nqueues = [\"erp.*\"]\n\
         username = \"monitor\"\npassword = {{ secret = \"demo-mq\" }}\ninterval = \"10s\"\n\
         max_depth = 5000\ntags = [\"queues\"]\n\
         \n[[check.per_queue]]\nname = \"erp.sync\"\nstalled_after = \"30s\"\n\
         \n[[check]]\nid = \"ap-automation-beat\"\nname = \"AP Automation heartbeat\"\n\
         environment = \"live\"\ntype = \"heartbeat-file\"\npath = {fresh}\n\
         timestamp = \"iso8601\"\nmax_age = \"15m\"\ninterval = \"30s\"\ntags = [\"heartbeat\"]\n\
         \n[[check]]\nid = \"edi-import-beat\"\nname = \"EDI import heartbeat\"\n\
         environment = \"live\"\ntype = \"heartbeat-file\"\npath = {stale}\n\
         max_age = \"30m\"\ninterval = \"30s\"\ntags = [\"heartbeat\"]\n",
        url = broker.url(),
        // As TOML basic strings (JSON's escapes are TOML's): a temporary folder may hold a
        // quote or, on Windows, backslashes.
        fresh = toml_string(&heartbeats.dir.join("ap-automation.txt")),
        stale = toml_string(&heartbeats.dir.join("edi-import.done")),
    ));
    let epicor_password = random_text();
    let epicor_key = random_text();
    let epicor = demo_epicor(&epicor_password, &epicor_key).await?;
    let sql_password = random_text();
    let sql = demo_sql(&sql_password).await?;
    toml.push_str(&demo_epicor_toml(&epicor, &sql));
    let config =
        Config::parse(&toml, "demo estate").map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut secrets = std::collections::HashMap::new();
    secrets.insert("demo-mq".to_string(), secrecy::SecretString::from(password));
    secrets.insert(
        "demo-bitbucket".to_string(),
        secrecy::SecretString::from(cab_token),
    );
    secrets.insert(
        "demo-epicor".to_string(),
        secrecy::SecretString::from(epicor_password),
    );
    secrets.insert(
        "demo-epicor-key".to_string(),
        secrecy::SecretString::from(epicor_key),
    );
    secrets.insert(
        "demo-sql".to_string(),
        secrecy::SecretString::from(sql_password),
    );
    Ok(DemoEstate {
        config,
        secrets: ExplicitSecrets(secrets),
        _servers: servers,
        _broker: broker,
        _heartbeats: heartbeats,
        _bitbucket: bitbucket,
        _epicor: epicor,
        _sql: sql,
    })
}

fn random_text() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// Epicor Live, Test and Dev on Kinetic, and a customer's older Epicor 10.2 on REST v1: Test
/// runs a newer patch and holds solutions Live does not have yet; Dev's report server is down.
async fn demo_epicor(password: &str, key: &str) -> std::io::Result<FakeEpicor> {
    let kinetic = |instance: &str| FakeInstance::kinetic(instance, "svc-opsdeck", password, key);
    let sol = fake_epicor::solution;
    let mut live = kinetic("KineticLive");
    live.companies = vec![
        ("GHA".into(), "GHA Ltd".into()),
        ("GHAIE".into(), "GHA Ireland".into()),
    ];
    live.solutions = vec![
        sol(
            "GHA",
            "GHA_Invoicing",
            "GHA Invoicing.cab",
            1,
            "dana",
            "2026-11-28T18:30:00",
        ),
        sol(
            "GHA",
            "GHA_Orders",
            "GHA Orders.cab",
            1,
            "dana",
            "2026-10-02T18:30:00",
        ),
    ];
    let mut test = kinetic("KineticTest");
    test.companies = live.companies.clone();
    test.app_patch = "11.2.400.14".into();
    test.solutions = vec![
        sol(
            "GHA",
            "GHA_Invoicing",
            "GHA Invoicing.cab",
            1,
            "ben",
            "2026-11-20T10:00:00",
        ),
        sol(
            "GHA",
            "GHA_Orders",
            "GHA Orders.cab",
            2,
            "ben",
            "2026-12-01T10:00:00",
        ),
        sol(
            "GHA",
            "GHA_FieldService",
            "GHA Field Service.cab",
            3,
            "ben",
            "2026-12-03T15:00:00",
        ),
    ];
    let mut dev = kinetic("KineticDev");
    dev.companies = vec![("GHA".into(), "GHA Ltd".into())];
    dev.app_patch = "11.2.400.14".into();
    dev.report_server_alive = false;
    dev.solutions = test.solutions.clone();
    let mut customer = FakeInstance::epicor_10_1("E10Cust98411", "svc-opsdeck", password);
    customer.version = "10.2.500".into();
    customer.app_patch = "10.2.500.31".into();
    customer.framework_patch = "3.2.500.31".into();
    customer.companies = vec![("98411".into(), "Customer 98411".into())];
    FakeEpicor::start(
        vec![live, test, dev, customer],
        IpAddr::V4(Ipv4Addr::LOCALHOST),
    )
    .await
}

/// The SQL Servers under Epicor Live (2017, the database left at the 2016 compatibility level)
/// and Test (2019), as TDS fakes.
async fn demo_sql(password: &str) -> std::io::Result<Vec<RunningSqlServer>> {
    // Backup times as the server would print them, consistent with their ages.
    let finished = |minutes: i64| {
        let at = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes);
        at.strftime("%Y-%m-%dT%H:%M:%S.000").to_string()
    };
    let mut live = FakeSqlServer::sql2017("opsdeck_ro", password, "KineticLive");
    live.compatibility_level = 130;
    live.last_full = Some((finished(9 * 60), 9 * 60));
    live.last_log = Some((finished(12), 12));
    let mut test = FakeSqlServer::sql2017("opsdeck_ro", password, "KineticTest");
    test.product_version = "15.0.4355.3".into();
    test.update_level = Some("CU18".into());
    test.update_reference = Some("KB5017593".into());
    test.compatibility_level = 150;
    test.recovery_model = "SIMPLE".into();
    test.data_kb = 20_971_520;
    test.log_kb = 1_048_576;
    test.last_full = Some((finished(20 * 60), 20 * 60));
    test.last_log = None;
    let mut out = Vec::new();
    for server in [live, test] {
        out.push(RunningSqlServer::start(server, IpAddr::V4(Ipv4Addr::LOCALHOST)).await?);
    }
    Ok(out)
}

fn demo_epicor_toml(fake: &FakeEpicor, sql: &[RunningSqlServer]) -> String {
    let mut toml =
        String::from("\n[[environment]]\nid = \"cust-98411\"\nname = \"Customer 98411\"\n");
    let sql_of = |i: usize, database: &str| {
        sql.get(i).map_or(String::new(), |s| {
            // The TDS fake speaks no TLS; a real server keeps the default (required).
            format!(
                "\n[epicor.sql]\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{database}\"\n\
                 username = \"opsdeck_ro\"\npassword = {{ secret = \"demo-sql\" }}\nencrypt = \"off\"\n",
                s.addr.port()
            )
        })
    };
    for (n, (id, name, env, instance)) in [
        ("erp-live", "Epicor Live", "live", "KineticLive"),
        ("erp-test", "Epicor Test", "test", "KineticTest"),
        ("erp-dev", "Epicor Dev", "dev", "KineticDev"),
    ]
    .into_iter()
    .enumerate()
    {
        toml.push_str(&format!(
            "\n[[epicor]]\nid = \"{id}\"\nname = \"{name}\"\nenvironment = \"{env}\"\nurl = \"{url}\"\n\
             api = \"v2\"\ncompany = \"GHA\"\nauth = \"token\"\nusername = \"svc-opsdeck\"\n\
             password = {{ secret = \"demo-epicor\" }}\napi_key = {{ secret = \"demo-epicor-key\" }}\n\
             interval = \"1m\"\ntimeout = \"5s\"\ntags = [\"epicor\"]\n",
            url = fake.url(instance),
        ));
        toml.push_str(&sql_of(n, instance));
    }
    toml.push_str(&format!(
        "\n[[epicor]]\nid = \"erp-98411\"\nname = \"Customer 98411 (Epicor 10.2)\"\nenvironment = \"cust-98411\"\n\
         url = \"{url}\"\napi = \"v1\"\nusername = \"svc-opsdeck\"\npassword = {{ secret = \"demo-epicor\" }}\n\
         interval = \"1m\"\ntimeout = \"5s\"\ntags = [\"epicor\"]\n",
        url = fake.url("E10Cust98411"),
    ));
    toml
}

/// A path as a quoted TOML string.
fn toml_string(path: &std::path::Path) -> String {
    serde_json::to_string(&path.to_string_lossy()).unwrap_or_default()
}
