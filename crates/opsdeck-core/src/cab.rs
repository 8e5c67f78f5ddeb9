//! The CAB file release workflow: CAB files (Epicor Solution Workbench packages) kept in a
//! Bitbucket repository, installed in test environments, approved, and promoted to the
//! restricted "GHA Mods - New CABs" destination. Bitbucket holds the files and the records
//! (installs, approvals, rejections, promotions as comments on the version's commit, see
//! [`records`]); the local store holds the audit log ([`audit`]) and the SHA-256 of versions
//! already read.

pub mod audit;
pub mod bitbucket;
pub mod promote;
pub mod reconcile;
pub mod records;
mod workflow;

pub use workflow::*;

use std::sync::Arc;

use futures::StreamExt;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use ts_rs::TS;

use crate::config::{CabProvider, CabSettings};
use crate::secret::{SecretError, SecretSource};
use bitbucket::{Auth, BitbucketError, Client, Commit, Flavour, Repo};

#[derive(Debug, thiserror::Error)]
pub enum CabError {
    #[error("the CAB workflow is not configured: add a `[cab]` table to the configuration file")]
    NotConfigured,
    #[error("the Bitbucket token cannot be read: {0}")]
    Credential(#[from] SecretError),
    #[error(transparent)]
    Bitbucket(#[from] BitbucketError),
    #[error("no CAB named `{0}` under the configured path")]
    NoSuchCab(String),
    #[error("`{cab}` has no version `{version}` (give a version number such as 3, or a commit)")]
    NoSuchVersion { cab: String, version: String },
    #[error("no environment `{0}` in the configuration")]
    NoSuchEnvironment(String),
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    NotReady(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the promotion destination is not configured: add `[cab.destination]`")]
    NoDestination,
    #[error("{0}")]
    Destination(String),
    #[error("{target} already holds a different file (SHA-256 {existing}, the approved version is {approved}); nothing was overwritten. Promote again with replace to overwrite it")]
    DestinationDiffers {
        target: String,
        existing: String,
        approved: String,
    },
    #[error(
        "{what} do not match the approved SHA-256 {expected} (got {got}); nothing was promoted"
    )]
    Mismatch {
        what: String,
        expected: String,
        got: String,
    },
    #[error("the local store (audit log and remembered SHA-256s) failed: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// One CAB file and its newest version (the `opsdeck cab list --format json` contract).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CabEntry {
    /// File name, `GHA Field Service.cab`.
    pub name: String,
    /// From the repository root.
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
    /// Of the newest version's bytes.
    pub sha256: String,
    /// Commit of the newest version.
    pub commit: String,
    pub author: String,
    /// RFC 3339.
    pub date: String,
    pub message: String,
    /// Versions in the file's history.
    pub versions: u32,
}

/// One version of a CAB (`opsdeck cab history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CabVersion {
    pub commit: String,
    pub author: String,
    pub date: String,
    pub message: String,
}

impl From<Commit> for CabVersion {
    fn from(c: Commit) -> Self {
        CabVersion {
            commit: c.hash,
            author: c.author,
            date: c.date,
            message: c.message,
        }
    }
}

/// A client for the configured repository, with its token from the keychain.
pub fn client(settings: &CabSettings, secrets: &Arc<dyn SecretSource>) -> Result<Client, CabError> {
    let token = secrets.get(&settings.token.secret)?;
    let auth = match &settings.username {
        Some(u) => Auth::Basic {
            username: u.clone(),
            token: secrecy::SecretString::from(token.expose_secret().to_string()),
        },
        None => Auth::Bearer { token },
    };
    Ok(Client::new(
        Repo {
            flavour: match settings.provider {
                CabProvider::BitbucketCloud => Flavour::Cloud,
                CabProvider::BitbucketDc => Flavour::DataCenter,
            },
            base: settings.url.clone(),
            workspace: settings.workspace.clone(),
            slug: settings.repository.clone(),
            credential: settings.token.secret.clone(),
        },
        auth,
    ))
}

/// How many CABs are read at once (history and bytes): enough to hide latency, few enough not
/// to trip Bitbucket's rate limits.
pub(crate) const AT_ONCE: usize = 8;

pub(crate) fn is_cab(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".cab")
}

/// Refuse a CAB file name that could leave the destination folder or trouble Windows: path
/// separators, a drive, control characters, a leading dot, reserved device names.
pub fn check_file_name(name: &str) -> Result<(), CabError> {
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.ends_with(|c: char| c.is_ascii_digit()));
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.ends_with(['.', ' '])
        || name.chars().any(|c| {
            c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        })
        || reserved;
    if bad {
        return Err(CabError::Invalid(format!(
            "`{name}` cannot be a CAB's file name: no path separators, drive letters, control characters or `*?\"<>|`, no leading dot, no reserved name such as CON"
        )));
    }
    Ok(())
}

pub(crate) fn name_of(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// Every CAB under the configured path on the configured branch, by name.
pub async fn catalogue(client: &Client, settings: &CabSettings) -> Result<Vec<CabEntry>, CabError> {
    catalogue_with(client, settings, None).await.map(|(_, c)| c)
}

/// The catalogue, with the branch head it was read at; SHA-256s come from `pool` when a
/// version's bytes were read before (a commit's bytes never change).
pub async fn catalogue_with(
    client: &Client,
    settings: &CabSettings,
    pool: Option<&sqlx::SqlitePool>,
) -> Result<(String, Vec<CabEntry>), CabError> {
    let head = client.branch_head(&settings.branch).await?;
    // No folder yet: the first upload makes it.
    let listed = match client.list_files(&head, &settings.path).await {
        Err(BitbucketError::NotFound { .. }) => Vec::new(),
        other => other?,
    };
    let files: Vec<_> = listed.into_iter().filter(|f| is_cab(&f.path)).collect();
    let head = &head;
    let mut entries: Vec<CabEntry> = futures::stream::iter(files)
        .map(|f| async move {
            let history = client.history(head, &f.path).await?;
            let newest = history.first().cloned().unwrap_or(Commit {
                hash: head.clone(),
                ..Commit::default()
            });
            let (sha256, size) = digest_of(client, pool, &newest.hash, &f.path).await?;
            Ok::<_, CabError>(CabEntry {
                name: name_of(&f.path),
                size,
                sha256,
                commit: newest.hash,
                author: newest.author,
                date: newest.date,
                message: newest.message,
                versions: history.len() as u32,
                path: f.path,
            })
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.name.to_lowercase());
    Ok((head.clone(), entries))
}

/// The SHA-256 and size of `path` at `commit`: remembered, or read once and remembered.
pub async fn digest_of(
    client: &Client,
    pool: Option<&sqlx::SqlitePool>,
    commit: &str,
    path: &str,
) -> Result<(String, u64), CabError> {
    if let Some(pool) = pool {
        if let Some(known) = audit::known_digest(pool, commit, path).await? {
            return Ok(known);
        }
    }
    let bytes = client.raw(commit, path).await?;
    let (sha, size) = (hex_digest(&bytes), bytes.len() as u64);
    if let Some(pool) = pool {
        audit::remember_digest(pool, commit, path, &sha, size).await?;
    }
    Ok((sha, size))
}

/// The versions of one CAB (by file name or path), newest first.
pub async fn history(
    client: &Client,
    settings: &CabSettings,
    name: &str,
) -> Result<Vec<CabVersion>, CabError> {
    let head = client.branch_head(&settings.branch).await?;
    let files = client.list_files(&head, &settings.path).await?;
    let file = files
        .into_iter()
        .find(|f| {
            is_cab(&f.path) && (f.path == name || name_of(&f.path).eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| CabError::NoSuchCab(name.to_string()))?;
    Ok(client
        .history(&head, &file.path)
        .await?
        .into_iter()
        .map(CabVersion::from)
        .collect())
}

pub(crate) fn hex_digest(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::check_file_name;

    #[test]
    fn file_names_cannot_leave_the_destination() {
        for good in ["GHA Field Service.cab", "Orders (v2).cab", "Ørders.cab"] {
            assert!(check_file_name(good).is_ok(), "{good}");
        }
        for bad in [
            "..\\..\\x.cab",
            "C:\\x.cab",
            "a:b.cab",
            "sub/x.cab",
            ".hidden.cab",
            "CON.cab",
            "com1.cab",
            "tab\there.cab",
            "x.cab.",
            "",
        ] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
    }
}
