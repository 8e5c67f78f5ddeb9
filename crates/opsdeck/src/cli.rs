//! The command-line contract: `check`, `serve`, `config`, `secret`, `demo`, `token`, `alerts`.

mod alerts;
mod cab;
mod epicor;

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use opsdeck_core::access::{Role, TokenStore};
use opsdeck_core::config::Config;
use opsdeck_core::credential_dates::CredentialDates;
use opsdeck_core::engine;
use opsdeck_core::secret::{Keychain, SecretError, SecretSource};
use opsdeck_core::status::Status;
use secrecy::{ExposeSecret, SecretString};

use crate::output::{self, SweepReport};

/// Exit codes beyond the check statuses (0–3), after BSD sysexits.
pub mod exit {
    pub const USAGE: i32 = 64;
    pub const DATA: i32 = 65;
    pub const UNAVAILABLE: i32 = 69;
    pub const SOFTWARE: i32 = 70;
    pub const IO: i32 = 74;
    pub const CONFIG: i32 = 78;
}

#[derive(Debug, Parser)]
#[command(
    name = "opsdeck",
    version,
    about = "Ops console: health, queues, heartbeats, Epicor environments and CAB releases"
)]
pub struct Cli {
    /// Config file [default: opsdeck.toml in the OS config directory]
    #[arg(long, global = true, env = "OPSDECK_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where history is kept [default: the OS data dir]
    #[arg(long, global = true, env = "OPSDECK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One concurrent sweep of every check (or the given IDs), then exit with the worst status:
    /// 0 up, 1 degraded, 2 down, 3 unknown.
    Check {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Check ids (or CHECK/THING result ids) to run; default: all enabled checks
        ids: Vec<String>,
    },
    /// Run the engine with the HTTP API, live events, /metrics and the web UI.
    Serve(ServeArgs),
    /// Validate the config or print its JSON Schema.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Manage credentials in the OS keychain (values are read from standard input).
    Secret {
        #[command(subcommand)]
        action: SecretAction,
    },
    /// Serve the console against the built-in demo estate.
    Demo(ServeArgs),
    /// API tokens for `opsdeck serve` (kept as slow hashes in the data directory).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// The alert timeline (newest first), open alerts, and acknowledging, snoozing and
    /// testing channels.
    Alerts(alerts::AlertsArgs),
    /// The CAB release workflow: the catalogue of CAB files in Bitbucket.
    Cab {
        #[command(subcommand)]
        action: cab::CabAction,
    },
    /// The Epicor environments: version, health, companies, installed solutions, SQL Server.
    Epicor {
        #[command(subcommand)]
        action: epicor::EpicorAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once (it cannot be shown again)
    Create {
        /// A name that says whose token it is, e.g. `anna-phone` or `prometheus`
        #[arg(long)]
        name: String,
        /// viewer (read), operator (+ check now), approver (+ CAB approvals), admin (+ config, credentials, tokens)
        #[arg(long)]
        role: Role,
    },
    /// List tokens: names, roles, ids and creation dates (never values)
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Revoke a token; a running server refuses it from its next request
    Revoke { name: String },
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:7410")]
    pub listen: SocketAddr,
    /// Directory of the built web UI [default: the UI shipped with opsdeck]
    #[arg(long, env = "OPSDECK_UI_DIR", value_name = "DIR")]
    pub ui_dir: Option<PathBuf>,
    /// Allow listening on a non-loopback address without TLS
    #[arg(long)]
    pub insecure_http: bool,
    /// PEM certificate chain (leaf first) to serve HTTPS with
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Check the config file and report every problem with its line
    Validate,
    /// Print the JSON Schema of the config file (for editor completion)
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum SecretAction {
    /// Store a credential; the value is read from standard input (without echo on a terminal)
    Set {
        name: String,
        /// Make up a random value instead (for a push check's token), store it, and print it
        /// this once
        #[arg(long)]
        generate: bool,
    },
    /// Remove a credential
    Delete { name: String },
    /// List the credentials the config refers to, whether each is stored, and who uses it
    List,
    /// Run the checks that use a credential now (after setting or rotating it)
    Test {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// Print to stdout, ignoring a closed pipe (`opsdeck check | head`).
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

pub fn config_path(cli: &Cli) -> (PathBuf, bool) {
    match &cli.config {
        Some(p) => (p.clone(), true),
        None => (opsdeck_core::paths::default_config_file(), false),
    }
}

fn data_dir(cli: &Cli) -> PathBuf {
    cli.data_dir
        .clone()
        .unwrap_or_else(opsdeck_core::paths::default_data_dir)
}

fn load_config(path: &Path) -> Result<Config, i32> {
    Config::load(path).map_err(|e| {
        eprintln!("{e}");
        exit::CONFIG
    })
}

pub async fn run(cli: Cli) -> i32 {
    match &cli.command {
        Command::Check { format, ids } => check(&cli, *format, ids).await,
        Command::Serve(args) => serve(&cli, args, false).await,
        Command::Demo(args) => serve(&cli, args, true).await,
        Command::Config { action } => config_command(&cli, action),
        Command::Secret { action } => secret_command(&cli, action).await,
        Command::Token { action } => token_command(&cli, action).await,
        Command::Alerts(args) => alerts::run(&cli, args).await,
        Command::Cab { action } => cab::run(&cli, action).await,
        Command::Epicor { action } => epicor::run(&cli, action).await,
    }
}

async fn token_command(cli: &Cli, action: &TokenAction) -> i32 {
    let store = TokenStore::new(&data_dir(cli));
    let fail = |e: opsdeck_core::access::AccessError| {
        eprintln!("{e}");
        match e {
            opsdeck_core::access::AccessError::InvalidName(_)
            | opsdeck_core::access::AccessError::Duplicate(_)
            | opsdeck_core::access::AccessError::NotFound(_) => exit::DATA,
            _ => exit::IO,
        }
    };
    match action {
        TokenAction::Create { name, role } => {
            let (name, role) = (name.clone(), *role);
            let created = tokio::task::spawn_blocking(move || store.create(&name, role)).await;
            match created {
                Ok(Ok(new)) => {
                    // The token on stdout alone, so `opsdeck token create … > file` or a
                    // pipe captures exactly it; the explanation goes to stderr.
                    out(&format!("{}\n", new.token.expose_secret()));
                    eprintln!(
                        "created token `{}` with the {} role; it is shown this once, so store it now (opsdeck keeps only a hash)",
                        new.info.name, new.info.role
                    );
                    0
                }
                Ok(Err(e)) => fail(e),
                Err(_) => exit::SOFTWARE,
            }
        }
        TokenAction::List { format } => match store.list() {
            Ok(tokens) => {
                match format {
                    Format::Json => out(&format!(
                        "{}\n",
                        serde_json::json!({ "tokens": tokens })
                    )),
                    Format::Table if tokens.is_empty() => out(
                        "no API tokens yet; create one with `opsdeck token create --name NAME --role viewer`\n",
                    ),
                    Format::Table => {
                        let width = tokens.iter().map(|t| t.name.len()).max().unwrap_or(4).max(4);
                        let mut text =
                            format!("{:<width$}  {:<8}  {:<16}  CREATED\n", "NAME", "ROLE", "ID");
                        for t in &tokens {
                            text.push_str(&format!(
                                "{:<width$}  {:<8}  {:<16}  {}\n",
                                t.name,
                                t.role.as_str(),
                                t.id,
                                short_utc(&t.created_at)
                            ));
                        }
                        out(&text);
                    }
                }
                0
            }
            Err(e) => fail(e),
        },
        TokenAction::Revoke { name } => match store.revoke(name) {
            Ok(info) => {
                eprintln!("revoked token `{}` ({})", info.name, info.role);
                0
            }
            Err(e) => fail(e),
        },
    }
}

async fn check(cli: &Cli, format: Format, ids: &[String]) -> i32 {
    let (path, _) = config_path(cli);
    if !path.exists() {
        eprintln!(
            "no config file at {}: pass --config PATH or set OPSDECK_CONFIG (`opsdeck demo` shows the console with a built-in estate)",
            path.display()
        );
        return exit::CONFIG;
    }
    let config = match load_config(&path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let started = Instant::now();
    let checked_at = opsdeck_core::time_fmt::now_rfc3339();
    let results = match engine::sweep(&config, ids, Arc::new(Keychain)).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return exit::USAGE;
        }
    };
    let report = SweepReport {
        checked_at,
        duration_ms: started.elapsed().as_millis() as u64,
        results: &results,
    };
    match format {
        Format::Json => out(&(output::json(&report) + "\n")),
        Format::Table => {
            let tty = std::io::stdout().is_terminal();
            let colour = tty && std::env::var_os("NO_COLOR").is_none();
            let width = std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(if tty { 120 } else { 200 });
            out(&output::table(&report, colour, width));
        }
    }
    results
        .iter()
        .map(|r| r.status)
        .max()
        .unwrap_or(Status::Up)
        .exit_code()
}

fn config_command(cli: &Cli, action: &ConfigAction) -> i32 {
    match action {
        ConfigAction::Schema => {
            out(&(serde_json::to_string_pretty(&Config::json_schema()).unwrap_or_default() + "\n"));
            0
        }
        ConfigAction::Validate => {
            let (path, _) = config_path(cli);
            match load_config(&path) {
                Ok(c) => {
                    let mut credentials = c.secret_refs();
                    credentials.extend(c.channel_secret_refs());
                    let channels = if c.channel.is_empty() {
                        String::new()
                    } else {
                        format!(", {} notification channels", c.channel.len())
                    };
                    out(&format!(
                        "{}: ok ({} environments, {} checks{channels}, {} credential references)\n",
                        path.display(),
                        c.environment.len(),
                        c.check.len(),
                        credentials.len()
                    ));
                    0
                }
                Err(code) => code,
            }
        }
    }
}

fn secret_exit(e: &SecretError) -> i32 {
    match e {
        SecretError::Unavailable { .. }
        | SecretError::Locked { .. }
        | SecretError::NotAKeychain { .. } => exit::UNAVAILABLE,
        SecretError::InvalidName { .. } | SecretError::EmptyValue { .. } => exit::DATA,
        SecretError::Missing { .. } => exit::DATA,
    }
}

/// Credential dates are a convenience: failing to record one is said, not fatal.
fn note_dates(result: std::io::Result<()>, data: &Path) {
    if let Err(e) = result {
        eprintln!(
            "warning: cannot record the date in {}: {e}",
            CredentialDates::file(data).display()
        );
    }
}

/// `2026-11-25 10:20 UTC` from RFC 3339; as given when it does not parse.
fn short_utc(rfc3339: &str) -> String {
    match rfc3339.split_once('T') {
        Some((day, time)) if time.len() >= 5 => format!("{day} {} UTC", &time[..5]),
        _ => rfc3339.to_string(),
    }
}

async fn secret_command(cli: &Cli, action: &SecretAction) -> i32 {
    let data = data_dir(cli);
    // The keyring backends block (D-Bus, Win32): keep them off the async workers.
    let run = |f: Box<dyn FnOnce() -> i32 + Send>| async move {
        tokio::task::spawn_blocking(f)
            .await
            .unwrap_or(exit::SOFTWARE)
    };
    match action {
        SecretAction::Set { name, generate } => {
            let name = name.clone();
            let generate = *generate;
            if !opsdeck_core::config::is_slug(&name) {
                let e = SecretError::InvalidName { name };
                eprintln!("{e}");
                return secret_exit(&e);
            }
            let value = if generate {
                use rand::Rng;
                let v: String = rand::rng()
                    .sample_iter(rand::distr::Alphanumeric)
                    .take(40)
                    .map(char::from)
                    .collect();
                SecretString::from(v)
            } else {
                match read_secret_value(&name) {
                    Ok(v) => v,
                    Err(e) => {
                        eprintln!("cannot read the value from standard input: {e}");
                        return exit::IO;
                    }
                }
            };
            run(Box::new(move || match Keychain.set(&name, &value) {
                Ok(()) => {
                    eprintln!("stored credential `{name}` in the OS keychain (service `opsdeck`)");
                    if generate {
                        eprintln!("its value, shown this once (a push URL ends with it):");
                        out(&format!("{}\n", value.expose_secret()));
                    }
                    let now = opsdeck_core::time_fmt::now_rfc3339();
                    note_dates(CredentialDates::record_set(&data, &name, &now), &data);
                    0
                }
                Err(e) => {
                    eprintln!("{e}");
                    secret_exit(&e)
                }
            }))
            .await
        }
        SecretAction::Delete { name } => {
            let name = name.clone();
            run(Box::new(move || match Keychain.delete(&name) {
                Ok(true) => {
                    eprintln!("deleted credential `{name}`");
                    note_dates(CredentialDates::record_delete(&data, &name), &data);
                    0
                }
                Ok(false) => {
                    eprintln!("there is no credential `{name}` in the keychain");
                    exit::DATA
                }
                Err(e) => {
                    eprintln!("{e}");
                    secret_exit(&e)
                }
            }))
            .await
        }
        SecretAction::Test { name, format } => {
            let (path, _) = config_path(cli);
            let config = match load_config(&path) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let users = config
                .secret_refs()
                .remove(name.as_str())
                .unwrap_or_default();
            let channels = config
                .channel_secret_refs()
                .remove(name.as_str())
                .unwrap_or_default();
            let cab = config.cab_secret_ref().is_some_and(|r| &r.secret == name);
            if users.is_empty() && channels.is_empty() && !cab {
                eprintln!(
                    "no check, channel or the CAB workflow in {} uses the credential `{name}`; `opsdeck secret list` shows the ones in use",
                    path.display()
                );
                return exit::USAGE;
            }
            // The CAB workflow's token: signing in to Bitbucket with it is the test.
            if cab {
                let code = cab::run(
                    cli,
                    &cab::CabAction::Whoami {
                        format: Format::Table,
                    },
                )
                .await;
                if code != 0 {
                    return code;
                }
            }
            // A channel that uses it sends a test notification.
            for channel in &channels {
                let code = alerts::test(cli, channel).await;
                if code != 0 {
                    return code;
                }
            }
            if users.is_empty() {
                return 0;
            }
            check(cli, *format, &users).await
        }
        SecretAction::List => {
            let (path, _) = config_path(cli);
            let config = match load_config(&path) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let mut refs = config.secret_refs();
            for (name, channels) in config.channel_secret_refs() {
                refs.entry(name)
                    .or_default()
                    .extend(channels.into_iter().map(|c| format!("channel {c}")));
            }
            if let Some(r) = config.cab_secret_ref() {
                refs.entry(r.secret.clone())
                    .or_default()
                    .push("the CAB workflow".to_string());
            }
            let dates = CredentialDates::load(&data);
            run(Box::new(move || {
                if refs.is_empty() {
                    out("the config refers to no credentials\n");
                    return 0;
                }
                let width = refs.keys().map(String::len).max().unwrap_or(4).max(4);
                let mut text = format!(
                    "{:<width$}  {:<8}  {:<20}  USED BY\n",
                    "NAME", "STORED", "LAST SET"
                );
                let mut code = 0;
                for (name, users) in refs {
                    let stored = match Keychain.get(&name) {
                        Ok(_) => "yes".to_string(),
                        Err(SecretError::Missing { .. }) => {
                            code = code.max(1);
                            "MISSING".to_string()
                        }
                        Err(e) => {
                            eprintln!("{e}");
                            return secret_exit(&e);
                        }
                    };
                    let set = dates
                        .set_at
                        .get(&name)
                        .map(|at| short_utc(at))
                        .unwrap_or_else(|| "-".into());
                    text.push_str(&format!(
                        "{name:<width$}  {stored:<8}  {set:<20}  {}\n",
                        users.join(", ")
                    ));
                }
                out(&text);
                code
            }))
            .await
        }
    }
}

/// The value comes from standard input only, never argv or the environment, so it does not
/// end up in shell history or process listings.
fn read_secret_value(name: &str) -> std::io::Result<SecretString> {
    let stdin = std::io::stdin();
    let value = if stdin.is_terminal() {
        rpassword::prompt_password(format!("value for `{name}` (not echoed): "))?
    } else {
        let mut s = String::new();
        stdin.lock().read_to_string(&mut s)?;
        // One trailing newline is how `echo` and files end; it is not part of the secret.
        if s.ends_with('\n') {
            s.pop();
            if s.ends_with('\r') {
                s.pop();
            }
        }
        s
    };
    Ok(SecretString::from(value))
}

fn ui_dir(arg: &Option<PathBuf>) -> Option<PathBuf> {
    if let Some(dir) = arg {
        return Some(dir.clone());
    }
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|p| p.join("ui")));
    let from_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist");
    [beside_exe, Some(from_source)]
        .into_iter()
        .flatten()
        .find(|d| d.join("index.html").is_file())
}

async fn serve(cli: &Cli, args: &ServeArgs, demo: bool) -> i32 {
    use crate::server::listen::{self, ListenError, ListenOptions};
    let options = ListenOptions {
        addr: args.listen,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        insecure_http: args.insecure_http,
    };
    let listening = match listen::bind(&options).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return match e {
                ListenError::Tls(_) => exit::CONFIG,
                ListenError::PlainOnNetwork(_) => {
                    eprintln!(
                        "pass --tls-cert and --tls-key, listen on 127.0.0.1, or pass --insecure-http if a TLS-terminating proxy is in front"
                    );
                    exit::USAGE
                }
                ListenError::Bind { .. } => exit::UNAVAILABLE,
            };
        }
    };
    if !listening.loopback && !listening.tls {
        eprintln!(
            "warning: serving plain HTTP on {} (--insecure-http): tokens cross the network in clear text unless a TLS proxy is in front",
            args.listen
        );
        tracing::warn!(listen = %args.listen, "serving plain HTTP on a non-loopback address (--insecure-http)");
    }
    let (config, config_explicit) = config_path(cli);
    let options = crate::boot::BootOptions {
        config,
        config_explicit,
        data_dir: data_dir(cli),
        demo,
    };
    let booted = match crate::boot::start(&options).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return match e {
                crate::boot::BootError::Config(_) => exit::CONFIG,
                crate::boot::BootError::Demo(_) => exit::SOFTWARE,
                _ => exit::IO,
            };
        }
    };
    if let Some(missing) = &booted.demo_instead_of {
        eprintln!(
            "no config file at {}: serving the built-in demo estate (create that file, or pass --config, to watch your own)",
            missing.display()
        );
    }
    let engine = booted.engine.clone();
    let db = booted.database.clone();
    let addr = listening.local;
    let ui = match ui_dir(&args.ui_dir) {
        Some(dir) => crate::server::UiFiles::Dir(dir),
        None => {
            tracing::warn!("the web UI is not built; the API is served without it");
            crate::server::UiFiles::Missing
        }
    };
    let url = listening.url();
    eprintln!(
        "opsdeck is serving {url} ({} checks, history in {})",
        engine.config().check.len(),
        db.display()
    );
    let verifier = Arc::new(opsdeck_core::access::TokenVerifier::new(TokenStore::new(
        &options.data_dir,
    )));
    // Whoever started the server at a terminal gets a link that signs them in as admin for as
    // long as this process runs. It is shown on the terminal only (never logged, never stored).
    if std::io::stderr().is_terminal() {
        let token = verifier.session_token("sign-in link", Role::Admin);
        eprintln!(
            "sign in as admin (valid until this server stops): {url}#token={}",
            token.expose_secret()
        );
    } else if verifier.count() == 0 {
        eprintln!(
            "no API tokens exist yet: create one with `opsdeck token create --name NAME --role admin` to sign in"
        );
    }
    let access = crate::server::auth::Access::new(verifier, listening.tls, addr.port());
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let guard = crate::server::Guard {
        loopback_only: listening.loopback,
    };
    let app = crate::server::router(booted.api(), access, ui, guard, stopping);
    let result = listening
        .serve(app, stop, crate::server::shutdown_signal())
        .await;
    engine.shutdown().await;
    drop(booted);
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("the server stopped: {e}");
            exit::SOFTWARE
        }
    }
}
