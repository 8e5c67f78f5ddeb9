//! Alerting through the command surface: open alerts and deliveries, the timeline,
//! acknowledging, snoozing, notes, and testing a channel.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Api, ApiError};
use crate::access::Caller;
use crate::alerting::{self, timeline, AlertError, AlertsState};

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        let code = match &e {
            AlertError::Store(_) => "internal",
            AlertError::NoIncident(_) => "conflict",
            AlertError::NoChannel(_) | AlertError::NoSeries(_) => "not_found",
            AlertError::Delivery(_) => "unavailable",
            AlertError::Invalid(_) => "invalid_request",
        };
        ApiError::new(code, e.to_string())
    }
}

/// A notification channel as the console lists it (never a credential).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ChannelView {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub enabled: bool,
    /// Keychain entries it reads.
    pub credentials: Vec<String>,
    /// Where it sends, as far as that is not secret: mail recipients, a webhook's host.
    pub target: Option<String>,
}

/// A page of the timeline, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Timeline {
    pub entries: Vec<timeline::Entry>,
    /// Pass as `before` for the next (older) page; none when this was the last.
    pub before: Option<String>,
}

impl Api {
    pub(super) async fn alerts(&self) -> Result<AlertsState, ApiError> {
        Ok(alerting::state(&self.engine).await?)
    }

    pub(super) async fn timeline(
        &self,
        id: Option<&str>,
        before: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Timeline, ApiError> {
        let limit = limit.unwrap_or(100).clamp(1, 1000);
        let before_ms = match before {
            Some(b) => Some(crate::time_fmt::parse_rfc3339_ms(b).ok_or_else(|| {
                ApiError::invalid(format!("`before` must be an RFC 3339 time, not `{b}`"))
            })?),
            None => None,
        };
        let mut entries = timeline::read(self.engine.store().pool(), id, before_ms, limit)
            .await
            .map_err(AlertError::from)?;
        let before = if entries.len() == limit as usize {
            next_page(&mut entries)
        } else {
            None
        };
        Ok(Timeline { entries, before })
    }

    /// A result or check id the engine knows (or knew: a check in the config).
    fn known_series(&self, id: &str) -> Result<(), ApiError> {
        let config = self.engine.config();
        if self.engine.view(id).is_some() || config.check.iter().any(|c| c.id() == id) {
            Ok(())
        } else {
            Err(AlertError::NoSeries(id.to_string()).into())
        }
    }

    pub(super) async fn acknowledge(
        &self,
        caller: &Caller,
        id: &str,
        note: Option<&str>,
    ) -> Result<(), ApiError> {
        self.known_series(id)?;
        Ok(alerting::acknowledge(self.engine.store().pool(), id, &caller.name, note).await?)
    }

    pub(super) async fn snooze(
        &self,
        caller: &Caller,
        id: &str,
        minutes: Option<u32>,
        note: Option<&str>,
    ) -> Result<(), ApiError> {
        self.known_series(id)?;
        let length = minutes.map(|m| Duration::from_secs(u64::from(m) * 60));
        Ok(alerting::snooze(self.engine.store().pool(), id, length, &caller.name, note).await?)
    }

    pub(super) async fn add_note(
        &self,
        caller: &Caller,
        id: &str,
        text: &str,
    ) -> Result<(), ApiError> {
        self.known_series(id)?;
        Ok(alerting::note(self.engine.store().pool(), id, &caller.name, text).await?)
    }

    pub(super) fn channels(&self) -> Vec<ChannelView> {
        use crate::config::ChannelSpec;
        self.engine
            .config()
            .channel
            .iter()
            .map(|c| ChannelView {
                id: c.id().to_string(),
                name: c.display_name().to_string(),
                kind: c.spec.type_name().to_string(),
                enabled: c.common.enabled,
                credentials: c.secret_refs().iter().map(|r| r.secret.clone()).collect(),
                target: match &c.spec {
                    ChannelSpec::Email(e) => Some(e.to.join(", ")),
                    ChannelSpec::Webhook(w) => w
                        .url
                        .as_deref()
                        .and_then(|u| reqwest::Url::parse(u).ok())
                        .map(|u| crate::probe::http::authority(&u)),
                    _ => None,
                },
            })
            .collect()
    }

    pub(super) async fn test_channel(&self, caller: &Caller, id: &str) -> Result<(), ApiError> {
        let config = self.engine.config();
        Ok(alerting::test_channel(
            self.engine.store().pool(),
            &config,
            &self.engine.couriers(),
            id,
            &caller.name,
        )
        .await?)
    }
}

/// Where the next (older) page starts. Entries of one millisecond may straddle the end of a
/// full page: they move to the next page whole (its `before` is just after them), so paging
/// neither skips nor repeats any.
fn next_page(entries: &mut Vec<timeline::Entry>) -> Option<String> {
    let last = entries.last()?.at.clone();
    let at = crate::time_fmt::parse_rfc3339_ms(&last)?;
    let keep = entries
        .iter()
        .rposition(|e| e.at != last)
        .map_or(0, |i| i + 1);
    if keep == 0 {
        // The whole page is one millisecond: older entries come next.
        return Some(last);
    }
    entries.truncate(keep);
    Some(crate::time_fmt::rfc3339_ms_from_ms(at + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerting::timeline::{Entry, EntryKind};

    fn entry(at: &str, message: &str) -> Entry {
        Entry {
            at: at.into(),
            series: None,
            kind: EntryKind::Note,
            message: message.into(),
            actor: None,
            status: None,
            details: serde_json::json!({}),
        }
    }

    #[test]
    fn a_page_never_ends_inside_one_millisecond() {
        let mut page = vec![
            entry("2026-12-04T09:00:03.000Z", "a"),
            entry("2026-12-04T09:00:02.500Z", "b"),
            entry("2026-12-04T09:00:02.500Z", "c"),
        ];
        let before = next_page(&mut page);
        assert_eq!(page.len(), 1, "b and c go to the next page together");
        assert_eq!(before.as_deref(), Some("2026-12-04T09:00:02.501Z"));
    }
}
