//! Heartbeat files on the real file system: fresh, stale, missing, unreadable, garbage, from
//! the future, and a file whose read hangs.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use opsdeck_core::config::{Check, Config, Settings};
use opsdeck_core::probe::Runner;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::status::{CheckResult, Status};

fn check(path: &std::path::Path, extra: &str) -> Check {
    let text = format!(
        "[[check]]\nid = \"beat\"\ntype = \"heartbeat-file\"\npath = '{}'\nmax_age = \"15m\"\ntimeout = \"2s\"\n{extra}\n",
        path.display()
    );
    Config::parse(&text, "test.toml").unwrap().check.remove(0)
}

async fn run(check: &Check) -> CheckResult {
    let runner = Runner::new(&Settings::default(), Arc::new(ExplicitSecrets::default()));
    let mut results = runner.run(check).await;
    assert_eq!(results.len(), 1);
    results.remove(0)
}

fn touch(path: &std::path::Path, ago: Duration) {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.set_modified(SystemTime::now() - ago).unwrap();
}

#[tokio::test]
async fn modification_times_fresh_and_stale() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("heartbeat.txt");
    touch(&path, Duration::from_secs(120));
    let r = run(&check(&path, "")).await;
    assert_eq!(r.status, Status::Up, "{r:#?}");
    assert!(r.message.starts_with("last beat 2m"), "{}", r.message);
    touch(&path, Duration::from_secs(20 * 60));
    let r = run(&check(&path, "")).await;
    assert_eq!(r.status, Status::Down);
    assert_eq!(r.details["state"], "stale");
}

#[tokio::test]
async fn missing_unreadable_garbage_and_future_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run(&check(&dir.path().join("nope.txt"), "")).await;
    assert_eq!(
        (missing.status, &missing.details["state"]),
        (Status::Down, &"missing".into())
    );

    // A folder where the file should be cannot be read as one.
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    let r = run(&check(&folder, "")).await;
    assert_eq!(
        (r.status, &r.details["state"]),
        (Status::Unknown, &"unreadable".into())
    );
    assert!(r.message.contains("it is a folder"), "{}", r.message);

    let garbage = dir.path().join("garbage.txt");
    std::fs::write(&garbage, [0xff, 0xfe, 0x00, 0x41, 0x42]).unwrap();
    let r = run(&check(&garbage, "timestamp = \"iso8601\"")).await;
    assert_eq!(
        (r.status, &r.details["state"]),
        (Status::Unknown, &"unparsable".into())
    );

    let ahead = dir.path().join("ahead.txt");
    let future = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(45);
    std::fs::write(&ahead, future.to_string()).unwrap();
    let r = run(&check(&ahead, "timestamp = \"iso8601\"")).await;
    assert_eq!(
        (r.status, &r.details["state"]),
        (Status::Degraded, &"future".into())
    );

    let unix = dir.path().join("unix.txt");
    std::fs::write(
        &unix,
        format!("{}\n", jiff::Timestamp::now().as_second() - 60),
    )
    .unwrap();
    let r = run(&check(&unix, "timestamp = \"unix\"")).await;
    assert_eq!(r.status, Status::Up, "{r:#?}");
}

/// A read that never returns (here a FIFO nobody writes to; on Windows, a file server that
/// stopped answering) costs the check its timeout and says so.
#[cfg(unix)]
#[tokio::test]
async fn a_hanging_read_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let started = std::time::Instant::now();
    let r = run(&check(&fifo, "timestamp = \"iso8601\"")).await;
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(
        (r.status, &r.details["state"]),
        (Status::Unknown, &"unreadable".into())
    );
    assert!(
        r.message.contains("took longer than the 2s timeout"),
        "{}",
        r.message
    );
    // The read is still blocked in the OS: the next run does not start another one.
    let started = std::time::Instant::now();
    let r = run(&check(&fifo, "timestamp = \"iso8601\"")).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(r.status, Status::Unknown);
    assert!(
        r.message
            .contains("an earlier read of it has not returned yet"),
        "{}",
        r.message
    );
    // Once it returns, the file is read again.
    std::fs::write(&fifo, "2026-01-01T00:00:00Z").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = run(&check(&fifo, "timestamp = \"iso8601\"")).await;
    assert!(
        r.message.contains("took longer than the 2s timeout"),
        "{}",
        r.message
    );
    // Unblock the reader thread so the test process can end.
    let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
}

/// A file caught between its writer emptying it and writing the new time is read again.
#[tokio::test]
async fn a_file_caught_mid_rewrite_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("heartbeat.txt");
    std::fs::write(&path, "").unwrap();
    let writer = {
        let path = path.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            std::fs::write(&path, jiff::Timestamp::now().to_string()).unwrap();
        })
    };
    let r = run(&check(&path, "timestamp = \"iso8601\"")).await;
    writer.join().unwrap();
    assert_eq!(r.status, Status::Up, "{r:#?}");
}
