//! Shared pieces of the integration tests: real local servers (HTTP, TLS, raw TCP) that misbehave
//! on purpose, and a way to run the real `opsdeck` binary.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

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
    let name = format!("{role}-{}-{n}", std::process::id());
    let out = opsdeck()
        .args([
            "token",
            "create",
            "--name",
            &name,
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
        (cert.der().to_vec(), key.serialize_der())
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
