//! Who may do what: the roles, the caller of a command, and the API tokens `opsdeck serve`
//! accepts.
//!
//! A token is `opsdeck_<id>_<secret>`: the public id finds its record, the secret is checked
//! against an Argon2id hash. Only the hashes are kept (`tokens.json` in the data directory), so
//! a copy of that file lets nobody in; the token itself is shown once, when it is created.
//! Argon2 is slow on purpose, so a token that has been verified once is remembered in memory by
//! its SHA-256 (never the token) and later requests cost a hash lookup.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

/// What a caller may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads status, history and results.
    Viewer,
    /// Also runs checks now (and, with alerting, acknowledges and mutes).
    Operator,
    /// Also approves or rejects CAB releases.
    Approver,
    /// Also edits the config, manages credentials and tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::Approver, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("`{s}` is not a role; use one of viewer, operator, approver, admin")
            })
    }
}

/// Who sends a command: a token's holder through the server, or the local user of the desktop
/// app and the command line (who can read the keychain and the files anyway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Caller {
    /// The token's name, or `local user`.
    pub name: String,
    pub role: Role,
}

impl Caller {
    pub fn local() -> Caller {
        Caller {
            name: "local user".into(),
            role: Role::Admin,
        }
    }
}

/// A token as listed: never its secret, never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    /// The public part of the token (`opsdeck_<id>_…`), to tell tokens apart in logs.
    pub id: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenRecord {
    #[serde(flatten)]
    info: TokenInfo,
    /// Argon2id PHC string of the secret part.
    hash: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TokenFile {
    #[serde(default)]
    tokens: Vec<TokenRecord>,
}

/// A token just created: the only time its value exists outside its holder's hands.
#[derive(Debug)]
pub struct NewToken {
    pub info: TokenInfo,
    pub token: SecretString,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AccessError {
    #[error("token name `{0}` is not valid: use 1–64 letters, digits, `-`, `_`, `.` and `@` (an e-mail works)")]
    InvalidName(String),
    #[error("a token named `{0}` exists already; revoke it first or pick another name")]
    Duplicate(String),
    #[error("there is no token named `{0}`")]
    NotFound(String),
    #[error("cannot {action} the token file {path}: {detail}")]
    Io {
        action: &'static str,
        path: String,
        detail: String,
    },
    #[error("the token file {path} is not valid ({detail}); fix or remove it, then create the tokens again")]
    Corrupt { path: String, detail: String },
    #[error("cannot hash the token: {0}")]
    Hash(String),
}

const PREFIX: &str = "opsdeck_";

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
}

/// Split `opsdeck_<id>_<secret>` into id and secret.
fn parse(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.strip_prefix(PREFIX)?.split_once('_')?;
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && secret.len() == 64)
        .then_some((id, secret))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn fingerprint(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The tokens of one data directory, read and written as a whole file (replaced atomically,
/// so a running server never reads half of it).
#[derive(Debug, Clone)]
pub struct TokenStore {
    file: PathBuf,
}

impl TokenStore {
    pub fn new(data_dir: &Path) -> TokenStore {
        TokenStore {
            file: data_dir.join("tokens.json"),
        }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    fn io(&self, action: &'static str, e: &std::io::Error) -> AccessError {
        AccessError::Io {
            action,
            path: self.file.display().to_string(),
            detail: e.to_string(),
        }
    }

    fn read(&self) -> Result<TokenFile, AccessError> {
        match std::fs::read(&self.file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| AccessError::Corrupt {
                path: self.file.display().to_string(),
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TokenFile::default()),
            Err(e) => Err(self.io("read", &e)),
        }
    }

    fn write(&self, file: &TokenFile) -> Result<(), AccessError> {
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io("create the folder of", &e))?;
        }
        let text = serde_json::to_vec_pretty(file).map_err(|e| AccessError::Hash(e.to_string()))?;
        crate::paths::replace_private_file(&self.file, &text).map_err(|e| self.io("write", &e))
    }

    pub fn list(&self) -> Result<Vec<TokenInfo>, AccessError> {
        Ok(self.read()?.tokens.into_iter().map(|r| r.info).collect())
    }

    /// Create a token; its value is returned here and nowhere else.
    pub fn create(&self, name: &str, role: Role) -> Result<NewToken, AccessError> {
        if !valid_name(name) {
            return Err(AccessError::InvalidName(name.into()));
        }
        let mut file = self.read()?;
        if file.tokens.iter().any(|t| t.info.name == name) {
            return Err(AccessError::Duplicate(name.into()));
        }
        let id = random_hex(8);
        let secret = SecretString::from(random_hex(32));
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| AccessError::Hash(e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(secret.expose_secret().as_bytes(), &salt)
            .map_err(|e| AccessError::Hash(e.to_string()))?
            .to_string();
        let info = TokenInfo {
            name: name.into(),
            role,
            id: id.clone(),
            created_at: crate::time_fmt::now_rfc3339(),
        };
        file.tokens.push(TokenRecord {
            info: info.clone(),
            hash,
        });
        self.write(&file)?;
        let token = SecretString::from(format!("{PREFIX}{id}_{}", secret.expose_secret()));
        Ok(NewToken { info, token })
    }

    pub fn revoke(&self, name: &str) -> Result<TokenInfo, AccessError> {
        let mut file = self.read()?;
        let at = file
            .tokens
            .iter()
            .position(|t| t.info.name == name)
            .ok_or_else(|| AccessError::NotFound(name.into()))?;
        let removed = file.tokens.remove(at);
        self.write(&file)?;
        Ok(removed.info)
    }

    /// When the file last changed (and its length), to notice edits by another process.
    fn stamp(&self) -> Option<(SystemTime, u64)> {
        std::fs::metadata(&self.file)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    }
}

/// What a presented token turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid(Caller),
    /// Not a token of this server (malformed, unknown, revoked or wrong).
    Invalid,
    /// The token file cannot be read: nobody can be let in until it is fixed.
    Unreadable(String),
}

/// Checks presented tokens against a [`TokenStore`], noticing tokens created or revoked by
/// other processes (`opsdeck token create` while the server runs).
#[derive(Debug)]
pub struct TokenVerifier {
    store: TokenStore,
    state: Mutex<VerifierState>,
}

#[derive(Debug, Default)]
struct VerifierState {
    stamp: Option<(SystemTime, u64)>,
    loaded: bool,
    records: HashMap<String, TokenRecord>,
    /// SHA-256 of tokens already verified → their id. Dropped for ids no longer on file.
    verified: HashMap<[u8; 32], String>,
    /// Tokens that live only in this process (the sign-in link printed at start).
    session: HashMap<[u8; 32], Caller>,
}

impl TokenVerifier {
    pub fn new(store: TokenStore) -> TokenVerifier {
        TokenVerifier {
            store,
            state: Mutex::default(),
        }
    }

    pub fn store(&self) -> &TokenStore {
        &self.store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VerifierState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A token valid until this process ends, never written anywhere: for a sign-in link
    /// shown to whoever started the server.
    pub fn session_token(&self, name: &str, role: Role) -> SecretString {
        let token = format!("{PREFIX}{}_{}", random_hex(8), random_hex(32));
        self.lock().session.insert(
            fingerprint(&token),
            Caller {
                name: name.into(),
                role,
            },
        );
        SecretString::from(token)
    }

    fn refresh(&self, state: &mut VerifierState) -> Result<(), AccessError> {
        let stamp = self.store.stamp();
        if state.loaded && stamp == state.stamp {
            return Ok(());
        }
        let file = self.store.read()?;
        state.records = file
            .tokens
            .into_iter()
            .map(|r| (r.info.id.clone(), r))
            .collect();
        let records = &state.records;
        state.verified.retain(|_, id| records.contains_key(id));
        state.stamp = stamp;
        state.loaded = true;
        Ok(())
    }

    /// How many tokens are on file (0 when the file cannot be read).
    pub fn count(&self) -> usize {
        let mut state = self.lock();
        let _ = self.refresh(&mut state);
        state.records.len()
    }

    /// Check a presented token. Blocking: the first check of a token runs Argon2 (tens of
    /// milliseconds, on purpose); call it off the async workers.
    pub fn verify(&self, presented: &str) -> Verdict {
        let print = fingerprint(presented);
        let record = {
            let mut state = self.lock();
            if let Some(caller) = state.session.get(&print) {
                return Verdict::Valid(caller.clone());
            }
            if let Err(e) = self.refresh(&mut state) {
                return Verdict::Unreadable(e.to_string());
            }
            if let Some(id) = state.verified.get(&print) {
                if let Some(r) = state.records.get(id) {
                    return Verdict::Valid(Caller {
                        name: r.info.name.clone(),
                        role: r.info.role,
                    });
                }
            }
            let Some((id, _)) = parse(presented) else {
                return Verdict::Invalid;
            };
            match state.records.get(id) {
                Some(r) => r.clone(),
                None => return Verdict::Invalid,
            }
        };
        let Some((_, secret)) = parse(presented) else {
            return Verdict::Invalid;
        };
        let good = PasswordHash::new(&record.hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &hash)
                .is_ok()
        });
        if !good {
            return Verdict::Invalid;
        }
        let mut state = self.lock();
        // Revoked while Argon2 ran? Then it is no longer good.
        let _ = self.refresh(&mut state);
        if !state.records.contains_key(&record.info.id) {
            return Verdict::Invalid;
        }
        state.verified.insert(print, record.info.id.clone());
        Verdict::Valid(Caller {
            name: record.info.name,
            role: record.info.role,
        })
    }
}

#[cfg(test)]
mod tests;
