//! Credentials live only in the OS keychain (Windows Credential Manager, macOS Keychain, Secret
//! Service on Linux), under service `opsdeck` and the reference's name as account. In memory they
//! are `SecretString`s, which redact themselves in `Debug` and zero their memory on drop.

use secrecy::{ExposeSecret, SecretString};

/// Keychain service name every opsdeck entry is stored under.
pub const SERVICE: &str = "opsdeck";

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "credential `{name}` is not in the keychain; store it with `opsdeck secret set {name}`"
    )]
    Missing { name: String },
    #[error("the OS keychain could not be used for credential `{name}`: {detail}. {fix}")]
    Unavailable {
        name: String,
        detail: String,
        fix: &'static str,
    },
    #[error(
        "credential name `{name}` is not valid: use lower-case letters, digits, `-`, `_` and `.`"
    )]
    InvalidName { name: String },
    #[error("the value for credential `{name}` is empty; nothing was stored")]
    EmptyValue { name: String },
}

/// What to do when the keychain is missing or locked, per OS.
const FIX: &str = if cfg!(target_os = "windows") {
    "Windows Credential Manager must be available to your user account (it is not for some service accounts without a loaded profile)"
} else if cfg!(target_os = "macos") {
    "unlock the login keychain (Keychain Access) and allow opsdeck when asked"
} else {
    "start a Secret Service provider in your session (gnome-keyring-daemon or KeePassXC with Secret Service enabled), unlock it, and make sure DBUS_SESSION_BUS_ADDRESS is set"
};

/// Where probes get credentials from.
pub trait SecretSource: Send + Sync + std::fmt::Debug {
    fn get(&self, name: &str) -> Result<SecretString, SecretError>;
}

/// The OS keychain through the `keyring` crate's native backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keychain;

impl Keychain {
    fn entry(name: &str) -> Result<keyring::Entry, SecretError> {
        if !crate::config::is_slug(name) {
            return Err(SecretError::InvalidName { name: name.into() });
        }
        keyring::Entry::new(SERVICE, name).map_err(|e| map_error(name, e))
    }

    pub fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        if value.expose_secret().is_empty() {
            return Err(SecretError::EmptyValue { name: name.into() });
        }
        Self::entry(name)?
            .set_password(value.expose_secret())
            .map_err(|e| map_error(name, e))
    }

    /// Deletes the entry; `Ok(false)` when there was none.
    pub fn delete(&self, name: &str) -> Result<bool, SecretError> {
        match Self::entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(name, e)),
        }
    }

    pub fn exists(&self, name: &str) -> Result<bool, SecretError> {
        match self.get(name) {
            Ok(_) => Ok(true),
            Err(SecretError::Missing { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl SecretSource for Keychain {
    fn get(&self, name: &str) -> Result<SecretString, SecretError> {
        Self::entry(name)?
            .get_password()
            .map(SecretString::from)
            .map_err(|e| map_error(name, e))
    }
}

fn map_error(name: &str, e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoEntry => SecretError::Missing { name: name.into() },
        // The keyring crate's messages never contain the secret value itself.
        other => SecretError::Unavailable {
            name: name.into(),
            detail: other.to_string(),
            fix: FIX,
        },
    }
}

/// Credentials handed over explicitly, for tests and for the built-in demo estate.
/// Never used as a fallback for the keychain.
#[derive(Debug, Default, Clone)]
pub struct ExplicitSecrets(pub std::collections::HashMap<String, SecretString>);

impl SecretSource for ExplicitSecrets {
    fn get(&self, name: &str) -> Result<SecretString, SecretError> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| SecretError::Missing { name: name.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_how_to_fix_and_never_hold_values() {
        let e = ExplicitSecrets::default().get("erp-mq").unwrap_err();
        assert_eq!(
            e.to_string(),
            "credential `erp-mq` is not in the keychain; store it with `opsdeck secret set erp-mq`"
        );
        let secret = SecretString::from("hunter2".to_string());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn names_are_validated_before_touching_the_keychain() {
        assert!(matches!(
            Keychain.get("Bad Name"),
            Err(SecretError::InvalidName { .. })
        ));
    }
}
