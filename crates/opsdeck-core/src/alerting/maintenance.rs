//! When maintenance windows are open. A window starts at the same wall-clock time in its time
//! zone every time it repeats (22:00 stays 22:00 across daylight-saving changes) and lasts its
//! `duration` of elapsed time. On the night the clocks go forward, a start inside the skipped
//! hour begins when the clocks jump (01:30 in London becomes 02:30 BST, the same instant as
//! 01:30 would have been); on the night they go back, a start in the repeated hour is the first
//! of the two.

use std::time::Duration;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::config::{civil_start, weekday, zone, Maintenance, Repeat};

/// One occurrence of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A maintenance definition made ready to answer "is it open now?".
#[derive(Debug, Clone)]
pub struct Schedule {
    first: DateTime,
    zone: TimeZone,
    duration: SignedDuration,
    repeat: Repeat,
    days: Vec<Weekday>,
    until: Option<Date>,
}

impl Schedule {
    /// `None` for a definition the config validation refuses.
    pub fn of(m: &Maintenance) -> Option<Schedule> {
        let first = civil_start(&m.start).ok()?;
        let zone = zone(m.time_zone.as_deref()).ok()?;
        let mut days: Vec<Weekday> = m.days.iter().filter_map(|d| weekday(d)).collect();
        if m.repeat == Repeat::Weekly && days.is_empty() {
            days.push(first.date().weekday());
        }
        Some(Schedule {
            first,
            zone,
            duration: SignedDuration::try_from(m.duration).ok()?,
            repeat: m.repeat,
            days,
            until: m.until.as_deref().and_then(|u| u.parse().ok()),
        })
    }

    /// Whether a window starts on this local date.
    fn starts_on(&self, date: Date) -> bool {
        if date < self.first.date() || self.until.is_some_and(|u| date > u) {
            return false;
        }
        match self.repeat {
            Repeat::Never => date == self.first.date(),
            Repeat::Daily => true,
            Repeat::Weekly => self.days.contains(&date.weekday()),
            Repeat::Monthly => date.day() == self.first.date().day(),
        }
    }

    /// The window that starts on `date`, if one does.
    fn on(&self, date: Date) -> Option<Window> {
        if !self.starts_on(date) {
            return None;
        }
        let local = date.to_datetime(self.first.time());
        let start = self
            .zone
            .to_ambiguous_zoned(local)
            .compatible()
            .ok()?
            .timestamp();
        Some(Window {
            start,
            end: start.checked_add(self.duration).ok()?,
        })
    }

    fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned(self.zone.clone()).date()
    }

    /// The window open at `now`, if any.
    pub fn open_at(&self, now: Timestamp) -> Option<Window> {
        // Windows that started up to `duration` (and a day for the zone's offsets) ago.
        let back = (self.duration.as_secs() / 86_400) + 2;
        let mut date = self.local_date(now);
        for _ in 0..=back {
            if let Some(w) = self.on(date) {
                if w.start <= now && now < w.end {
                    return Some(w);
                }
            }
            date = date.yesterday().ok()?;
        }
        None
    }

    /// The first window that starts after `now`, within about a year.
    pub fn next_after(&self, now: Timestamp) -> Option<Window> {
        let mut date = self.local_date(now).yesterday().ok()?;
        for _ in 0..400 {
            if let Some(w) = self.on(date) {
                if w.start > now {
                    return Some(w);
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

/// How long a window lasts, for display.
pub fn length(w: &Window) -> Duration {
    Duration::from_secs(w.end.as_second().saturating_sub(w.start.as_second()).max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(text: &str) -> Schedule {
        let config = crate::config::Config::parse(text, "t.toml").expect("valid");
        Schedule::of(&config.maintenance[0]).expect("a schedule")
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    const LONDON_NIGHTLY: &str =
        "[[maintenance]]\nid = \"nightly\"\nstart = \"2026-03-01T00:30\"\n\
        duration = \"2h\"\ntime_zone = \"Europe/London\"\nrepeat = \"daily\"\n";

    #[test]
    fn a_daily_window_keeps_its_wall_clock_time_across_spring_forward() {
        let s = schedule(LONDON_NIGHTLY);
        // Before the change (GMT, UTC+0): 00:30–02:30 UTC.
        let w = s.open_at(at("2026-03-28T01:00:00Z")).expect("open");
        assert_eq!(
            (w.start, w.end),
            (at("2026-03-28T00:30:00Z"), at("2026-03-28T02:30:00Z"))
        );
        // The night of 29 March: 00:30 GMT is still before the jump at 01:00 GMT, and the
        // window lasts two hours of elapsed time, to 03:30 BST.
        let w = s.open_at(at("2026-03-29T02:00:00Z")).expect("open");
        assert_eq!(
            (w.start, w.end),
            (at("2026-03-29T00:30:00Z"), at("2026-03-29T02:30:00Z"))
        );
        // After the change (BST, UTC+1): 00:30 local is 23:30 UTC the day before.
        let w = s.open_at(at("2026-03-30T00:00:00Z")).expect("open");
        assert_eq!(
            (w.start, w.end),
            (at("2026-03-29T23:30:00Z"), at("2026-03-30T01:30:00Z"))
        );
        assert_eq!(
            s.open_at(at("2026-03-30T01:30:00Z")),
            None,
            "the end is not inside"
        );
        assert_eq!(s.open_at(at("2026-03-29T23:29:59Z")), None);
    }

    #[test]
    fn a_start_inside_the_skipped_hour_begins_when_the_clocks_jump() {
        // 01:30 does not exist in London on 29 March 2026 (01:00 GMT becomes 02:00 BST).
        let s = schedule(
            "[[maintenance]]\nid = \"patch\"\nstart = \"2026-03-28T01:30\"\nduration = \"1h\"\n\
             time_zone = \"Europe/London\"\nrepeat = \"daily\"\n",
        );
        let w = s.next_after(at("2026-03-28T12:00:00Z")).expect("next");
        // 02:30 BST, the same instant 01:30 GMT would have been.
        assert_eq!(
            (w.start, w.end),
            (at("2026-03-29T01:30:00Z"), at("2026-03-29T02:30:00Z"))
        );
    }

    #[test]
    fn a_start_inside_the_repeated_hour_is_the_first_of_the_two() {
        // 01:30 happens twice in London on 25 October 2026: at 00:30 UTC (BST) and 01:30 UTC.
        let s = schedule(
            "[[maintenance]]\nid = \"patch\"\nstart = \"2026-10-25T01:30\"\nduration = \"90m\"\n\
             time_zone = \"Europe/London\"\n",
        );
        let w = s.open_at(at("2026-10-25T01:45:00Z")).expect("open");
        assert_eq!(
            (w.start, w.end),
            (at("2026-10-25T00:30:00Z"), at("2026-10-25T02:00:00Z"))
        );
        assert_eq!(s.open_at(at("2026-10-25T00:29:00Z")), None);
        assert_eq!(s.open_at(at("2026-10-25T02:00:00Z")), None);
        assert_eq!(
            s.next_after(at("2026-10-25T03:00:00Z")),
            None,
            "a one-off is over"
        );
    }

    #[test]
    fn a_daily_window_across_fall_back() {
        let s = schedule(LONDON_NIGHTLY);
        // 24 October (BST): 23:30 UTC the day before.
        let w = s.open_at(at("2026-10-24T00:00:00Z")).expect("open");
        assert_eq!(w.start, at("2026-10-23T23:30:00Z"));
        // 25 October: 00:30 is still BST (the clocks go back at 02:00 BST), two hours elapsed.
        let w = s.open_at(at("2026-10-25T01:00:00Z")).expect("open");
        assert_eq!(
            (w.start, w.end),
            (at("2026-10-24T23:30:00Z"), at("2026-10-25T01:30:00Z"))
        );
        // 26 October (GMT): 00:30 UTC.
        let w = s.open_at(at("2026-10-26T00:45:00Z")).expect("open");
        assert_eq!(w.start, at("2026-10-26T00:30:00Z"));
    }

    #[test]
    fn weekly_and_monthly_windows_and_an_end_date() {
        let s = schedule(
            "[[maintenance]]\nid = \"weekend\"\nstart = \"2026-12-05T22:00\"\nduration = \"4h\"\n\
             time_zone = \"UTC\"\nrepeat = \"weekly\"\ndays = [\"sat\", \"sun\"]\nuntil = \"2026-12-13\"\n",
        );
        assert!(s.open_at(at("2026-12-05T23:00:00Z")).is_some(), "Saturday");
        assert!(
            s.open_at(at("2026-12-07T01:00:00Z")).is_some(),
            "Sunday's runs into Monday"
        );
        assert!(
            s.open_at(at("2026-12-08T23:00:00Z")).is_none(),
            "not on Tuesday"
        );
        assert!(
            s.open_at(at("2026-12-13T23:00:00Z")).is_some(),
            "the last Sunday"
        );
        assert!(
            s.open_at(at("2026-12-19T23:00:00Z")).is_none(),
            "after `until`"
        );
        let m = schedule(
            "[[maintenance]]\nid = \"month-end\"\nstart = \"2026-01-31T20:00\"\nduration = \"1h\"\n\
             time_zone = \"UTC\"\nrepeat = \"monthly\"\n",
        );
        let next = m.next_after(at("2026-02-01T00:00:00Z")).expect("next");
        assert_eq!(
            next.start,
            at("2026-03-31T20:00:00Z"),
            "February has no 31st"
        );
    }
}
