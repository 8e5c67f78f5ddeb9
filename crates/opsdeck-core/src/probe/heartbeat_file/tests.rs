use super::*;
use crate::config::{CheckSpec, Config};

fn spec(extra: &str) -> HeartbeatFileSpec {
    let text = format!(
        "[[check]]\nid = \"beat\"\ntype = \"heartbeat-file\"\npath = 'beat.txt'\nmax_age = \"15m\"\n{extra}\n"
    );
    let config = Config::parse(&text, "test.toml").unwrap();
    match &config.check[0].spec {
        CheckSpec::HeartbeatFile(f) => f.clone(),
        other => panic!("{other:?}"),
    }
}

fn now() -> jiff::Timestamp {
    "2026-12-04T12:00:00Z".parse().unwrap()
}

fn content(text: &str) -> Reading {
    Reading::Found {
        modified: None,
        content: Some(text.into()),
    }
}

fn modified(ago_s: u64) -> Reading {
    let t = SystemTime::from(now()) - Duration::from_secs(ago_s);
    Reading::Found {
        modified: Some(t),
        content: None,
    }
}

#[test]
fn a_recent_modification_is_fresh_and_an_old_one_stale() {
    let s = spec("");
    let o = evaluate(&s, modified(240), now());
    assert_eq!(o.status, Status::Up, "{o:?}");
    assert_eq!(o.message, "last beat 4m ago");
    assert_eq!(o.details["state"], "fresh");
    assert_eq!(o.details["age_s"], 240);
    assert_eq!(o.details["last_beat"], "2026-12-04T11:56:00Z");

    let o = evaluate(&s, modified(16 * 60 + 5), now());
    assert_eq!(o.status, Status::Down);
    assert_eq!(o.details["state"], "stale");
    assert_eq!(o.message, "last beat 16m 5s ago, more than the 15m allowed");
}

#[test]
fn warn_age_makes_a_late_beat_degraded() {
    let s = spec("warn_age = \"10m\"");
    let o = evaluate(&s, modified(11 * 60), now());
    assert_eq!(o.status, Status::Degraded);
    assert_eq!(o.details["state"], "late");
}

#[test]
fn missing_unreadable_and_garbage_are_distinct() {
    let s = spec("timestamp = \"iso8601\"");
    let missing = evaluate(&s, Reading::Missing, now());
    assert_eq!(missing.status, Status::Down);
    assert_eq!(missing.details["state"], "missing");
    assert!(
        missing.message.contains("does not exist"),
        "{}",
        missing.message
    );

    let unreadable = evaluate(&s, Reading::Unreadable("permission denied".into()), now());
    assert_eq!(unreadable.status, Status::Unknown);
    assert_eq!(unreadable.details["state"], "unreadable");
    assert!(unreadable
        .message
        .contains("cannot be read: permission denied"));

    let garbage = evaluate(&s, content("\u{1}\u{2}not a time"), now());
    assert_eq!(garbage.status, Status::Unknown);
    assert_eq!(garbage.details["state"], "unparsable");
    assert!(
        garbage.message.contains("is not an ISO 8601 time"),
        "{}",
        garbage.message
    );

    let empty = evaluate(&s, content("  \n"), now());
    assert_eq!(empty.details["state"], "unparsable");
    assert!(empty.message.contains("the file is empty"));
}

#[test]
fn times_written_inside_in_every_supported_form() {
    let iso = spec("timestamp = \"iso8601\"");
    let o = evaluate(
        &iso,
        content("\u{feff}2026-12-04T11:55:00+00:00\r\n"),
        now(),
    );
    assert_eq!(o.details["age_s"], 300, "{o:?}");
    let o = evaluate(&iso, content("2026-12-04T12:50:00+01:00"), now());
    assert_eq!(o.details["age_s"], 600, "offsets count: {o:?}");
    // Without an offset, the configured zone: London is UTC in December.
    let london = spec("timestamp = \"iso8601\"\ntime_zone = \"Europe/London\"");
    let o = evaluate(&london, content("2026-12-04T11:58:00"), now());
    assert_eq!(o.details["age_s"], 120, "{o:?}");

    let unix = spec("timestamp = \"unix\"");
    let secs = now().as_second() - 90;
    assert_eq!(
        evaluate(&unix, content(&secs.to_string()), now()).details["age_s"],
        90
    );
    let ms = (now().as_millisecond() - 30_000).to_string();
    assert_eq!(evaluate(&unix, content(&ms), now()).details["age_s"], 30);
    assert_eq!(
        evaluate(&unix, content("yesterday"), now()).details["state"],
        "unparsable"
    );

    let custom = spec(
        "timestamp = \"format\"\nformat = \"%d/%m/%Y %H:%M:%S\"\ntime_zone = \"Europe/Berlin\"",
    );
    let o = evaluate(&custom, content("04/12/2026 12:59:00"), now());
    assert_eq!(o.details["age_s"], 60, "Berlin is UTC+1 in December: {o:?}");
    let o = evaluate(&custom, content("2026-12-04 12:59"), now());
    assert_eq!(o.details["state"], "unparsable");
    assert!(
        o.message.contains("does not match the format"),
        "{}",
        o.message
    );
}

#[test]
fn a_beat_from_the_future_is_a_clock_problem_beyond_the_tolerance() {
    let s = spec("timestamp = \"iso8601\"");
    let o = evaluate(&s, content("2026-12-04T12:01:00Z"), now());
    assert_eq!(
        o.status,
        Status::Up,
        "within two minutes counts as now: {o:?}"
    );
    assert_eq!(o.details["age_s"], 0);
    let o = evaluate(&s, content("2026-12-04T12:30:00Z"), now());
    assert_eq!(o.status, Status::Degraded);
    assert_eq!(o.details["state"], "future");
    assert!(o.message.contains("30m in the future"), "{}", o.message);
}

#[test]
fn config_problems_are_named() {
    let bad = |extra: &str| {
        let text = format!(
            "[[check]]\nid = \"beat\"\ntype = \"heartbeat-file\"\npath = 'x'\nmax_age = \"15m\"\n{extra}\n"
        );
        Config::parse(&text, "t.toml").unwrap_err().to_string()
    };
    assert!(bad("timestamp = \"format\"").contains("needs `format`"));
    assert!(bad("format = \"%Y\"").contains("only with `timestamp = \"format\"`"));
    assert!(bad("time_zone = \"Mars/Base\"").contains("not a known IANA time zone"));
    assert!(bad("warn_age = \"20m\"").contains("shorter than `max_age`"));
    assert!(bad("timestamp = \"mtimes\"").contains("mtime"));
}

#[test]
fn ages_read_at_a_glance() {
    assert_eq!(ago(Duration::from_secs(42)), "42s");
    assert_eq!(ago(Duration::from_secs(3 * 60)), "3m");
    assert_eq!(ago(Duration::from_secs(2 * 3600 + 5 * 60 + 7)), "2h 5m");
    assert_eq!(ago(Duration::from_secs(3 * 86_400 + 4 * 3600)), "3d 4h");
}
