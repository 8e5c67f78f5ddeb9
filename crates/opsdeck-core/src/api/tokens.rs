//! API tokens through the command surface, so an admin can manage them from the console as
//! well as with `opsdeck token`.

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Api, ApiError};
use crate::access::{AccessError, Role, TokenInfo, TokenStore};

/// A token just created. `token` is its value, shown this once and never again.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CreatedToken {
    pub info: TokenInfo,
    pub token: String,
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        let code = match &e {
            AccessError::InvalidName(_) => "invalid_request",
            AccessError::Duplicate(_) => "conflict",
            AccessError::NotFound(_) => "not_found",
            AccessError::Io { .. } | AccessError::Corrupt { .. } | AccessError::Hash(_) => {
                "internal"
            }
        };
        ApiError::new(code, e.to_string())
    }
}

impl Api {
    fn token_store(&self) -> Result<TokenStore, ApiError> {
        self.files
            .data_dir
            .as_deref()
            .map(TokenStore::new)
            .ok_or_else(|| ApiError::new("read_only", "this console keeps no API tokens"))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, ApiError> {
        let store = self.token_store()?;
        super::blocking(move || store.list()).await
    }

    pub async fn create_token(&self, name: String, role: Role) -> Result<CreatedToken, ApiError> {
        let store = self.token_store()?;
        let new = super::blocking(move || store.create(&name, role)).await?;
        tracing::info!(token = %new.info.name, role = %new.info.role, id = %new.info.id, "API token created");
        Ok(CreatedToken {
            token: new.token.expose_secret().to_string(),
            info: new.info,
        })
    }

    pub async fn revoke_token(&self, name: String) -> Result<Vec<TokenInfo>, ApiError> {
        let store = self.token_store()?;
        let revoked = {
            let store = store.clone();
            super::blocking(move || store.revoke(&name)).await?
        };
        tracing::info!(token = %revoked.name, id = %revoked.id, "API token revoked");
        super::blocking(move || store.list()).await
    }
}
