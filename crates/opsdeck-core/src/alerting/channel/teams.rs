//! Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received"):
//! a message with one Adaptive Card attachment. The older Office 365 connectors and their
//! MessageCard format are retired.

use serde_json::{json, Value};

use super::super::notification::{Kind, Notification};
use crate::config::Severity;
use crate::status::Status;

/// The request body.
pub fn card(n: &Notification) -> Value {
    let colour = match (n.kind, n.severity) {
        (Kind::Recovery, _) => "Good",
        (Kind::Test, _) => "Accent",
        (_, Severity::Critical) => "Attention",
        _ => "Warning",
    };
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": n.prefixed_title(),
        "weight": "Bolder",
        "size": "Medium",
        "color": colour,
        "wrap": true,
    })];
    if n.kind == Kind::Test {
        body.push(json!({
            "type": "TextBlock",
            "text": "This channel works: opsdeck can post alerts here.",
            "wrap": true,
        }));
    }
    for item in &n.items {
        let state = match item.status {
            Status::Up => "Good",
            Status::Degraded => "Warning",
            Status::Down | Status::Unknown => "Attention",
        };
        let mut facts = vec![json!({ "title": "Status", "value": item.status.as_str() })];
        if let Some(env) = item
            .environment_name
            .as_deref()
            .or(item.environment.as_deref())
        {
            facts.push(json!({ "title": "Environment", "value": env }));
        }
        facts.push(json!({ "title": "Since", "value": item.since }));
        body.push(json!({
            "type": "Container",
            "separator": true,
            "items": [
                { "type": "TextBlock", "text": item.name, "weight": "Bolder", "color": state, "wrap": true },
                { "type": "TextBlock", "text": item.message, "wrap": true, "isSubtle": true },
                { "type": "FactSet", "facts": facts },
            ],
            "selectAction": item.url.as_ref().map(|u| json!({ "type": "Action.OpenUrl", "url": u })),
        }));
    }
    let mut content = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let Some(url) = &n.console_url {
        content["actions"] =
            json!([{ "type": "Action.OpenUrl", "title": "Open opsdeck", "url": url }]);
    }
    // `selectAction: null` is not valid in a card: drop it where there is no link.
    if let Some(items) = content["body"].as_array_mut() {
        for c in items {
            if c.get("selectAction").is_some_and(Value::is_null) {
                if let Some(o) = c.as_object_mut() {
                    o.remove("selectAction");
                }
            }
        }
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": content,
        }],
    })
}
