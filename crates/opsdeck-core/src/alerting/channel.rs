//! Delivering a notification to a channel: one file per kind of channel, behind one function.

mod email;
mod slack;
mod teams;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::notification::Notification;
use crate::config::{Channel, ChannelSpec, SecretRef};
use crate::secret::SecretSource;

/// Why a delivery did not happen, said so a person can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    pub message: String,
}

impl DeliveryError {
    pub fn new(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            message: message.into(),
        }
    }
}

/// Shows notifications on the desktop of the person running the desktop app.
pub trait DesktopSink: Send + Sync + std::fmt::Debug {
    fn show(&self, notification: &Notification) -> Result<(), String>;
}

/// What deliveries need besides the channel: credentials, an HTTP client, the desktop.
#[derive(Debug, Clone)]
pub struct Couriers {
    pub secrets: Arc<dyn SecretSource>,
    pub http: reqwest::Client,
    pub desktop: Option<Arc<dyn DesktopSink>>,
}

impl Couriers {
    pub fn new(secrets: Arc<dyn SecretSource>, desktop: Option<Arc<dyn DesktopSink>>) -> Couriers {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
            // Webhook endpoints answer directly; a redirect is more likely a login page.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Couriers {
            secrets,
            http,
            desktop,
        }
    }

    /// A credential, read off the async workers (the keychain may block).
    async fn secret(&self, r: &SecretRef, channel: &Channel) -> Result<String, DeliveryError> {
        let source = self.secrets.clone();
        let name = r.secret.clone();
        let read = tokio::task::spawn_blocking(move || source.get(&name))
            .await
            .map_err(|e| DeliveryError::new(format!("reading the keychain failed: {e}")))?;
        read.map(|s| s.expose_secret().to_string())
            .map_err(|e| DeliveryError::new(format!("channel `{}` cannot send: {e}", channel.id())))
    }
}

/// Send one notification through one channel, within the channel's timeout.
pub async fn deliver(
    couriers: &Couriers,
    channel: &Channel,
    n: &Notification,
) -> Result<(), DeliveryError> {
    let timeout = channel.common.timeout;
    let send = async {
        match &channel.spec {
            ChannelSpec::Email(e) => email::send(couriers, channel, e, n).await,
            ChannelSpec::Teams(w) => {
                let url = couriers.secret(&w.url, channel).await?;
                post_json(couriers, channel, &url, &teams::card(n), &[]).await
            }
            ChannelSpec::Slack(w) => {
                let url = couriers.secret(&w.url, channel).await?;
                post_json(couriers, channel, &url, &slack::message(n), &[]).await
            }
            ChannelSpec::Webhook(w) => webhook::send(couriers, channel, w, n).await,
            ChannelSpec::Desktop(_) => match &couriers.desktop {
                Some(sink) => sink.show(n).map_err(DeliveryError::new),
                None => Err(DeliveryError::new(format!(
                    "channel `{}` shows notifications in the opsdeck desktop app, and this opsdeck is not one",
                    channel.id()
                ))),
            },
        }
    };
    match tokio::time::timeout(timeout, send).await {
        Ok(r) => r,
        Err(_) => Err(DeliveryError::new(format!(
            "channel `{}` did not finish sending within {}",
            channel.id(),
            humantime::format_duration(timeout)
        ))),
    }
}

/// POST a JSON body; anything but a 2xx is a failure that quotes the answer (briefly). The URL
/// is never quoted: for Teams and Slack it is the credential.
async fn post_json(
    couriers: &Couriers,
    channel: &Channel,
    url: &str,
    body: &serde_json::Value,
    headers: &[(String, String)],
) -> Result<(), DeliveryError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| {
        DeliveryError::new(format!(
            "channel `{}` has a webhook URL that is not a URL",
            channel.id()
        ))
    })?;
    let host = crate::probe::http::authority(&parsed);
    let mut request = couriers
        .http
        .post(parsed)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let answer = request.send().await.map_err(|e| {
        DeliveryError::new(format!(
            "channel `{}` could not reach {host}: {}",
            channel.id(),
            describe(&e.without_url())
        ))
    })?;
    let status = answer.status();
    if status.is_success() {
        return Ok(());
    }
    let text = answer.text().await.unwrap_or_default();
    let said: String = text.trim().chars().take(200).collect();
    Err(DeliveryError::new(format!(
        "{} at {host} refused the notification for channel `{}` (HTTP {}{})",
        channel.spec.type_name(),
        channel.id(),
        status.as_u16(),
        if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        }
    )))
}

/// A reqwest error with its causes, which hold the useful part ("connection refused").
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// A short duration for messages.
pub fn short(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}
