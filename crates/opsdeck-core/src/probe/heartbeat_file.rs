//! `type = "heartbeat-file"`: how long ago a service last wrote its heartbeat file.
//!
//! The file is read off the async workers and under the check's timeout: a UNC path on a file
//! server that stopped answering blocks in the OS for a long time, and must cost only this
//! check its timeout.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::config::{BeatSource, HeartbeatFileSpec};
use crate::status::{ProbeOutcome, Status};

/// More than this is not a heartbeat file; only the start is read.
const MAX_READ: u64 = 64 * 1024;

/// What reading the file gave.
#[derive(Debug)]
pub enum Reading {
    /// The file's modification time, and its content when the check reads a time from it.
    Found {
        modified: Option<SystemTime>,
        content: Option<String>,
    },
    Missing,
    Unreadable(String),
}

/// Paths with a read still blocked in the OS. A read that outlives its timeout cannot be
/// cancelled; the next run waits for it instead of starting another, so a file server that
/// stopped answering ties up one thread per file rather than one more every run.
static READING: LazyLock<Mutex<HashSet<PathBuf>>> = LazyLock::new(Mutex::default);

/// Marks a path as being read until dropped (on the blocking thread, when the read returns).
struct InFlight(PathBuf);

impl InFlight {
    fn start(path: &Path) -> Option<InFlight> {
        let mut reading = READING.lock().unwrap_or_else(|p| p.into_inner());
        reading
            .insert(path.to_path_buf())
            .then(|| InFlight(path.to_path_buf()))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        READING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

pub async fn probe(spec: &HeartbeatFileSpec, timeout: Duration) -> ProbeOutcome {
    let path = spec.path.clone();
    let wants_content = spec.timestamp != BeatSource::Mtime;
    let Some(in_flight) = InFlight::start(&path) else {
        return evaluate(
            spec,
            Reading::Unreadable(
                "an earlier read of it has not returned yet (is the file server reachable?)".into(),
            ),
            jiff::Timestamp::now(),
        );
    };
    let read = tokio::task::spawn_blocking(move || {
        let _in_flight = in_flight;
        read(&path, wants_content)
    });
    let reading = match tokio::time::timeout(timeout, read).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Reading::Unreadable(format!("the read failed: {e}")),
        Err(_) => {
            return evaluate(
                spec,
                Reading::Unreadable(format!(
                    "reading it took longer than the {} timeout (is the file server reachable?)",
                    humantime::format_duration(timeout)
                )),
                jiff::Timestamp::now(),
            );
        }
    };
    evaluate(spec, reading, jiff::Timestamp::now())
}

fn read(path: &Path, wants_content: bool) -> Reading {
    // The modification time comes from the directory entry, without opening the file: a
    // service that holds its heartbeat file open without sharing (.NET's `FileShare.None`)
    // still has a readable time on Windows.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return failed(path, &e),
    };
    if meta.is_dir() {
        return Reading::Unreadable("it is a folder, not a file".into());
    }
    if !wants_content {
        return Reading::Found {
            modified: meta.modified().ok(),
            content: None,
        };
    }
    let mut content = match read_start(path) {
        Ok(c) => c,
        Err(e) => return failed(path, &e),
    };
    if content.trim().is_empty() {
        // Caught between the writer emptying the file and writing the new time: look again.
        std::thread::sleep(Duration::from_millis(100));
        match read_start(path) {
            Ok(c) => content = c,
            Err(e) => return failed(path, &e),
        }
    }
    Reading::Found {
        modified: std::fs::metadata(path)
            .ok()
            .and_then(|m| m.modified().ok())
            .or(meta.modified().ok()),
        content: Some(content),
    }
}

fn read_start(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_READ)
        .read_to_end(&mut bytes)?;
    Ok(decode(&bytes))
}

fn failed(path: &Path, e: &std::io::Error) -> Reading {
    if e.kind() != std::io::ErrorKind::NotFound {
        return Reading::Unreadable(io_reason(e));
    }
    // A missing folder is more likely a share that cannot be reached (or a wrong path) than a
    // service that stopped writing: that is not known to be down.
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Reading::Unreadable(format!(
            "its folder {} cannot be reached or does not exist",
            dir.display()
        )),
        _ => Reading::Missing,
    }
}

/// UTF-8 (with or without a byte-order mark), or UTF-16 with one: what Windows PowerShell 5's
/// `Out-File` and `>` write.
fn decode(bytes: &[u8]) -> String {
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xff, 0xfe, ..] => utf16(true),
        [0xfe, 0xff, ..] => utf16(false),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "permission denied (the account opsdeck runs as may not read it)".into()
        }
        _ => e.to_string(),
    }
}

/// The verdict on a reading, at `now`.
pub fn evaluate(spec: &HeartbeatFileSpec, reading: Reading, now: jiff::Timestamp) -> ProbeOutcome {
    let path = spec.path.display().to_string();
    let base = |state: &str| {
        json!({
            "state": state,
            "path": path,
            "source": source_name(spec.timestamp),
            "max_age_s": spec.max_age.as_secs(),
        })
    };
    let (modified, content) = match reading {
        Reading::Missing => {
            let mut o = ProbeOutcome::new(
                Status::Down,
                format!("heartbeat file {path} does not exist"),
            );
            o.details = base("missing");
            return o;
        }
        Reading::Unreadable(reason) => {
            let mut o = ProbeOutcome::new(
                Status::Unknown,
                format!("heartbeat file {path} cannot be read: {reason}"),
            );
            o.details = base("unreadable");
            return o;
        }
        Reading::Found { modified, content } => (modified, content),
    };
    let beat = match spec.timestamp {
        BeatSource::Mtime => modified
            .and_then(|m| jiff::Timestamp::try_from(m).ok())
            .ok_or_else(|| "the file system gives no modification time".to_string()),
        _ => parse_content(spec, content.as_deref().unwrap_or_default()),
    };
    let beat = match beat {
        Ok(b) => b,
        Err(reason) => {
            let mut o = ProbeOutcome::new(
                Status::Unknown,
                format!("heartbeat file {path} holds no time opsdeck can read: {reason}"),
            );
            o.details = base("unparsable");
            return o;
        }
    };
    let age_ms = now.as_millisecond() - beat.as_millisecond();
    let skew_ms = spec.max_clock_skew.as_millis() as i64;
    let mut details = base("fresh");
    let d = details.as_object_mut().expect("an object");
    d.insert(
        "last_beat".into(),
        json!(crate::time_fmt::rfc3339_from_ms(beat.as_millisecond())),
    );
    d.insert("age_s".into(), json!((age_ms.max(0) / 1000) as u64));
    if let Some(w) = spec.warn_age {
        d.insert("warn_age_s".into(), json!(w.as_secs()));
    }
    let (status, state, message) = if age_ms < -skew_ms {
        (
            Status::Degraded,
            "future",
            format!(
                "the last beat is {} in the future: the clocks of this machine and the writer's differ",
                ago(Duration::from_millis((-age_ms) as u64))
            ),
        )
    } else {
        let age = Duration::from_millis(age_ms.max(0) as u64);
        if age > spec.max_age {
            (
                Status::Down,
                "stale",
                format!(
                    "last beat {} ago, more than the {} allowed",
                    ago(age),
                    ago(spec.max_age)
                ),
            )
        } else if spec.warn_age.is_some_and(|w| age > w) {
            (
                Status::Degraded,
                "late",
                format!(
                    "last beat {} ago (late; down after {})",
                    ago(age),
                    ago(spec.max_age)
                ),
            )
        } else {
            (Status::Up, "fresh", format!("last beat {} ago", ago(age)))
        }
    };
    d.insert("state".into(), json!(state));
    let mut o = ProbeOutcome::new(status, message);
    o.details = details;
    o
}

fn source_name(s: BeatSource) -> &'static str {
    match s {
        BeatSource::Mtime => "mtime",
        BeatSource::Iso8601 => "iso8601",
        BeatSource::Unix => "unix",
        BeatSource::Format => "format",
    }
}

/// "4m 10s", "2h 5m", "3d 4h": two units are enough to read at a glance.
pub fn ago(d: Duration) -> String {
    let s = d.as_secs();
    let (d_, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (d_, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) if sec == 0 => format!("{m}m"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, _) => format!("{d_}d"),
        _ => format!("{d_}d {h}h"),
    }
}

/// The time written in the file: its first non-empty line. A UTF-8 byte-order mark, which
/// some Windows tools write first, is skipped.
fn parse_content(spec: &HeartbeatFileSpec, content: &str) -> Result<jiff::Timestamp, String> {
    let line = content
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| "the file is empty".to_string())?;
    let shown: String = line.chars().take(60).collect();
    let zone = || match &spec.time_zone {
        Some(tz) => jiff::tz::TimeZone::get(tz).map_err(|e| e.to_string()),
        None => Ok(jiff::tz::TimeZone::system()),
    };
    match spec.timestamp {
        BeatSource::Mtime => Err("not read from the content".into()),
        BeatSource::Unix => {
            let n: f64 = line
                .parse()
                .map_err(|_| format!("`{shown}` is not a number of Unix seconds"))?;
            if !n.is_finite() || n < 0.0 {
                return Err(format!("`{shown}` is not a number of Unix seconds"));
            }
            // Milliseconds since 1970 are 13 digits today; seconds are 10 until the year 2286.
            let ms = if n >= 1e11 { n } else { n * 1000.0 };
            jiff::Timestamp::from_millisecond(ms as i64).map_err(|e| e.to_string())
        }
        BeatSource::Iso8601 => {
            if let Ok(ts) = line.parse::<jiff::Timestamp>() {
                return Ok(ts);
            }
            // No offset written: the writer's local time, in `time_zone`.
            let civil: jiff::civil::DateTime = line.parse().map_err(|_| {
                format!("`{shown}` is not an ISO 8601 time such as 2026-12-04T09:30:00Z")
            })?;
            civil
                .to_zoned(zone()?)
                .map(|z| z.timestamp())
                .map_err(|e| e.to_string())
        }
        BeatSource::Format => {
            let format = spec.format.as_deref().unwrap_or_default();
            let parsed = jiff::fmt::strtime::parse(format, line)
                .map_err(|_| format!("`{shown}` does not match the format `{format}`"))?;
            if let Ok(ts) = parsed.to_timestamp() {
                return Ok(ts);
            }
            let civil = parsed.to_datetime().map_err(|_| {
                format!("`{shown}` read with `{format}` gives no full date and time")
            })?;
            civil
                .to_zoned(zone()?)
                .map(|z| z.timestamp())
                .map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
#[test]
fn windows_powershell_files_are_read() {
    let text = "2026-12-04T11:55:00Z\r\n";
    let mut le = vec![0xff, 0xfe];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(decode(&le), text);
    let mut be = vec![0xfe, 0xff];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    assert_eq!(decode(&be), text);
    assert_eq!(decode(b"\xef\xbb\xbf2026"), "\u{feff}2026");
}
