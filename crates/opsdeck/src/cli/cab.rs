//! `opsdeck cab`: the CAB release workflow from the command line: the catalogue, a CAB's
//! versions and where each stands, upload, recording installs, approving, rejecting, promoting,
//! and the audit log. Actions run as the Bitbucket account of the token in the keychain and are
//! written to the audit log in the data directory (the same one `opsdeck serve` uses).

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use opsdeck_core::cab::{
    self, audit, bitbucket::BitbucketError, reconcile, CabError, Releases, VersionState,
};
use opsdeck_core::config::{Check, CheckSpec, Config};
use opsdeck_core::epicor::{self, EnvironmentInfo};
use opsdeck_core::secret::{Keychain, SecretSource};
use opsdeck_core::store::Store;

use super::{config_path, data_dir, exit, load_config, out, short_utc, Cli, Format};

#[derive(Debug, Subcommand)]
pub enum CabAction {
    /// Every CAB under the configured path, with its newest version and SHA-256
    List {
        /// Only CABs whose name contains every one of these words (any case)
        words: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The versions of one CAB (by file name or path), newest first
    History {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// One CAB's versions with their installs, approvals, rejections and promotion
    Show {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Commit a .cab exported from development as a new CAB or a new version
    Upload {
        /// The .cab file
        file: PathBuf,
        /// What changed (the commit message)
        #[arg(long, short)]
        message: String,
        /// Refuse if the branch is no longer at this commit (what you last saw)
        #[arg(long, value_name = "COMMIT")]
        expect_head: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Record that a version was installed in an environment (newest unless --version)
    Install {
        name: String,
        #[arg(long, short)]
        environment: String,
        /// A version number (3) or a commit
        #[arg(long)]
        version: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The pull-request flow: open a pull request of a version into the release branch
    Request {
        name: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Approve a version for promotion (approvers only; never your own)
    Approve {
        name: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Reject a version, with the reason
    Reject {
        name: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Copy an approved version to the destination ("GHA Mods - New CABs")
    Promote {
        name: String,
        #[arg(long)]
        version: Option<String>,
        /// Overwrite a different file of the same name at the destination
        #[arg(long)]
        replace: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The audit log (newest first), its verification, or a CSV export
    Audit {
        #[command(subcommand)]
        action: Option<AuditAction>,
        /// Only this CAB (its path in the repository)
        #[arg(long)]
        cab: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The Bitbucket account of the token, and whether it may approve and publish
    Whoami {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check the hash chain: exit 0 when intact, 65 when an entry was edited or deleted
    Verify {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The whole log as CSV on standard output
    Export,
}

fn code(e: &CabError) -> i32 {
    match e {
        CabError::NotConfigured | CabError::NoDestination => exit::CONFIG,
        CabError::Credential(_) | CabError::Bitbucket(_) => exit::UNAVAILABLE,
        CabError::NoSuchCab(_)
        | CabError::NoSuchVersion { .. }
        | CabError::NoSuchEnvironment(_)
        | CabError::Invalid(_)
        | CabError::NotReady(_)
        | CabError::NotAllowed(_)
        | CabError::DestinationDiffers { .. }
        | CabError::Mismatch { .. } => exit::DATA,
        CabError::Destination(_) | CabError::Store(_) => exit::IO,
    }
}

async fn open_store(cli: &Cli) -> Result<Store, i32> {
    let dir = data_dir(cli);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create the data directory {}: {e}", dir.display());
        return Err(exit::IO);
    }
    Store::open(&dir.join("opsdeck.sqlite")).await.map_err(|e| {
        eprintln!("{e}");
        exit::IO
    })
}

fn json(v: serde_json::Value) -> String {
    format!("{v}\n")
}

fn short(hash: &str) -> &str {
    &hash[..12.min(hash.len())]
}

fn version_text(v: &VersionState) -> String {
    let mut text = format!(
        "v{:<4} {}  {}  {}\n      {}\n",
        v.version,
        short(&v.commit),
        short_utc(&v.date),
        v.author,
        v.message.lines().next().unwrap_or_default()
    );
    if let Some(sha) = &v.sha256 {
        text.push_str(&format!("      SHA-256 {sha}\n"));
    }
    for p in &v.installs {
        text.push_str(&format!(
            "      installed in {} by {} at {}\n",
            p.target,
            p.by,
            short_utc(&p.at)
        ));
    }
    for a in &v.approvals {
        text.push_str(&format!(
            "      approved by {} at {}{}\n",
            a.by,
            short_utc(&a.at),
            a.note
                .as_ref()
                .map(|n| format!(" (does not count: {n})"))
                .unwrap_or_default()
        ));
    }
    for r in &v.rejections {
        text.push_str(&format!(
            "      rejected by {} at {}: {}\n",
            r.by,
            short_utc(&r.at),
            r.note.as_deref().unwrap_or_default()
        ));
    }
    if let Some(pr) = &v.pull_request {
        text.push_str(&format!(
            "      pull request #{} ({}), {}\n",
            pr.id,
            pr.source_branch,
            pr.state.to_lowercase()
        ));
    }
    if let Some(p) = &v.promoted {
        text.push_str(&format!(
            "      promoted to {} by {} at {}\n",
            p.target,
            p.by,
            short_utc(&p.at)
        ));
    }
    text.push_str(&match &v.waiting_for {
        Some(w) => format!("      not promotable: {w}\n"),
        None => "      promotable\n".to_string(),
    });
    text
}

/// Every Epicor environment, asked now (all at once).
async fn epicor_now(config: &Config) -> Vec<EnvironmentInfo> {
    let checks: Vec<&Check> = config
        .check
        .iter()
        .filter(|c| matches!(c.spec, CheckSpec::Epicor(_)))
        .collect();
    if checks.is_empty() {
        return Vec::new();
    }
    epicor::inspect_once(&checks, Arc::new(Keychain)).await
}

pub async fn run(cli: &Cli, action: &CabAction) -> i32 {
    if let CabAction::Audit {
        action,
        cab,
        limit,
        format,
    } = action
    {
        return audit_command(cli, action.as_ref(), cab.as_deref(), *limit, *format).await;
    }
    let (path, _) = config_path(cli);
    let config = match load_config(&path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let store = match open_store(cli).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let result = async {
        let secrets: Arc<dyn SecretSource> = Arc::new(Keychain);
        // A one-shot command: reading the keychain on this thread blocks nothing else.
        let releases = Releases::new(&config, &secrets, store.pool().clone(), None)?;
        let settings = releases.settings().clone();
        match action {
            CabAction::List { words, format } => {
                let (_, mut cabs) = cab::catalogue_with(releases.client(), &settings, Some(store.pool())).await?;
                let words: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
                cabs.retain(|c| {
                    let name = c.name.to_lowercase();
                    words.iter().all(|w| name.contains(w.as_str()))
                });
                Ok::<_, CabError>(match format {
                    Format::Json => json(serde_json::json!({ "cabs": cabs })),
                    Format::Table if cabs.is_empty() && !words.is_empty() => {
                        format!("no CAB's name contains {}\n", words.join(" and "))
                    }
                    Format::Table if cabs.is_empty() => format!(
                        "no CAB files under `{}` on branch `{}`\n",
                        settings.path, settings.branch
                    ),
                    Format::Table => {
                        let w = cabs.iter().map(|c| c.name.chars().count()).max().unwrap_or(4).max(4);
                        let mut text = format!(
                            "{:<w$}  {:>8}  {:>10}  {:<20}  {:<12}  AUTHOR\n",
                            "NAME", "VERSIONS", "SIZE", "DATE", "COMMIT"
                        );
                        for c in &cabs {
                            text.push_str(&format!(
                                "{:<w$}  {:>8}  {:>10}  {:<20}  {:<12}  {}\n",
                                c.name,
                                c.versions,
                                c.size,
                                short_utc(&c.date),
                                short(&c.commit),
                                c.author
                            ));
                        }
                        text
                    }
                })
            }
            CabAction::History { name, format } => {
                let versions = cab::history(releases.client(), &settings, name).await?;
                Ok(match format {
                    Format::Json => json(serde_json::json!({ "name": name, "versions": versions })),
                    Format::Table => {
                        let mut text = format!("{:<20}  {:<12}  {:<30}  MESSAGE\n", "DATE", "COMMIT", "AUTHOR");
                        for v in &versions {
                            text.push_str(&format!(
                                "{:<20}  {:<12}  {:<30}  {}\n",
                                short_utc(&v.date),
                                short(&v.commit),
                                v.author,
                                v.message.lines().next().unwrap_or_default()
                            ));
                        }
                        text
                    }
                })
            }
            CabAction::Show { name, format } => {
                let mut d = releases.detail(name).await?;
                // Where Epicor environments are configured, ask them too, and set what they
                // list beside the recorded installs.
                let infos = epicor_now(&config).await;
                if !infos.is_empty() {
                    d.card.epicor = reconcile::sightings(&d.card, releases.environments(), &infos);
                }
                Ok(match format {
                    Format::Json => json(serde_json::to_value(&d).unwrap_or_default()),
                    Format::Table => {
                        let mut text = format!(
                            "{} ({}): {} versions, stage {}\n",
                            d.card.name,
                            d.card.path,
                            d.card.versions,
                            serde_json::to_value(d.card.stage).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
                        );
                        for v in &d.versions {
                            text.push_str(&version_text(v));
                        }
                        if d.more {
                            text.push_str("(older versions not shown: `opsdeck cab history` lists them all)\n");
                        }
                        for s in &d.card.epicor {
                            let seen = match (&s.solution, s.known) {
                                (Some(x), _) => format!(
                                    "{}{}",
                                    x.solution_id,
                                    x.build_iteration.map(|b| format!(" build {b}")).unwrap_or_default()
                                ),
                                (None, true) => "not installed".to_string(),
                                (None, false) => "installed solutions unknown".to_string(),
                            };
                            text.push_str(&format!("{}: {seen}\n", s.epicor_name));
                            if let Some(d) = &s.difference {
                                text.push_str(&format!("  DIFFERENCE: {d}\n"));
                            }
                        }
                        text
                    }
                })
            }
            CabAction::Upload { file, message, expect_head, format } => {
                let bytes = read_cab(file)?;
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let up = releases.upload(&name, bytes, message, expect_head.as_deref()).await?;
                Ok(match format {
                    Format::Json => json(serde_json::to_value(&up).unwrap_or_default()),
                    Format::Table => format!(
                        "uploaded {} as version {} (commit {}, SHA-256 {})\n",
                        up.path, up.version, short(&up.commit), up.sha256
                    ),
                })
            }
            CabAction::Install { name, environment, version, format } => {
                let v = releases.install(name, version.as_deref(), environment).await?;
                Ok(state_out(*format, &format!("recorded: version {} installed in {environment}", v.version), &v))
            }
            CabAction::Request { name, version, format } => {
                let v = releases.request_review(name, version.as_deref()).await?;
                let said = match &v.pull_request {
                    Some(pr) => format!("version {} is in pull request #{} ({})", v.version, pr.id, pr.source_branch),
                    None => format!("version {}", v.version),
                };
                Ok(state_out(*format, &said, &v))
            }
            CabAction::Approve { name, version, format } => {
                let v = releases.approve(name, version.as_deref()).await?;
                Ok(state_out(*format, &format!("approved version {}", v.version), &v))
            }
            CabAction::Reject { name, reason, version, format } => {
                let v = releases.reject(name, version.as_deref(), reason).await?;
                Ok(state_out(*format, &format!("rejected version {}", v.version), &v))
            }
            CabAction::Promote { name, version, replace, format } => {
                let p = releases.promote(name, version.as_deref(), *replace).await?;
                Ok(match format {
                    Format::Json => json(serde_json::to_value(&p).unwrap_or_default()),
                    Format::Table => format!(
                        "promoted {} version {} to {}{}\nmanifest {}\ntag {}\nSHA-256 {}\n",
                        p.name,
                        p.version,
                        p.placed.target,
                        if p.placed.already_there { " (it was there already)" } else { "" },
                        p.placed.manifest,
                        p.tag,
                        p.sha256
                    ),
                })
            }
            CabAction::Whoami { format } => {
                let roles = releases.roles().await?;
                Ok(match format {
                    Format::Json => json(serde_json::to_value(&roles).unwrap_or_default()),
                    Format::Table => format!(
                        "{}\n  name {}{}{}\n  approver: {}\n  publisher: {}\n",
                        roles.identity.label(),
                        roles.identity.name,
                        roles.identity.email.as_ref().map(|e| format!("\n  e-mail {e}")).unwrap_or_default(),
                        roles.identity.account_id.as_ref().map(|a| format!("\n  account ID {a}")).unwrap_or_default(),
                        if roles.approver { "yes" } else { "no" },
                        if roles.publisher { "yes" } else { "no" },
                    ),
                })
            }
            CabAction::Audit { .. } => unreachable!("handled above"),
        }
    }
    .await;
    store.close().await;
    match result {
        Ok(text) => {
            out(&text);
            0
        }
        Err(e) => {
            eprintln!("{e}");
            if matches!(action, CabAction::Upload { .. })
                && matches!(e, CabError::Bitbucket(BitbucketError::Moved { .. }))
            {
                eprintln!("run `opsdeck cab list` to see the newest versions, then upload again");
            }
            code(&e)
        }
    }
}

fn state_out(format: Format, said: &str, v: &VersionState) -> String {
    match format {
        Format::Json => json(serde_json::to_value(v).unwrap_or_default()),
        Format::Table => format!("{said}\n{}", version_text(v)),
    }
}

/// The file's bytes (`-` reads standard input).
fn read_cab(file: &std::path::Path) -> Result<Vec<u8>, CabError> {
    let mut bytes = Vec::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    read.map_err(|e| CabError::Invalid(format!("cannot read {}: {e}", file.display())))?;
    Ok(bytes)
}

async fn audit_command(
    cli: &Cli,
    action: Option<&AuditAction>,
    cab: Option<&str>,
    limit: u32,
    format: Format,
) -> i32 {
    let store = match open_store(cli).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let pool = store.pool();
    let result = match action {
        None => audit::read(pool, cab, None, limit.clamp(1, 100_000))
            .await
            .map(|entries| match format {
                Format::Json => (json(serde_json::json!({ "entries": entries })), 0),
                Format::Table => {
                    let mut text = format!(
                        "{:>5}  {:<20}  {:<8}  {:<7}  {:<30}  DETAIL\n",
                        "SEQ", "AT", "ACTION", "OUTCOME", "CAB"
                    );
                    for e in &entries {
                        text.push_str(&format!(
                            "{:>5}  {:<20}  {:<8}  {:<7}  {:<30}  {} — {}\n",
                            e.seq,
                            short_utc(&e.at),
                            e.action,
                            e.outcome,
                            e.cab,
                            e.actor,
                            e.detail.replace(['\n', '\r'], " ")
                        ));
                    }
                    (text, 0)
                }
            }),
        Some(AuditAction::Verify { format }) => audit::verify(pool).await.map(|v| {
            let code = if v.ok { 0 } else { exit::DATA };
            let text = match format {
                Format::Json => json(serde_json::to_value(&v).unwrap_or_default()),
                Format::Table if v.ok => format!(
                    "the audit log is intact: {} entries, every hash checks\n",
                    v.entries
                ),
                Format::Table => {
                    let mut t =
                        format!("the audit log was tampered with ({} entries):\n", v.entries);
                    for p in &v.problems {
                        t.push_str(&format!("  {p}\n"));
                    }
                    t
                }
            };
            (text, code)
        }),
        Some(AuditAction::Export) => audit::csv(pool).await.map(|t| (t, 0)),
    };
    store.close().await;
    match result {
        Ok((text, code)) => {
            out(&text);
            code
        }
        Err(e) => {
            eprintln!("{e}");
            exit::IO
        }
    }
}
