//! Drives the real desktop app through WebDriver: `tauri-driver` in front of WebKitWebDriver
//! (Linux), the app built with its embedded UI, an X display (Xvfb when none is set), and the
//! app's config pointing at fake ASP.NET services served from this process.
#![allow(
    dead_code,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use opsdeck::fakes::{Behaviour, FakeServer};

pub const APP: &str = env!("CARGO_BIN_EXE_opsdeck-desktop");

/// A running app and everything it needs; all of it stops when dropped.
pub struct Desktop {
    pub client: Client,
    pub fakes: FakeServer,
    pub dir: tempfile::TempDir,
    /// From asking for a session (which starts the app) to the first check row on screen.
    pub cold_start: Duration,
    driver: Child,
    xvfb: Option<Child>,
    pub display: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return p.into();
    }
    let cached = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".cache/opsdeck/tools/bin/tauri-driver");
    if cached.exists() {
        cached
    } else {
        "tauri-driver".into()
    }
}

/// Whether this machine can run the desktop end to end at all.
pub fn available() -> Result<(), String> {
    let has = |cmd: &Path| {
        Command::new(cmd)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if !has(&tauri_driver()) {
        return Err("tauri-driver is not installed (cargo install tauri-driver)".into());
    }
    if !has(Path::new("WebKitWebDriver")) {
        return Err("WebKitWebDriver is not installed (Debian package webkit2gtk-driver)".into());
    }
    if std::env::var_os("DISPLAY").is_none() && !has(Path::new("Xvfb")) {
        return Err("no DISPLAY and no Xvfb (Debian package xvfb)".into());
    }
    Ok(())
}

fn start_xvfb() -> (Option<Child>, String) {
    if let Ok(d) = std::env::var("DISPLAY") {
        return (None, d);
    }
    // Xvfb picks a free display number itself and tells it on the given descriptor.
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("Xvfb's stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
        .expect("read Xvfb's display number");
    let n: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Xvfb did not say its display number: `{line}`"));
    (Some(child), format!(":{n}"))
}

/// Ask a process to stop (so an X server removes its socket and lock), then make sure.
fn terminate(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub fn config(fakes: &FakeServer) -> String {
    format!(
        r#"
[settings]
failures_to_down = 1
successes_to_up = 1

[[environment]]
id = "live"
name = "Live"

[[environment]]
id = "test"
name = "Test"

[[check]]
id = "erp-api"
name = "ERP REST API"
type = "http"
environment = "live"
tags = ["erp"]
interval = "5s"
url = "{erp}"

[[check]]
id = "ap-automation"
name = "AP Automation"
type = "http"
environment = "test"
interval = "5s"
url = "{ap}"
"#,
        erp = fakes.url("erp"),
        ap = fakes.url("ap"),
    )
}

pub async fn fakes() -> FakeServer {
    FakeServer::start(
        vec![
            (
                "erp".into(),
                Behaviour::HealthyJson {
                    entries: vec!["sqlserver", "appserver"],
                },
            ),
            (
                "ap".into(),
                Behaviour::Degraded {
                    entry: "invoice-queue",
                    description: "Oldest invoice waiting 42 min",
                },
            ),
        ],
        std::net::Ipv4Addr::LOCALHOST.into(),
    )
    .await
    .expect("fake services")
}

/// Start the app on the fakes' estate and wait for its overview.
pub async fn launch() -> Desktop {
    // Two TLS back ends are linked in (the engine's and the WebDriver client's): pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fakes = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("opsdeck.toml");
    std::fs::write(&config_path, config(&fakes)).unwrap();
    let (xvfb, display) = start_xvfb();
    let port = free_port();
    let native = free_port();
    let log = std::fs::File::create(dir.path().join("driver.log")).unwrap();
    let driver = Command::new(tauri_driver())
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("DISPLAY", &display)
        .env("OPSDECK_CONFIG", &config_path)
        .env("OPSDECK_DATA_DIR", dir.path().join("data"))
        // The app's own OS files (window state, the autostart entry, web storage) go here,
        // not into the home folder of whoever runs the tests.
        .env("HOME", dir.path().join("home"))
        .env("XDG_CONFIG_HOME", dir.path().join("xdg-config"))
        .env("XDG_DATA_HOME", dir.path().join("xdg-data"))
        .env("XDG_CACHE_HOME", dir.path().join("xdg-cache"))
        // No accessibility bus in a bare X session; without this GTK waits for one.
        .env("NO_AT_BRIDGE", "1")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start tauri-driver");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "tauri-driver did not listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": APP }),
    );
    let started = Instant::now();
    let client = ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "WebDriver session (the app did not start?): {e}\n{}",
                std::fs::read_to_string(dir.path().join("driver.log")).unwrap_or_default()
            )
        });
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(r#"a[data-check-id="erp-api"]"#))
        .await
        .expect("the overview shows the check");
    let cold_start = started.elapsed();
    Desktop {
        client,
        fakes,
        dir,
        cold_start,
        driver,
        xvfb,
        display,
    }
}

impl Desktop {
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.stop();
    }

    fn stop(&mut self) {
        terminate(&mut self.driver);
        if let Some(x) = &mut self.xvfb {
            terminate(x);
        }
    }

    /// Processes of the app: the app itself and its web view's helpers (WebKit runs the page
    /// and the network in child processes).
    pub fn processes(&self) -> Vec<u32> {
        let app = std::fs::canonicalize(APP).unwrap();
        let mut found: Vec<u32> = pids()
            .into_iter()
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_ref() == Some(&app)
            })
            .collect();
        let mut i = 0;
        while i < found.len() {
            let parent = found[i];
            for pid in pids() {
                if ppid(pid) == Some(parent) && !found.contains(&pid) {
                    found.push(pid);
                }
            }
            i += 1;
        }
        found
    }

    /// Memory of each of the app's processes, by name.
    pub fn memory_by_process(&self) -> Vec<(String, Memory)> {
        self.processes()
            .into_iter()
            .map(|pid| {
                let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                (name, Memory::of(pid))
            })
            .collect()
    }

    /// Memory of all the app's processes together.
    pub fn memory(&self) -> Memory {
        self.memory_by_process()
            .into_iter()
            .fold(Memory::default(), |a, (_, m)| Memory {
                resident: a.resident + m.resident,
                proportional: a.proportional + m.proportional,
                private: a.private + m.private,
            })
    }
}

/// Memory of a process in MiB, from `/proc/PID/smaps_rollup`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Memory {
    /// Every page mapped in, shared libraries counted in full by each process.
    pub resident: f64,
    /// Shared pages split between the processes that map them: the fair total.
    pub proportional: f64,
    /// Pages no other process maps (close to Windows' "private working set").
    pub private: f64,
}

impl Memory {
    fn of(pid: u32) -> Memory {
        let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let mut m = Memory::default();
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            let (Some(key), Some(kib)) = (
                parts.next(),
                parts.next().and_then(|v| v.parse::<f64>().ok()),
            ) else {
                continue;
            };
            let mib = kib / 1024.0;
            match key {
                "Rss:" => m.resident += mib,
                "Pss:" => m.proportional += mib,
                "Private_Clean:" | "Private_Dirty:" => m.private += mib,
                _ => {}
            }
        }
        m
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>6.0} MiB resident {:>6.0} MiB proportional {:>6.0} MiB private",
            self.resident, self.proportional, self.private
        )
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        self.stop();
    }
}

fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn ppid(pid: u32) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = text.rsplit_once(')')?.1;
    rest.split_whitespace().nth(1)?.parse().ok()
}
