//! A generic JSON webhook: the notification itself, as documented in the alerting guide, with
//! its id in an `Idempotency-Key` header so a receiver can drop a repeat.

use super::super::notification::Notification;
use super::{post_json, Couriers, DeliveryError};
use crate::config::{Channel, HeaderValue, WebhookChannel};

pub async fn send(
    couriers: &Couriers,
    channel: &Channel,
    w: &WebhookChannel,
    n: &Notification,
) -> Result<(), DeliveryError> {
    let url = match (&w.url, &w.url_secret) {
        (_, Some(r)) => couriers.secret(r, channel).await?,
        (Some(u), None) => u.clone(),
        (None, None) => {
            return Err(DeliveryError::new(format!(
                "channel `{}` has no URL",
                channel.id()
            )))
        }
    };
    let mut headers = vec![("Idempotency-Key".to_string(), n.id.clone())];
    for (name, value) in &w.headers {
        let value = match value {
            HeaderValue::Literal(v) => v.clone(),
            HeaderValue::Secret(r) => couriers.secret(r, channel).await?,
        };
        headers.push((name.clone(), value));
    }
    let body = serde_json::to_value(n).map_err(|e| DeliveryError::new(e.to_string()))?;
    // Header values from the keychain never reach an error message: `post_json` quotes only
    // the host and the answer.
    post_json(couriers, channel, &url, &body, &headers).await
}
