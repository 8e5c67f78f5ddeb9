//! A real SMTP server for the alerting tests: aiosmtpd (Debian's `python3-aiosmtpd`) writing
//! every mail it accepts into a Maildir, started and stopped by the test itself, so a test can
//! take it away and bring it back on the same port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    pub port: u16,
    pub maildir: PathBuf,
    child: Option<Child>,
}

/// Whether aiosmtpd can run here; without it the test says it was skipped, unless
/// `OPSDECK_TEST_REQUIRE_SERVICES` is set (as in CI), when that is a failure.
pub fn available() -> bool {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("OPSDECK_TEST_REQUIRE_SERVICES").is_none(),
            "aiosmtpd is missing: install python3-aiosmtpd"
        );
        eprintln!("SKIPPED: no SMTP sink (install python3-aiosmtpd)");
    }
    ok
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl SmtpSink {
    /// A sink on a free port, not started yet (so mail to it fails until [`SmtpSink::start`]).
    pub fn new(dir: &Path) -> SmtpSink {
        let maildir = dir.join("maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
        }
        SmtpSink {
            port: free_port(),
            maildir,
            child: None,
        }
    }

    pub fn start(&mut self) {
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        let end = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < end,
                "aiosmtpd did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every mail received so far, as raw text, oldest first.
    pub fn mails(&self) -> Vec<String> {
        let mut files: Vec<(std::time::SystemTime, String)> =
            std::fs::read_dir(self.maildir.join("new"))
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter_map(|e| {
                            let at = e.metadata().ok()?.modified().ok()?;
                            Some((at, std::fs::read_to_string(e.path()).ok()?))
                        })
                        .collect()
                })
                .unwrap_or_default();
        files.sort_by_key(|(at, _)| *at);
        files.into_iter().map(|(_, text)| text).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The value of a mail header (first occurrence, unfolded).
pub fn header(mail: &str, name: &str) -> Option<String> {
    let head = mail.split("\n\n").next().unwrap_or_default();
    let mut out: Option<String> = None;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(v) = out.as_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if out.is_some() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case(name) {
                out = Some(v.trim().to_string());
            }
        }
    }
    out
}
