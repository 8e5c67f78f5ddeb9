//! A Slack incoming webhook: `text` for notifications and clients without blocks, and blocks
//! for the channel.

use serde_json::{json, Value};

use super::super::notification::{Kind, Notification};
use crate::status::Status;

/// Slack allows at most 50 blocks in a message.
const MAX_ITEMS: usize = 45;

/// The request body.
pub fn message(n: &Notification) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": truncate(&n.prefixed_title(), 150) },
    })];
    if n.kind == Kind::Test {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": "This channel works: opsdeck can post alerts here." },
        }));
    }
    for item in n.items.iter().take(MAX_ITEMS) {
        let mark = match item.status {
            Status::Up => ":large_green_circle:",
            Status::Degraded => ":large_yellow_circle:",
            Status::Down => ":red_circle:",
            Status::Unknown => ":white_circle:",
        };
        let name = match &item.url {
            Some(u) => format!("<{u}|{}>", escape(&item.name)),
            None => format!("*{}*", escape(&item.name)),
        };
        let env = item
            .environment_name
            .as_deref()
            .or(item.environment.as_deref())
            .map(|e| format!(" ({})", escape(e)))
            .unwrap_or_default();
        blocks.push(json!({
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate(&format!("{mark} {name}{env} is *{}*\n{}", item.status.as_str(), escape(&item.message)), 3000),
            },
        }));
    }
    if n.items.len() > MAX_ITEMS {
        blocks.push(json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": format!("and {} more", n.items.len() - MAX_ITEMS) }],
        }));
    }
    if let Some(url) = &n.console_url {
        blocks.push(json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": format!("<{url}|Open opsdeck>") }],
        }));
    }
    json!({ "text": format!("{}\n{}", n.prefixed_title(), n.text()), "blocks": blocks })
}

/// Slack's three control characters in message text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).collect::<String>() + "…"
    }
}
