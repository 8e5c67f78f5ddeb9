//! What a notification says: the same facts for every channel, rendered by each in its own
//! form (a mail, an Adaptive Card, Slack blocks, JSON).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::Severity;
use crate::status::Status;

/// Why a notification is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "NotificationKind")]
pub enum Kind {
    /// Results that failed (or changed how they fail).
    Alert,
    /// Results still failing, unacknowledged, after the reminder interval.
    Reminder,
    /// Results that alerted before and are up again.
    Recovery,
    /// "Send test" on a channel.
    Test,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Alert => "alert",
            Kind::Reminder => "reminder",
            Kind::Recovery => "recovery",
            Kind::Test => "test",
        }
    }
}

/// One result in a notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "AlertItem")]
pub struct Item {
    /// Result id, `CHECK` or `CHECK/THING`.
    pub id: String,
    pub name: String,
    /// Environment id and name.
    pub environment: Option<String>,
    pub environment_name: Option<String>,
    pub severity: Severity,
    pub status: Status,
    pub previous_status: Option<Status>,
    /// The result's own message: why it failed, or that it is fine again.
    pub message: String,
    /// RFC 3339 time the current status began (for a recovery: when the failure began).
    pub since: String,
    /// The result's page in the console, when `alerting.console_url` is set.
    pub url: Option<String>,
}

/// One notification to one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Notification {
    /// Unique, and the same on every retry: receivers that take an idempotency key get it.
    pub id: String,
    pub kind: Kind,
    /// The most severe of its items.
    pub severity: Severity,
    pub title: String,
    /// RFC 3339.
    pub created_at: String,
    pub items: Vec<Item>,
    /// The console's address, when `alerting.console_url` is set.
    pub console_url: Option<String>,
}

/// Names listed in a title before "and N more".
const NAMES_IN_TITLE: usize = 3;

impl Notification {
    /// Build one, with a title that says what happened to how many.
    pub fn new(
        id: String,
        kind: Kind,
        items: Vec<Item>,
        created_at: String,
        console_url: Option<String>,
    ) -> Notification {
        let severity = items.iter().map(|i| i.severity).max().unwrap_or_default();
        let title = title(kind, &items);
        Notification {
            id,
            kind,
            severity,
            title,
            created_at,
            items,
            console_url,
        }
    }

    /// `[CRITICAL] ` for critical alerts, so the loud ones stand out in an inbox or a channel.
    pub fn prefixed_title(&self) -> String {
        if self.severity == Severity::Critical && self.kind != Kind::Recovery {
            format!("[CRITICAL] {}", self.title)
        } else {
            self.title.clone()
        }
    }

    /// The notification as plain text lines, one per result: mail bodies and fallbacks.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            out.push_str(&format!("{}\n", item.line()));
            if let Some(url) = &item.url {
                out.push_str(&format!("  {url}\n"));
            }
        }
        out
    }
}

impl Item {
    /// `DOWN  ERP broker: erp.orders (Live) — stalled: 120 waiting, since 09:12 UTC`.
    pub fn line(&self) -> String {
        let env = self
            .environment_name
            .as_deref()
            .or(self.environment.as_deref())
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        format!(
            "{:<8}{}{env}: {}",
            self.status.as_str().to_uppercase(),
            self.name,
            if self.message.is_empty() {
                "no message".to_string()
            } else {
                self.message.clone()
            }
        )
    }
}

fn title(kind: Kind, items: &[Item]) -> String {
    let names = || {
        let mut names: Vec<&str> = items
            .iter()
            .take(NAMES_IN_TITLE)
            .map(|i| i.name.as_str())
            .collect();
        let more = items.len().saturating_sub(NAMES_IN_TITLE);
        let mut text = names.join(", ");
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        } else if names.len() > 1 {
            let last = names.pop().unwrap_or_default();
            text = format!("{} and {last}", names.join(", "));
        }
        text
    };
    match (kind, items) {
        (Kind::Test, _) => "Test notification from opsdeck".to_string(),
        (_, []) => "opsdeck".to_string(),
        (Kind::Alert, [one]) => format!("{} is {}", one.name, one.status.as_str()),
        (Kind::Alert, many) => format!("{} checks failing: {}", many.len(), names()),
        (Kind::Reminder, [one]) => format!("Still {}: {}", one.status.as_str(), one.name),
        (Kind::Reminder, many) => format!("{} checks still failing: {}", many.len(), names()),
        (Kind::Recovery, [one]) => format!("{} is up again", one.name),
        (Kind::Recovery, many) => format!("{} checks recovered: {}", many.len(), names()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn item(name: &str, status: Status) -> Item {
        Item {
            id: name.to_lowercase().replace(' ', "-"),
            name: name.into(),
            environment: Some("live".into()),
            environment_name: Some("Live".into()),
            severity: Severity::Warning,
            status,
            previous_status: Some(Status::Up),
            message: "HTTP 503".into(),
            since: "2026-12-04T09:12:00Z".into(),
            url: None,
        }
    }

    #[test]
    fn titles_say_what_happened_to_how_many() {
        let n = |kind, items| Notification::new("k".into(), kind, items, String::new(), None).title;
        assert_eq!(
            n(Kind::Alert, vec![item("FSW API", Status::Down)]),
            "FSW API is down"
        );
        assert_eq!(
            n(
                Kind::Alert,
                vec![item("A", Status::Down), item("B", Status::Degraded)]
            ),
            "2 checks failing: A and B"
        );
        let five: Vec<Item> = ["A", "B", "C", "D", "E"]
            .iter()
            .map(|x| item(x, Status::Down))
            .collect();
        assert_eq!(
            n(Kind::Alert, five.clone()),
            "5 checks failing: A, B, C and 2 more"
        );
        assert_eq!(
            n(Kind::Reminder, vec![item("A", Status::Down)]),
            "Still down: A"
        );
        assert_eq!(
            n(Kind::Recovery, five),
            "5 checks recovered: A, B, C and 2 more"
        );
    }

    #[test]
    fn critical_alerts_say_so_first() {
        let mut i = item("ERP", Status::Down);
        i.severity = Severity::Critical;
        let n = Notification::new(
            "k".into(),
            Kind::Alert,
            vec![i.clone()],
            String::new(),
            None,
        );
        assert_eq!(n.prefixed_title(), "[CRITICAL] ERP is down");
        let r = Notification::new("k".into(), Kind::Recovery, vec![i], String::new(), None);
        assert_eq!(r.prefixed_title(), "ERP is up again");
        assert!(
            n.text().starts_with("DOWN    ERP (Live): HTTP 503"),
            "{}",
            n.text()
        );
    }
}
