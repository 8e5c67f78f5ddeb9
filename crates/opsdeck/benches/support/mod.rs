//! Measuring a child process from outside: wall time, CPU time and memory from `/proc`
//! (Linux), so the fakes the benchmark serves from its own process are not counted.
#![allow(dead_code, clippy::print_stdout, clippy::unwrap_used)]

use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ is 100 on every mainstream Linux).
const TICKS: f64 = 100.0;

fn stat_fields(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // The command name is in parentheses and may hold spaces: split after the last ')'.
    let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    rest.split_whitespace().map(str::to_string).collect()
}

/// User + system CPU of a running process.
pub fn cpu_of(pid: u32) -> Duration {
    let f = stat_fields(&format!("/proc/{pid}/stat"));
    // After the name: state is field 3, utime 14, stime 15 (1-based in proc(5)).
    let utime: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let stime: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    Duration::from_secs_f64((utime + stime) / TICKS)
}

/// User + system CPU of this process's reaped children.
pub fn children_cpu() -> Duration {
    let f = stat_fields("/proc/self/stat");
    let cutime: f64 = f.get(13).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let cstime: f64 = f.get(14).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    Duration::from_secs_f64((cutime + cstime) / TICKS)
}

/// Resident set size in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "within budget"
    } else {
        "OVER BUDGET"
    }
}

/// `opsdeck serve` (the release build under test) on an ephemeral loopback port, its log at
/// `warn` drained in the background so it never blocks on a full pipe.
pub fn serve(config: &std::path::Path, data_dir: &std::path::Path) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .env("OPSDECK_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
    child
}
