//! Promotion: exactly the approved bytes of a CAB version, by commit, to "GHA Mods - New CABs",
//! with a manifest beside it. A folder (local or UNC) is written atomically: the bytes stream
//! into a hidden `.NAME.RANDOM.partial` file beside the target, are flushed to disk, read back
//! and checked against the approved SHA-256, and only then renamed onto the name; a file of
//! the same name with other bytes is never replaced without `replace`. A process killed
//! mid-copy leaves only the hidden partial file, which the next promotion removes. A Bitbucket
//! branch is written with the same conflict-safe commit as an upload.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest;
use tokio::io::AsyncReadExt;
use ts_rs::TS;

use super::bitbucket::{BitbucketError, Client, RawError, UploadBase};
use super::CabError;

/// `NAME.manifest.json`, written beside the promoted CAB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Manifest {
    pub name: String,
    /// The version's place in the CAB's history (1 is the first).
    pub version: u32,
    pub sha256: String,
    #[ts(type = "number")]
    pub size: u64,
    /// Where it came from: `bitbucket-cloud gha/epicor-cabs cabs/NAME.cab`.
    pub source: String,
    pub source_commit: String,
    pub approvers: Vec<String>,
    pub promoted_by: String,
    /// RFC 3339.
    pub promoted_at: String,
}

/// What a promotion did at the destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Placed {
    /// The CAB's full path (folder) or `branch:path` (Bitbucket).
    pub target: String,
    pub manifest: String,
    /// The same bytes were there already (a retry, or a promotion repeated).
    pub already_there: bool,
    /// A different file of the same name was replaced (only with `replace`).
    pub replaced: bool,
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> CabError {
    let hint = match e.raw_os_error() {
        // ENOSPC, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL
        Some(28) | Some(112) | Some(39) => " (the destination is full)",
        _ if e.kind() == std::io::ErrorKind::PermissionDenied => {
            " (opsdeck's account may not write there)"
        }
        _ => "",
    };
    CabError::Destination(format!("cannot {what} {}: {e}{hint}", path.display()))
}

async fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Partial files younger than this may belong to a promotion still running elsewhere.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Hidden files a killed promotion of `name` left behind (an hour or more ago).
async fn remove_leftovers(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(e)) = entries.next_entry().await {
        let file = e.file_name().to_string_lossy().into_owned();
        let old = e
            .metadata()
            .await
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= LEFTOVER_AGE);
        if file.starts_with(&prefix) && file.ends_with(".partial") && old {
            if let Err(err) = tokio::fs::remove_file(e.path()).await {
                tracing::warn!(file = %e.path().display(), error = %err, "cannot remove a partial file of an earlier promotion");
            }
        }
    }
}

/// A new hidden file beside `name` in `dir`, to write before renaming.
async fn create_partial(dir: &Path, name: &str) -> Result<(PathBuf, tokio::fs::File), CabError> {
    let partial = dir.join(format!(".{name}.{:016x}.partial", rand::random::<u64>()));
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .await
        .map_err(|e| io_error("create", &partial, &e))?;
    Ok((partial, file))
}

/// Write `bytes` to `target` through a partial file and a rename.
async fn write_atomically(
    dir: &Path,
    name: &str,
    target: &Path,
    bytes: &[u8],
) -> Result<(), CabError> {
    use tokio::io::AsyncWriteExt;
    let (partial, mut f) = create_partial(dir, name).await?;
    let result = async {
        f.write_all(bytes)
            .await
            .map_err(|e| io_error("write", &partial, &e))?;
        f.sync_all()
            .await
            .map_err(|e| io_error("write", &partial, &e))?;
        drop(f);
        tokio::fs::rename(&partial, target)
            .await
            .map_err(|e| io_error("rename onto", target, &e))
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    result
}

/// The refusal to replace `target`, which holds other bytes than the approved ones.
fn differs(target: &Path, existing: String, manifest: &Manifest) -> CabError {
    CabError::DestinationDiffers {
        target: target.display().to_string(),
        existing,
        approved: manifest.sha256.clone(),
    }
}

/// Copy `cab` at `commit` from Bitbucket into the folder `dir` as `name`, and its manifest.
pub async fn to_folder(
    client: &Client,
    dir: &Path,
    cab: &str,
    manifest: &Manifest,
    replace: bool,
) -> Result<Placed, CabError> {
    use tokio::io::AsyncWriteExt;
    let name = &manifest.name;
    match tokio::fs::metadata(dir).await {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(CabError::Destination(format!(
                "the destination {} is not a folder",
                dir.display()
            )))
        }
        Err(e) => return Err(io_error("reach the destination folder", dir, &e)),
    }
    remove_leftovers(dir, name).await;
    let target = dir.join(name);
    if target.parent() != Some(dir) {
        return Err(CabError::Destination(format!(
            "`{name}` would be written outside {}",
            dir.display()
        )));
    }
    let manifest_path = dir.join(format!("{name}.manifest.json"));
    let mut replaced = false;
    let already_there = match sha256_of(&target).await {
        Ok(sha) if sha == manifest.sha256 => true,
        Ok(sha) if !replace => return Err(differs(&target, sha, manifest)),
        Ok(_) => {
            replaced = true;
            false
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_error("read", &target, &e)),
    };
    if !already_there {
        let (partial, mut f) = create_partial(dir, name).await?;
        let copied = async {
            let (_, sha) = client
                .raw_into(&manifest.source_commit, cab, &mut f)
                .await
                .map_err(|e| match e {
                    RawError::Bitbucket(b) => CabError::Bitbucket(b),
                    RawError::Sink(e) => io_error("write", &partial, &e),
                })?;
            f.sync_all()
                .await
                .map_err(|e| io_error("write", &partial, &e))?;
            f.shutdown().await.ok();
            drop(f);
            if sha != manifest.sha256 {
                return Err(CabError::Mismatch {
                    what: format!(
                        "the bytes downloaded from commit {}",
                        manifest.source_commit
                    ),
                    expected: manifest.sha256.clone(),
                    got: sha,
                });
            }
            // What reached the disk, not what was sent to it.
            let on_disk = sha256_of(&partial)
                .await
                .map_err(|e| io_error("read back", &partial, &e))?;
            if on_disk != manifest.sha256 {
                return Err(CabError::Mismatch {
                    what: format!("the copy written to {}", partial.display()),
                    expected: manifest.sha256.clone(),
                    got: on_disk,
                });
            }
            if replace {
                return tokio::fs::rename(&partial, &target)
                    .await
                    .map_err(|e| io_error("rename onto", &target, &e));
            }
            // No replacing: a hard link fails if the name exists, even when someone wrote it
            // while this copy ran; where the file system has no hard links, a rename after a
            // last look.
            match tokio::fs::hard_link(&partial, &target).await {
                Ok(()) => {
                    let _ = tokio::fs::remove_file(&partial).await;
                    Ok(())
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let existing = sha256_of(&target).await.unwrap_or_default();
                    if existing == manifest.sha256 {
                        let _ = tokio::fs::remove_file(&partial).await;
                        Ok(())
                    } else {
                        Err(differs(&target, existing, manifest))
                    }
                }
                Err(_) => {
                    if tokio::fs::metadata(&target).await.is_ok() {
                        let existing = sha256_of(&target).await.unwrap_or_default();
                        if existing != manifest.sha256 {
                            return Err(differs(&target, existing, manifest));
                        }
                    }
                    tokio::fs::rename(&partial, &target)
                        .await
                        .map_err(|e| io_error("rename onto", &target, &e))
                }
            }
        }
        .await;
        if let Err(e) = copied {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
    }
    // A repeated promotion keeps the manifest of the first (who promoted, and when).
    let keep = already_there
        && tokio::fs::read(&manifest_path)
            .await
            .ok()
            .is_some_and(|b| same_promotion(&b, manifest));
    if !keep {
        let text = serde_json::to_string_pretty(manifest).unwrap_or_default() + "\n";
        write_atomically(dir, name, &manifest_path, text.as_bytes()).await?;
    }
    Ok(Placed {
        target: target.display().to_string(),
        manifest: manifest_path.display().to_string(),
        already_there,
        replaced,
    })
}

/// Whether `existing` is the manifest of the same bytes from the same commit.
fn same_promotion(existing: &[u8], manifest: &Manifest) -> bool {
    serde_json::from_slice::<Manifest>(existing)
        .is_ok_and(|m| m.sha256 == manifest.sha256 && m.source_commit == manifest.source_commit)
}

/// Commit `cab`'s approved bytes and its manifest to `branch` of `dest` under `folder`.
pub async fn to_branch(
    source: &Client,
    dest: &Client,
    branch: &str,
    folder: &str,
    cab: &str,
    manifest: &Manifest,
    replace: bool,
) -> Result<Placed, CabError> {
    let name = &manifest.name;
    let folder = folder.trim_matches('/');
    let join = |f: &str| {
        if folder.is_empty() {
            f.to_string()
        } else {
            format!("{folder}/{f}")
        }
    };
    let target = join(name);
    let manifest_path = join(&format!("{name}.manifest.json"));
    let bytes = source.raw(&manifest.source_commit, cab).await?;
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    if sha != manifest.sha256 {
        return Err(CabError::Mismatch {
            what: format!(
                "the bytes downloaded from commit {}",
                manifest.source_commit
            ),
            expected: manifest.sha256.clone(),
            got: sha,
        });
    }
    let head = dest.branch_head(branch).await?;
    let existing = match dest.raw(&head, &target).await {
        Ok(b) => Some(hex::encode(sha2::Sha256::digest(&b))),
        Err(BitbucketError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let already_there = existing.as_deref() == Some(manifest.sha256.as_str());
    if let Some(existing) = &existing {
        if !already_there && !replace {
            return Err(CabError::DestinationDiffers {
                target: format!("{branch}:{target}"),
                existing: existing.clone(),
                approved: manifest.sha256.clone(),
            });
        }
    }
    let keep_manifest = already_there
        && match dest.raw(&head, &manifest_path).await {
            Ok(b) => same_promotion(&b, manifest),
            Err(BitbucketError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
    if keep_manifest {
        return Ok(Placed {
            target: format!("{branch}:{target}"),
            manifest: format!("{branch}:{manifest_path}"),
            already_there,
            replaced: false,
        });
    }
    let text = serde_json::to_string_pretty(manifest).unwrap_or_default() + "\n";
    let mut files = Vec::new();
    if !already_there {
        files.push((target.clone(), bytes));
    }
    files.push((manifest_path.clone(), text.into_bytes()));
    let first = &files[0].0;
    let base = UploadBase {
        branch: branch.to_string(),
        branch_head: head.clone(),
        file_commit: if already_there || existing.is_some() || first != &target {
            dest.last_commit_of(branch, first).await?
        } else {
            None
        },
        ..UploadBase::default()
    };
    dest.upload_files(
        &base,
        &files,
        &format!(
            "Promote {name} v{} ({}) from {}",
            manifest.version,
            &manifest.sha256[..12.min(manifest.sha256.len())],
            manifest.source_commit
        ),
    )
    .await?;
    Ok(Placed {
        target: format!("{branch}:{target}"),
        manifest: format!("{branch}:{manifest_path}"),
        already_there,
        replaced: existing.is_some() && !already_there,
    })
}
