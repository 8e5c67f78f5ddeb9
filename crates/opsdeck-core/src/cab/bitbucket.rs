//! Bitbucket Cloud (REST 2.0) and Data Center (REST 1.0), for the CAB files kept in a
//! repository: the branch's head, the files under a folder, a file's history and its bytes.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub hash: String,
    /// RFC 3339.
    pub date: String,
    /// `Name <email>`.
    pub author: String,
    pub message: String,
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

    fn host(&self) -> String {
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
                    "{}/filehistory/{}/{}?pagelen={CLOUD_PAGELEN}",
                    self.repo_url(),
                    segment(commit),
                    path(file)
                ));
                while let Some(url) = next {
                    let page: CloudPage<CloudFileAtCommit> = self.page(&url, &what).await?;
                    out.extend(page.values.into_iter().map(|v| Commit {
                        hash: v.commit.hash,
                        date: v.commit.date.unwrap_or_default(),
                        author: v.commit.author.and_then(|a| a.raw).unwrap_or_default(),
                        message: v.commit.message.unwrap_or_default(),
                    }));
                    next = page.next;
                }
            }
            Flavour::DataCenter => {
                let mut start = 0u64;
                loop {
                    let url = format!(
                        "{}/commits?path={}&until={}&followRenames=true&start={start}&limit={DC_LIMIT}",
                        self.repo_url(),
                        query(file),
                        query(commit)
                    );
                    let page: DcPage<DcCommit> = self.page(&url, &what).await?;
                    out.extend(page.values.into_iter().map(|c| Commit {
                        hash: c.id,
                        date: crate::time_fmt::rfc3339_from_ms(c.author_timestamp),
                        author: match c.author.email_address {
                            Some(e) => format!("{} <{e}>", c.author.name),
                            None => c.author.name,
                        },
                        message: c.message.unwrap_or_default(),
                    }));
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
        let host = self.host();
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = match &self.auth {
                Auth::Basic { username, token } => self
                    .http
                    .get(url)
                    .basic_auth(username, Some(token.expose_secret())),
                Auth::Bearer { token } => self.http.get(url).bearer_auth(token.expose_secret()),
            };
            let answer = match request.send().await {
                Ok(a) => a,
                Err(e) if attempt < self.attempts => {
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
                return Ok(body);
            }
            let retryable = status == 429 || status >= 500;
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
}
