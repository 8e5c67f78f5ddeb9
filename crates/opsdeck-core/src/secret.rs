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
    #[error("the OS keychain is locked, or opsdeck was refused access to it, so credential `{name}` cannot be used: {fix}")]
    Locked { name: String, fix: &'static str },
    #[error(
        "credential `{name}` cannot be changed here: the built-in demo estate keeps no credentials"
    )]
    NotAKeychain { name: String },
}

impl SecretError {
    /// The credential the error is about.
    pub fn name(&self) -> &str {
        match self {
            SecretError::Missing { name }
            | SecretError::Unavailable { name, .. }
            | SecretError::InvalidName { name }
            | SecretError::EmptyValue { name }
            | SecretError::Locked { name, .. }
            | SecretError::NotAKeychain { name } => name,
        }
    }

    /// `missing`, `locked`, `unavailable` or `invalid`: what the UI offers to do about it.
    pub fn problem(&self) -> &'static str {
        match self {
            SecretError::Missing { .. } => "missing",
            SecretError::Locked { .. } => "locked",
            SecretError::Unavailable { .. } | SecretError::NotAKeychain { .. } => "unavailable",
            SecretError::InvalidName { .. } | SecretError::EmptyValue { .. } => "invalid",
        }
    }
}

/// What to do when the keychain is missing or locked, per OS.
const FIX: &str = if cfg!(target_os = "windows") {
    "Windows Credential Manager must be available to your user account (it is not for some service accounts without a loaded profile)"
} else if cfg!(target_os = "macos") {
    "unlock the login keychain (Keychain Access) and allow opsdeck when asked"
} else {
    "start a Secret Service provider in your session (gnome-keyring-daemon or KeePassXC with Secret Service enabled), unlock it, and make sure DBUS_SESSION_BUS_ADDRESS is set"
};

/// How to unlock the keychain, per OS.
const UNLOCK: &str = if cfg!(target_os = "windows") {
    "sign in to Windows with the account opsdeck runs as, so that its Credential Manager is loaded"
} else if cfg!(target_os = "macos") {
    "unlock the login keychain in Keychain Access (or `security unlock-keychain`) and allow opsdeck when asked"
} else {
    "unlock the login keyring (open Passwords and Keys, or sign in to the desktop session); on a server without a desktop, start gnome-keyring-daemon with `--unlock`, feeding the keyring password on standard input"
};

/// Where probes get credentials from, and where the console stores them.
pub trait SecretSource: Send + Sync + std::fmt::Debug {
    fn get(&self, name: &str) -> Result<SecretString, SecretError>;

    /// Store a value. Only the OS keychain stores; other sources refuse.
    fn set(&self, name: &str, _value: &SecretString) -> Result<(), SecretError> {
        Err(SecretError::NotAKeychain { name: name.into() })
    }

    /// Remove a value; `Ok(false)` when there was none.
    fn delete(&self, name: &str) -> Result<bool, SecretError> {
        Err(SecretError::NotAKeychain { name: name.into() })
    }
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

    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        if value.expose_secret().is_empty() {
            return Err(SecretError::EmptyValue { name: name.into() });
        }
        Self::entry(name)?
            .set_password(value.expose_secret())
            .map_err(|e| map_error(name, e))
    }

    fn delete(&self, name: &str) -> Result<bool, SecretError> {
        match Self::entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(name, e)),
        }
    }
}

fn map_error(name: &str, e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoEntry => SecretError::Missing { name: name.into() },
        // Secret Service answers a locked collection it cannot prompt for this way; the macOS
        // and Windows stores use it for a locked keychain or a refused access.
        keyring::Error::NoStorageAccess(_) => SecretError::Locked {
            name: name.into(),
            fix: UNLOCK,
        },
        // Storing a new item in a locked Secret Service collection fails this way instead.
        keyring::Error::PlatformFailure(e) if e.to_string().contains("locked collection") => {
            SecretError::Locked {
                name: name.into(),
                fix: UNLOCK,
            }
        }
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
