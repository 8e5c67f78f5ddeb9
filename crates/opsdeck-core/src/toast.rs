//! Desktop notifications ("toasts") for transitions to down and back to up, grouped so that a
//! sweep in which ten checks fail raises one toast, not ten; and the desktop preferences that
//! govern them (mute, start with the OS). The desktop shell only shows what this module composes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::engine::{Engine, Event};
use crate::state::Transition;
use crate::status::Status;
use crate::time_fmt;

/// How transitions are gathered into one toast: a group stays open while transitions keep
/// arriving less than `quiet` apart, and closes at the latest `max` after its first one. Checks
/// run on their own schedules, so the failures of one outage arrive spread over seconds (and
/// timeouts end at different times); a fixed window would cut them into several toasts.
#[derive(Debug, Clone, Copy)]
pub struct Grouping {
    pub quiet: Duration,
    pub max: Duration,
}

/// What the desktop app uses: a toast at most 20 s after the first failure it reports.
pub const GROUPING: Grouping = Grouping {
    quiet: Duration::from_secs(5),
    max: Duration::from_secs(20),
};

/// Names shown in a grouped toast before "and N more".
const NAMES_SHOWN: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub title: String,
    pub body: String,
    /// The check to open when the toast is clicked, for a toast about one check.
    pub check_id: Option<String>,
}

/// What the desktop app remembers about how it should behave.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(default)]
pub struct DesktopPreferences {
    /// Start opsdeck (in the tray) when the user signs in.
    pub start_with_os: bool,
    /// Show a notification when a check goes down or comes back up.
    pub notifications: bool,
    /// Notifications are muted until this time (RFC 3339, UTC).
    pub muted_until: Option<String>,
    /// Serve this console to browsers and phones on the network.
    pub sharing: crate::sharing::NetworkSharing,
}

impl Default for DesktopPreferences {
    fn default() -> Self {
        DesktopPreferences {
            start_with_os: false,
            notifications: true,
            muted_until: None,
            sharing: crate::sharing::NetworkSharing::default(),
        }
    }
}

impl DesktopPreferences {
    pub fn file(data_dir: &Path) -> PathBuf {
        data_dir.join("desktop.json")
    }

    /// The saved preferences; defaults when there are none or they cannot be read (a broken
    /// preferences file must not keep the app from starting; it is logged and rewritten).
    pub fn load(data_dir: &Path) -> Self {
        let path = Self::file(data_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(file = %path.display(), error = %e, "desktop preferences unreadable; using defaults");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::paths::replace_file(&Self::file(data_dir), &text)
    }

    /// Whether a toast may be shown at `now_ms` (Unix ms).
    pub fn allows_toasts(&self, now_ms: i64) -> bool {
        self.notifications && !self.muted_at(now_ms)
    }

    pub fn muted_at(&self, now_ms: i64) -> bool {
        self.muted_until
            .as_deref()
            .and_then(time_fmt::parse_rfc3339_ms)
            .is_some_and(|until| until > now_ms)
    }

    /// Mute for `hours` from `now_ms`; 0 unmutes.
    pub fn mute_for(&mut self, hours: u32, now_ms: i64) {
        self.muted_until =
            (hours > 0).then(|| time_fmt::rfc3339_from_ms(now_ms + i64::from(hours) * 3_600_000));
    }
}

/// Whether a transition is worth a toast: into down, and out of down back to up.
pub fn notable(t: &Transition) -> bool {
    t.to == Status::Down || (t.to == Status::Up && t.from == Some(Status::Down))
}

/// The toasts for one group of transitions: one for the failures, one for the recoveries.
/// `name` gives a check's display name.
pub fn compose(group: &[Transition], name: &dyn Fn(&str) -> String) -> Vec<Toast> {
    let down: Vec<&Transition> = group.iter().filter(|t| t.to == Status::Down).collect();
    let up: Vec<&Transition> = group
        .iter()
        .filter(|t| t.to == Status::Up && t.from == Some(Status::Down))
        // A check that failed and recovered within the window is reported as down only
        // if its last word is down.
        .filter(|t| !down.iter().any(|d| d.id == t.id && d.at > t.at))
        .collect();
    let down: Vec<&Transition> = down
        .into_iter()
        .filter(|d| !up.iter().any(|u| u.id == d.id && u.at > d.at))
        .collect();
    let mut out = Vec::new();
    if let Some(toast) = one_toast(&down, name, "is down", "checks are down") {
        out.push(toast);
    }
    if let Some(toast) = one_toast(&up, name, "is back up", "checks are back up") {
        out.push(toast);
    }
    out
}

fn one_toast(
    list: &[&Transition],
    name: &dyn Fn(&str) -> String,
    one: &str,
    many: &str,
) -> Option<Toast> {
    let mut ids: Vec<&str> = Vec::new();
    for t in list {
        if !ids.contains(&t.id.as_str()) {
            ids.push(&t.id);
        }
    }
    match ids.as_slice() {
        [] => None,
        [id] => {
            let reason = list
                .iter()
                .rev()
                .find(|t| t.id == *id)
                .map(|t| t.reason.clone())
                .unwrap_or_default();
            Some(Toast {
                title: format!("{} {one}", name(id)),
                body: reason,
                check_id: Some((*id).to_string()),
            })
        }
        _ => {
            let mut names: Vec<String> = ids.iter().take(NAMES_SHOWN).map(|id| name(id)).collect();
            if ids.len() > NAMES_SHOWN {
                names.push(format!("and {} more", ids.len() - NAMES_SHOWN));
            }
            Some(Toast {
                title: format!("{} {many}", ids.len()),
                body: names.join(", "),
                check_id: None,
            })
        }
    }
}

/// Follow the engine's transitions and hand grouped toasts to `show` while `allowed()` says
/// so. Ends when the engine's event stream closes.
pub async fn run(
    engine: Arc<Engine>,
    mut events: broadcast::Receiver<Event>,
    grouping: Grouping,
    allowed: impl Fn() -> bool + Send,
    show: impl Fn(Toast) + Send,
) {
    loop {
        let first = match next_transition(&mut events).await {
            Some(t) => t,
            None => return,
        };
        let mut group = vec![first];
        let last_call = tokio::time::Instant::now() + grouping.max;
        // Until a quiet spell, the cap, or the end of the stream (the group is still shown).
        loop {
            let deadline = (tokio::time::Instant::now() + grouping.quiet).min(last_call);
            match tokio::time::timeout_at(deadline, next_transition(&mut events)).await {
                Ok(Some(t)) => group.push(t),
                Ok(None) | Err(_) => break,
            }
        }
        if !allowed() {
            continue;
        }
        let name = |id: &str| {
            engine
                .view(id)
                .map(|v| v.name)
                .unwrap_or_else(|| id.to_string())
        };
        for toast in compose(&group, &name) {
            show(toast);
        }
    }
}

/// The next notable transition; `None` when the stream has closed.
async fn next_transition(events: &mut broadcast::Receiver<Event>) -> Option<Transition> {
    loop {
        match events.recv().await {
            Ok(Event::Transition { transition }) if notable(&transition) => {
                return Some(transition);
            }
            Ok(_) => {}
            // Missed events cannot be toasted late; carry on with the next.
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

#[cfg(test)]
mod tests;
