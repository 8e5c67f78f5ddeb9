//! Shared pieces of the integration tests: real local servers (HTTP, TLS, raw TCP) that misbehave
//! on purpose, and a way to run the real `opsdeck` binary.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub fn opsdeck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    c.env_remove("OPSDECK_CONFIG")
        .env_remove("OPSDECK_DATA_DIR")
        .env("NO_COLOR", "1");
    c
}

/// Create an API token with `role` in `data` through the real CLI; a fresh name each time.
pub fn create_token(data: &Path, role: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    create_named_token(data, &format!("{role}-{}-{n}", std::process::id()), role)
}

/// Create an API token named `name` with `role` in `data` through the real CLI.
pub fn create_named_token(data: &Path, name: &str, role: &str) -> String {
    let out = opsdeck()
        .args([
            "token",
            "create",
            "--name",
            name,
            "--role",
            role,
            "--data-dir",
        ])
        .arg(data)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Whether a Secret Service can be reached (the suite runs under scripts/with-keyring); when
/// `OPSDECK_TEST_REQUIRE_KEYCHAIN` is set, its absence fails the test instead of skipping it.
pub fn keychain_available() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() || cfg!(not(target_os = "linux")) {
        return true;
    }
    assert!(
        std::env::var_os("OPSDECK_TEST_REQUIRE_KEYCHAIN").is_none(),
        "OPSDECK_TEST_REQUIRE_KEYCHAIN is set but there is no session bus: run under scripts/with-keyring"
    );
    eprintln!("SKIPPED: no Secret Service session bus; run under scripts/with-keyring");
    false
}

/// `opsdeck secret set NAME` with `value` on standard input, as a person would.
pub fn set_secret(name: &str, value: &str, data: &Path) -> Output {
    let mut child = opsdeck()
        .env("OPSDECK_DATA_DIR", data)
        .args(["secret", "set", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{value}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn run(args: &[&str], config: Option<&Path>) -> Output {
    let mut c = opsdeck();
    if let Some(p) = config {
        c.arg("--config").arg(p);
    }
    c.args(args).stdin(Stdio::null()).output().unwrap()
}

pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("opsdeck.toml");
    std::fs::write(&p, text).unwrap();
    p
}

pub fn http_check(id: &str, url: &str, extra: &str) -> String {
    format!(
        "\n[[check]]\nid = \"{id}\"\ntype = \"http\"\nurl = \"{url}\"\ntimeout = \"2s\"\n{extra}\n"
    )
}

/// A TCP server that runs `handle` for each connection.
pub async fn tcp_server<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = Arc::new(handle);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let h = handle.clone();
            tokio::spawn(async move { h(stream).await });
        }
    });
    addr
}

/// Read a request head, then write `response` verbatim.
pub async fn answer_raw(
    mut stream: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    response: Vec<u8>,
) {
    let mut buf = vec![0u8; 8192];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

pub fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

pub struct Pki {
    pub ca_pem: String,
    ca_cert: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl Pki {
    pub fn new() -> Pki {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "opsdeck test CA");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca_cert = params.self_signed(&ca_key).unwrap();
        Pki {
            ca_pem: ca_cert.pem(),
            ca_cert,
            ca_key,
        }
    }

    /// A leaf for `names`, valid from `from` to `until` (relative to now), signed by the CA, or
    /// self-signed when `self_signed`.
    pub fn leaf(
        &self,
        names: &[&str],
        from: time::Duration,
        until: time::Duration,
        self_signed: bool,
    ) -> (Vec<u8>, Vec<u8>) {
        let (cert, key) = self.issue(names, from, until, self_signed);
        (cert.der().to_vec(), key.serialize_der())
    }

    /// The same as [`Pki::leaf`], as PEM files hold them: certificate and PKCS#8 key.
    pub fn leaf_pem(
        &self,
        names: &[&str],
        from: time::Duration,
        until: time::Duration,
    ) -> (String, String) {
        let (cert, key) = self.issue(names, from, until, false);
        (cert.pem(), key.serialize_pem())
    }

    fn issue(
        &self,
        names: &[&str],
        from: time::Duration,
        until: time::Duration,
        self_signed: bool,
    ) -> (rcgen::Certificate, rcgen::KeyPair) {
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now + from;
        params.not_after = now + until;
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = if self_signed {
            params.self_signed(&key).unwrap()
        } else {
            params.signed_by(&key, &self.ca_cert, &self.ca_key).unwrap()
        };
        (cert, key)
    }
}

/// An HTTPS server answering every request with `Healthy`.
pub async fn tls_server(cert_der: Vec<u8>, key_der: Vec<u8>) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert_der)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tcp_server(move |stream| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(tls) = acceptor.accept(stream).await {
                answer_raw(tls, response("200 OK", "text/plain", b"Healthy")).await;
            }
        }
    })
    .await
}

pub struct Server {
    pub child: Child,
    pub base: String,
    /// What the server printed on stderr so far (collected in the background).
    pub stderr: Arc<std::sync::Mutex<String>>,
}

/// The admin token of each running server, by base URL, so the request helpers can sign in.
pub static TOKENS: std::sync::Mutex<std::collections::BTreeMap<String, String>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// `GET base+path` as the server's admin; it must answer 200 with JSON.
pub async fn get_json(base: &str, path: &str) -> serde_json::Value {
    let r = client(base)
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// A client that sends the admin token of the server at `base`.
pub fn client(base: &str) -> reqwest::Client {
    let token = TOKENS.lock().unwrap().get(base).cloned().unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

impl Server {
    pub fn start(config: &Path, data: &Path) -> Server {
        Server::start_with(
            config,
            data,
            &["--listen", "127.0.0.1:0"],
            &[("OPSDECK_LOG", "warn")],
        )
    }

    /// `opsdeck serve --config … --data-dir … ARGS` with `env`, once it says where it serves.
    /// An admin token is created first and registered for [`client`].
    pub fn start_with(config: &Path, data: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = opsdeck();
        command
            .arg("serve")
            .args(args)
            .arg("--config")
            .arg(config)
            .envs(env.iter().copied());
        Server::launch(command, data)
    }

    /// `opsdeck demo` on a free port: the built-in demo estate.
    #[allow(dead_code)]
    pub fn demo(data: &Path) -> Server {
        let mut command = opsdeck();
        command
            .args(["demo", "--listen", "127.0.0.1:0"])
            .env("OPSDECK_LOG", "warn");
        Server::launch(command, data)
    }

    fn launch(mut command: Command, data: &Path) -> Server {
        let token = create_token(data, "admin");
        let mut child = command
            .arg("--data-dir")
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let collected = Arc::new(std::sync::Mutex::new(String::new()));
        let sink = collected.clone();
        std::thread::spawn(move || {
            let mut log = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                {
                    let mut all = sink.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
                if let Some(rest) = line.strip_prefix("opsdeck is serving ") {
                    let url = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    let _ = tx.send(Ok(url.trim_end_matches('/').to_string()));
                }
                log.push_str(&line);
                log.push('\n');
            }
            let _ = tx.send(Err(log));
        });
        let base = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(base)) => base,
            Ok(Err(log)) => panic!("server exited before serving:\n{log}"),
            Err(e) => panic!(
                "server did not start: {e}; it printed:\n{}",
                collected.lock().unwrap()
            ),
        };
        TOKENS.lock().unwrap().insert(base.clone(), token);
        Server {
            child,
            base,
            stderr: collected,
        }
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }

    pub fn terminate(&mut self) -> Option<i32> {
        #[cfg(unix)]
        {
            let _ = std::process::Command::new("kill")
                .arg(self.child.id().to_string())
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}
