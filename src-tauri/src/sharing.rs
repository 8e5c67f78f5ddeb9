//! Sharing this console on the network (Settings → Desktop app), so browsers and phones can
//! open it: the same server as `opsdeck serve`, over this app's engine, letting in only holders
//! of tokens from this computer's data folder (made by "Pair a phone" or `opsdeck token`).
//! Plain HTTP is allowed on loopback only; on the network a certificate is required.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opsdeck::server::auth::Access;
use opsdeck::server::listen::{self, ListenError, ListenOptions};
use opsdeck::server::{Guard, UiFiles};
use opsdeck_core::access::{TokenStore, TokenVerifier};
use opsdeck_core::api::Api;
use opsdeck_core::sharing::{certificate_name, NetworkSharing, SharingStatus};
use tauri::{AppHandle, Runtime};

#[derive(Debug)]
pub struct Sharing {
    data_dir: PathBuf,
    running: tokio::sync::Mutex<Option<Running>>,
    status: Mutex<SharingStatus>,
}

#[derive(Debug)]
struct Running {
    settings: NetworkSharing,
    quit: tokio::sync::oneshot::Sender<()>,
    task: tauri::async_runtime::JoinHandle<()>,
}

impl Sharing {
    pub fn new(data_dir: PathBuf) -> Self {
        Sharing {
            data_dir,
            running: tokio::sync::Mutex::default(),
            status: Mutex::default(),
        }
    }

    pub fn status(&self) -> SharingStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Start, restart or stop sharing to match `settings`; answers the new status.
    pub async fn apply(&self, api: Api, ui: UiFiles, settings: &NetworkSharing) -> SharingStatus {
        let mut running = self.running.lock().await;
        if running.as_ref().is_some_and(|r| &r.settings == settings) {
            return self.status();
        }
        if let Some(r) = running.take() {
            let _ = r.quit.send(());
            // The server finishes open requests for at most 10 s.
            let _ = tokio::time::timeout(Duration::from_secs(11), r.task).await;
            tracing::info!("stopped sharing the console on the network");
        }
        let status = if settings.enabled {
            match self.start(api, ui, settings).await {
                Ok((r, status)) => {
                    *running = Some(r);
                    status
                }
                Err(error) => {
                    tracing::warn!("cannot share the console on the network: {error}");
                    SharingStatus {
                        error: Some(error),
                        ..SharingStatus::default()
                    }
                }
            }
        } else {
            SharingStatus::default()
        };
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status.clone();
        status
    }

    async fn start(
        &self,
        api: Api,
        ui: UiFiles,
        settings: &NetworkSharing,
    ) -> Result<(Running, SharingStatus), String> {
        let listen_text = settings.listen.trim();
        let addr: SocketAddr = listen_text.parse().map_err(|_| {
            format!("`{listen_text}` is not an address and port, such as 0.0.0.0:7443")
        })?;
        let given = |p: &Option<String>| {
            p.as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        };
        let tls = match (given(&settings.tls_cert), given(&settings.tls_key)) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err("choose both the certificate and its private key".into()),
        };
        let cert_file = tls.as_ref().map(|(c, _)| c.clone());
        let listening = listen::bind(&ListenOptions {
            addr,
            tls,
            insecure_http: false,
        })
        .await
        .map_err(|e| match e {
            ListenError::PlainOnNetwork(_) => format!(
                "{e}; choose a certificate and key (PEM files), or listen on 127.0.0.1:{}",
                addr.port()
            ),
            other => other.to_string(),
        })?;
        let url = listening.url();
        let port = listening.local.port();
        let suggested_url = match cert_file
            .and_then(|c| std::fs::read(c).ok())
            .and_then(|pem| certificate_name(&pem))
        {
            Some(name) => format!("https://{name}:{port}"),
            None => url.trim_end_matches('/').to_string(),
        };
        let verifier = Arc::new(TokenVerifier::new(TokenStore::new(&self.data_dir)));
        let access = Access::new(verifier, listening.tls, port);
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let guard = Guard {
            loopback_only: listening.loopback,
        };
        let app = opsdeck::server::router(api, access, ui, guard, stopping);
        let (quit, quit_rx) = tokio::sync::oneshot::channel();
        tracing::info!(%url, "sharing the console on the network");
        let task = tauri::async_runtime::spawn(async move {
            let until = async move {
                let _ = quit_rx.await;
            };
            if let Err(e) = listening.serve(app, stop, until).await {
                tracing::warn!("sharing the console stopped: {e}");
            }
        });
        Ok((
            Running {
                settings: settings.clone(),
                quit,
                task,
            },
            SharingStatus {
                listening: Some(url),
                suggested_url: Some(suggested_url),
                error: None,
            },
        ))
    }
}

/// The web UI for browsers: the files built into the app, or `ui/dist` of the source tree in a
/// development build (which loads the UI from Vite instead of embedding it).
pub fn ui_files<R: Runtime>(app: &AppHandle<R>) -> UiFiles {
    if app.asset_resolver().get("index.html".into()).is_some() {
        let handle = app.clone();
        return UiFiles::Embedded(Arc::new(move |path: &str| {
            handle
                .asset_resolver()
                .get(path.to_string())
                .map(|a| (a.bytes, a.mime_type))
        }));
    }
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/dist");
    if dist.join("index.html").is_file() {
        UiFiles::Dir(dist)
    } else {
        UiFiles::Missing
    }
}
