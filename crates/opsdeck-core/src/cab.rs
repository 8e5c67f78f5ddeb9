//! The CAB file release workflow: CAB files (Epicor Solution Workbench packages) kept in a
//! Bitbucket repository, installed in test environments, approved, and promoted to the
//! restricted "GHA Mods - New CABs" destination. This part talks to Bitbucket; the catalogue,
//! approvals, promotion and audit build on it.

pub mod bitbucket;

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
const AT_ONCE: usize = 8;

fn is_cab(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".cab")
}

fn name_of(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// Every CAB under the configured path on the configured branch, by name.
pub async fn catalogue(client: &Client, settings: &CabSettings) -> Result<Vec<CabEntry>, CabError> {
    let head = client.branch_head(&settings.branch).await?;
    let files: Vec<_> = client
        .list_files(&head, &settings.path)
        .await?
        .into_iter()
        .filter(|f| is_cab(&f.path))
        .collect();
    let head = &head;
    let mut entries: Vec<CabEntry> = futures::stream::iter(files)
        .map(|f| async move {
            let history = client.history(head, &f.path).await?;
            let bytes = client.raw(head, &f.path).await?;
            let newest = history.first().cloned().unwrap_or(Commit {
                hash: head.clone(),
                date: String::new(),
                author: String::new(),
                message: String::new(),
            });
            Ok::<_, CabError>(CabEntry {
                name: name_of(&f.path),
                size: bytes.len() as u64,
                sha256: hex_digest(&bytes),
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
    Ok(entries)
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

fn hex_digest(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}
