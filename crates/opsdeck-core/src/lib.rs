//! The opsdeck engine. It knows nothing of Tauri or HTTP servers: the desktop shell and the
//! headless server are thin adapters over [`api::Api`].

pub mod access;
pub mod alerting;
pub mod api;
pub mod cab;
pub mod config;
pub mod credential_dates;
pub mod engine;
pub mod epicor;
pub mod estate;
pub mod paths;
pub mod probe;
pub mod secret;
pub mod sharing;
pub mod state;
pub mod status;
pub mod store;
pub mod time_fmt;
pub mod toast;
pub mod watch;
