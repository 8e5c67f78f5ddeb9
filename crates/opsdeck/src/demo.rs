//! The built-in demo estate: about thirty fake services across Dev, Test and Live, answering in
//! both ASP.NET formats over real local HTTP, so a newcomer sees a living console without any
//! infrastructure. Some are slow, one is degraded, one flaps, one is down.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use opsdeck_core::config::Config;

use crate::fakes::{Behaviour, FakeServer};

/// The running fakes; dropping this stops them.
#[derive(Debug)]
pub struct DemoEstate {
    pub config: Config,
    _servers: Vec<FakeServer>,
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
    let config =
        Config::parse(&toml, "demo estate").map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(DemoEstate {
        config,
        _servers: servers,
    })
}
