//! Flap damping: the confirmed status of a check moves only after enough consecutive results
//! agree, and every move is a [`Transition`] with its reason.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::status::Status;

/// Damping state of one result series (a check, or one thing a check watches).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Damper {
    /// `None` until the first result.
    pub confirmed: Option<Status>,
    /// Consecutive results that disagree with `confirmed` in the same direction.
    pub streak: u32,
}

/// A change of confirmed status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Transition {
    pub id: String,
    pub from: Option<Status>,
    pub to: Status,
    pub reason: String,
    /// RFC 3339, UTC.
    pub at: String,
}

#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub failures_to_down: u32,
    pub successes_to_up: u32,
}

impl Damper {
    pub fn restored(confirmed: Status) -> Self {
        Damper {
            confirmed: Some(confirmed),
            streak: 0,
        }
    }

    /// Feed one observed status; returns `Some((from, to, reason))` when the confirmed status
    /// changes.
    pub fn observe(
        &mut self,
        observed: Status,
        message: &str,
        t: Thresholds,
    ) -> Option<(Option<Status>, Status, String)> {
        let Some(current) = self.confirmed else {
            self.confirmed = Some(observed);
            self.streak = 0;
            return Some((None, observed, format!("first result: {message}")));
        };
        if observed == current {
            self.streak = 0;
            return None;
        }
        // Unknown means we could not evaluate (missing credential, bad config): there is
        // nothing to damp, and hiding it behind three runs only delays the fix.
        let (needed, what) = if observed == Status::Unknown {
            (1, "could not be evaluated")
        } else if observed > current {
            (t.failures_to_down.max(1), "consecutive failures")
        } else {
            (t.successes_to_up.max(1), "consecutive successes")
        };
        self.streak += 1;
        if self.streak < needed {
            return None;
        }
        let reason = if needed == 1 {
            message.to_string()
        } else {
            format!("{} {what}: {message}", self.streak)
        };
        self.confirmed = Some(observed);
        self.streak = 0;
        Some((Some(current), observed, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        failures_to_down: 3,
        successes_to_up: 2,
    };

    #[test]
    fn first_result_is_confirmed_at_once() {
        let mut d = Damper::default();
        let t = d.observe(Status::Up, "Healthy", T).expect("transition");
        assert_eq!((t.0, t.1), (None, Status::Up));
    }

    #[test]
    fn three_failures_to_go_down_two_successes_to_come_back() {
        let mut d = Damper::restored(Status::Up);
        assert!(d.observe(Status::Down, "refused", T).is_none());
        assert!(d.observe(Status::Down, "refused", T).is_none());
        let (from, to, reason) = d.observe(Status::Down, "refused", T).expect("down");
        assert_eq!((from, to), (Some(Status::Up), Status::Down));
        assert_eq!(reason, "3 consecutive failures: refused");
        assert!(d.observe(Status::Up, "Healthy", T).is_none());
        let (_, to, _) = d.observe(Status::Up, "Healthy", T).expect("up");
        assert_eq!(to, Status::Up);
    }

    #[test]
    fn a_flapping_service_does_not_flip() {
        let mut d = Damper::restored(Status::Up);
        for i in 0..20 {
            let s = if i % 2 == 0 { Status::Down } else { Status::Up };
            assert!(d.observe(s, "flap", T).is_none(), "flipped at {i}");
        }
    }

    #[test]
    fn unknown_is_not_damped() {
        let mut d = Damper::restored(Status::Up);
        let (_, to, _) = d
            .observe(Status::Unknown, "credential missing", T)
            .expect("now");
        assert_eq!(to, Status::Unknown);
    }
}
