//! The release workflow over one repository: the board (every CAB as a pipeline with its
//! environment matrix), a CAB's versions with their records, and the actions: upload, record an
//! install, approve, reject, promote. Every action is checked against the configured roles (the
//! Bitbucket identity of the token), recorded in Bitbucket, and written to the audit log,
//! failures included.

use std::sync::Arc;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::bitbucket::{BitbucketError, Client, Commit, Identity, PullRequest, UploadBase};
use super::records::{self, Claim, Record};
use super::{audit, digest_of, is_cab, name_of, promote, CabError, AT_ONCE};
use crate::config::{CabDestination, CabFlow, CabProvider, CabSettings, Config};
use crate::secret::SecretSource;

/// Versions of each CAB whose records the board reads: installs and approvals of older
/// versions rarely matter, and each version costs a request.
const BOARD_DEPTH: usize = 10;
/// Versions a CAB's own page reads.
const DETAIL_DEPTH: usize = 50;
/// How long the records of a version other than the newest are reused before Bitbucket is
/// asked again: they rarely change, and each version costs a request.
const OLDER_RECORDS_FRESH_MS: i64 = 10 * 60 * 1000;
/// Largest CAB accepted for upload (Solution Workbench exports are far smaller).
pub const MAX_CAB: usize = 100 * 1024 * 1024;

/// Where a CAB is in the release pipeline (of its newest version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    InRepo,
    Installed,
    Rejected,
    Approved,
    Promoted,
}

/// A version placed somewhere: installed in an environment, or promoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Placement {
    /// Environment id, or the destination.
    pub target: String,
    pub version: u32,
    pub commit: String,
    pub by: String,
    /// RFC 3339.
    pub at: String,
    /// It is the newest version.
    pub current: bool,
}

/// An approval or rejection, and whether it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Verdict {
    pub by: String,
    pub at: String,
    pub counts: bool,
    /// A rejection's reason, or why an approval does not count.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VersionState {
    /// Place in the CAB's history, 1 the first.
    pub version: u32,
    pub commit: String,
    pub author: String,
    pub date: String,
    /// The commit message (without the line a team server adds for the uploader).
    pub message: String,
    /// The opsdeck token it was uploaded through, when a team server committed it.
    pub uploaded_through: Option<String>,
    /// The caller wrote it (so may not approve it): on a desktop the Bitbucket account, through
    /// a team server the opsdeck token that uploaded it.
    pub yours: bool,
    /// Known when the bytes were read (the newest always is).
    pub sha256: Option<String>,
    pub approvals: Vec<Verdict>,
    pub rejections: Vec<Verdict>,
    pub installs: Vec<Placement>,
    pub promoted: Option<Placement>,
    /// The pull request of this version (the pull-request flow).
    pub pull_request: Option<PullRequestRef>,
    pub promotable: bool,
    /// What stands between it and promotion.
    pub waiting_for: Option<String>,
}

/// A version's pull request into the release branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PullRequestRef {
    #[ts(type = "number")]
    pub id: u64,
    /// `OPEN`, `MERGED`, `DECLINED`, `SUPERSEDED`.
    pub state: String,
    pub source_branch: String,
}

/// One CAB on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CabCard {
    pub name: String,
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
    pub sha256: String,
    pub versions: u32,
    pub stage: Stage,
    pub newest: VersionState,
    /// Per configured environment (in config order): the newest install recorded, if any.
    pub installed: Vec<Option<Placement>>,
    pub promoted: Option<Placement>,
    /// What the Epicor environments themselves list for this CAB, beside the recorded
    /// installs (filled in where `[[epicor]]` environments are configured).
    #[serde(default)]
    pub epicor: Vec<super::reconcile::Sighting>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EnvironmentRef {
    pub id: String,
    pub name: String,
}

/// What the token's owner may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CabRoles {
    pub identity: Identity,
    pub approver: bool,
    pub publisher: bool,
}

/// The CAB page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Board {
    /// `gha/epicor-cabs` on bitbucket-cloud.
    pub repository: String,
    pub branch: String,
    /// The branch's head when read: pass it back with an upload so nothing is overwritten.
    pub head: String,
    pub path: String,
    pub flow: String,
    pub required_approvals: u32,
    pub approvers: Vec<String>,
    pub destination: Option<String>,
    pub environments: Vec<EnvironmentRef>,
    pub roles: Option<CabRoles>,
    pub cabs: Vec<CabCard>,
}

/// One CAB with its versions, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CabDetail {
    pub card: CabCard,
    pub versions: Vec<VersionState>,
    /// Versions beyond these exist but were not read.
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Uploaded {
    pub name: String,
    pub path: String,
    pub commit: String,
    pub version: u32,
    pub sha256: String,
    #[ts(type = "number")]
    pub size: u64,
}

/// A version's bytes, downloaded.
#[derive(Debug, Clone)]
pub struct CabFile {
    pub name: String,
    pub version: u32,
    pub commit: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Promoted {
    pub name: String,
    pub version: u32,
    pub commit: String,
    pub sha256: String,
    pub placed: promote::Placed,
    pub tag: String,
    pub manifest: promote::Manifest,
}

/// What an action did, for its audit entry.
struct Done {
    /// The CAB's path.
    cab: String,
    /// The commit.
    version: String,
    detail: String,
}

/// The workflow over the configured repository, for one caller.
#[derive(Debug)]
pub struct Releases {
    settings: CabSettings,
    client: Client,
    environments: Vec<EnvironmentRef>,
    pool: sqlx::SqlitePool,
    /// The opsdeck token an action came through (server), for records and the audit.
    via: Option<String>,
    me: tokio::sync::OnceCell<Identity>,
}

fn stem_for_tag(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(s, ext)| {
        if ext.eq_ignore_ascii_case("cab") {
            s
        } else {
            name
        }
    });
    let mut out = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').trim_matches('.').to_string()
}

/// `cab/<name>/<version>`, in the characters a git ref allows.
pub fn tag_name(name: &str, version: u32) -> String {
    format!("cab/{}/{version}", stem_for_tag(name))
}

impl Releases {
    /// The environments installs are recorded in (the matrix's columns).
    pub fn environments(&self) -> &[EnvironmentRef] {
        &self.environments
    }

    pub fn new(
        config: &Config,
        secrets: &Arc<dyn SecretSource>,
        pool: sqlx::SqlitePool,
        via: Option<String>,
    ) -> Result<Releases, CabError> {
        let settings = config.cab.clone().ok_or(CabError::NotConfigured)?;
        let client = super::client(&settings, secrets)?;
        Ok(Releases {
            environments: config
                .environment
                .iter()
                .map(|e| EnvironmentRef {
                    id: e.id.clone(),
                    name: e.name.clone(),
                })
                .collect(),
            settings,
            client,
            pool,
            via,
            me: tokio::sync::OnceCell::new(),
        })
    }

    /// Shorter waits between retries (tests).
    pub fn with_backoff(mut self, first: std::time::Duration) -> Releases {
        self.client = self.client.with_backoff(first);
        self
    }

    pub fn settings(&self) -> &CabSettings {
        &self.settings
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }

    /// The token's owner.
    pub async fn me(&self) -> Result<Identity, CabError> {
        self.me
            .get_or_try_init(|| async { self.client.whoami().await.map_err(CabError::from) })
            .await
            .cloned()
    }

    pub async fn roles(&self) -> Result<CabRoles, CabError> {
        let identity = self.me().await?;
        Ok(CabRoles {
            approver: self.listed(&identity, &self.settings.approvers),
            publisher: self.settings.publishers.is_empty()
                || self.listed(&identity, &self.settings.publishers),
            identity,
        })
    }

    fn repository_label(&self) -> String {
        format!(
            "{}/{} on {}",
            self.settings.workspace,
            self.settings.repository,
            match self.settings.provider {
                CabProvider::BitbucketCloud => "bitbucket-cloud",
                CabProvider::BitbucketDc => "bitbucket-dc",
            }
        )
    }

    fn destination_label(&self) -> Option<String> {
        self.settings.destination.as_ref().map(|d| match d {
            CabDestination::Folder { path } => path.display().to_string(),
            CabDestination::BitbucketBranch {
                branch,
                repository,
                path,
            } => format!(
                "branch {branch} of {}{}",
                repository.as_deref().unwrap_or(&self.settings.repository),
                if path.is_empty() {
                    String::new()
                } else {
                    format!(", {path}")
                }
            ),
        })
    }

    /// Who did it, for the audit: the Bitbucket account, and the token when served.
    async fn actor(&self) -> String {
        let who = match self.me().await {
            Ok(me) => me.label(),
            Err(_) => "unknown Bitbucket account".into(),
        };
        match &self.via {
            Some(v) => format!("{who} via token {v}"),
            None => who,
        }
    }

    async fn log(&self, action: &str, outcome: &str, cab: &str, version: &str, detail: &str) {
        let actor = self.actor().await;
        let e = audit::Event {
            actor: &actor,
            action,
            outcome,
            cab,
            version,
            detail,
        };
        if let Err(err) = audit::append(&self.pool, &e).await {
            tracing::error!(error = %err, action, cab, "cannot write the CAB audit log");
        }
    }

    /// The CAB's path in the repository, by file name or path.
    async fn find(&self, head: &str, name: &str) -> Result<String, CabError> {
        let files = self.client.list_files(head, &self.settings.path).await?;
        files
            .into_iter()
            .find(|f| {
                is_cab(&f.path) && (f.path == name || name_of(&f.path).eq_ignore_ascii_case(name))
            })
            .map(|f| f.path)
            .ok_or_else(|| CabError::NoSuchCab(name.to_string()))
    }

    /// `None`: the newest; `3` or `v3`: the third version; else a commit (or its prefix).
    fn pick<'h>(
        history: &'h [Commit],
        cab: &str,
        spec: Option<&str>,
    ) -> Result<(u32, &'h Commit), CabError> {
        let total = history.len() as u32;
        let ordinal_of = |i: usize| total - i as u32;
        let found = match spec.map(str::trim).filter(|s| !s.is_empty()) {
            None => history.first().map(|c| (0, c)),
            Some(s) => {
                let n = s.strip_prefix(['v', 'V']).unwrap_or(s);
                match n.parse::<u32>() {
                    Ok(n) if n >= 1 && n <= total && s.len() < 7 => {
                        let i = (total - n) as usize;
                        Some((i, &history[i]))
                    }
                    _ if s.len() >= 7 => history
                        .iter()
                        .enumerate()
                        .find(|(_, c)| c.hash.starts_with(&s.to_ascii_lowercase())),
                    _ => None,
                }
            }
        };
        found
            .map(|(i, c)| (ordinal_of(i), c))
            .ok_or_else(|| CabError::NoSuchVersion {
                cab: cab.to_string(),
                version: spec.unwrap_or("newest").to_string(),
            })
    }

    /// Write a record on a version's commit, as the token's owner.
    async fn record(
        &self,
        commit: &str,
        path: &str,
        me: &Identity,
        claim: &Claim,
    ) -> Result<(), CabError> {
        let text = records::format(claim, path, me, self.via.as_deref());
        self.client.add_comment(commit, &text).await?;
        Ok(())
    }

    /// The records about `path` on `commit`, oldest first: read from Bitbucket when `fresh`,
    /// else reused when read within [`OLDER_RECORDS_FRESH_MS`].
    async fn records(
        &self,
        commit: &str,
        path: &str,
        fresh: bool,
    ) -> Result<Vec<Record>, CabError> {
        let known = if fresh {
            None
        } else {
            audit::known_comments(&self.pool, commit, OLDER_RECORDS_FRESH_MS).await?
        };
        let comments = match known {
            Some(c) => c,
            None => {
                let c = self.client.comments(commit).await?;
                audit::remember_comments(&self.pool, commit, &c).await?;
                c
            }
        };
        Ok(comments
            .iter()
            .filter_map(records::parse)
            .filter(|r| r.path == path)
            .collect())
    }

    /// A version with its records judged.
    fn assess(
        &self,
        ordinal: u32,
        newest: u32,
        commit: &Commit,
        sha256: Option<String>,
        records: &[Record],
        pr: Option<&PullRequest>,
    ) -> VersionState {
        let s = &self.settings;
        let place = |r: &Record, target: String| Placement {
            target,
            version: ordinal,
            commit: commit.hash.clone(),
            by: r.label(),
            at: r.at.clone(),
            current: ordinal == newest,
        };
        // A `via:` line is believed only from a team server's account: this server's own
        // (when this is one), or the configured `server_account`.
        let server = self.via.as_ref().and(self.me.get());
        let server_handle = s.server_account.as_deref();
        let via_of = |r: &Record| r.trusted_via(server, server_handle).map(str::to_string);
        // Each person's last word counts: an approval after a rejection lifts it.
        let mut last: Vec<(String, &Record)> = Vec::new();
        let mut installs: Vec<Placement> = Vec::new();
        let mut promoted = None;
        for r in records {
            match &r.claim {
                Claim::Approved { .. } | Claim::Rejected { .. } => {
                    let key = r.person(&s.approvers, via_of(r).as_deref());
                    last.retain(|(k, _)| k != &key);
                    last.push((key, r));
                }
                Claim::Installed { environment } => {
                    installs.retain(|p| &p.target != environment);
                    installs.push(place(r, environment.clone()));
                }
                Claim::Promoted { destination, .. } => {
                    promoted = Some(place(r, destination.clone()));
                }
                Claim::ReviewRequested { .. } => {}
            }
        }
        let pull_flow = s.flow == CabFlow::PullRequest;
        let mut approvals = Vec::new();
        let mut rejections = Vec::new();
        if pull_flow {
            // Bitbucket's own approvals on the pull request; the records give reasons.
            for p in pr.map(|p| p.participants.as_slice()).unwrap_or_default() {
                let same = |r: &&Record| {
                    (r.by.account_id.is_some() && r.by.account_id == p.who.account_id)
                        || (!p.who.name.is_empty() && r.by.name == p.who.name)
                };
                let approver = p.who.is_any(&s.approvers)
                    || records
                        .iter()
                        .filter(same)
                        .any(|r| r.by_any(&s.approvers, via_of(r).as_deref()));
                let label = records
                    .iter()
                    .rev()
                    .find(same)
                    .map(|r| r.label())
                    .unwrap_or_else(|| p.who.label());
                let at = p.at.clone().unwrap_or_default();
                if p.approved {
                    let note = if !approver {
                        Some("not a configured approver".to_string())
                    } else if p.who.wrote(commit)
                        || uploader_of(commit).is_some_and(|u| p.who.is(&u))
                    {
                        Some("the version's own author".to_string())
                    } else {
                        None
                    };
                    approvals.push(Verdict {
                        by: label,
                        at,
                        counts: note.is_none(),
                        note,
                    });
                } else if p.changes_requested {
                    let reason = records
                        .iter()
                        .rev()
                        .filter(same)
                        .find_map(|r| match &r.claim {
                            Claim::Rejected { reason } => Some(reason.clone()),
                            _ => None,
                        })
                        .unwrap_or_else(|| {
                            format!(
                                "changes requested on pull request #{}",
                                pr.map_or(0, |p| p.id)
                            )
                        });
                    rejections.push(Verdict {
                        by: label,
                        at,
                        counts: approver,
                        note: Some(reason),
                    });
                }
            }
        }
        for (_, r) in last.iter().filter(|_| !pull_flow) {
            let via = via_of(r);
            let approver = r.by_any(&s.approvers, via.as_deref());
            // Through a team server, the server's account writes everything: the token is who.
            // The uploader a server names in the commit is an author too, wherever they approve.
            let own = match via.as_deref() {
                Some(v) => uploaded_through(commit, v),
                None => r.by.wrote(commit) || uploader_of(commit).is_some_and(|u| r.by.is(&u)),
            };
            match &r.claim {
                Claim::Approved { sha256: approved } => {
                    let note = if !approver {
                        Some("not a configured approver".to_string())
                    } else if own {
                        Some("the version's own author".to_string())
                    } else if sha256.as_deref().is_some_and(|known| known != approved) {
                        Some("approved other bytes".to_string())
                    } else {
                        None
                    };
                    approvals.push(Verdict {
                        by: r.label(),
                        at: r.at.clone(),
                        counts: note.is_none(),
                        note,
                    });
                }
                Claim::Rejected { reason } => rejections.push(Verdict {
                    by: r.label(),
                    at: r.at.clone(),
                    counts: approver,
                    note: Some(reason.clone()),
                }),
                _ => {}
            }
        }
        let counted = approvals.iter().filter(|v| v.counts).count() as u32;
        let standing = rejections.iter().find(|v| v.counts);
        let pr_problem = match pr {
            _ if !pull_flow || promoted.is_some() => None,
            None => Some("no pull request yet: request a review".to_string()),
            Some(p) if p.state == "DECLINED" || p.state == "SUPERSEDED" => Some(format!(
                "pull request #{} was {}: request a review again",
                p.id,
                p.state.to_lowercase()
            )),
            Some(_) => None,
        };
        let waiting_for = match standing {
            _ if pr_problem.is_some() => pr_problem,
            Some(r) => Some(format!(
                "rejected by {}: {}",
                r.by,
                r.note.as_deref().unwrap_or("no reason given")
            )),
            None if counted < s.required_approvals => {
                Some(format!("{} of {} approvals", counted, s.required_approvals))
            }
            None => None,
        };
        VersionState {
            version: ordinal,
            commit: commit.hash.clone(),
            author: commit.author.clone(),
            date: commit.date.clone(),
            message: commit
                .message
                .lines()
                .filter(|l| !l.trim().starts_with(UPLOADED_BY))
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_string(),
            uploaded_through: commit
                .message
                .lines()
                .find_map(|l| l.trim().strip_prefix(UPLOADED_BY))
                .map(|v| v.trim().to_string()),
            yours: self.yours(commit),
            sha256,
            approvals,
            rejections,
            installs,
            promoted,
            pull_request: pr.map(|p| PullRequestRef {
                id: p.id,
                state: p.state.clone(),
                source_branch: p.source_branch.clone(),
            }),
            promotable: waiting_for.is_none(),
            waiting_for,
        }
    }

    /// The pull request a version's records point at (the newest requested), if the flow has
    /// them.
    async fn pull_request_of(
        &self,
        records: &[Record],
        commit: &str,
        path: &str,
    ) -> Result<Option<PullRequest>, CabError> {
        if self.settings.flow != CabFlow::PullRequest {
            return Ok(None);
        }
        let Ok((release, _)) = self.release() else {
            return Ok(None);
        };
        // Anyone may comment: a record's pull request is believed only when it is one opsdeck
        // opened for this very version (its branch name) into the release branch.
        let expected = review_branch_prefix(&name_of(path), commit);
        let ids = records.iter().rev().filter_map(|r| match r.claim {
            Claim::ReviewRequested { pull_request } => Some(pull_request),
            _ => None,
        });
        for id in ids {
            let pr = self.client.pull_request(id).await?;
            if pr.source_branch.starts_with(&expected) && pr.destination_branch == release {
                return Ok(Some(pr));
            }
            tracing::warn!(
                pull_request = id,
                path,
                "a review record names a pull request that is not this version's; ignored"
            );
        }
        Ok(None)
    }

    /// The newest `depth` versions of `path` with their records.
    async fn states(
        &self,
        path: &str,
        history: &[Commit],
        depth: usize,
    ) -> Result<Vec<VersionState>, CabError> {
        let total = history.len() as u32;
        let newest_sha = match history.first() {
            Some(c) => Some(
                digest_of(&self.client, Some(&self.pool), &c.hash, path)
                    .await?
                    .0,
            ),
            None => None,
        };
        // Owned commits: a stream over borrowed ones is not `Send` for the server.
        let newest: Vec<(usize, Commit)> =
            history.iter().take(depth).cloned().enumerate().collect();
        let mut states: Vec<VersionState> = futures::stream::iter(newest)
            .map(|(i, c)| {
                let sha = if i == 0 { newest_sha.clone() } else { None };
                async move {
                    let sha = match sha {
                        Some(s) => Some(s),
                        None => audit::known_digest(&self.pool, &c.hash, path)
                            .await?
                            .map(|(s, _)| s),
                    };
                    // The newest version's records decide the stage: always read afresh.
                    let records = self.records(&c.hash, path, i == 0).await?;
                    let pr = self.pull_request_of(&records, &c.hash, path).await?;
                    Ok::<_, CabError>(self.assess(
                        total - i as u32,
                        total,
                        &c,
                        sha,
                        &records,
                        pr.as_ref(),
                    ))
                }
            })
            .buffered(AT_ONCE)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        states.sort_by_key(|s| std::cmp::Reverse(s.version));
        Ok(states)
    }

    fn card(
        &self,
        path: &str,
        size: u64,
        sha256: String,
        total: u32,
        states: &[VersionState],
    ) -> Option<CabCard> {
        let newest = states.first()?.clone();
        let installed = self
            .environments
            .iter()
            .map(|env| {
                states
                    .iter()
                    .flat_map(|v| v.installs.iter())
                    .filter(|p| p.target == env.id)
                    .max_by(|a, b| a.at.cmp(&b.at).then(a.version.cmp(&b.version)))
                    .cloned()
            })
            .collect();
        let promoted = states
            .iter()
            .filter_map(|v| v.promoted.clone())
            .max_by(|a, b| a.at.cmp(&b.at));
        let stage = if newest.promoted.is_some() {
            Stage::Promoted
        } else if newest.rejections.iter().any(|r| r.counts) {
            Stage::Rejected
        } else if newest.promotable {
            Stage::Approved
        } else if !newest.installs.is_empty() {
            Stage::Installed
        } else {
            Stage::InRepo
        };
        Some(CabCard {
            name: name_of(path),
            path: path.to_string(),
            size,
            sha256,
            versions: total,
            stage,
            newest,
            installed,
            promoted,
            epicor: Vec::new(),
        })
    }

    /// Every CAB as a pipeline.
    pub async fn board(&self) -> Result<Board, CabError> {
        // Who the caller is, first: each version says whether it is theirs. A token Bitbucket
        // refuses shows in the catalogue's error; the board works without roles otherwise.
        let _ = self.me().await;
        let (head, entries) =
            super::catalogue_with(&self.client, &self.settings, Some(&self.pool)).await?;
        let head_ref = &head;
        let cabs: Vec<CabCard> = futures::stream::iter(entries)
            .map(|e| async move {
                let history = self.client.history(head_ref, &e.path).await?;
                let states = self.states(&e.path, &history, BOARD_DEPTH).await?;
                Ok::<_, CabError>(self.card(
                    &e.path,
                    e.size,
                    e.sha256,
                    history.len() as u32,
                    &states,
                ))
            })
            .buffered(2)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        Ok(Board {
            repository: self.repository_label(),
            branch: self.settings.branch.clone(),
            head,
            path: self.settings.path.clone(),
            flow: match self.settings.flow {
                CabFlow::Direct => "direct".into(),
                CabFlow::PullRequest => "pull-request".into(),
            },
            required_approvals: self.settings.required_approvals,
            approvers: self.settings.approvers.clone(),
            destination: self.destination_label(),
            environments: self.environments.clone(),
            roles: self.roles().await.ok(),
            cabs,
        })
    }

    /// One CAB with its versions.
    pub async fn detail(&self, name: &str) -> Result<CabDetail, CabError> {
        let _ = self.me().await;
        let head = self.client.branch_head(&self.settings.branch).await?;
        let path = self.find(&head, name).await?;
        let history = self.client.history(&head, &path).await?;
        let states = self.states(&path, &history, DETAIL_DEPTH).await?;
        let (sha, size) = match history.first() {
            Some(c) => digest_of(&self.client, Some(&self.pool), &c.hash, &path).await?,
            None => (String::new(), 0),
        };
        let card = self
            .card(&path, size, sha, history.len() as u32, &states)
            .ok_or_else(|| CabError::NoSuchCab(name.to_string()))?;
        Ok(CabDetail {
            card,
            more: history.len() > DETAIL_DEPTH,
            versions: states,
        })
    }

    /// The audit's name for a CAB given by name or path: its path in the repository, so a
    /// CAB's failed attempts file under the same key as its successful ones.
    fn cab_key(&self, name: &str) -> String {
        let folder = self.settings.path.trim_matches('/');
        if name.contains('/') || folder.is_empty() {
            name.to_string()
        } else {
            format!("{folder}/{name}")
        }
    }

    /// Run an action with its audit entry: `ok` with what it did, or `failed` with why.
    async fn audited<T>(
        &self,
        action: &str,
        cab: &str,
        version: &str,
        run: impl std::future::Future<Output = Result<(T, Done), CabError>>,
    ) -> Result<T, CabError> {
        match run.await {
            Ok((value, done)) => {
                self.log(action, "ok", &done.cab, &done.version, &done.detail)
                    .await;
                Ok(value)
            }
            Err(e) => {
                self.log(action, "failed", cab, version, &e.to_string())
                    .await;
                Err(e)
            }
        }
    }

    /// Whether the caller is one of `handles`: by Bitbucket account, or through a team server
    /// by the opsdeck token's name.
    fn listed(&self, me: &Identity, handles: &[String]) -> bool {
        match self.via.as_deref() {
            // Through a server, the token's name; or, when the list names the server's own
            // account, any token (the administrator's choice: one role decides).
            Some(v) => {
                handles
                    .iter()
                    .any(|h| super::bitbucket::handle_of(h).eq_ignore_ascii_case(v))
                    || me.is_any(handles)
            }
            None => me.is_any(handles),
        }
    }

    /// Whether the caller wrote `commit`: the token that uploaded it through a server, or the
    /// Bitbucket account on a desktop (known once [`Releases::me`] has answered).
    fn yours(&self, commit: &Commit) -> bool {
        match (&self.via, self.me.get()) {
            (Some(v), _) => uploaded_through(commit, v),
            (None, Some(me)) => me.wrote(commit) || uploader_of(commit).is_some_and(|u| me.is(&u)),
            (None, None) => false,
        }
    }

    /// `the token anna@example.com` through a server, else the Bitbucket account.
    fn caller_label(&self, me: &Identity) -> String {
        match &self.via {
            Some(v) => format!("the token `{v}`"),
            None => me.label(),
        }
    }

    async fn require_publisher(&self, what: &str) -> Result<Identity, CabError> {
        let me = self.me().await?;
        if !self.settings.publishers.is_empty() && !self.listed(&me, &self.settings.publishers) {
            return Err(CabError::NotAllowed(format!(
                "{} may not {what}: only the publishers in `cab.publishers` may ({})",
                self.caller_label(&me),
                self.settings.publishers.join(", ")
            )));
        }
        Ok(me)
    }

    async fn require_approver(&self, what: &str) -> Result<Identity, CabError> {
        let me = self.me().await?;
        if !self.listed(&me, &self.settings.approvers) {
            return Err(CabError::NotAllowed(format!(
                "{} may not {what}: only the approvers in `cab.approvers` may ({})",
                self.caller_label(&me),
                self.settings.approvers.join(", ")
            )));
        }
        Ok(me)
    }

    /// The pull-request flow's promotion: merge the version's approved pull request, after
    /// checking that its branch still holds exactly the approved bytes.
    async fn merge_for(
        &self,
        path: &str,
        ordinal: u32,
        commit: &Commit,
        manifest: &promote::Manifest,
    ) -> Result<promote::Placed, CabError> {
        let (release, folder) = self.release()?;
        let name_only = name_of(path);
        let target = if folder.is_empty() {
            name_only.clone()
        } else {
            format!("{folder}/{name_only}")
        };
        let records = self.records(&commit.hash, path, true).await?;
        let pr = self
            .pull_request_of(&records, &commit.hash, path)
            .await?
            .ok_or_else(|| {
                CabError::NotReady(format!(
                    "version {ordinal} has no pull request yet: request a review first"
                ))
            })?;
        let placed = |already_there: bool| promote::Placed {
            target: format!("{release}:{target}"),
            manifest: format!("the merge commit of pull request #{}", pr.id),
            already_there,
            replaced: false,
        };
        if pr.state == "MERGED" {
            // Merged already (in Bitbucket, or by an earlier promotion): the release branch
            // must hold the approved bytes.
            let head = self.client.branch_head(&release).await?;
            let there = super::hex_digest(&self.client.raw(&head, &target).await?);
            if there != manifest.sha256 {
                return Err(CabError::Mismatch {
                    what: format!("the bytes of `{target}` on `{release}`"),
                    expected: manifest.sha256.clone(),
                    got: there,
                });
            }
            return Ok(placed(true));
        }
        let on_branch = self.client.raw(&pr.source_head, &target).await?;
        let sha = super::hex_digest(&on_branch);
        if sha != manifest.sha256 {
            return Err(CabError::Mismatch {
                what: format!("the bytes on the branch of pull request #{}", pr.id),
                expected: manifest.sha256.clone(),
                got: sha,
            });
        }
        let message = format!(
            "Promote {name_only} version {ordinal} (pull request #{})\n\n{}",
            pr.id,
            serde_json::to_string_pretty(manifest).unwrap_or_default()
        );
        self.client.merge_pull_request(&pr, &message).await?;
        Ok(placed(false))
    }

    /// Commit a CAB exported from development as a new file or a new version. `expected_head`
    /// is the branch head the uploader last saw (the board's `head`): when the branch moved
    /// since, nothing is written and the uploader is told to refresh.
    pub async fn upload(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
        message: &str,
        expected_head: Option<&str>,
    ) -> Result<Uploaded, CabError> {
        let name = file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(file_name)
            .trim()
            .to_string();
        let path = if self.settings.path.trim_matches('/').is_empty() {
            name.clone()
        } else {
            format!("{}/{name}", self.settings.path.trim_matches('/'))
        };
        self.audited("upload", &path, "", async {
            super::check_file_name(&name)?;
            if !is_cab(&name) {
                return Err(CabError::Invalid(format!(
                    "`{name}` is not a .cab file; export the solution from Solution Workbench as a .cab"
                )));
            }
            if bytes.len() > MAX_CAB {
                return Err(CabError::Invalid(format!("`{name}` is larger than 100 MiB")));
            }
            if !bytes.starts_with(b"MSCF") {
                return Err(CabError::Invalid(format!(
                    "`{name}` is not a cabinet file (it does not start with MSCF); was it exported from Solution Workbench?"
                )));
            }
            if message.trim().is_empty() {
                return Err(CabError::Invalid("a commit message is needed: say what changed".into()));
            }
            self.require_publisher("upload CABs").await?;
            let head = self.client.branch_head(&self.settings.branch).await?;
            // A commit given short (7 characters or more) is the head it starts.
            let base_head = match expected_head.map(str::trim) {
                Some(e) if e.len() >= 7 && head.starts_with(&e.to_ascii_lowercase()) => head.clone(),
                Some(e) => e.to_string(),
                None => head.clone(),
            };
            if base_head != head {
                return Err(BitbucketError::Moved {
                    host: self.client.host(),
                    branch: self.settings.branch.clone(),
                    message: format!("the branch is at {} now, not {}", short(&head), short(&base_head)),
                }
                .into());
            }
            // One name, one CAB: `orders.cab` beside `Orders.cab` would be two in Bitbucket and
            // one file on Windows.
            let existing = match self.client.list_files(&head, &self.settings.path).await {
                Ok(files) => files,
                Err(BitbucketError::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            if let Some(other) = existing
                .iter()
                .find(|f| f.path != path && name_of(&f.path).eq_ignore_ascii_case(&name))
            {
                return Err(CabError::Invalid(format!(
                    "`{}` exists already under another case; upload it as `{}`",
                    other.path,
                    name_of(&other.path)
                )));
            }
            let history = match self.client.history(&head, &path).await {
                Ok(h) => h,
                Err(BitbucketError::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            let sha = super::hex_digest(&bytes);
            let size = bytes.len() as u64;
            if let Some(newest) = history.first() {
                let (known, _) = digest_of(&self.client, Some(&self.pool), &newest.hash, &path).await?;
                if known == sha {
                    return Err(CabError::Invalid(format!(
                        "`{name}` is identical to version {} ({}); nothing to upload",
                        history.len(),
                        short(&newest.hash)
                    )));
                }
            }
            let base = UploadBase {
                branch: self.settings.branch.clone(),
                branch_head: base_head,
                file_commit: history.first().map(|c| c.hash.clone()),
                ..UploadBase::default()
            };
            let message = match &self.via {
                Some(v) => format!("{}\n\n{UPLOADED_BY}{v}", message.trim()),
                None => message.trim().to_string(),
            };
            // Not remembered here: where Bitbucket Cloud answers without the new commit, the
            // branch head stands in for it, and might be someone else's a moment later.
            let commit = self.client.upload(&base, &path, bytes, &message).await?;
            let version = history.len() as u32 + 1;
            let detail = format!("version {version}, SHA-256 {sha}, {size} bytes: {}", message.trim());
            Ok((
                Uploaded {
                    name: name.clone(),
                    path: path.clone(),
                    commit: commit.clone(),
                    version,
                    sha256: sha,
                    size,
                },
                Done { cab: path.clone(), version: commit, detail },
            ))
        })
        .await
    }

    /// The version (newest unless given) of a CAB, with its path and history.
    async fn version(
        &self,
        name: &str,
        spec: Option<&str>,
    ) -> Result<(String, Vec<Commit>, u32, Commit), CabError> {
        let head = self.client.branch_head(&self.settings.branch).await?;
        let path = self.find(&head, name).await?;
        let history = self.client.history(&head, &path).await?;
        let (ordinal, commit) = Self::pick(&history, name, spec)?;
        let commit = commit.clone();
        Ok((path, history, ordinal, commit))
    }

    async fn state_of(
        &self,
        path: &str,
        history: &[Commit],
        ordinal: u32,
        commit: &Commit,
    ) -> Result<VersionState, CabError> {
        let (sha, _) = digest_of(&self.client, Some(&self.pool), &commit.hash, path).await?;
        let records = self.records(&commit.hash, path, true).await?;
        let pr = self.pull_request_of(&records, &commit.hash, path).await?;
        Ok(self.assess(
            ordinal,
            history.len() as u32,
            commit,
            Some(sha),
            &records,
            pr.as_ref(),
        ))
    }

    /// The bytes of a version (newest unless given): file name, version, commit, SHA-256, bytes.
    pub async fn download(&self, name: &str, version: Option<&str>) -> Result<CabFile, CabError> {
        let (path, _, ordinal, commit) = self.version(name, version).await?;
        let bytes = self.client.raw(&commit.hash, &path).await?;
        let sha256 = super::hex_digest(&bytes);
        audit::remember_digest(&self.pool, &commit.hash, &path, &sha256, bytes.len() as u64)
            .await?;
        Ok(CabFile {
            name: name_of(&path),
            version: ordinal,
            commit: commit.hash,
            sha256,
            bytes,
        })
    }

    /// Record that a version was installed in an environment.
    pub async fn install(
        &self,
        name: &str,
        version: Option<&str>,
        environment: &str,
    ) -> Result<VersionState, CabError> {
        self.audited(
            "install",
            &self.cab_key(name),
            version.unwrap_or(""),
            async {
                let env = self
                    .environments
                    .iter()
                    .find(|e| e.id == environment)
                    .ok_or_else(|| CabError::NoSuchEnvironment(environment.to_string()))?;
                let me = self.me().await?;
                let (path, history, ordinal, commit) = self.version(name, version).await?;
                self.record(
                    &commit.hash,
                    &path,
                    &me,
                    &Claim::Installed {
                        environment: env.id.clone(),
                    },
                )
                .await?;
                let state = self.state_of(&path, &history, ordinal, &commit).await?;
                Ok((
                    state,
                    Done {
                        cab: path,
                        version: commit.hash.clone(),
                        detail: format!("version {ordinal} installed in {} ({})", env.name, env.id),
                    },
                ))
            },
        )
        .await
    }

    /// The release branch and folder of the pull-request flow.
    fn release(&self) -> Result<(String, String), CabError> {
        match &self.settings.destination {
            Some(CabDestination::BitbucketBranch {
                branch,
                repository,
                path,
            }) if repository
                .as_deref()
                .is_none_or(|r| r == self.settings.repository) =>
            {
                Ok((branch.clone(), path.trim_matches('/').to_string()))
            }
            _ => Err(CabError::NoDestination),
        }
    }

    /// In the pull-request flow, the version's open pull request (refusing when there is none,
    /// or when the action comes through a team server, whose one account cannot stand for
    /// several people in Bitbucket's approvals). `None` in the direct flow.
    async fn open_pull_request(
        &self,
        commit: &str,
        path: &str,
        ordinal: u32,
    ) -> Result<Option<PullRequest>, CabError> {
        if self.settings.flow != CabFlow::PullRequest {
            return Ok(None);
        }
        if let Some(v) = &self.via {
            return Err(CabError::NotAllowed(format!(
                "in the pull-request flow approvals are Bitbucket's own, one per account; the token `{v}` acts through the server's account: approve in Bitbucket, or from a desktop with your own Bitbucket token"
            )));
        }
        let records = self.records(commit, path, true).await?;
        match self.pull_request_of(&records, commit, path).await? {
            Some(pr) if pr.state == "OPEN" => Ok(Some(pr)),
            Some(pr) => Err(CabError::NotReady(format!(
                "pull request #{} of version {ordinal} is {}: request a review again",
                pr.id,
                pr.state.to_lowercase()
            ))),
            None => Err(CabError::NotReady(format!(
                "version {ordinal} has no pull request yet: request a review first"
            ))),
        }
    }

    /// The pull-request flow's first step: a branch off the release branch with exactly this
    /// version's bytes, and a pull request from it into the release branch. Asking again for
    /// a version whose pull request is open answers that one.
    pub async fn request_review(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<VersionState, CabError> {
        self.audited("request", &self.cab_key(name), version.unwrap_or(""), async {
            if self.settings.flow != CabFlow::PullRequest {
                return Err(CabError::Invalid(
                    "reviews are pull requests only in the pull-request flow (`cab.flow`); in the direct flow approvers approve the version itself".into(),
                ));
            }
            let (release, folder) = self.release()?;
            let me = self.me().await?;
            let (path, history, ordinal, commit) = self.version(name, version).await?;
            let records = self.records(&commit.hash, &path, true).await?;
            if let Some(pr) = self.pull_request_of(&records, &commit.hash, &path).await? {
                if pr.state == "OPEN" || pr.state == "MERGED" {
                    let state = self.state_of(&path, &history, ordinal, &commit).await?;
                    let detail = format!("version {ordinal}: pull request #{} is {} already", pr.id, pr.state.to_lowercase());
                    return Ok((state, Done { cab: path, version: commit.hash.clone(), detail }));
                }
            }
            let name_only = name_of(&path);
            let target = if folder.is_empty() { name_only.clone() } else { format!("{folder}/{name_only}") };
            let bytes = self.client.raw(&commit.hash, &path).await?;
            let sha = super::hex_digest(&bytes);
            let release_head = self.client.branch_head(&release).await?;
            let existing = match self.client.raw(&release_head, &target).await {
                Ok(b) => Some(super::hex_digest(&b)),
                Err(BitbucketError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            if existing.as_deref() == Some(sha.as_str()) {
                return Err(CabError::Invalid(format!(
                    "version {ordinal} of {name_only} is on `{release}` already"
                )));
            }
            // Unique per request: a declined request's branch may still be there.
            let branch = format!(
                "{}{}",
                review_branch_prefix(&name_only, &commit.hash),
                crate::time_fmt::now_ms() / 1000
            );
            let base = UploadBase {
                branch: branch.clone(),
                branch_head: release_head.clone(),
                file_commit: match existing {
                    Some(_) => self.client.last_commit_of(&release, &target).await?,
                    None => None,
                },
                source_branch: Some(release.clone()),
            };
            let message = format!(
                "{name_only} version {ordinal} for review\n\nsha256: {sha}\nsource: {} {path} at {}",
                self.repository_label(),
                commit.hash
            );
            self.client.upload(&base, &target, bytes, &message).await?;
            let title = format!("Promote {name_only} version {ordinal}");
            let description = format!(
                "Promotes version {ordinal} of `{path}` (commit {}) to `{release}`.\n\nSHA-256: `{sha}`\n\nApprovals by: {} ({} needed). Requested through opsdeck by {}.",
                commit.hash,
                self.settings.approvers.join(", "),
                self.settings.required_approvals,
                me.label()
            );
            let pr = self.client.create_pull_request(&branch, &release, &title, &description).await?;
            self.record(&commit.hash, &path, &me, &Claim::ReviewRequested { pull_request: pr.id }).await?;
            let state = self.state_of(&path, &history, ordinal, &commit).await?;
            Ok((
                state,
                Done {
                    cab: path,
                    version: commit.hash.clone(),
                    detail: format!("version {ordinal}: pull request #{} from {branch} into {release}, SHA-256 {sha}", pr.id),
                },
            ))
        })
        .await
    }

    /// Approve a version: only an approver, never its author.
    pub async fn approve(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<VersionState, CabError> {
        self.audited(
            "approve",
            &self.cab_key(name),
            version.unwrap_or(""),
            async {
                let me = self.require_approver("approve CABs").await?;
                let (path, history, ordinal, commit) = self.version(name, version).await?;
                let own_via = self
                    .via
                    .as_deref()
                    .is_some_and(|v| uploaded_through(&commit, v));
                if self.yours(&commit) || own_via {
                    return Err(CabError::NotAllowed(format!(
                    "{} wrote version {ordinal} of {}: a CAB cannot be approved by its own author",
                    self.caller_label(&me),
                    name_of(&path)
                )));
                }
                let (sha, _) =
                    digest_of(&self.client, Some(&self.pool), &commit.hash, &path).await?;
                if let Some(pr) = self.open_pull_request(&commit.hash, &path, ordinal).await? {
                    self.client.review_pull_request(&pr, &me, true).await?;
                }
                self.record(
                    &commit.hash,
                    &path,
                    &me,
                    &Claim::Approved {
                        sha256: sha.clone(),
                    },
                )
                .await?;
                let state = self.state_of(&path, &history, ordinal, &commit).await?;
                Ok((
                    state,
                    Done {
                        cab: path,
                        version: commit.hash.clone(),
                        detail: format!("version {ordinal}, SHA-256 {sha}"),
                    },
                ))
            },
        )
        .await
    }

    /// Reject a version, with the reason.
    pub async fn reject(
        &self,
        name: &str,
        version: Option<&str>,
        reason: &str,
    ) -> Result<VersionState, CabError> {
        self.audited(
            "reject",
            &self.cab_key(name),
            version.unwrap_or(""),
            async {
                if reason.trim().is_empty() {
                    return Err(CabError::Invalid(
                        "a rejection needs a reason the developer can act on".into(),
                    ));
                }
                let me = self.require_approver("reject CABs").await?;
                let (path, history, ordinal, commit) = self.version(name, version).await?;
                let claim = Claim::Rejected {
                    reason: reason.trim().to_string(),
                };
                if let Some(pr) = self.open_pull_request(&commit.hash, &path, ordinal).await? {
                    self.client.review_pull_request(&pr, &me, false).await?;
                    let text = records::format(&claim, &path, &me, self.via.as_deref());
                    self.client.comment_pull_request(pr.id, &text).await?;
                }
                self.record(&commit.hash, &path, &me, &claim).await?;
                let state = self.state_of(&path, &history, ordinal, &commit).await?;
                Ok((
                    state,
                    Done {
                        cab: path,
                        version: commit.hash.clone(),
                        detail: format!("version {ordinal}: {}", reason.trim()),
                    },
                ))
            },
        )
        .await
    }

    /// Copy an approved version's bytes to the destination, with its manifest and tag. All or
    /// nothing at the destination; a failed or interrupted promotion can simply be repeated.
    pub async fn promote(
        &self,
        name: &str,
        version: Option<&str>,
        replace: bool,
    ) -> Result<Promoted, CabError> {
        let destination = self
            .settings
            .destination
            .clone()
            .ok_or(CabError::NoDestination)?;
        let dest_label = self.destination_label().unwrap_or_default();
        // Checks first: a refusal is logged as a failure, and no promotion starts.
        let prepared = async {
            let me = self.require_publisher("promote CABs").await?;
            let (path, history, ordinal, commit) = self.version(name, version).await?;
            let state = self.state_of(&path, &history, ordinal, &commit).await?;
            if let Some(why) = &state.waiting_for {
                return Err(CabError::NotReady(format!(
                    "version {ordinal} of {} cannot be promoted yet: {why}",
                    name_of(&path)
                )));
            }
            Ok((me, path, ordinal, commit, state))
        }
        .await;
        if let Err(e) = &prepared {
            self.log(
                "promote",
                "failed",
                &self.cab_key(name),
                version.unwrap_or(""),
                &e.to_string(),
            )
            .await;
        }
        let (me, path, ordinal, commit, state) = prepared?;
        if let Some(started) = audit::unfinished_promotion(&self.pool, &path).await? {
            self.log(
                "promote",
                "failed",
                &path,
                &started.version,
                &format!(
                    "interrupted: the promotion started at {} (entry {}) never finished; nothing partial was left at the destination",
                    started.at, started.seq
                ),
            )
            .await;
        }
        let sha = state.sha256.clone().unwrap_or_default();
        let cab_name = name_of(&path);
        self.log(
            "promote",
            "started",
            &path,
            &commit.hash,
            &format!("version {ordinal} to {dest_label}"),
        )
        .await;
        let manifest = promote::Manifest {
            name: cab_name.clone(),
            version: ordinal,
            sha256: sha.clone(),
            size: audit::known_digest(&self.pool, &commit.hash, &path)
                .await?
                .map(|(_, s)| s)
                .unwrap_or(0),
            source: format!("{} {path}", self.repository_label()),
            source_commit: commit.hash.clone(),
            approvers: state
                .approvals
                .iter()
                .filter(|a| a.counts)
                .map(|a| a.by.clone())
                .collect(),
            promoted_by: self.actor().await,
            promoted_at: crate::time_fmt::now_rfc3339(),
        };
        let tag = tag_name(&cab_name, ordinal);
        let result = async {
            super::check_file_name(&cab_name)?;
            // A tag already marking another commit (two names that read the same as a tag)
            // stops the promotion before anything is copied.
            if let Some(at) = self.client.tag(&tag).await? {
                if at != commit.hash {
                    return Err(CabError::Destination(format!(
                        "the tag `{tag}` already marks another commit ({}); nothing was copied",
                        short(&at)
                    )));
                }
            }
            let placed = match &destination {
                _ if self.settings.flow == CabFlow::PullRequest => {
                    self.merge_for(&path, ordinal, &commit, &manifest).await?
                }
                CabDestination::Folder { path: dir } => {
                    promote::to_folder(&self.client, dir, &path, &manifest, replace).await?
                }
                CabDestination::BitbucketBranch {
                    branch,
                    repository,
                    path: folder,
                } => {
                    let dest = match repository {
                        Some(r) => self.client.for_repository(r),
                        None => self.client.clone(),
                    };
                    promote::to_branch(&self.client, &dest, branch, folder, &path, &manifest, replace)
                        .await?
                }
            };
            match self.client.tag(&tag).await? {
                Some(at) if at == commit.hash => {}
                Some(at) => {
                    return Err(CabError::Destination(format!(
                        "the CAB was copied, but the tag `{tag}` already marks another commit ({})",
                        short(&at)
                    )))
                }
                None => {
                    let message = format!(
                        "{cab_name} version {ordinal} promoted to {dest_label}\nsha256: {sha}\napproved by: {}\npromoted by: {}",
                        manifest.approvers.join(", "),
                        manifest.promoted_by
                    );
                    self.client.create_tag(&tag, &commit.hash, &message).await?;
                }
            }
            self.record(
                &commit.hash,
                &path,
                &me,
                &Claim::Promoted {
                    destination: dest_label.clone(),
                    sha256: sha.clone(),
                },
            )
            .await?;
            Ok::<_, CabError>(placed)
        }
        .await;
        match result {
            Ok(placed) => {
                self.log(
                    "promote",
                    "ok",
                    &path,
                    &commit.hash,
                    &format!(
                        "version {ordinal} to {}{}; tag {tag}; SHA-256 {sha}",
                        placed.target,
                        if placed.already_there {
                            " (already there)"
                        } else if placed.replaced {
                            " (replaced a different file)"
                        } else {
                            ""
                        }
                    ),
                )
                .await;
                Ok(Promoted {
                    name: cab_name,
                    version: ordinal,
                    commit: commit.hash.clone(),
                    sha256: sha,
                    placed,
                    tag,
                    manifest,
                })
            }
            Err(e) => {
                self.log("promote", "failed", &path, &commit.hash, &e.to_string())
                    .await;
                Err(e)
            }
        }
    }
}

/// The trailer a team server adds to the commits it makes for someone.
const UPLOADED_BY: &str = "Uploaded-through-opsdeck-by: ";

/// The start of the branch of every review opsdeck opens for this version:
/// `opsdeck/GHA-Field-Service-5eed000-`.
fn review_branch_prefix(name: &str, commit: &str) -> String {
    format!(
        "opsdeck/{}-{}-",
        stem_for_tag(name),
        &commit[..7.min(commit.len())]
    )
}

/// The opsdeck token a team server uploaded `commit` for, if it did.
fn uploader_of(commit: &Commit) -> Option<String> {
    commit
        .message
        .lines()
        .find_map(|l| l.trim().strip_prefix(UPLOADED_BY))
        .map(|v| v.trim().to_string())
}

/// Whether `via` (an opsdeck token's name) uploaded `commit` through a team server.
fn uploaded_through(commit: &Commit, via: &str) -> bool {
    commit
        .message
        .lines()
        .filter_map(|l| l.trim().strip_prefix(UPLOADED_BY))
        .any(|who| who.trim().eq_ignore_ascii_case(via))
        || commit
            .author_email()
            .is_some_and(|a| a.eq_ignore_ascii_case(via))
}

fn short(hash: &str) -> &str {
    &hash[..12.min(hash.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_valid_refs() {
        assert_eq!(
            tag_name("GHA Field Service.cab", 3),
            "cab/GHA-Field-Service/3"
        );
        assert_eq!(
            tag_name("Orders (v2) - final.CAB", 1),
            "cab/Orders-v2-final/1"
        );
    }
}
