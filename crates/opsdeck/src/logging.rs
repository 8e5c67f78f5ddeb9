//! Logging: standard error for people at a terminal, and for the long-running faces (`serve`,
//! `demo`, the desktop app) also daily-rolled files in `<data dir>/logs`, kept for two weeks,
//! because a Windows service or a desktop app has no console to read.

use std::io::IsTerminal;
use std::path::Path;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the file writer's background thread alive; logs are flushed when it is dropped.
#[derive(Debug)]
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Where the log files of a data directory go.
pub fn log_dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("logs")
}

/// `OPSDECK_LOG` (e.g. `debug`, `opsdeck_core=trace`) overrides `default_level`.
pub fn init(default_level: &str, data_dir: Option<&Path>) -> LogGuard {
    let filter = || {
        let f = EnvFilter::try_from_env("OPSDECK_LOG")
            .unwrap_or_else(|_| EnvFilter::new(default_level));
        // The SQL Server driver warns on every connection made with `encrypt = "off"`; the
        // environment's result carries that warning instead, once. Asked for by name, it logs.
        let named = std::env::var("OPSDECK_LOG").is_ok_and(|v| v.contains("tiberius"));
        if named {
            f
        } else {
            f.add_directive(
                "tiberius=error"
                    .parse()
                    .unwrap_or_else(|_| tracing_subscriber::filter::LevelFilter::ERROR.into()),
            )
        }
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter());
    let (file, guard) = match data_dir.map(log_dir) {
        // The appender prunes old files on start and complains when the folder is missing.
        Some(dir) => match std::fs::create_dir_all(&dir).and_then(|()| {
            tracing_appender::rolling::RollingFileAppender::builder()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("opsdeck")
                .filename_suffix("log")
                .max_log_files(14)
                .build(&dir)
                .map_err(std::io::Error::other)
        }) {
            Ok(appender) => {
                let (writer, guard) = tracing_appender::non_blocking(appender);
                let layer = tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .with_ansi(false)
                    .with_filter(filter());
                (Some(layer), Some(guard))
            }
            Err(e) => {
                eprintln!(
                    "cannot write log files to {}: {e}; logging to standard error only",
                    dir.display()
                );
                (None, None)
            }
        },
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    LogGuard(guard)
}
