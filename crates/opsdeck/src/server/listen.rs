//! Opening the server's socket the way every face does (`opsdeck serve`, the desktop app's
//! network sharing): plain HTTP on loopback, HTTPS with a certificate anywhere, plain HTTP on
//! the network only when explicitly allowed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;

use super::tls::{self, TlsError, TlsListener};

#[derive(Debug, Clone)]
pub struct ListenOptions {
    pub addr: SocketAddr,
    /// Certificate chain and key (PEM).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Allow plain HTTP on a non-loopback address (a TLS proxy is in front).
    pub insecure_http: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("{0}")]
    Tls(#[from] TlsError),
    #[error("refusing to listen on {0} without TLS: tokens and everything the console shows would cross the network in clear text")]
    PlainOnNetwork(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A bound socket, ready to serve.
#[derive(Debug)]
pub struct Listening {
    pub local: SocketAddr,
    pub tls: bool,
    /// Bound to a loopback address (only local programs can connect).
    pub loopback: bool,
    tcp: tokio::net::TcpListener,
    config: Option<Arc<rustls::ServerConfig>>,
}

pub async fn bind(options: &ListenOptions) -> Result<Listening, ListenError> {
    let config = match &options.tls {
        Some((cert, key)) => Some(tls::server_config(cert, key)?),
        None => None,
    };
    let loopback = options.addr.ip().is_loopback();
    if !loopback && config.is_none() && !options.insecure_http {
        return Err(ListenError::PlainOnNetwork(options.addr));
    }
    let tcp = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|source| ListenError::Bind {
            addr: options.addr,
            source,
        })?;
    let local = tcp.local_addr().unwrap_or(options.addr);
    Ok(Listening {
        local,
        tls: config.is_some(),
        loopback,
        tcp,
        config,
    })
}

impl Listening {
    /// `http://127.0.0.1:7410/` or `https://0.0.0.0:7443/`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/", self.local)
    }

    /// Serve `app` until `until` completes, then stop as [`super::serve_until`] does.
    pub async fn serve(
        self,
        app: Router,
        stop: tokio::sync::watch::Sender<bool>,
        until: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        match self.config {
            Some(config) => {
                let listener = TlsListener::new(self.tcp, config)?;
                super::serve_until(listener, app, stop, until).await
            }
            None => super::serve_until(self.tcp, app, stop, until).await,
        }
    }
}
