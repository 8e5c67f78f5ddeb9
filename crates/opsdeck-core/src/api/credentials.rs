//! The credentials page: which keychain entries the config needs, whether each is there, who
//! uses it and when it was last set; storing, replacing and deleting them. Values go into the
//! keychain and never come back out through here.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Api, ApiError};
use crate::credential_dates::CredentialDates;
use crate::secret::SecretError;
use crate::status::CheckResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CredentialState {
    Stored,
    Missing,
    /// The keychain is locked (or refused access).
    Locked,
    /// The keychain cannot be reached at all.
    Unavailable,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CredentialView {
    pub name: String,
    pub state: CredentialState,
    /// What is wrong and how to fix it, when not stored.
    pub problem: Option<String>,
    /// Ids of the checks that use it; empty for one stored from the console but no longer used.
    pub used_by: Vec<String>,
    /// Ids of the notification channels that use it (an SMTP password, a Teams or Slack URL).
    pub channels: Vec<String>,
    /// The CAB workflow's Bitbucket token.
    pub cab: bool,
    /// When it was last stored through opsdeck (RFC 3339), if known.
    pub last_set: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Credentials {
    pub credentials: Vec<CredentialView>,
    /// Whether credentials can be stored here (not in the demo estate).
    pub editable: bool,
}

impl From<SecretError> for ApiError {
    fn from(e: SecretError) -> Self {
        let code = match &e {
            SecretError::Missing { .. } => "not_found",
            SecretError::InvalidName { .. } | SecretError::EmptyValue { .. } => "invalid_request",
            SecretError::Locked { .. } | SecretError::Unavailable { .. } => "unavailable",
            SecretError::NotAKeychain { .. } => "read_only",
        };
        ApiError::new(code, e.to_string())
    }
}

/// How long storing or deleting a credential waits for the checks that use it.
const RERUN_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Api {
    fn dates(&self) -> CredentialDates {
        self.files
            .data_dir
            .as_deref()
            .map(CredentialDates::load)
            .unwrap_or_default()
    }

    pub async fn credentials(&self) -> Result<Credentials, ApiError> {
        let config = self.engine.config();
        let mut used = config.secret_refs();
        let mut channels = config.channel_secret_refs();
        let cab = config.cab_secret_ref().map(|r| r.secret.clone());
        let dates = self.dates();
        for name in dates.set_at.keys().chain(channels.keys()).chain(cab.iter()) {
            used.entry(name.clone()).or_default();
        }
        let secrets = self.engine.secrets().clone();
        let credentials = tokio::task::spawn_blocking(move || {
            used.into_iter()
                .map(|(name, used_by)| {
                    let (state, problem) = match secrets.get(&name) {
                        Ok(_) => (CredentialState::Stored, None),
                        Err(e) => {
                            let state = match e {
                                SecretError::Missing { .. } => CredentialState::Missing,
                                SecretError::Locked { .. } => CredentialState::Locked,
                                _ => CredentialState::Unavailable,
                            };
                            (state, Some(e.to_string()))
                        }
                    };
                    CredentialView {
                        last_set: dates.set_at.get(&name).cloned(),
                        channels: channels.remove(&name).unwrap_or_default(),
                        cab: cab.as_deref() == Some(name.as_str()),
                        name,
                        state,
                        problem,
                        used_by,
                    }
                })
                .collect()
        })
        .await
        .map_err(|e| ApiError::new("internal", format!("the keychain task failed: {e}")))?;
        Ok(Credentials {
            credentials,
            editable: !self.files.demo,
        })
    }

    /// Store or replace a credential, then rerun the checks that use it so their state shows
    /// the new value at once.
    pub async fn set_credential(
        &self,
        name: String,
        value: SecretString,
    ) -> Result<Credentials, ApiError> {
        if !crate::config::is_slug(&name) {
            return Err(SecretError::InvalidName { name }.into());
        }
        let secrets = self.engine.secrets().clone();
        let key = name.clone();
        super::blocking(move || secrets.set(&key, &value)).await?;
        if let Some(dir) = self.files.data_dir.clone() {
            let (key, at) = (name.clone(), crate::time_fmt::now_rfc3339());
            let recorded =
                tokio::task::spawn_blocking(move || CredentialDates::record_set(&dir, &key, &at))
                    .await;
            if let Ok(Err(e)) = recorded {
                tracing::warn!(credential = %name, "cannot record when the credential was set: {e}");
            }
        }
        tracing::info!(credential = %name, "credential stored in the OS keychain");
        self.rerun_users(&name).await;
        self.credentials().await
    }

    pub async fn delete_credential(&self, name: String) -> Result<Credentials, ApiError> {
        let secrets = self.engine.secrets().clone();
        let key = name.clone();
        let existed = super::blocking(move || secrets.delete(&key)).await?;
        if !existed {
            return Err(SecretError::Missing { name }.into());
        }
        if let Some(dir) = self.files.data_dir.clone() {
            let key = name.clone();
            let _ = tokio::task::spawn_blocking(move || CredentialDates::record_delete(&dir, &key))
                .await;
        }
        tracing::info!(credential = %name, "credential deleted from the OS keychain");
        self.rerun_users(&name).await;
        self.credentials().await
    }

    /// Run every check that uses `name` now and answer their results; a channel that uses it
    /// sends a test notification (and its failure is the answer).
    pub async fn test_credential(&self, name: &str) -> Result<Vec<CheckResult>, ApiError> {
        let config = self.engine.config();
        let channels = config
            .channel_secret_refs()
            .remove(name)
            .unwrap_or_default();
        let users = config.secret_refs().remove(name).unwrap_or_default();
        let cab = config.cab_secret_ref().is_some_and(|r| r.secret == name);
        if users.is_empty() && channels.is_empty() && !cab {
            return Err(ApiError::new(
                "not_found",
                format!("no check, channel or the CAB workflow uses the credential `{name}`"),
            ));
        }
        if cab {
            // Signing in to Bitbucket as the token's owner is the whole test.
            let releases = self.releases(&crate::access::Caller::local()).await?;
            releases.me().await?;
        }
        for channel in &channels {
            crate::alerting::test_channel(
                self.engine.store().pool(),
                &config,
                &self.engine.couriers(),
                channel,
                "credential test",
            )
            .await?;
        }
        let runs = users.iter().map(|id| self.engine.check_now(id));
        let mut results = Vec::new();
        for r in futures::future::join_all(runs).await {
            results.extend(r?);
        }
        Ok(results)
    }

    /// Run the checks that use `name` again, and wait for them (at most [`RERUN_WAIT`]), so
    /// that whoever stored the credential sees their new results when the answer comes.
    /// Checks still running after that finish in the background.
    async fn rerun_users(&self, name: &str) {
        // A push check's token may be the credential that changed.
        self.engine.refresh_push_tokens().await;
        let users = self
            .engine
            .config()
            .secret_refs()
            .remove(name)
            .unwrap_or_default();
        let runs: Vec<_> = users
            .into_iter()
            .map(|id| {
                let engine = self.engine.clone();
                tokio::spawn(async move {
                    let _ = engine.check_now(&id).await;
                })
            })
            .collect();
        let _ = tokio::time::timeout(RERUN_WAIT, futures::future::join_all(runs)).await;
    }
}
