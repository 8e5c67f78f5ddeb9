//! E-mail over SMTP with lettre: implicit TLS, STARTTLS (required, never silently skipped) or
//! plain, an optional login from the keychain, and a plain-text body listing every result.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::super::notification::{Kind, Notification};
use super::{Couriers, DeliveryError};
use crate::config::{mailbox, Channel, EmailChannel, Severity, SmtpSecurity};

pub async fn send(
    couriers: &Couriers,
    channel: &Channel,
    e: &EmailChannel,
    n: &Notification,
) -> Result<(), DeliveryError> {
    let server = format!("{}:{}", e.host, e.port());
    let fail = |what: String| DeliveryError::new(format!("channel `{}`: {what}", channel.id()));
    let message = compose(e, n).map_err(fail)?;
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(e.host.as_str())
        .port(e.port())
        .timeout(Some(channel.common.timeout));
    if e.security != SmtpSecurity::None {
        let mut tls = TlsParameters::builder(e.host.clone());
        if let Some(path) = &e.ca_file {
            let pem = std::fs::read(path)
                .map_err(|err| fail(format!("cannot read CA file {}: {err}", path.display())))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|err| fail(format!("CA file {} is not PEM: {err}", path.display())))?;
            tls = tls.add_root_certificate(cert);
        }
        let tls = tls
            .build_rustls()
            .map_err(|err| fail(format!("cannot set up TLS for {server}: {err}")))?;
        transport = transport.tls(match e.security {
            SmtpSecurity::Implicit => Tls::Wrapper(tls),
            _ => Tls::Required(tls),
        });
    }
    if let (Some(user), Some(password)) = (&e.username, &e.password) {
        let secret = couriers.secret(password, channel).await?;
        transport = transport.credentials(Credentials::new(user.clone(), secret));
    }
    let transport = transport.build();
    match transport.send(message).await {
        Ok(_) => Ok(()),
        Err(err) => Err(fail(explain(&err, &server, e))),
    }
}

/// The mail: subject from the title, one line per result, the loudness in the headers that
/// mail clients show (`Importance`, `X-Priority`), and a `Message-ID` made from the
/// notification's id, so a retry after a crash is recognisably the same mail.
fn compose(e: &EmailChannel, n: &Notification) -> Result<Message, String> {
    let mut builder = Message::builder()
        .from(mailbox(&e.from)?)
        .subject(n.prefixed_title())
        .message_id(Some(format!("<{}@opsdeck>", n.id)))
        .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")).to_string())
        .header(ContentType::TEXT_PLAIN);
    for to in &e.to {
        builder = builder.to(mailbox(to)?);
    }
    for cc in &e.cc {
        builder = builder.cc(mailbox(cc)?);
    }
    let mut body = String::new();
    if n.kind == Kind::Test {
        body.push_str("This channel works: opsdeck can send alerts to this address.\n");
    }
    body.push_str(&n.text());
    if let Some(url) = &n.console_url {
        body.push_str(&format!("\nOpen opsdeck: {url}\n"));
    }
    body.push_str("\n-- \nSent by opsdeck.\n");
    let mut message = builder
        .body(body)
        .map_err(|err| format!("the mail cannot be built: {err}"))?;
    if n.severity == Severity::Critical && n.kind != Kind::Recovery {
        let headers = message.headers_mut();
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Importance"),
            "high".into(),
        ));
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Priority"),
            "1 (Highest)".into(),
        ));
    }
    Ok(message)
}

/// What went wrong, in words that point at the fix.
fn explain(err: &lettre::transport::smtp::Error, server: &str, e: &EmailChannel) -> String {
    let code = err.status().map(|c| c.to_string());
    let login = match (&e.username, &e.password) {
        (Some(u), Some(p)) => format!(" for `{u}` in keychain entry `{}`", p.secret),
        _ => String::new(),
    };
    match code.as_deref() {
        Some("535") | Some("534") | Some("530") if !login.is_empty() => {
            format!("SMTP server {server} refused the login{login} ({err})")
        }
        Some("530") => format!("SMTP server {server} requires a login; set `username` and `password` ({err})"),
        _ if err.is_tls() => format!(
            "TLS with SMTP server {server} failed ({err}); check `security` (implicit for port 465, starttls for 587) and the server's certificate"
        ),
        _ if err.is_timeout() => format!("SMTP server {server} did not answer in time ({err})"),
        _ if err.is_permanent() => format!("SMTP server {server} refused the mail ({err})"),
        _ if err.is_transient() => format!("SMTP server {server} cannot take the mail now ({err}); it will be retried"),
        _ => format!("sending through SMTP server {server} failed ({})", chain(err)),
    }
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}
