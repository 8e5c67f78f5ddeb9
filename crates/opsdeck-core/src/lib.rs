//! The opsdeck engine. It knows nothing of Tauri or HTTP servers: the desktop shell and the
//! headless server are thin adapters over [`api::Api`].

pub mod config;
pub mod probe;
pub mod secret;
pub mod status;
pub mod time_fmt;
