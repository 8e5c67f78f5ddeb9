//! The CAB release workflow through the command surface: the board, a CAB's versions, upload,
//! download, installs, approvals, rejections, promotion and the audit log. Each call works as
//! the Bitbucket account of the token in this engine's keychain; through the server the opsdeck
//! token's name is recorded beside it.

use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Api, ApiError};
use crate::access::Caller;
use crate::cab::bitbucket::BitbucketError;
use crate::cab::{audit, reconcile, CabError, Releases};

impl From<CabError> for ApiError {
    fn from(e: CabError) -> Self {
        let code = match &e {
            CabError::NotConfigured | CabError::NoDestination | CabError::Credential(_) => {
                "unavailable"
            }
            CabError::Bitbucket(BitbucketError::Moved { .. } | BitbucketError::Conflict { .. }) => {
                "conflict"
            }
            CabError::Bitbucket(_) | CabError::Destination(_) | CabError::Mismatch { .. } => {
                "unavailable"
            }
            CabError::NoSuchCab(_)
            | CabError::NoSuchVersion { .. }
            | CabError::NoSuchEnvironment(_) => "not_found",
            CabError::NotAllowed(_) => "forbidden",
            CabError::NotReady(_) => "conflict",
            CabError::DestinationDiffers { .. } => "exists",
            CabError::Invalid(_) => "invalid_request",
            CabError::Store(_) => "internal",
        };
        ApiError::new(code, e.to_string())
    }
}

/// A version's bytes, for a download.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CabDownload {
    pub name: String,
    pub version: u32,
    pub commit: String,
    pub sha256: String,
    /// Base64.
    pub content: String,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditPage {
    pub entries: Vec<audit::AuditEntry>,
    /// Pass as `before` for the next (older) page; none when this was the last.
    #[ts(type = "number | null")]
    pub before: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditCsv {
    pub csv: String,
}

impl Api {
    /// The workflow for this caller: a token's name travels with its actions.
    pub(super) async fn releases(&self, caller: &Caller) -> Result<Releases, ApiError> {
        let config = self.engine.config();
        let secrets = Arc::clone(self.engine.secrets());
        let pool = self.engine.store().pool().clone();
        let via = (caller != &Caller::local()).then(|| caller.name.clone());
        // The keychain is read on a blocking thread: it may ask the OS.
        let releases =
            tokio::task::spawn_blocking(move || Releases::new(&config, &secrets, pool, via))
                .await
                .map_err(|e| ApiError::new("internal", format!("a keychain task failed: {e}")))??;
        Ok(releases)
    }

    /// The board, with what the Epicor environments list beside the recorded installs.
    pub(super) async fn cab_board(&self, caller: &Caller) -> Result<crate::cab::Board, ApiError> {
        let mut board = self.releases(caller).await?.board().await?;
        self.remember_cab_names(board.cabs.iter().map(|c| c.name.clone()).collect());
        let infos = self.epicor_known();
        if !infos.is_empty() {
            for card in &mut board.cabs {
                card.epicor = reconcile::sightings(card, &board.environments, &infos);
            }
        }
        Ok(board)
    }

    pub(super) async fn cab_detail(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<crate::cab::CabDetail, ApiError> {
        let releases = self.releases(caller).await?;
        let mut detail = releases.detail(name).await?;
        let infos = self.epicor_known();
        if !infos.is_empty() {
            detail.card.epicor =
                reconcile::sightings(&detail.card, releases.environments(), &infos);
        }
        Ok(detail)
    }

    pub(super) async fn cab_upload(
        &self,
        caller: &Caller,
        file_name: &str,
        content: &str,
        message: &str,
        expected_head: Option<&str>,
    ) -> Result<crate::cab::Uploaded, ApiError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content.trim())
            .map_err(|_| ApiError::invalid("`content` must be the CAB's bytes in base64"))?;
        let r = self.releases(caller).await?;
        Ok(r.upload(file_name, bytes, message, expected_head).await?)
    }

    pub(super) async fn cab_download(
        &self,
        caller: &Caller,
        name: &str,
        version: Option<&str>,
    ) -> Result<CabDownload, ApiError> {
        let f = self.releases(caller).await?.download(name, version).await?;
        Ok(CabDownload {
            name: f.name,
            version: f.version,
            commit: f.commit,
            sha256: f.sha256,
            content: base64::engine::general_purpose::STANDARD.encode(&f.bytes),
        })
    }

    pub(super) async fn cab_audit(
        &self,
        cab: Option<&str>,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<AuditPage, ApiError> {
        let limit = limit.unwrap_or(100).clamp(1, 1000);
        // One more than asked: whether an older page exists, without offering an empty one.
        let mut entries = audit::read(self.engine.store().pool(), cab, before, limit + 1).await?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let before = more.then(|| entries.last().map(|e| e.seq)).flatten();
        Ok(AuditPage { entries, before })
    }

    pub(super) async fn cab_audit_verify(&self) -> Result<audit::Verification, ApiError> {
        Ok(audit::verify(self.engine.store().pool()).await?)
    }

    pub(super) async fn cab_audit_csv(&self) -> Result<AuditCsv, ApiError> {
        Ok(AuditCsv {
            csv: audit::csv(self.engine.store().pool()).await?,
        })
    }
}
