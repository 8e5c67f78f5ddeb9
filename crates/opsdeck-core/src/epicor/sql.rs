//! The SQL Server under an Epicor environment, through `tiberius`: product version, edition,
//! update level, the Epicor database's compatibility level, state, size and last backups.
//!
//! Two rules keep the driver safe. `SERVERPROPERTY` returns `sql_variant`, which tiberius
//! cannot decode (it panics), so every value is CAST to a concrete type in the query; and the
//! queries return only `int`, `bigint` and `nvarchar`, with backup times formatted by the
//! server and their ages computed by it (`backup_finish_date` is in the server's local time,
//! which only the server knows). The session runs on its own task, so even a driver panic
//! becomes an error message instead of taking the console down.
//!
//! What the login needs (read-only, least privilege): `VIEW SERVER STATE` is not needed;
//! `SERVERPROPERTY` is open to everyone, `sys.database_files` to any user of the Epicor
//! database, and the backup history needs `SELECT` on `msdb.dbo.backupset`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::lifecycle::{self, Lifecycle};
use crate::config::{SqlAuth, SqlEncrypt, SqlServerSettings};
use crate::secret::SecretSource;
use crate::status::Status;

/// What SQL Server says of itself and of the Epicor database.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS, PartialEq)]
pub struct SqlFacts {
    /// `host`, `host\instance` or `host:port`, as configured.
    pub server: String,
    /// `major.minor.build.revision`, e.g. `15.0.4355.3`.
    pub product_version: String,
    /// `SQL Server 2019` (from the major version).
    pub product: String,
    #[ts(type = "number | null")]
    pub major_version: Option<u32>,
    /// `RTM`, `SP2` …
    pub product_level: String,
    /// `CU18`, when the server has a cumulative update.
    pub update_level: Option<String>,
    /// The KB article of that update.
    pub update_reference: Option<String>,
    pub edition: String,
    pub database: DatabaseFacts,
    pub lifecycle: Option<Lifecycle>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS, PartialEq)]
pub struct DatabaseFacts {
    pub name: String,
    #[ts(type = "number | null")]
    pub compatibility_level: Option<u32>,
    /// The level the server's version creates databases at (140 for 2017, 150 for 2019).
    #[ts(type = "number | null")]
    pub server_compatibility_level: Option<u32>,
    /// `ONLINE`, `RESTORING`, `SUSPECT` …
    pub state: String,
    /// `FULL`, `SIMPLE` or `BULK_LOGGED`.
    pub recovery_model: String,
    #[ts(type = "number | null")]
    pub data_mb: Option<u64>,
    #[ts(type = "number | null")]
    pub log_mb: Option<u64>,
    pub last_full_backup: Option<BackupTime>,
    pub last_differential_backup: Option<BackupTime>,
    pub last_log_backup: Option<BackupTime>,
    /// Why the backup history could not be read (the login cannot read msdb), if so.
    pub backup_history_error: Option<String>,
}

/// When a backup finished: in the server's local time as it wrote it, and how long ago.
#[derive(Clone, Debug, Serialize, Deserialize, TS, PartialEq)]
pub struct BackupTime {
    /// `2026-12-04T22:00:13.000`, server-local.
    pub finished: String,
    #[ts(type = "number")]
    pub age_minutes: i64,
}

impl SqlFacts {
    /// "SQL Server 2019 CU18".
    pub fn product_label(&self) -> String {
        let mut s = self.product.clone();
        if let Some(cu) = &self.update_level {
            s.push(' ');
            s.push_str(cu);
        } else if !self.product_level.is_empty() && self.product_level != "RTM" {
            s.push(' ');
            s.push_str(&self.product_level);
        }
        s
    }
}

pub(crate) const SERVER_QUERY: &str = "SELECT \
  CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version, \
  CAST(SERVERPROPERTY('ProductMajorVersion') AS nvarchar(128)) AS major_version, \
  CAST(SERVERPROPERTY('ProductLevel') AS nvarchar(128)) AS product_level, \
  CAST(SERVERPROPERTY('ProductUpdateLevel') AS nvarchar(128)) AS update_level, \
  CAST(SERVERPROPERTY('ProductUpdateReference') AS nvarchar(128)) AS update_reference, \
  CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition";

pub(crate) const DATABASE_QUERY: &str = "SELECT d.name, \
  CAST(d.compatibility_level AS int) AS compatibility_level, \
  CAST(d.state_desc AS nvarchar(60)) AS state, \
  CAST(d.recovery_model_desc AS nvarchar(60)) AS recovery_model, \
  (SELECT SUM(CASE WHEN f.type = 0 THEN CAST(f.size AS bigint) ELSE 0 END) * 8 FROM sys.database_files AS f) AS data_kb, \
  (SELECT SUM(CASE WHEN f.type = 1 THEN CAST(f.size AS bigint) ELSE 0 END) * 8 FROM sys.database_files AS f) AS log_kb \
  FROM sys.databases AS d WHERE d.name = DB_NAME()";

pub(crate) const BACKUP_QUERY: &str = "SELECT \
  CONVERT(nvarchar(30), MAX(CASE WHEN b.type = 'D' AND b.is_copy_only = 0 THEN b.backup_finish_date END), 126) AS last_full, \
  DATEDIFF(minute, MAX(CASE WHEN b.type = 'D' AND b.is_copy_only = 0 THEN b.backup_finish_date END), GETDATE()) AS full_age, \
  CONVERT(nvarchar(30), MAX(CASE WHEN b.type = 'I' THEN b.backup_finish_date END), 126) AS last_diff, \
  DATEDIFF(minute, MAX(CASE WHEN b.type = 'I' THEN b.backup_finish_date END), GETDATE()) AS diff_age, \
  CONVERT(nvarchar(30), MAX(CASE WHEN b.type = 'L' THEN b.backup_finish_date END), 126) AS last_log, \
  DATEDIFF(minute, MAX(CASE WHEN b.type = 'L' THEN b.backup_finish_date END), GETDATE()) AS log_age \
  FROM msdb.dbo.backupset AS b WHERE b.database_name = DB_NAME()";

/// The server query's row, as text.
#[derive(Debug, Default, Clone)]
pub struct ServerRow {
    pub product_version: Option<String>,
    pub major_version: Option<String>,
    pub product_level: Option<String>,
    pub update_level: Option<String>,
    pub update_reference: Option<String>,
    pub edition: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct DatabaseRow {
    pub name: Option<String>,
    pub compatibility_level: Option<i32>,
    pub state: Option<String>,
    pub recovery_model: Option<String>,
    pub data_kb: Option<i64>,
    pub log_kb: Option<i64>,
}

#[derive(Debug, Default, Clone)]
pub struct BackupRow {
    pub last_full: Option<String>,
    pub full_age: Option<i32>,
    pub last_diff: Option<String>,
    pub diff_age: Option<i32>,
    pub last_log: Option<String>,
    pub log_age: Option<i32>,
}

/// The facts from the three rows. Pure: unit-tested with the values real servers return.
pub fn facts_from(server: &str, s: ServerRow, d: DatabaseRow, b: Option<BackupRow>) -> SqlFacts {
    let product_version = s.product_version.unwrap_or_default();
    // `ProductMajorVersion` is missing before 2012: the version string starts with it too.
    let major_version = s
        .major_version
        .as_deref()
        .and_then(|m| m.trim().parse().ok())
        .or_else(|| product_version.split('.').next()?.parse().ok());
    let product = major_version
        .map(lifecycle::product_name)
        .unwrap_or_else(|| "SQL Server".into());
    let backup = |at: Option<String>, age: Option<i32>| match (at, age) {
        (Some(finished), Some(age)) => Some(BackupTime {
            finished,
            age_minutes: i64::from(age),
        }),
        _ => None,
    };
    let b = b.unwrap_or_default();
    let mb = |kb: Option<i64>| kb.and_then(|k| u64::try_from(k).ok()).map(|k| k / 1024);
    SqlFacts {
        server: server.to_string(),
        product_version,
        product,
        major_version,
        product_level: s.product_level.unwrap_or_default(),
        update_level: s.update_level.filter(|u| !u.is_empty()),
        update_reference: s.update_reference.filter(|u| !u.is_empty()),
        edition: s.edition.unwrap_or_default(),
        database: DatabaseFacts {
            name: d.name.unwrap_or_default(),
            compatibility_level: d.compatibility_level.and_then(|c| u32::try_from(c).ok()),
            server_compatibility_level: major_version.and_then(lifecycle::default_compatibility),
            state: d.state.unwrap_or_default(),
            recovery_model: d.recovery_model.unwrap_or_default(),
            data_mb: mb(d.data_kb),
            log_mb: mb(d.log_kb),
            last_full_backup: backup(b.last_full, b.full_age),
            last_differential_backup: backup(b.last_diff, b.diff_age),
            last_log_backup: backup(b.last_log, b.log_age),
            backup_history_error: None,
        },
        lifecycle: major_version.and_then(lifecycle::of_major),
    }
}

/// Problems that change the status: the database not online, backups too old.
pub fn judge(facts: &SqlFacts, settings: &SqlServerSettings) -> Vec<(Status, String)> {
    let mut out = Vec::new();
    let db = &facts.database;
    if !db.state.is_empty() && !db.state.eq_ignore_ascii_case("ONLINE") {
        out.push((
            Status::Down,
            format!("database `{}` is {}", db.name, db.state),
        ));
    }
    let minutes = |d: Duration| (d.as_secs() / 60) as i64;
    // A differential backup restores with the full one before it: the newer of the two says
    // how much work a restore could lose.
    let newest = [&db.last_full_backup, &db.last_differential_backup]
        .into_iter()
        .flatten()
        .min_by_key(|b| b.age_minutes);
    match newest {
        None if db.backup_history_error.is_some() => out.push((
            Status::Degraded,
            format!(
                "the backups of `{}` cannot be checked: {}",
                db.name,
                db.backup_history_error.as_deref().unwrap_or_default()
            ),
        )),
        None => out.push((
            Status::Down,
            format!("database `{}` has no full backup on record", db.name),
        )),
        Some(b) if b.age_minutes > minutes(settings.backup_down_after) => out.push((
            Status::Down,
            format!(
                "the last backup of `{}` finished {} ago (down after {})",
                db.name,
                age(b.age_minutes),
                humantime::format_duration(settings.backup_down_after)
            ),
        )),
        Some(b) if b.age_minutes > minutes(settings.backup_degraded_after) => out.push((
            Status::Degraded,
            format!(
                "the last backup of `{}` finished {} ago (degraded after {})",
                db.name,
                age(b.age_minutes),
                humantime::format_duration(settings.backup_degraded_after)
            ),
        )),
        Some(_) => {}
    }
    if db.recovery_model.eq_ignore_ascii_case("FULL") && db.backup_history_error.is_none() {
        match &db.last_log_backup {
            None => out.push((
                Status::Degraded,
                format!(
                    "`{}` uses the full recovery model but its log was never backed up: the log grows until the disk is full",
                    db.name
                ),
            )),
            Some(b) if b.age_minutes > minutes(settings.log_backup_degraded_after) => out.push((
                Status::Degraded,
                format!(
                    "the last log backup of `{}` finished {} ago (degraded after {})",
                    db.name,
                    age(b.age_minutes),
                    humantime::format_duration(settings.log_backup_degraded_after)
                ),
            )),
            Some(_) => {}
        }
    }
    out
}

/// Facts worth a note that do not change the status.
pub fn notes(facts: &SqlFacts) -> Vec<String> {
    let db = &facts.database;
    let mut out = Vec::new();
    if let (Some(level), Some(server)) = (db.compatibility_level, db.server_compatibility_level) {
        if level < server {
            out.push(format!(
                "`{}` runs at compatibility level {level}, below {server}, the level of {} (left behind after an upgrade?)",
                db.name, facts.product
            ));
        }
    }
    out
}

fn age(minutes: i64) -> String {
    let d = Duration::from_secs(u64::try_from(minutes.max(0)).unwrap_or(0) * 60);
    humantime::format_duration(d).to_string()
}

/// Why SQL Server could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("{0}")]
    Config(String),
    #[error("keychain entry `{name}`: {problem}")]
    Credential { name: String, problem: String },
    #[error("connection to SQL Server at {server} refused: nothing listens there (check `port` or `instance`, that TCP/IP is enabled in SQL Server Configuration Manager, and the firewall)")]
    Refused { server: String },
    #[error("SQL Server at {server} did not answer within the timeout")]
    Timeout { server: String },
    #[error("cannot reach SQL Server at {server}: {message}")]
    Network { server: String, message: String },
    #[error("SQL Server at {server} refused the login{who} (error {code}: {message})")]
    LoginFailed {
        server: String,
        who: String,
        code: u32,
        message: String,
    },
    #[error("SQL Server at {server} cannot open database `{database}` for this login (error {code}: {message}); check the name and that the login is a user of it")]
    Database {
        server: String,
        database: String,
        code: u32,
        message: String,
    },
    #[error("TLS with SQL Server at {server} failed: {message}. {advice}")]
    Tls {
        server: String,
        message: String,
        advice: String,
    },
    #[error("SQL Server at {server} refused a query (error {code}: {message}){hint}")]
    Query {
        server: String,
        code: u32,
        message: String,
        hint: String,
    },
    #[error("talking to SQL Server at {server} failed: {message}")]
    Protocol { server: String, message: String },
}

/// Where the settings point, as people write it.
pub fn server_label(settings: &SqlServerSettings) -> String {
    match (&settings.instance, settings.port) {
        (Some(i), _) => format!("{}\\{i}", settings.host),
        (None, Some(p)) => format!("{}:{p}", settings.host),
        (None, None) => format!("{}:1433", settings.host),
    }
}

/// Connect, ask the three queries, and map the answers. The session runs on its own task:
/// a panic inside the driver is reported, not spread.
pub async fn inspect(
    secrets: &dyn SecretSource,
    settings: &SqlServerSettings,
    deadline: tokio::time::Instant,
) -> Result<SqlFacts, SqlError> {
    let server = server_label(settings);
    let password = match (&settings.authentication, &settings.password) {
        (SqlAuth::Sql, Some(r)) => {
            Some(secrets.get(&r.secret).map_err(|e| SqlError::Credential {
                name: e.name().to_string(),
                problem: e.problem().to_string(),
            })?)
        }
        _ => None,
    };
    let settings = settings.clone();
    let task = tokio::spawn({
        let server = server.clone();
        async move {
            tokio::time::timeout_at(deadline, session(&settings, password, &server))
                .await
                .unwrap_or(Err(SqlError::Timeout { server }))
        }
    });
    match task.await {
        Ok(r) => r,
        Err(e) => Err(SqlError::Protocol {
            server,
            message: if e.is_panic() {
                "the SQL Server driver failed on an answer it could not read".into()
            } else {
                "the query was cancelled".into()
            },
        }),
    }
}

async fn session(
    settings: &SqlServerSettings,
    password: Option<secrecy::SecretString>,
    server: &str,
) -> Result<SqlFacts, SqlError> {
    use secrecy::ExposeSecret;
    use tiberius::{AuthMethod, Client, Config, EncryptionLevel, SqlBrowser};
    use tokio_util::compat::TokioAsyncWriteCompatExt;

    let mut config = Config::new();
    config.host(&settings.host);
    if let Some(port) = settings.port {
        config.port(port);
    }
    if let Some(instance) = &settings.instance {
        config.instance_name(instance);
    }
    config.database(&settings.database);
    config.application_name("opsdeck");
    config.encryption(match settings.encrypt {
        SqlEncrypt::Required => EncryptionLevel::Required,
        SqlEncrypt::LoginOnly => EncryptionLevel::Off,
        SqlEncrypt::Off => EncryptionLevel::NotSupported,
    });
    if settings.trust_server_certificate {
        config.trust_cert();
    }
    if let Some(ca) = &settings.ca_file {
        config.trust_cert_ca(ca.display().to_string());
    }
    let who = match settings.authentication {
        SqlAuth::Sql => {
            let user = settings.username.clone().unwrap_or_default();
            let pass = password.as_ref().map(|p| p.expose_secret().to_string());
            config.authentication(AuthMethod::sql_server(&user, pass.unwrap_or_default()));
            format!(
                " `{user}` with the password in keychain entry `{}`",
                settings
                    .password
                    .as_ref()
                    .map(|p| p.secret.as_str())
                    .unwrap_or("?")
            )
        }
        SqlAuth::Windows => {
            windows_auth(&mut config)?;
            " of the account opsdeck runs as (integrated Windows authentication)".to_string()
        }
    };
    let tcp = if settings.instance.is_some() && settings.port.is_none() {
        tokio::net::TcpStream::connect_named(&config).await
    } else {
        tokio::net::TcpStream::connect(config.get_addr())
            .await
            .map_err(tiberius::error::Error::from)
    }
    .map_err(|e| connect_error(e, server))?;
    let _ = tcp.set_nodelay(true);
    let mut client = Client::connect(config, tcp.compat_write())
        .await
        .map_err(|e| login_error(e, server, &who, settings))?;

    let server_row = {
        let row = client
            .simple_query(SERVER_QUERY)
            .await
            .map_err(|e| query_error(e, server, "the server's properties"))?
            .into_row()
            .await
            .map_err(|e| query_error(e, server, "the server's properties"))?;
        row.map(|r| ServerRow {
            product_version: text(&r, "product_version"),
            major_version: text(&r, "major_version"),
            product_level: text(&r, "product_level"),
            update_level: text(&r, "update_level"),
            update_reference: text(&r, "update_reference"),
            edition: text(&r, "edition"),
        })
        .unwrap_or_default()
    };
    let db_row = client
        .simple_query(DATABASE_QUERY)
        .await
        .map_err(|e| query_error(e, server, "the database's files"))?
        .into_row()
        .await
        .map_err(|e| query_error(e, server, "the database's files"))?
        .map(|r| DatabaseRow {
            name: text(&r, "name"),
            compatibility_level: r.try_get::<i32, _>("compatibility_level").ok().flatten(),
            state: text(&r, "state"),
            recovery_model: text(&r, "recovery_model"),
            data_kb: r.try_get::<i64, _>("data_kb").ok().flatten(),
            log_kb: r.try_get::<i64, _>("log_kb").ok().flatten(),
        })
        .unwrap_or_default();
    // The backup history lives in msdb, which a least-privilege login may not read: the other
    // facts still stand, and the missing grant is named.
    let mut backup_error = None;
    let backup_row = match client.simple_query(BACKUP_QUERY).await {
        Ok(stream) => stream
            .into_row()
            .await
            .map_err(|e| query_error(e, server, "the backup history"))?
            .map(|r| BackupRow {
                last_full: text(&r, "last_full"),
                full_age: r.try_get::<i32, _>("full_age").ok().flatten(),
                last_diff: text(&r, "last_diff"),
                diff_age: r.try_get::<i32, _>("diff_age").ok().flatten(),
                last_log: text(&r, "last_log"),
                log_age: r.try_get::<i32, _>("log_age").ok().flatten(),
            }),
        Err(e) => {
            backup_error = Some(query_error(e, server, "the backup history").to_string());
            None
        }
    };
    let _ = client.close().await;
    let mut facts = facts_from(server, server_row, db_row, backup_row);
    facts.database.backup_history_error = backup_error;
    Ok(facts)
}

fn text(row: &tiberius::Row, column: &str) -> Option<String> {
    row.try_get::<&str, _>(column)
        .ok()
        .flatten()
        .map(|s| s.trim().to_string())
}

#[cfg(windows)]
fn windows_auth(config: &mut tiberius::Config) -> Result<(), SqlError> {
    config.authentication(tiberius::AuthMethod::Integrated);
    Ok(())
}

#[cfg(not(windows))]
fn windows_auth(_: &mut tiberius::Config) -> Result<(), SqlError> {
    Err(SqlError::Config(
        "integrated Windows authentication works only when opsdeck runs on Windows; use a SQL login (`authentication = \"sql\"`) here".into(),
    ))
}

fn connect_error(e: tiberius::error::Error, server: &str) -> SqlError {
    match e {
        tiberius::error::Error::Io { kind, message } => match kind {
            std::io::ErrorKind::ConnectionRefused => SqlError::Refused {
                server: server.into(),
            },
            std::io::ErrorKind::TimedOut => SqlError::Timeout {
                server: server.into(),
            },
            _ => SqlError::Network {
                server: server.into(),
                message,
            },
        },
        other => SqlError::Network {
            server: server.into(),
            message: other.to_string(),
        },
    }
}

fn login_error(
    e: tiberius::error::Error,
    server: &str,
    who: &str,
    settings: &SqlServerSettings,
) -> SqlError {
    use tiberius::error::Error as E;
    let tls_advice = || {
        match settings.encrypt {
        SqlEncrypt::Off => "The server requires encryption: set `encrypt = \"required\"` (with `trust_server_certificate = true` for its own self-signed certificate).".to_string(),
        _ if settings.trust_server_certificate => {
            "Check that the server offers TLS (or set `encrypt = \"off\"` for a test server on a trusted network).".to_string()
        }
        _ => "SQL Server's own certificate is self-signed: trust it with `trust_server_certificate = true`, or give its CA in `ca_file`; a server without TLS needs `encrypt = \"off\"`.".to_string(),
    }
    };
    match e {
        E::Server(t) if t.code() == 18456 || t.code() == 18452 || t.code() == 18470 => {
            SqlError::LoginFailed {
                server: server.into(),
                who: who.into(),
                code: t.code(),
                message: t.message().to_string(),
            }
        }
        E::Server(t) if t.code() == 4060 || t.code() == 916 => SqlError::Database {
            server: server.into(),
            database: settings.database.clone(),
            code: t.code(),
            message: t.message().to_string(),
        },
        E::Server(t) => SqlError::Query {
            server: server.into(),
            code: t.code(),
            message: t.message().to_string(),
            hint: String::new(),
        },
        E::Tls(message) => SqlError::Tls {
            server: server.into(),
            message,
            advice: tls_advice(),
        },
        E::Io { kind, message } => match kind {
            // The connection breaking before the login is the two sides disagreeing on TLS
            // (one of them speaks it, the other does not), or a certificate refused.
            _ if matches!(
                kind,
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::InvalidData
            ) || message.to_ascii_lowercase().contains("tls")
                || message.contains("handshake") =>
            {
                SqlError::Tls {
                    server: server.into(),
                    message: format!("the connection broke during the handshake ({message})"),
                    advice: tls_advice(),
                }
            }
            std::io::ErrorKind::TimedOut => SqlError::Timeout {
                server: server.into(),
            },
            _ => SqlError::Network {
                server: server.into(),
                message,
            },
        },
        E::Protocol(m) => SqlError::Protocol {
            server: server.into(),
            message: format!(
                "what answers there does not speak SQL Server's protocol (TDS: {m}); check `host` and `port`"
            ),
        },
        E::Routing { host, port } => SqlError::Protocol {
            server: server.into(),
            message: format!(
                "the server redirects to {host}:{port}; point `host` and `port` there"
            ),
        },
        other => SqlError::Protocol {
            server: server.into(),
            message: other.to_string(),
        },
    }
}

fn query_error(e: tiberius::error::Error, server: &str, what: &str) -> SqlError {
    match e {
        tiberius::error::Error::Server(t) => SqlError::Query {
            server: server.into(),
            code: t.code(),
            message: t.message().to_string(),
            hint: match t.code() {
                229 | 230 | 297 | 300 => format!(
                    " reading {what}; the login needs SELECT on it (see the admin guide for the grants)"
                ),
                _ => format!(" reading {what}"),
            },
        },
        other => SqlError::Protocol {
            server: server.into(),
            message: format!("reading {what}: {other}"),
        },
    }
}
