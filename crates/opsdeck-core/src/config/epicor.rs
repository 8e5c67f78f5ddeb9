//! `[[epicor]]`: the Epicor environments (Dev, Test, Live, customer environments), their REST
//! API and, optionally, the SQL Server database under each. Every environment is also a check
//! of type `epicor`, so it takes the keys every check has (`interval`, `timeout`, `tags`,
//! `depends_on`, `severity`, …) and appears in the overview with alerts like any other.

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::de::DeTable;

use super::locate::{self, Seg};
use super::{CheckCommon, SecretRef};

/// One `[[epicor]]` table as written: the check keys and the environment's own.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct EpicorEnvironment {
    #[serde(flatten)]
    pub common: CheckCommon,
    #[serde(flatten)]
    pub spec: EpicorSpec,
}

/// Which REST API the environment is asked through.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EpicorApi {
    /// `…/api/v1/{Service}/…`: every Epicor 10 and Kinetic version.
    V1,
    /// `…/api/v2/odata/{Company}/{Service}/…`: 10.2.700 and later; needs an API key.
    #[default]
    V2,
}

/// How opsdeck signs in to the REST API.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EpicorAuth {
    /// `username` and `password` on every request.
    #[default]
    Basic,
    /// A bearer token from the server's `TokenResource.svc`, asked for with `username` and
    /// `password` and renewed before it expires.
    Token,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EpicorSpec {
    /// The server with its instance, e.g. `https://erp.example.com/ERP11Live`.
    pub url: String,
    #[serde(default)]
    pub api: EpicorApi,
    /// Company the v2 URLs are scoped to, and the company calls run in.
    pub company: Option<String>,
    #[serde(default)]
    pub auth: EpicorAuth,
    /// The Epicor user opsdeck signs in as (read-only is enough).
    pub username: String,
    pub password: SecretRef,
    /// The REST v2 API key (Kinetic: System Setup > Security > API Keys); sent as `x-api-key`.
    pub api_key: Option<SecretRef>,
    /// Extra CA certificate (PEM) trusted besides the OS root store, e.g. an internal CA.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate. Shown as a warning on every result.
    #[serde(default)]
    pub tls_insecure: bool,
    /// The SQL Server database under the environment.
    pub sql: Option<SqlServerSettings>,
}

/// How the SQL login signs in.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SqlAuth {
    /// A SQL Server login: `username` with `password` from the keychain.
    #[default]
    Sql,
    /// Integrated Windows authentication as the account opsdeck runs as (Windows only).
    Windows,
}

/// Whether the connection to SQL Server is encrypted.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SqlEncrypt {
    /// TLS for the whole connection; refuse a server that does not offer it.
    #[default]
    Required,
    /// TLS for the login only (the server's `Force Encryption` may still ask for more).
    LoginOnly,
    /// No TLS at all, not even for the login. Only for a test server on a trusted network.
    Off,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SqlServerSettings {
    pub host: String,
    /// TCP port; without it and with `instance`, the SQL Browser service (UDP 1434) is asked.
    pub port: Option<u16>,
    /// Named instance, e.g. `SQL2017`.
    pub instance: Option<String>,
    /// The Epicor database, e.g. `ERP11Live`.
    pub database: String,
    #[serde(default)]
    pub authentication: SqlAuth,
    /// SQL login (with `authentication = "sql"`).
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    #[serde(default)]
    pub encrypt: SqlEncrypt,
    /// Accept the server's certificate without checking it (SQL Server's self-signed one).
    #[serde(default)]
    pub trust_server_certificate: bool,
    /// CA certificate (PEM) the server's certificate must chain to.
    pub ca_file: Option<PathBuf>,
    /// The newest full or differential backup older than this makes the environment degraded.
    #[serde(default = "default_backup_degraded", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub backup_degraded_after: Duration,
    /// … and older than this, down.
    #[serde(default = "default_backup_down", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub backup_down_after: Duration,
    /// With the full recovery model, a log backup older than this makes it degraded.
    #[serde(default = "default_log_backup", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub log_backup_degraded_after: Duration,
    /// Warn this long before the SQL Server version leaves support.
    #[serde(default = "default_support_warning", with = "humantime_serde")]
    #[schemars(with = "String")]
    pub support_warning: Duration,
}

fn default_backup_degraded() -> Duration {
    Duration::from_secs(26 * 3600)
}
fn default_backup_down() -> Duration {
    Duration::from_secs(50 * 3600)
}
fn default_log_backup() -> Duration {
    Duration::from_secs(4 * 3600)
}
fn default_support_warning() -> Duration {
    Duration::from_secs(365 * 24 * 3600)
}

impl EpicorSpec {
    /// Keychain entries the environment reads.
    pub fn secret_refs(&self) -> Vec<&SecretRef> {
        let mut refs = vec![&self.password];
        refs.extend(self.api_key.iter());
        if let Some(sql) = &self.sql {
            refs.extend(sql.password.iter());
        }
        refs
    }
}

impl<'a> super::Loader<'a> {
    pub(super) fn validate_epicor(&mut self, i: usize, spec: &EpicorSpec, root: &DeTable<'a>) {
        let at =
            |k: &'static str| locate::span(root, &[Seg::Key("epicor"), Seg::Index(i), Seg::Key(k)]);
        let key = |k: &str| Some(format!("epicor[{i}].{k}"));
        self.base_url_at(at("url"), key("url"), &spec.url);
        if let Ok(u) = url::Url::parse(&spec.url) {
            if u.query().is_some() || u.path().contains("/api/") {
                self.problem(
                    at("url"),
                    key("url"),
                    "give the server with its instance only (e.g. `https://erp.example.com/ERP11Live`); opsdeck adds `/api/v1/…` or `/api/v2/odata/…` itself".into(),
                );
            }
        }
        if spec.username.trim().is_empty() {
            self.problem(at("username"), key("username"), "must not be empty".into());
        }
        if spec.api == EpicorApi::V2 {
            if spec.api_key.is_none() {
                self.problem(
                    at("api"),
                    key("api_key"),
                    "REST v2 needs an API key on every call: add `api_key = { secret = \"NAME\" }` (or use `api = \"v1\"`)".into(),
                );
            }
            if spec.company.as_deref().is_none_or(|c| c.trim().is_empty()) {
                self.problem(
                    at("api"),
                    key("company"),
                    "REST v2 URLs name a company: add `company = \"…\"`".into(),
                );
            }
        }
        if let Some(sql) = &spec.sql {
            let at = |k: &'static str| {
                locate::span(
                    root,
                    &[
                        Seg::Key("epicor"),
                        Seg::Index(i),
                        Seg::Key("sql"),
                        Seg::Key(k),
                    ],
                )
            };
            let key = |k: &str| Some(format!("epicor[{i}].sql.{k}"));
            if sql.host.trim().is_empty() {
                self.problem(at("host"), key("host"), "must not be empty".into());
            }
            if sql.database.trim().is_empty() {
                self.problem(at("database"), key("database"), "must not be empty".into());
            }
            if sql.port == Some(0) {
                self.problem(
                    at("port"),
                    key("port"),
                    "must be a TCP port (1–65535)".into(),
                );
            }
            match sql.authentication {
                SqlAuth::Sql => {
                    if sql.username.is_none() || sql.password.is_none() {
                        self.problem(
                            at("authentication"),
                            key("username"),
                            "a SQL login needs `username` and `password = { secret = \"NAME\" }` (or `authentication = \"windows\"` on Windows)".into(),
                        );
                    }
                }
                SqlAuth::Windows => {
                    if sql.password.is_some() {
                        self.problem(
                            at("password"),
                            key("password"),
                            "integrated Windows authentication uses the account opsdeck runs as: remove `password` (and `username`)".into(),
                        );
                    }
                }
            }
            if sql.backup_down_after <= sql.backup_degraded_after {
                self.problem(
                    at("backup_down_after"),
                    key("backup_down_after"),
                    "must be longer than `backup_degraded_after`".into(),
                );
            }
            if sql.trust_server_certificate && sql.ca_file.is_some() {
                self.problem(
                    at("trust_server_certificate"),
                    key("trust_server_certificate"),
                    "use either `trust_server_certificate` or `ca_file`, not both".into(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{CheckSpec, Config};

    const ENV: &str =
        "[[epicor]]\nid = \"erp-live\"\nurl = \"https://erp.example.com/ERP11Live\"\n\
                       username = \"svc-opsdeck\"\npassword = { secret = \"epicor-live\" }\n";

    fn problems(extra: &str) -> String {
        match Config::parse(&format!("{ENV}{extra}"), "opsdeck.toml") {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn an_environment_is_a_check_of_type_epicor() {
        let config = Config::parse(
            &format!("{ENV}api = \"v1\"\ninterval = \"5m\"\ntags = [\"erp\"]\n"),
            "opsdeck.toml",
        )
        .expect("valid");
        assert_eq!(config.epicor.len(), 1);
        let check = config
            .check
            .iter()
            .find(|c| c.id() == "erp-live")
            .expect("the environment is a check");
        assert_eq!(check.spec.type_name(), "epicor");
        assert_eq!(check.common.interval.as_secs(), 300);
        assert!(matches!(check.spec, CheckSpec::Epicor(_)));
        let names: Vec<&str> = check
            .secret_refs()
            .iter()
            .map(|r| r.secret.as_str())
            .collect();
        assert_eq!(names, ["epicor-live"]);
    }

    #[test]
    fn v2_needs_an_api_key_and_a_company() {
        let p = problems("");
        assert!(
            p.contains("epicor[0].api_key") && p.contains("API key"),
            "{p}"
        );
        assert!(p.contains("epicor[0].company"), "{p}");
        assert_eq!(
            problems("company = \"GHA\"\napi_key = { secret = \"live-key\" }\n"),
            ""
        );
    }

    #[test]
    fn mistakes_are_named_where_they_are() {
        let p = problems("api = \"v1\"\nurl_path = \"x\"\n");
        assert!(p.contains("unknown key `url_path`"), "{p}");
        let p = problems("api = \"v3\"\n");
        assert!(p.contains("epicor[0].api"), "{p}");
        let p = problems("api = \"v1\"\nsql = { host = \"sql01\", database = \"ERP\", password = \"hunter2\" }\n");
        assert!(p.contains("literal secret is not allowed"), "{p}");
        assert!(!p.contains("hunter2"), "{p}");
        let p = problems("api = \"v1\"\nsql = { host = \"sql01\", database = \"ERP\" }\n");
        assert!(p.contains("a SQL login needs"), "{p}");
        let p = problems("api = \"v1\"\nsql = { host = \"sql01\", database = \"ERP\", authentication = \"windows\" }\n");
        assert_eq!(p, "");
        let p = problems(
            "api = \"v1\"\n[[check]]\nid = \"erp-live\"\ntype = \"http\"\nurl = \"http://x/\"\n",
        );
        assert!(p.contains("duplicate check id `erp-live`"), "{p}");
        let p = Config::parse(
            "[[check]]\nid = \"erp\"\ntype = \"epicor\"\n",
            "opsdeck.toml",
        )
        .expect_err("refused")
        .to_string();
        assert!(p.contains("[[epicor]]"), "{p}");
    }

    #[test]
    fn the_url_is_the_instance_not_an_api_path() {
        let p = problems("api = \"v1\"\n").to_string();
        assert_eq!(p, "");
        let text = ENV.replace("ERP11Live", "ERP11Live/api/v1/");
        let p = Config::parse(&format!("{text}api = \"v1\"\n"), "t.toml")
            .expect_err("refused")
            .to_string();
        assert!(p.contains("with its instance only"), "{p}");
    }
}
