//! Where opsdeck keeps its files when not told otherwise: the OS config and data directories
//! (`%APPDATA%\opsdeck\config` on Windows, `~/Library/Application Support/…` on macOS,
//! XDG directories on Linux).

use std::path::{Path, PathBuf};

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

/// Replace `path` with `contents` in one step: written beside it as `<name>.opsdeck-new`, then
/// renamed over it, so a crash or a concurrent reader never sees half a file.
pub fn replace_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    replace(path, contents, false)
}

/// [`replace_file`] for a file only its owner should read (on Unix, mode 0600; on Windows the
/// data directory under the user's profile is private already).
pub fn replace_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    replace(path, contents, true)
}

fn replace(path: &Path, contents: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".opsdeck-new");
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(&tmp)?.write_all(contents)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
