//! Bitbucket Cloud (REST 2.0) and Data Center (REST 1.0), for the CAB files kept in a
//! repository: the branch's head, the files under a folder, a file's history and its bytes; who
//! the token belongs to; committing a file without overwriting someone else's change; comments
//! on commits (where the workflow records installs and approvals); tags.
//! Paging follows each flavour's own rules (Cloud's opaque `next`, Data Center's
//! `nextPageStart`); 429 and 5xx answers are retried with backoff, honouring `Retry-After`;
//! every refusal becomes a message that says what to do.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

/// Which Bitbucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// bitbucket.org, REST 2.0; `base` is the API root, `https://api.bitbucket.org/2.0`.
    Cloud,
    /// Bitbucket Data Center (Server), REST 1.0; `base` is the server, `https://bitbucket.example.com`.
    DataCenter,
}

/// How requests authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Cloud: Atlassian account e-mail and API token; Data Center: user name and password or
    /// personal token.
    Basic {
        username: String,
        token: SecretString,
    },
    /// Cloud access tokens and OAuth; Data Center HTTP access tokens.
    Bearer { token: SecretString },
}

/// One repository, and the keychain entry its credential came from (for messages).
#[derive(Debug, Clone)]
pub struct Repo {
    pub flavour: Flavour,
    pub base: String,
    /// Cloud workspace, or Data Center project key.
    pub workspace: String,
    pub slug: String,
    pub credential: String,
}

/// A file in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// From the repository root.
    pub path: String,
    pub size: Option<u64>,
}

/// A commit, as the catalogue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Commit {
    pub hash: String,
    /// RFC 3339.
    pub date: String,
    /// `Name <email>`.
    pub author: String,
    /// The Bitbucket account of the author when Bitbucket knows it (Cloud account ID, Data
    /// Center user slug).
    pub author_account: Option<String>,
    pub message: String,
}

impl Commit {
    /// The e-mail in `Name <email>`.
    pub fn author_email(&self) -> Option<&str> {
        let (_, rest) = self.author.rsplit_once('<')?;
        rest.strip_suffix('>').filter(|e| e.contains('@'))
    }
}

/// A Bitbucket account: the token's owner, or the author of a comment. Every handle Bitbucket
/// reveals is kept, since the configuration may name a person by any of them.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Identity {
    /// Cloud nickname, or Data Center user slug.
    pub name: String,
    pub display_name: String,
    /// Data Center reveals it; Cloud only for the token's own Basic user name.
    pub email: Option<String>,
    /// Cloud account ID.
    pub account_id: Option<String>,
}

impl Identity {
    /// Whether `handle` (an e-mail, nickname, slug or account ID) names this account.
    pub fn is(&self, handle: &str) -> bool {
        let h = handle_of(handle);
        // A Cloud nickname is the user's to change and need not be unique: on Cloud (where
        // accounts have an ID) only the ID and the e-mail the token signed in with count.
        !h.is_empty()
            && ((self.account_id.is_none() && h.eq_ignore_ascii_case(&self.name))
                || self
                    .email
                    .as_deref()
                    .is_some_and(|e| h.eq_ignore_ascii_case(e))
                || self.account_id.as_deref().is_some_and(|a| h == a))
    }

    /// Whether `other` is the same account (by account ID where Bitbucket gives one, else by
    /// user name: Data Center slugs are unique and set by the administrator).
    pub fn same_account(&self, other: &Identity) -> bool {
        match (&self.account_id, &other.account_id) {
            (Some(a), Some(b)) => a == b,
            (None, None) => !self.name.is_empty() && self.name.eq_ignore_ascii_case(&other.name),
            _ => false,
        }
    }

    /// Whether any of `handles` names this account.
    pub fn is_any(&self, handles: &[String]) -> bool {
        handles.iter().any(|h| self.is(h))
    }

    /// Whether this account wrote `commit` (by account, or by e-mail).
    pub fn wrote(&self, commit: &Commit) -> bool {
        commit.author_account.as_deref().is_some_and(|a| {
            self.account_id.as_deref() == Some(a) || a.eq_ignore_ascii_case(&self.name)
        }) || commit.author_email().is_some_and(|e| {
            self.email
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(e))
        })
    }

    /// For messages: `Jane Approver (jane)`.
    pub fn label(&self) -> String {
        match (&self.display_name, &self.email) {
            (d, Some(e)) if !d.is_empty() => format!("{d} <{e}>"),
            (d, None) if !d.is_empty() && d != &self.name => format!("{d} ({})", self.name),
            (_, Some(e)) => e.clone(),
            _ => self.name.clone(),
        }
    }
}

/// The handle in a configured entry: `Anna Approver <557058:ab12…>` names `557058:ab12…` (a
/// Cloud account ID is unreadable on its own), a bare entry names itself.
pub fn handle_of(entry: &str) -> &str {
    let e = entry.trim();
    match e.rsplit_once('<') {
        Some((_, rest)) if rest.ends_with('>') => rest.trim_end_matches('>').trim(),
        _ => e,
    }
}

/// A comment on a commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Comment {
    pub id: String,
    /// Set by Bitbucket from the credential that wrote it, so it cannot be claimed.
    pub author: Identity,
    pub text: String,
    /// RFC 3339.
    pub date: String,
}

/// Where an upload starts from, as the uploader last saw the repository: Cloud refuses the
/// commit when the branch moved since `branch_head`, Data Center when the file changed since
/// `file_commit` (or, with none, when the file exists already).
#[derive(Debug, Clone, Default)]
pub struct UploadBase {
    pub branch: String,
    pub branch_head: String,
    pub file_commit: Option<String>,
    /// A new `branch` starts from this one (Data Center's `sourceBranch`; on Cloud a new
    /// branch starts at `branch_head`).
    pub source_branch: Option<String>,
}

/// A pull request, as the workflow needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub id: u64,
    /// `OPEN`, `MERGED`, `DECLINED` (Cloud also `SUPERSEDED`).
    pub state: String,
    /// Data Center's optimistic-lock version, needed to merge.
    pub version: Option<i64>,
    pub source_branch: String,
    pub source_head: String,
    pub destination_branch: String,
    pub author: Identity,
    pub participants: Vec<Participant>,
    /// The merge commit, once merged (Cloud).
    pub merge_commit: Option<String>,
}

/// Someone's verdict on a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub who: Identity,
    pub approved: bool,
    /// Cloud "changes requested", Data Center "needs work".
    pub changes_requested: bool,
    /// RFC 3339, when known (Cloud's `participated_on`).
    pub at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitbucketError {
    #[error("Bitbucket at {host} refused the credential in keychain entry `{credential}` (401{detail}); check the token, and for Bitbucket Cloud that the user is the Atlassian account's e-mail")]
    Unauthorized {
        host: String,
        credential: String,
        detail: String,
    },
    #[error("the token in keychain entry `{credential}` lacks the scope {scopes} on {host} (403); create a token with it")]
    MissingScope {
        host: String,
        credential: String,
        scopes: String,
    },
    #[error("Bitbucket at {host} does not allow this ({status}): {message}")]
    Forbidden {
        host: String,
        status: u16,
        message: String,
    },
    #[error("Bitbucket at {host} has no {what} (404): {message}")]
    NotFound {
        host: String,
        what: String,
        message: String,
    },
    #[error("Bitbucket at {host} reports a conflict (409): {message}")]
    Conflict { host: String, message: String },
    #[error("someone committed to `{branch}` on Bitbucket at {host} since it was read (409: {message}); nothing was overwritten: refresh and try again")]
    Moved {
        host: String,
        branch: String,
        message: String,
    },
    #[error("Bitbucket at {host} is limiting requests (429) and still was after {attempts} attempts; try again later")]
    RateLimited { host: String, attempts: u32 },
    #[error("Bitbucket at {host} failed (HTTP {status}) {attempts} times: {message}")]
    Server {
        host: String,
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error("Bitbucket at {host} refused the request (HTTP {status}): {message}")]
    Refused {
        host: String,
        status: u16,
        message: String,
    },
    #[error("Bitbucket at {host} cannot be reached: {reason}")]
    Transport { host: String, reason: String },
    #[error("Bitbucket at {host} answered something unexpected: {reason}")]
    Invalid { host: String, reason: String },
}

/// Largest answer read: a CAB, or a page of a listing.
const MAX_BODY: usize = 256 * 1024 * 1024;

/// Items asked for per page: Cloud's maximum, and a Data Center page most servers allow.
const CLOUD_PAGELEN: u32 = 100;
const DC_LIMIT: u32 = 1000;

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    repo: Repo,
    auth: Auth,
    /// Attempts per request when Bitbucket answers 429 or 5xx or cannot be reached.
    attempts: u32,
    /// First wait between attempts (then doubled), when no `Retry-After` says otherwise.
    backoff: Duration,
}

impl Client {
    pub fn new(repo: Repo, auth: Auth) -> Client {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        Client {
            http,
            repo,
            auth,
            attempts: 4,
            backoff: Duration::from_secs(1),
        }
    }

    /// Waits between retries from `first` on (tests shorten them).
    pub fn with_backoff(mut self, first: Duration) -> Client {
        self.backoff = first;
        self
    }

    /// `host:port` of the server, for messages.
    pub fn host(&self) -> String {
        reqwest::Url::parse(&self.repo.base)
            .map(|u| crate::probe::http::authority(&u))
            .unwrap_or_else(|_| self.repo.base.clone())
    }

    /// `…/repositories/WS/REPO` (Cloud) or `…/rest/api/1.0/projects/KEY/repos/REPO` (DC).
    fn repo_url(&self) -> String {
        let base = self.repo.base.trim_end_matches('/');
        let (ws, slug) = (segment(&self.repo.workspace), segment(&self.repo.slug));
        match self.repo.flavour {
            Flavour::Cloud => format!("{base}/repositories/{ws}/{slug}"),
            Flavour::DataCenter => format!("{base}/rest/api/1.0/projects/{ws}/repos/{slug}"),
        }
    }

    /// The commit a branch points at.
    pub async fn branch_head(&self, branch: &str) -> Result<String, BitbucketError> {
        match self.repo.flavour {
            Flavour::Cloud => {
                let url = format!("{}/refs/branches/{}", self.repo_url(), segment(branch));
                let v = self.json(&url, &format!("branch `{branch}`")).await?;
                v.pointer("/target/hash")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| self.invalid("a branch without `target.hash`"))
            }
            Flavour::DataCenter => {
                let url = format!(
                    "{}/commits?until={}&limit=1",
                    self.repo_url(),
                    query(&format!("refs/heads/{branch}"))
                );
                let v = self.json(&url, &format!("branch `{branch}`")).await?;
                v.pointer("/values/0/id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| self.invalid("no commit on the branch"))
            }
        }
    }

    /// The files directly in `folder` at `commit` (not in its subfolders).
    pub async fn list_files(
        &self,
        commit: &str,
        folder: &str,
    ) -> Result<Vec<FileEntry>, BitbucketError> {
        let folder = folder.trim_matches('/');
        let what = format!("folder `{folder}`");
        let mut out = Vec::new();
        match self.repo.flavour {
            Flavour::Cloud => {
                let mut next = Some(format!(
                    "{}/src/{}/{}{}?pagelen={CLOUD_PAGELEN}",
                    self.repo_url(),
                    segment(commit),
                    path(folder),
                    if folder.is_empty() { "" } else { "/" }
                ));
                while let Some(url) = next {
                    let page: CloudPage<CloudEntry> = self.page(&url, &what).await?;
                    out.extend(
                        page.values
                            .into_iter()
                            .filter(|e| e.kind == "commit_file")
                            .map(|e| FileEntry {
                                path: e.path,
                                size: e.size,
                            }),
                    );
                    next = page.next;
                }
            }
            Flavour::DataCenter => {
                let mut start = 0u64;
                loop {
                    let url = format!(
                        "{}/browse/{}?at={}&start={start}&limit={DC_LIMIT}",
                        self.repo_url(),
                        path(folder),
                        query(commit)
                    );
                    let dir: DcDirectory = self.page(&url, &what).await?;
                    for child in dir.children.values {
                        if child.kind == "FILE" {
                            let name = child.path.to_string;
                            out.push(FileEntry {
                                path: if folder.is_empty() {
                                    name
                                } else {
                                    format!("{folder}/{name}")
                                },
                                size: child.size,
                            });
                        }
                    }
                    match (dir.children.is_last_page, dir.children.next_page_start) {
                        (false, Some(n)) => start = n,
                        _ => break,
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every commit that changed `file` up to `commit`, newest first (renames followed).
    pub async fn history(&self, commit: &str, file: &str) -> Result<Vec<Commit>, BitbucketError> {
        let file = file.trim_matches('/');
        let what = format!("file `{file}`");
        let mut out = Vec::new();
        match self.repo.flavour {
            Flavour::Cloud => {
                let mut next = Some(format!(
                    // Renames not followed: a version is the file at this path, so its bytes
                    // and records are found by this path.
                    "{}/filehistory/{}/{}?pagelen={CLOUD_PAGELEN}&renames=false",
                    self.repo_url(),
                    segment(commit),
                    path(file)
                ));
                while let Some(url) = next {
                    let page: CloudPage<CloudFileAtCommit> = self.page(&url, &what).await?;
                    out.extend(page.values.into_iter().map(|v| v.commit.into()));
                    next = page.next;
                }
            }
            Flavour::DataCenter => {
                let mut start = 0u64;
                loop {
                    let url = format!(
                        "{}/commits?path={}&until={}&start={start}&limit={DC_LIMIT}",
                        self.repo_url(),
                        query(file),
                        query(commit)
                    );
                    let page: DcPage<DcCommit> = self.page(&url, &what).await?;
                    out.extend(page.values.into_iter().map(Commit::from));
                    match (page.is_last_page, page.next_page_start) {
                        (false, Some(n)) => start = n,
                        _ => break,
                    }
                }
            }
        }
        Ok(out)
    }

    /// The bytes of `file` at `commit`.
    pub async fn raw(&self, commit: &str, file: &str) -> Result<Vec<u8>, BitbucketError> {
        let file = file.trim_matches('/');
        let url = match self.repo.flavour {
            Flavour::Cloud => format!("{}/src/{}/{}", self.repo_url(), segment(commit), path(file)),
            Flavour::DataCenter => {
                format!(
                    "{}/raw/{}?at={}",
                    self.repo_url(),
                    path(file),
                    query(commit)
                )
            }
        };
        self.get(&url, &format!("file `{file}`")).await
    }

    /// The same server and credential, another repository of the workspace (a destination).
    pub fn for_repository(&self, slug: &str) -> Client {
        let mut c = self.clone();
        c.repo.slug = slug.to_string();
        c
    }

    pub fn flavour(&self) -> Flavour {
        self.repo.flavour
    }

    /// The account the token belongs to.
    pub async fn whoami(&self) -> Result<Identity, BitbucketError> {
        let basic_user = match &self.auth {
            Auth::Basic { username, .. } => Some(username.clone()),
            Auth::Bearer { .. } => None,
        };
        let base = self.repo.base.trim_end_matches('/');
        match self.repo.flavour {
            Flavour::Cloud => {
                let user: CloudUser = self.page(&format!("{base}/user"), "signed-in user").await?;
                let mut id = Identity::from(user);
                // Cloud shows no e-mail, but an API token signs in with it.
                id.email = basic_user.filter(|u| u.contains('@'));
                Ok(id)
            }
            Flavour::DataCenter => {
                let slug = match basic_user {
                    Some(u) => u,
                    None => {
                        let body = self
                            .get(
                                &format!("{base}/plugins/servlet/applinks/whoami"),
                                "signed-in user",
                            )
                            .await?;
                        let name = String::from_utf8_lossy(&body).trim().to_string();
                        if name.is_empty() {
                            return Err(BitbucketError::Unauthorized {
                                host: self.host(),
                                credential: self.repo.credential.clone(),
                                detail: ": the token is not a user's".into(),
                            });
                        }
                        name
                    }
                };
                let person: DcPerson = self
                    .page(
                        &format!("{base}/rest/api/1.0/users/{}", segment(&slug)),
                        &format!("user `{slug}`"),
                    )
                    .await?;
                Ok(person.into())
            }
        }
    }

    /// Commit `bytes` as `file` on `base.branch`, refusing (never overwriting) when someone
    /// committed meanwhile. Answers the new commit.
    pub async fn upload(
        &self,
        base: &UploadBase,
        file: &str,
        bytes: Vec<u8>,
        message: &str,
    ) -> Result<String, BitbucketError> {
        self.upload_files(base, &[(file.to_string(), bytes)], message)
            .await
    }

    /// Several files in one commit on Cloud; one commit per file on Data Center (its REST API
    /// writes one file at a time), the last commit answered.
    pub async fn upload_files(
        &self,
        base: &UploadBase,
        files: &[(String, Vec<u8>)],
        message: &str,
    ) -> Result<String, BitbucketError> {
        let moved = |e: BitbucketError| match e {
            BitbucketError::Conflict { host, message } => BitbucketError::Moved {
                host,
                branch: base.branch.clone(),
                message,
            },
            other => other,
        };
        match self.repo.flavour {
            Flavour::Cloud => {
                let url = format!("{}/src", self.repo_url());
                let build = || {
                    // Metadata as form fields: Bitbucket ignores `branch` in the query string.
                    // Field names are repository paths, sent as they are (as curl does), not
                    // percent-encoded.
                    let mut form = reqwest::multipart::Form::new()
                        .percent_encode_noop()
                        .text("message", message.to_string())
                        .text("branch", base.branch.clone())
                        .text("parents", base.branch_head.clone());
                    for (path, bytes) in files {
                        let name = path.rsplit('/').next().unwrap_or(path).to_string();
                        form = form.part(
                            path.trim_matches('/').to_string(),
                            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name),
                        );
                    }
                    self.http.post(&url).multipart(form)
                };
                let (headers, _) = self
                    .send(build, false, &format!("branch `{}`", base.branch))
                    .await
                    .map_err(moved)?;
                // The new commit is the last segment of `Location`; else read the branch.
                let from_location = headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
                    .filter(|h| h.len() >= 7 && h.chars().all(|c| c.is_ascii_hexdigit()))
                    .map(str::to_string);
                match from_location {
                    Some(h) => Ok(h),
                    None => self.branch_head(&base.branch).await,
                }
            }
            Flavour::DataCenter => {
                let mut last = String::new();
                for (i, (path, bytes)) in files.iter().enumerate() {
                    let path = path.trim_matches('/');
                    let url = format!("{}/browse/{}", self.repo_url(), self::path(path));
                    // The first file is the one the caller saw; later ones are new files of
                    // this upload (a manifest), created or replaced after the first commit.
                    let source = if i == 0 {
                        base.file_commit.clone()
                    } else {
                        self.last_commit_of(&base.branch, path).await?
                    };
                    let build = || {
                        let name = path.rsplit('/').next().unwrap_or(path).to_string();
                        let mut form = reqwest::multipart::Form::new()
                            .percent_encode_noop()
                            .part(
                                "content",
                                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name),
                            )
                            .text("message", message.to_string())
                            .text("branch", base.branch.clone());
                        if let Some(c) = &source {
                            form = form.text("sourceCommitId", c.clone());
                        }
                        if let Some(b) = &base.source_branch {
                            form = form.text("sourceBranch", b.clone());
                        }
                        self.http.put(&url).multipart(form)
                    };
                    let (_, body) = self
                        .send(build, false, &format!("file `{path}`"))
                        .await
                        .map_err(moved)?;
                    let commit: DcCommit =
                        serde_json::from_slice(&body).map_err(|e| self.invalid(&format!("{e}")))?;
                    last = commit.id;
                }
                Ok(last)
            }
        }
    }

    fn pulls_url(&self) -> String {
        match self.repo.flavour {
            Flavour::Cloud => format!("{}/pullrequests", self.repo_url()),
            Flavour::DataCenter => format!("{}/pull-requests", self.repo_url()),
        }
    }

    /// Open a pull request from `source` into `destination` (branches of this repository).
    pub async fn create_pull_request(
        &self,
        source: &str,
        destination: &str,
        title: &str,
        description: &str,
    ) -> Result<PullRequest, BitbucketError> {
        let body = match self.repo.flavour {
            Flavour::Cloud => serde_json::json!({
                "title": title,
                "description": description,
                "source": { "branch": { "name": source } },
                "destination": { "branch": { "name": destination } },
                "close_source_branch": true,
            }),
            Flavour::DataCenter => {
                let repository = serde_json::json!({
                    "slug": self.repo.slug,
                    "project": { "key": self.repo.workspace },
                });
                serde_json::json!({
                    "title": title,
                    "description": description,
                    "fromRef": { "id": format!("refs/heads/{source}"), "repository": repository },
                    "toRef": { "id": format!("refs/heads/{destination}"), "repository": repository },
                })
            }
        };
        let url = self.pulls_url();
        let (_, answer) = self
            .send(
                || json_body(self.http.post(&url), &body),
                false,
                &format!("branch `{source}` or `{destination}`"),
            )
            .await?;
        self.parse_pull_request(&answer)
    }

    pub async fn pull_request(&self, id: u64) -> Result<PullRequest, BitbucketError> {
        let body = self
            .get(
                &format!("{}/{id}", self.pulls_url()),
                &format!("pull request #{id}"),
            )
            .await?;
        self.parse_pull_request(&body)
    }

    fn parse_pull_request(&self, body: &[u8]) -> Result<PullRequest, BitbucketError> {
        let v: Value = serde_json::from_slice(body).map_err(|e| self.invalid(&format!("{e}")))?;
        let s = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let id = v
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.invalid("a pull request without `id`"))?;
        Ok(match self.repo.flavour {
            Flavour::Cloud => {
                let user = |u: &Value| -> Identity {
                    serde_json::from_value::<CloudUser>(u.clone())
                        .map(Identity::from)
                        .unwrap_or_default()
                };
                PullRequest {
                    id,
                    state: s("/state"),
                    version: None,
                    source_branch: s("/source/branch/name"),
                    source_head: s("/source/commit/hash"),
                    destination_branch: s("/destination/branch/name"),
                    author: v.get("author").map(user).unwrap_or_default(),
                    participants: v
                        .get("participants")
                        .and_then(Value::as_array)
                        .map(|ps| {
                            ps.iter()
                                .map(|p| Participant {
                                    who: p.get("user").map(user).unwrap_or_default(),
                                    approved: p
                                        .get("approved")
                                        .and_then(Value::as_bool)
                                        .unwrap_or(false),
                                    changes_requested: p.get("state").and_then(Value::as_str)
                                        == Some("changes_requested"),
                                    at: p
                                        .get("participated_on")
                                        .and_then(Value::as_str)
                                        .map(str::to_string),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    merge_commit: v
                        .pointer("/merge_commit/hash")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                }
            }
            Flavour::DataCenter => {
                let person = |p: &Value| -> Identity {
                    serde_json::from_value::<DcPerson>(p.clone())
                        .map(Identity::from)
                        .unwrap_or_default()
                };
                let mut participants: Vec<Participant> = Vec::new();
                for list in ["reviewers", "participants"] {
                    for p in v.get(list).and_then(Value::as_array).into_iter().flatten() {
                        let who = p.get("user").map(person).unwrap_or_default();
                        if participants.iter().any(|q| q.who.name == who.name) {
                            continue;
                        }
                        let status = p.get("status").and_then(Value::as_str).unwrap_or_default();
                        participants.push(Participant {
                            who,
                            approved: status == "APPROVED",
                            changes_requested: status == "NEEDS_WORK",
                            at: None,
                        });
                    }
                }
                PullRequest {
                    id,
                    state: s("/state"),
                    version: v.get("version").and_then(Value::as_i64),
                    source_branch: s("/fromRef/displayId"),
                    source_head: s("/fromRef/latestCommit"),
                    destination_branch: s("/toRef/displayId"),
                    author: v.pointer("/author/user").map(person).unwrap_or_default(),
                    participants,
                    merge_commit: None,
                }
            }
        })
    }

    /// Approve a pull request as the token's owner (`me`), or request changes.
    pub async fn review_pull_request(
        &self,
        pr: &PullRequest,
        me: &Identity,
        approve: bool,
    ) -> Result<(), BitbucketError> {
        let what = format!("pull request #{}", pr.id);
        match self.repo.flavour {
            Flavour::Cloud => {
                let url = format!(
                    "{}/{}/{}",
                    self.pulls_url(),
                    pr.id,
                    if approve {
                        "approve"
                    } else {
                        "request-changes"
                    }
                );
                self.send(|| self.http.post(&url), false, &what).await?;
            }
            Flavour::DataCenter => {
                let url = format!(
                    "{}/{}/participants/{}",
                    self.pulls_url(),
                    pr.id,
                    segment(&me.name)
                );
                let body = serde_json::json!({
                    "status": if approve { "APPROVED" } else { "NEEDS_WORK" },
                    "lastReviewedCommit": pr.source_head,
                });
                self.send(|| json_body(self.http.put(&url), &body), false, &what)
                    .await?;
            }
        }
        Ok(())
    }

    /// A comment on a pull request (for the people reading it in Bitbucket).
    pub async fn comment_pull_request(&self, id: u64, text: &str) -> Result<(), BitbucketError> {
        let url = format!("{}/{id}/comments", self.pulls_url());
        let body = match self.repo.flavour {
            Flavour::Cloud => serde_json::json!({ "content": { "raw": text } }),
            Flavour::DataCenter => serde_json::json!({ "text": text }),
        };
        self.send(
            || json_body(self.http.post(&url), &body),
            false,
            &format!("pull request #{id}"),
        )
        .await
        .map(|_| ())
    }

    /// Merge a pull request with a merge commit; answers the merged pull request.
    pub async fn merge_pull_request(
        &self,
        pr: &PullRequest,
        message: &str,
    ) -> Result<PullRequest, BitbucketError> {
        let what = format!("pull request #{}", pr.id);
        let (url, body) = match self.repo.flavour {
            Flavour::Cloud => (
                format!("{}/{}/merge", self.pulls_url(), pr.id),
                serde_json::json!({
                    "type": "pullrequest_merge_parameters",
                    "message": message,
                    "merge_strategy": "merge_commit",
                    "close_source_branch": true,
                }),
            ),
            Flavour::DataCenter => (
                format!(
                    "{}/{}/merge?version={}",
                    self.pulls_url(),
                    pr.id,
                    pr.version.unwrap_or(0)
                ),
                serde_json::json!({ "message": message }),
            ),
        };
        let (_, answer) = self
            .send(|| json_body(self.http.post(&url), &body), false, &what)
            .await?;
        self.parse_pull_request(&answer)
    }

    /// The newest commit that changed `file` on `branch`, if the file exists there.
    pub async fn last_commit_of(
        &self,
        branch: &str,
        file: &str,
    ) -> Result<Option<String>, BitbucketError> {
        let head = self.branch_head(branch).await?;
        match self.history(&head, file).await {
            Ok(h) => Ok(h.into_iter().next().map(|c| c.hash)),
            Err(BitbucketError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn comments_url(&self, commit: &str) -> String {
        match self.repo.flavour {
            Flavour::Cloud => format!("{}/commit/{}/comments", self.repo_url(), segment(commit)),
            Flavour::DataCenter => {
                format!("{}/commits/{}/comments", self.repo_url(), segment(commit))
            }
        }
    }

    /// The comments on a commit, oldest first.
    pub async fn comments(&self, commit: &str) -> Result<Vec<Comment>, BitbucketError> {
        let what = format!("commit `{commit}`");
        let mut out = Vec::new();
        match self.repo.flavour {
            Flavour::Cloud => {
                let mut next = Some(format!(
                    "{}?pagelen={CLOUD_PAGELEN}",
                    self.comments_url(commit)
                ));
                while let Some(url) = next {
                    let page: CloudPage<CloudComment> = self.page(&url, &what).await?;
                    out.extend(page.values.into_iter().map(Comment::from));
                    next = page.next;
                }
            }
            Flavour::DataCenter => {
                let mut start = 0u64;
                loop {
                    let url = format!(
                        "{}?start={start}&limit={DC_LIMIT}",
                        self.comments_url(commit)
                    );
                    let page: DcPage<DcComment> = self.page(&url, &what).await?;
                    out.extend(page.values.into_iter().map(Comment::from));
                    match (page.is_last_page, page.next_page_start) {
                        (false, Some(n)) => start = n,
                        _ => break,
                    }
                }
            }
        }
        out.sort_by(|a, b| a.date.cmp(&b.date));
        Ok(out)
    }

    /// Add a comment to a commit; Bitbucket sets its author from the credential.
    pub async fn add_comment(&self, commit: &str, text: &str) -> Result<Comment, BitbucketError> {
        let url = self.comments_url(commit);
        let body = match self.repo.flavour {
            Flavour::Cloud => serde_json::json!({ "content": { "raw": text } }),
            Flavour::DataCenter => serde_json::json!({ "text": text }),
        };
        let (_, answer) = self
            .send(
                || json_body(self.http.post(&url), &body),
                false,
                &format!("commit `{commit}`"),
            )
            .await?;
        match self.repo.flavour {
            Flavour::Cloud => serde_json::from_slice::<CloudComment>(&answer).map(Comment::from),
            Flavour::DataCenter => serde_json::from_slice::<DcComment>(&answer).map(Comment::from),
        }
        .map_err(|e| self.invalid(&format!("{e}")))
    }

    /// The commit a tag points at, if the tag exists.
    pub async fn tag(&self, name: &str) -> Result<Option<String>, BitbucketError> {
        let url = match self.repo.flavour {
            Flavour::Cloud => format!("{}/refs/tags/{}", self.repo_url(), path(name)),
            Flavour::DataCenter => format!("{}/tags/{}", self.repo_url(), path(name)),
        };
        match self.json(&url, &format!("tag `{name}`")).await {
            Ok(v) => Ok(v
                .pointer("/target/hash")
                .or_else(|| v.pointer("/latestCommit"))
                .and_then(Value::as_str)
                .map(str::to_string)),
            Err(BitbucketError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Tag `commit` (annotated with `message` on Data Center; Cloud takes no message).
    pub async fn create_tag(
        &self,
        name: &str,
        commit: &str,
        message: &str,
    ) -> Result<(), BitbucketError> {
        let (url, body) = match self.repo.flavour {
            Flavour::Cloud => (
                format!("{}/refs/tags", self.repo_url()),
                serde_json::json!({ "name": name, "target": { "hash": commit } }),
            ),
            Flavour::DataCenter => (
                format!(
                    "{}/rest/git/1.0/projects/{}/repos/{}/tags",
                    self.repo.base.trim_end_matches('/'),
                    segment(&self.repo.workspace),
                    segment(&self.repo.slug)
                ),
                serde_json::json!({ "name": name, "startPoint": commit, "message": message, "type": "ANNOTATED" }),
            ),
        };
        self.send(
            || json_body(self.http.post(&url), &body),
            false,
            &format!("tag `{name}`"),
        )
        .await
        .map(|_| ())
    }

    /// Stream the bytes of `file` at `commit` into `out`, chunk by chunk (a CAB is copied to its
    /// destination without being held whole in memory). Answers the byte count and SHA-256.
    pub async fn raw_into<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        commit: &str,
        file: &str,
        out: &mut W,
    ) -> Result<(u64, String), RawError> {
        use sha2::Digest;
        use tokio::io::AsyncWriteExt;
        let file = file.trim_matches('/');
        let url = match self.repo.flavour {
            Flavour::Cloud => format!("{}/src/{}/{}", self.repo_url(), segment(commit), path(file)),
            Flavour::DataCenter => format!(
                "{}/raw/{}?at={}",
                self.repo_url(),
                path(file),
                query(commit)
            ),
        };
        let what = format!("file `{file}`");
        let mut wait = self.backoff;
        let mut attempt = 0;
        let mut answer = loop {
            attempt += 1;
            let sent = self.authorise(self.http.get(&url)).send().await;
            let answer = match sent {
                Ok(a) => a,
                Err(e) if attempt < self.attempts => {
                    tracing::debug!(error = %e.without_url(), attempt, "Bitbucket download failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    continue;
                }
                Err(e) => {
                    return Err(BitbucketError::Transport {
                        host: self.host(),
                        reason: e.without_url().to_string(),
                    }
                    .into())
                }
            };
            let status = answer.status().as_u16();
            if (200..300).contains(&status) {
                break answer;
            }
            let body = read_capped(answer).await.unwrap_or_default();
            if (status == 429 || status >= 500) && attempt < self.attempts {
                tokio::time::sleep(wait).await;
                wait *= 2;
                continue;
            }
            return Err(self.refusal(status, &body, &what, attempt).into());
        };
        let mut total = 0u64;
        let mut hash = sha2::Sha256::new();
        loop {
            let chunk = answer
                .chunk()
                .await
                .map_err(|e| BitbucketError::Transport {
                    host: self.host(),
                    reason: format!("the download of {what} broke off: {}", e.without_url()),
                })?;
            let Some(chunk) = chunk else { break };
            total += chunk.len() as u64;
            if total > MAX_BODY as u64 {
                return Err(self.invalid("the file is larger than 256 MiB").into());
            }
            hash.update(&chunk);
            out.write_all(&chunk).await.map_err(RawError::Sink)?;
        }
        out.flush().await.map_err(RawError::Sink)?;
        Ok((total, hex::encode(hash.finalize())))
    }

    async fn page<T: for<'de> Deserialize<'de>>(
        &self,
        url: &str,
        what: &str,
    ) -> Result<T, BitbucketError> {
        let body = self.get(url, what).await?;
        serde_json::from_slice(&body).map_err(|e| self.invalid(&format!("{e}")))
    }

    async fn json(&self, url: &str, what: &str) -> Result<Value, BitbucketError> {
        self.page(url, what).await
    }

    fn invalid(&self, reason: &str) -> BitbucketError {
        BitbucketError::Invalid {
            host: self.host(),
            reason: reason.to_string(),
        }
    }

    /// One GET, retried on 429, 5xx and transport failures; any other refusal is final.
    async fn get(&self, url: &str, what: &str) -> Result<Vec<u8>, BitbucketError> {
        self.send(|| self.http.get(url), true, what)
            .await
            .map(|(_, body)| body)
    }

    fn authorise(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::Basic { username, token } => {
                request.basic_auth(username, Some(token.expose_secret()))
            }
            Auth::Bearer { token } => request.bearer_auth(token.expose_secret()),
        }
    }

    /// One request, built afresh for each attempt. Reads are retried on 429, 5xx and
    /// transport failures; writes only on 429 (the one answer that means "not done"), since a
    /// commit or comment whose answer was lost may have been made, and a second one would
    /// duplicate it or be refused as a conflict with itself.
    async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        read: bool,
        what: &str,
    ) -> Result<(reqwest::header::HeaderMap, Vec<u8>), BitbucketError> {
        let host = self.host();
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self.authorise(build());
            let answer = match request.send().await {
                Ok(a) => a,
                Err(e) if read && attempt < self.attempts => {
                    tracing::debug!(error = %e.without_url(), attempt, "Bitbucket request failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    continue;
                }
                Err(e) => {
                    return Err(BitbucketError::Transport {
                        host,
                        reason: e.without_url().to_string(),
                    })
                }
            };
            let status = answer.status().as_u16();
            let headers = answer.headers().clone();
            let retry_after = answer
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s.min(60)));
            let body = read_capped(answer)
                .await
                .map_err(|reason| BitbucketError::Transport {
                    host: host.clone(),
                    reason,
                })?;
            if (200..300).contains(&status) {
                return Ok((headers, body));
            }
            let retryable = status == 429 || (read && status >= 500);
            if retryable && attempt < self.attempts {
                tokio::time::sleep(retry_after.unwrap_or(wait)).await;
                wait *= 2;
                continue;
            }
            return Err(self.refusal(status, &body, what, attempt));
        }
    }

    fn refusal(&self, status: u16, body: &[u8], what: &str, attempts: u32) -> BitbucketError {
        let host = self.host();
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        // Cloud: {"type":"error","error":{"message","detail"}}; DC: {"errors":[{"message"}]}.
        let message = v
            .pointer("/error/message")
            .or_else(|| v.pointer("/errors/0/message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
        let credential = self.repo.credential.clone();
        match status {
            401 => BitbucketError::Unauthorized {
                host,
                credential,
                detail: if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                },
            },
            403 => match v
                .pointer("/error/detail/required")
                .and_then(Value::as_array)
            {
                Some(required) => BitbucketError::MissingScope {
                    host,
                    credential,
                    scopes: required
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                None => BitbucketError::Forbidden {
                    host,
                    status,
                    message,
                },
            },
            404 => BitbucketError::NotFound {
                host,
                what: what.to_string(),
                message,
            },
            409 => BitbucketError::Conflict { host, message },
            429 => BitbucketError::RateLimited { host, attempts },
            s if s >= 500 => BitbucketError::Server {
                host,
                status,
                attempts,
                message,
            },
            _ => BitbucketError::Refused {
                host,
                status,
                message,
            },
        }
    }
}

/// A streamed download failed: at Bitbucket, or where the bytes were going.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    #[error(transparent)]
    Bitbucket(#[from] BitbucketError),
    #[error("{0}")]
    Sink(std::io::Error),
}

impl From<CloudComment> for Comment {
    fn from(c: CloudComment) -> Comment {
        Comment {
            id: c.id.to_string(),
            author: c.user.map(Identity::from).unwrap_or_default(),
            text: c.content.raw.unwrap_or_default(),
            date: c.created_on.unwrap_or_default(),
        }
    }
}

impl From<DcComment> for Comment {
    fn from(c: DcComment) -> Comment {
        Comment {
            id: c.id.to_string(),
            author: c.author.into(),
            text: c.text.unwrap_or_default(),
            date: c
                .created_date
                .map(crate::time_fmt::rfc3339_from_ms)
                .unwrap_or_default(),
        }
    }
}

async fn read_capped(mut answer: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = answer
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "the answer is larger than {} MiB",
                MAX_BODY / 1024 / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn json_body(request: reqwest::RequestBuilder, body: &Value) -> reqwest::RequestBuilder {
    request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
}

/// One path segment (a branch, a workspace): `/` and spaces encoded.
fn segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A path of segments: each encoded, the slashes kept ("GHA Mods - New CABs/a.cab").
fn path(p: &str) -> String {
    p.split('/').map(segment).collect::<Vec<_>>().join("/")
}

/// A query parameter value.
fn query(s: &str) -> String {
    segment(s)
}

#[derive(Debug, Deserialize)]
struct CloudPage<T> {
    #[serde(default = "Vec::new")]
    values: Vec<T>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CloudEntry {
    path: String,
    #[serde(rename = "type")]
    kind: String,
    size: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct CloudFileAtCommit {
    commit: CloudCommit,
}

#[derive(Debug, Deserialize)]
struct CloudCommit {
    hash: String,
    date: Option<String>,
    author: Option<CloudAuthor>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CloudAuthor {
    raw: Option<String>,
    user: Option<CloudUser>,
}

#[derive(Debug, Deserialize)]
struct CloudUser {
    account_id: Option<String>,
    nickname: Option<String>,
    display_name: Option<String>,
}

impl From<CloudUser> for Identity {
    fn from(u: CloudUser) -> Identity {
        Identity {
            name: u.nickname.unwrap_or_default(),
            display_name: u.display_name.unwrap_or_default(),
            email: None,
            account_id: u.account_id,
        }
    }
}

impl From<CloudCommit> for Commit {
    fn from(c: CloudCommit) -> Commit {
        let (author, author_account) = match c.author {
            Some(a) => (a.raw.unwrap_or_default(), a.user.and_then(|u| u.account_id)),
            None => (String::new(), None),
        };
        Commit {
            hash: c.hash,
            date: c.date.unwrap_or_default(),
            author,
            author_account,
            message: c.message.unwrap_or_default(),
        }
    }
}

impl From<DcCommit> for Commit {
    fn from(c: DcCommit) -> Commit {
        Commit {
            hash: c.id,
            date: crate::time_fmt::rfc3339_from_ms(c.author_timestamp),
            author: match &c.author.email_address {
                Some(e) => format!(
                    "{} <{e}>",
                    c.author.display_name.as_deref().unwrap_or(&c.author.name)
                ),
                None => c.author.name.clone(),
            },
            author_account: Some(c.author.slug.unwrap_or(c.author.name)),
            message: c.message.unwrap_or_default(),
        }
    }
}

impl From<DcPerson> for Identity {
    fn from(p: DcPerson) -> Identity {
        Identity {
            display_name: p.display_name.unwrap_or_else(|| p.name.clone()),
            name: p.slug.unwrap_or(p.name),
            email: p.email_address,
            account_id: None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct CloudComment {
    id: u64,
    content: CloudContent,
    user: Option<CloudUser>,
    created_on: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CloudContent {
    raw: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DcComment {
    id: u64,
    text: Option<String>,
    author: DcPerson,
    created_date: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DcPage<T> {
    #[serde(default = "Vec::new")]
    values: Vec<T>,
    #[serde(default = "yes")]
    is_last_page: bool,
    next_page_start: Option<u64>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct DcDirectory {
    children: DcPage<DcChild>,
}

#[derive(Debug, Deserialize)]
struct DcChild {
    path: DcPath,
    #[serde(rename = "type")]
    kind: String,
    size: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct DcPath {
    #[serde(rename = "toString")]
    to_string: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DcCommit {
    id: String,
    author: DcPerson,
    author_timestamp: i64,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DcPerson {
    name: String,
    email_address: Option<String>,
    display_name: Option<String>,
    slug: Option<String>,
}
