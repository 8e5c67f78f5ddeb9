//! When each credential was last stored, kept beside the history (`credentials.json` in the
//! data directory) because OS keychains do not say it portably. Names and times only: values
//! never leave the keychain. Used to show "last rotated" and to spot credentials nobody has
//! renewed in a long time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CredentialDates {
    /// Credential name → when it was last set (RFC 3339, UTC).
    #[serde(default)]
    pub set_at: BTreeMap<String, String>,
}

impl CredentialDates {
    pub fn file(data_dir: &Path) -> PathBuf {
        data_dir.join("credentials.json")
    }

    /// The recorded dates; empty when none were recorded or the file cannot be read (the dates
    /// are a convenience: their loss must never stop a credential from being used or set).
    pub fn load(data_dir: &Path) -> Self {
        std::fs::read(Self::file(data_dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::paths::replace_file(&Self::file(data_dir), &text)
    }

    /// Record that `name` was stored at `at` (RFC 3339).
    pub fn record_set(data_dir: &Path, name: &str, at: &str) -> std::io::Result<()> {
        let mut dates = Self::load(data_dir);
        dates.set_at.insert(name.to_string(), at.to_string());
        dates.save(data_dir)
    }

    /// Forget `name` (it was deleted from the keychain).
    pub fn record_delete(data_dir: &Path, name: &str) -> std::io::Result<()> {
        let mut dates = Self::load(data_dir);
        if dates.set_at.remove(name).is_some() {
            dates.save(data_dir)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_delete_are_remembered_and_a_broken_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            CredentialDates::load(dir.path()),
            CredentialDates::default()
        );
        CredentialDates::record_set(dir.path(), "erp-api", "2026-11-25T10:00:00Z").unwrap();
        CredentialDates::record_set(dir.path(), "mq", "2026-11-25T11:00:00Z").unwrap();
        CredentialDates::record_set(dir.path(), "erp-api", "2026-11-26T09:00:00Z").unwrap();
        let dates = CredentialDates::load(dir.path());
        assert_eq!(dates.set_at["erp-api"], "2026-11-26T09:00:00Z");
        assert_eq!(dates.set_at.len(), 2);
        CredentialDates::record_delete(dir.path(), "mq").unwrap();
        assert!(!CredentialDates::load(dir.path()).set_at.contains_key("mq"));

        std::fs::write(CredentialDates::file(dir.path()), "{broken").unwrap();
        assert_eq!(
            CredentialDates::load(dir.path()),
            CredentialDates::default()
        );
    }
}
