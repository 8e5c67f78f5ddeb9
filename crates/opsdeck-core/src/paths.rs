//! Where opsdeck keeps its files when not told otherwise: the OS config and data directories
//! (`%APPDATA%\opsdeck\config` on Windows, `~/Library/Application Support/…` on macOS,
//! XDG directories on Linux).

use std::path::PathBuf;

fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "opsdeck")
}

/// `--config`, else `OPSDECK_CONFIG` (read by the CLI), else `<config dir>/opsdeck.toml`.
pub fn default_config_file() -> PathBuf {
    dirs()
        .map(|d| d.config_dir().join("opsdeck.toml"))
        .unwrap_or_else(|| PathBuf::from("opsdeck.toml"))
}

/// `--data-dir`, else `OPSDECK_DATA_DIR` (read by the CLI), else the OS data dir.
pub fn default_data_dir() -> PathBuf {
    dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("opsdeck-data"))
}
