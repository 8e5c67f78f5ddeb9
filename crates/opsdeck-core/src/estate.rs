//! Editing the estate (environments and checks) through forms that write the same TOML file a
//! person would edit by hand. Edits go through `toml_edit`, so comments, key order and keys the
//! forms do not show survive; every edit is validated by the same loader as a hand edit before
//! anything is written, and problems come back per form field.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};
use ts_rs::TS;

use crate::config::{
    is_slug, Check, CheckSpec, Config, ConfigError, Environment, HealthFormat, HttpMethod,
};

/// The estate as the settings forms see it.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
pub struct EstateFile {
    /// The config file; `None` when the engine runs an estate that has no file.
    pub path: Option<String>,
    /// Whether the file exists (it may not yet, while the demo is shown in its place).
    pub exists: bool,
    /// Identifies the file's content; an edit made against an older revision is refused.
    pub revision: String,
    pub editable: bool,
    /// Why the forms are read-only, when they are.
    pub read_only_reason: Option<String>,
    pub environments: Vec<EnvironmentForm>,
    pub checks: Vec<CheckForm>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
pub struct EnvironmentForm {
    pub id: String,
    pub name: String,
    #[ts(type = "number | null")]
    pub order: Option<i64>,
}

/// The fields of a check the forms edit. Empty strings and lists mean "not set".
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
pub struct CheckForm {
    pub id: String,
    /// Always `http` today.
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub kind: String,
    pub name: String,
    pub environment: String,
    pub tags: Vec<String>,
    /// A duration such as `30s` or `2m`.
    pub interval: String,
    pub timeout: String,
    pub enabled: bool,
    pub url: String,
    /// `GET`, `HEAD` or `POST`.
    pub method: String,
    pub expected_status: Vec<u16>,
    pub body_contains: String,
    /// `auto`, `aspnet` or `generic`.
    pub format: String,
    pub username: String,
    /// Name of the keychain entry holding the basic-auth password.
    pub password: String,
    /// Name of the keychain entry holding the bearer token.
    pub bearer_token: String,
    pub tls_insecure: bool,
    pub ca_file: String,
    /// Keys set in the file that these forms do not show; they are kept as they are.
    #[serde(default)]
    pub other_keys: Vec<String>,
}

/// A problem with one field of a form (`field` is the form field, `""` for the whole form).
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EstateError {
    #[error("{0}")]
    ReadOnly(String),
    #[error(
        "the configuration file changed on disk since it was opened here; reload and make the change again"
    )]
    Conflict,
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    #[error("no {kind} with id `{id}` in the configuration file")]
    NotFound { kind: &'static str, id: String },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
}

fn summary(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            if e.field.is_empty() {
                e.message.clone()
            } else {
                format!("`{}`: {}", e.field, e.message)
            }
        })
        .collect();
    format!("the change was not saved: {}", parts.join("; "))
}

fn invalid(field: &str, message: impl Into<String>) -> EstateError {
    EstateError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// Form keys of a check, in the order new checks are written.
const CHECK_KEYS: &[&str] = &[
    "id",
    "name",
    "type",
    "environment",
    "tags",
    "url",
    "method",
    "interval",
    "timeout",
    "expected_status",
    "body_contains",
    "format",
    "username",
    "password",
    "bearer_token",
    "ca_file",
    "tls_insecure",
    "enabled",
];

/// A starting file for a new estate: one environment, no checks yet.
pub const STARTER: &str = r#"# opsdeck configuration. Edit it here or in the console's Settings page.
# Reference: docs/config-reference.md

[[environment]]
id = "live"
name = "Live"
"#;

fn revision_of(text: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    format!("{:016x}-{}", hasher.finish(), text.len())
}

fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

impl CheckForm {
    /// A blank HTTP check with the defaults of the file format.
    pub fn blank() -> Self {
        CheckForm {
            id: String::new(),
            kind: "http".into(),
            name: String::new(),
            environment: String::new(),
            tags: Vec::new(),
            interval: "30s".into(),
            timeout: "5s".into(),
            enabled: true,
            url: String::new(),
            method: "GET".into(),
            expected_status: Vec::new(),
            body_contains: String::new(),
            format: "auto".into(),
            username: String::new(),
            password: String::new(),
            bearer_token: String::new(),
            tls_insecure: false,
            ca_file: String::new(),
            other_keys: Vec::new(),
        }
    }

    fn from_check(check: &Check, table: Option<&Table>) -> Self {
        let c = &check.common;
        let mut form = CheckForm {
            id: c.id.clone(),
            kind: check.spec.type_name().into(),
            name: c.name.clone().unwrap_or_default(),
            environment: c.environment.clone().unwrap_or_default(),
            tags: c.tags.clone(),
            interval: format_duration(c.interval),
            timeout: format_duration(c.timeout),
            enabled: c.enabled,
            other_keys: table
                .map(|t| {
                    t.iter()
                        .map(|(k, _)| k.to_string())
                        .filter(|k| !CHECK_KEYS.contains(&k.as_str()))
                        .collect()
                })
                .unwrap_or_default(),
            ..CheckForm::blank()
        };
        // The forms edit HTTP checks; other types show their common fields and are edited in
        // the file, so their own keys are listed as kept.
        let CheckSpec::Http(http) = &check.spec else {
            form.url = check.spec.target().unwrap_or_default();
            if let Some(t) = table {
                form.other_keys = t
                    .iter()
                    .map(|(k, _)| k.to_string())
                    .filter(|k| !COMMON_KEYS.contains(&k.as_str()))
                    .collect();
            }
            return form;
        };
        form.url = http.url.clone();
        form.method = method_name(http.method).into();
        form.expected_status = http.expected_status.clone();
        form.body_contains = http.body_contains.clone().unwrap_or_default();
        form.format = format_name(http.format).into();
        form.username = http.username.clone().unwrap_or_default();
        form.password = http
            .password
            .as_ref()
            .map(|s| s.secret.clone())
            .unwrap_or_default();
        form.bearer_token = http
            .bearer_token
            .as_ref()
            .map(|s| s.secret.clone())
            .unwrap_or_default();
        form.tls_insecure = http.tls_insecure;
        form.ca_file = http
            .ca_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        form
    }
}

/// Keys every check type has, which the forms show for any check.
const COMMON_KEYS: &[&str] = &[
    "id",
    "name",
    "type",
    "environment",
    "tags",
    "interval",
    "timeout",
    "enabled",
];

fn method_name(m: HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Head => "HEAD",
        HttpMethod::Post => "POST",
    }
}

fn format_name(f: HealthFormat) -> &'static str {
    match f {
        HealthFormat::Auto => "auto",
        HealthFormat::Aspnet => "aspnet",
        HealthFormat::Generic => "generic",
    }
}

impl From<&Environment> for EnvironmentForm {
    fn from(e: &Environment) -> Self {
        EnvironmentForm {
            id: e.id.clone(),
            name: e.name.clone(),
            order: e.order,
        }
    }
}

/// The editable config file at `path`.
#[derive(Debug, Clone)]
pub struct EstateFileEditor {
    path: PathBuf,
}

impl EstateFileEditor {
    pub fn new(path: PathBuf) -> Self {
        EstateFileEditor { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn origin(&self) -> String {
        self.path.display().to_string()
    }

    fn read_text(&self) -> Result<Option<String>, EstateError> {
        match std::fs::read_to_string(&self.path) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(EstateError::Io {
                action: "read",
                path: self.origin(),
                source,
            }),
        }
    }

    /// The file as forms. A file that does not validate is shown read-only with its problems:
    /// a form cannot safely edit what it cannot read.
    pub fn read(&self) -> Result<EstateFile, EstateError> {
        let Some(text) = self.read_text()? else {
            return Ok(EstateFile {
                path: Some(self.origin()),
                exists: false,
                revision: String::new(),
                editable: false,
                read_only_reason: Some(format!(
                    "There is no configuration file at {} yet: opsdeck is showing the built-in demo estate in its place. Create the file to start your own estate.",
                    self.origin()
                )),
                environments: Vec::new(),
                checks: Vec::new(),
            });
        };
        let revision = revision_of(&text);
        let config = match Config::parse(&text, &self.origin()) {
            Ok(c) => c,
            Err(e) => {
                return Ok(EstateFile {
                    path: Some(self.origin()),
                    exists: true,
                    revision,
                    editable: false,
                    read_only_reason: Some(format!(
                        "The configuration file has problems; fix them in the file first:\n{e}"
                    )),
                    environments: Vec::new(),
                    checks: Vec::new(),
                });
            }
        };
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            invalid("", format!("the file is not valid TOML: {e}"))
        })?;
        let tables = doc.get("check").and_then(Item::as_array_of_tables);
        Ok(EstateFile {
            path: Some(self.origin()),
            exists: true,
            revision,
            editable: true,
            read_only_reason: None,
            environments: config.environment.iter().map(Into::into).collect(),
            // `[[epicor]]` environments are checks too, but are edited in the file; they
            // follow the `[[check]]` tables, so the indexes below still match.
            checks: config
                .check
                .iter()
                .filter(|c| !matches!(c.spec, CheckSpec::Epicor(_)))
                .enumerate()
                .map(|(i, c)| CheckForm::from_check(c, tables.and_then(|t| t.get(i))))
                .collect(),
        })
    }

    /// Write [`STARTER`] where no file exists yet.
    pub fn create(&self) -> Result<EstateFile, EstateError> {
        if self.read_text()?.is_some() {
            return Err(EstateError::ReadOnly(format!(
                "{} already exists; it was not changed",
                self.origin()
            )));
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| EstateError::Io {
                action: "create the folder of",
                path: self.origin(),
                source,
            })?;
        }
        self.write(STARTER)?;
        self.read()
    }

    /// Load the current document for an edit made against `revision`.
    fn open(&self, revision: &str) -> Result<(DocumentMut, Config), EstateError> {
        let Some(text) = self.read_text()? else {
            return Err(EstateError::ReadOnly(format!(
                "there is no configuration file at {}; create it first",
                self.origin()
            )));
        };
        if revision_of(&text) != revision {
            return Err(EstateError::Conflict);
        }
        let config = Config::parse(&text, &self.origin()).map_err(|e| {
            EstateError::ReadOnly(format!(
                "the configuration file has problems; fix them in the file first: {e}"
            ))
        })?;
        let doc = text.parse().map_err(|e: toml_edit::TomlError| {
            invalid("", format!("the file is not valid TOML: {e}"))
        })?;
        Ok((doc, config))
    }

    /// Validate the edited document with the file loader, then write it. `section` and
    /// `index` name the edited table, so its problems are reported on its form fields.
    fn commit(
        &self,
        doc: &DocumentMut,
        section: &str,
        index: Option<usize>,
    ) -> Result<Config, EstateError> {
        let text = doc.to_string();
        match Config::parse(&text, &self.origin()) {
            Ok(config) => {
                self.write(&text)?;
                Ok(config)
            }
            Err(e) => Err(EstateError::Invalid(field_errors(&e, section, index))),
        }
    }

    /// Replace the file in one step, so a crash or a concurrent reader never sees half a file.
    fn write(&self, text: &str) -> Result<(), EstateError> {
        crate::paths::replace_file(&self.path, text.as_bytes()).map_err(|source| EstateError::Io {
            action: "write",
            path: self.origin(),
            source,
        })
    }

    /// Add a check (`original_id` = `None`) or change the one with `original_id`.
    pub fn save_check(
        &self,
        revision: &str,
        original_id: Option<&str>,
        form: &CheckForm,
    ) -> Result<Config, EstateError> {
        let (mut doc, config) = self.open(revision)?;
        precheck_check(&config, original_id, form)?;
        let checks = array_of_tables(&mut doc, "check")?;
        let index = match original_id {
            Some(id) => {
                let i = find(checks, "check", id)?;
                fill_check(checks.get_mut(i).expect("index found above"), form);
                i
            }
            None => {
                let mut table = Table::new();
                fill_check(&mut table, form);
                checks.push(table);
                checks.len() - 1
            }
        };
        self.commit(&doc, "check", Some(index))
    }

    pub fn remove_check(&self, revision: &str, id: &str) -> Result<Config, EstateError> {
        let (mut doc, _) = self.open(revision)?;
        let checks = array_of_tables(&mut doc, "check")?;
        let i = find(checks, "check", id)?;
        checks.remove(i);
        if checks.is_empty() {
            doc.remove("check");
        }
        self.commit(&doc, "check", None)
    }

    /// Add an environment or change one; a changed id is carried over to its checks.
    pub fn save_environment(
        &self,
        revision: &str,
        original_id: Option<&str>,
        form: &EnvironmentForm,
    ) -> Result<Config, EstateError> {
        let (mut doc, config) = self.open(revision)?;
        let id = form.id.trim();
        if !is_slug(id) {
            return Err(invalid(
                "id",
                "use lowercase letters, digits, `-`, `_` or `.`, starting with a letter or digit",
            ));
        }
        if form.name.trim().is_empty() {
            return Err(invalid("name", "give the environment a name"));
        }
        if original_id != Some(id) && config.environment(id).is_some() {
            return Err(invalid(
                "id",
                format!("another environment already has the id `{id}`"),
            ));
        }
        let envs = array_of_tables(&mut doc, "environment")?;
        let index = match original_id {
            Some(old) => {
                let i = find(envs, "environment", old)?;
                fill_environment(envs.get_mut(i).expect("index found above"), form);
                i
            }
            None => {
                let mut table = Table::new();
                fill_environment(&mut table, form);
                envs.push(table);
                envs.len() - 1
            }
        };
        if let Some(old) = original_id.filter(|old| *old != id) {
            let checks = doc.get_mut("check").and_then(Item::as_array_of_tables_mut);
            for t in checks.into_iter().flat_map(|c| c.iter_mut()) {
                if t.get("environment").and_then(Item::as_str) == Some(old) {
                    set_value(t, "environment", Some(Value::from(id)));
                }
            }
        }
        self.commit(&doc, "environment", Some(index))
    }

    pub fn remove_environment(&self, revision: &str, id: &str) -> Result<Config, EstateError> {
        let (mut doc, config) = self.open(revision)?;
        let users: Vec<&str> = config
            .check
            .iter()
            .filter(|c| c.common.environment.as_deref() == Some(id))
            .map(|c| c.common.id.as_str())
            .collect();
        if !users.is_empty() {
            let shown: Vec<String> = users.iter().take(5).map(|u| format!("`{u}`")).collect();
            let more = if users.len() > 5 {
                format!(" and {} more", users.len() - 5)
            } else {
                String::new()
            };
            return Err(invalid(
                "",
                format!(
                    "{} check(s) belong to this environment ({}{more}); move or remove them first",
                    users.len(),
                    shown.join(", ")
                ),
            ));
        }
        let envs = array_of_tables(&mut doc, "environment")?;
        let i = find(envs, "environment", id)?;
        envs.remove(i);
        if envs.is_empty() {
            doc.remove("environment");
        }
        self.commit(&doc, "environment", None)
    }
}

/// Problems the loader would also find, said in terms of the form.
fn precheck_check(
    config: &Config,
    original_id: Option<&str>,
    form: &CheckForm,
) -> Result<(), EstateError> {
    let mut errors = Vec::new();
    let mut push = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };
    let id = form.id.trim();
    if id.is_empty() {
        push("id", "give the check an id".into());
    } else if original_id != Some(id) && config.check.iter().any(|c| c.common.id == id) {
        push("id", format!("another check already has the id `{id}`"));
    }
    if form.kind != "http" {
        push(
            "type",
            format!("checks of type `{}` are edited in the file", form.kind),
        );
    }
    if form.url.trim().is_empty() {
        push("url", "enter the URL to check".into());
    }
    if !form.password.trim().is_empty() && form.username.trim().is_empty() {
        push(
            "username",
            "a password needs a user name (basic authentication)".into(),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EstateError::Invalid(errors))
    }
}

fn array_of_tables<'d>(
    doc: &'d mut DocumentMut,
    name: &str,
) -> Result<&'d mut ArrayOfTables, EstateError> {
    if doc.get(name).is_none() {
        doc.insert(name, Item::ArrayOfTables(ArrayOfTables::new()));
    }
    doc.get_mut(name)
        .and_then(Item::as_array_of_tables_mut)
        .ok_or_else(|| {
            invalid(
                "",
                format!("`{name}` in the file is not written as `[[{name}]]` tables; edit it in the file"),
            )
        })
}

/// Index of the table with `id`; `kind` names it in the error.
fn find(tables: &ArrayOfTables, kind: &'static str, id: &str) -> Result<usize, EstateError> {
    tables
        .iter()
        .position(|t| t.get("id").and_then(Item::as_str) == Some(id))
        .ok_or_else(|| EstateError::NotFound {
            kind,
            id: id.into(),
        })
}

/// Set `key` to `value`, or remove it when `value` is `None`. An existing key keeps its
/// place and its comments.
fn set_value(table: &mut Table, key: &str, value: Option<Value>) {
    match value {
        None => {
            table.remove(key);
        }
        Some(mut v) => match table.get_mut(key).and_then(Item::as_value_mut) {
            Some(existing) => {
                // Keep the spacing and trailing comment of the old value.
                let decor = existing.decor().clone();
                *v.decor_mut() = decor;
                *existing = v;
            }
            None => {
                table.insert(key, Item::Value(v));
            }
        },
    }
}

/// A value that equals the format's default is written only when the key is already in the
/// file, so forms do not fill hand-written files with defaults.
fn set_unless_default(table: &mut Table, key: &str, value: Value, is_default: bool) {
    if is_default && !table.contains_key(key) {
        return;
    }
    set_value(table, key, Some(value));
}

fn text(s: &str) -> Option<Value> {
    let s = s.trim();
    (!s.is_empty()).then(|| Value::from(s))
}

fn secret_ref(name: &str) -> Option<Value> {
    let name = name.trim();
    (!name.is_empty()).then(|| {
        let mut t = InlineTable::new();
        t.insert("secret", Value::from(name));
        Value::InlineTable(t)
    })
}

fn fill_check(table: &mut Table, form: &CheckForm) {
    set_value(table, "id", text(&form.id));
    set_value(table, "name", text(&form.name));
    set_value(table, "type", Some(Value::from(form.kind.as_str())));
    set_value(table, "environment", text(&form.environment));
    let tags: Array = form
        .tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    set_value(
        table,
        "tags",
        (!tags.is_empty()).then_some(Value::Array(tags)),
    );
    set_value(table, "url", text(&form.url));
    set_unless_default(
        table,
        "method",
        Value::from(form.method.as_str()),
        form.method == "GET",
    );
    for (key, value, default) in [
        ("interval", &form.interval, "30s"),
        ("timeout", &form.timeout, "5s"),
    ] {
        match text(value) {
            Some(v) => set_unless_default(table, key, v, value.trim() == default),
            None => set_value(table, key, None),
        }
    }
    let statuses: Array = form.expected_status.iter().map(|s| i64::from(*s)).collect();
    set_value(
        table,
        "expected_status",
        (!statuses.is_empty()).then_some(Value::Array(statuses)),
    );
    set_value(table, "body_contains", text(&form.body_contains));
    set_unless_default(
        table,
        "format",
        Value::from(form.format.as_str()),
        form.format == "auto",
    );
    set_value(table, "username", text(&form.username));
    set_value(table, "password", secret_ref(&form.password));
    set_value(table, "bearer_token", secret_ref(&form.bearer_token));
    set_value(table, "ca_file", text(&form.ca_file));
    set_unless_default(
        table,
        "tls_insecure",
        Value::from(form.tls_insecure),
        !form.tls_insecure,
    );
    set_unless_default(table, "enabled", Value::from(form.enabled), form.enabled);
}

fn fill_environment(table: &mut Table, form: &EnvironmentForm) {
    set_value(table, "id", text(&form.id));
    set_value(table, "name", text(&form.name));
    set_value(table, "order", form.order.map(Value::from));
}

/// Map the loader's problems onto form fields: those of the edited table by key, all others
/// (a file that was already broken elsewhere) onto the whole form.
fn field_errors(error: &ConfigError, section: &str, index: Option<usize>) -> Vec<FieldError> {
    let prefix = index.map(|i| format!("{section}[{i}]"));
    error
        .problems
        .iter()
        .map(|p| {
            let own = prefix.as_ref().and_then(|prefix| {
                let key = p.key.as_deref()?;
                let rest = key.strip_prefix(prefix.as_str())?;
                if rest.is_empty() {
                    return Some(String::new());
                }
                let rest = rest.strip_prefix('.')?;
                Some(rest.split(['.', '[']).next().unwrap_or(rest).to_string())
            });
            match own {
                Some(field) => FieldError {
                    field,
                    message: p.message.clone(),
                },
                None => FieldError {
                    field: String::new(),
                    message: match &p.key {
                        Some(k) => format!("`{k}`: {}", p.message),
                        None => p.message.clone(),
                    },
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
