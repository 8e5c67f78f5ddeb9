//! Live config reload: the file is re-read every few seconds and applied when its text changes.
//!
//! Polling rather than file-system notifications, because the config may live on a network
//! share (`\\server\share\opsdeck.toml`) where notifications are unreliable or absent.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::engine::Engine;

pub async fn watch_config(engine: Arc<Engine>, path: PathBuf, every: Duration) {
    let shown = path.display().to_string();
    let mut last = std::fs::read(&path).ok();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let current = tokio::fs::read(&path).await.ok();
        if current == last {
            continue;
        }
        last = current;
        match Config::load(&path) {
            Ok(config) => {
                tracing::info!(path = %shown, checks = config.check.len(), "config reloaded");
                engine.apply_config(config).await;
                engine.set_config_state(Some(shown.clone()), None);
            }
            Err(e) => {
                // Keep running on the last good config, and say why the new one was refused.
                tracing::error!(path = %shown, "config change refused, keeping the previous config:\n{e}");
                engine.set_config_state(Some(shown.clone()), Some(e.to_string()));
            }
        }
    }
}
