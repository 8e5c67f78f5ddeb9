//! A fake of Bitbucket Cloud (REST 2.0) and Bitbucket Data Center (REST 1.0), for the tests and
//! benchmarks of the CAB workflow, built from the documented request and response shapes (and
//! Atlassian's sample payloads): Cloud's `paginated_treeentries` and `paginated_files` with an
//! opaque `next`, branch refs with `target.hash`, raw file bytes; Data Center's `browse`
//! directory with its `children` page, `commits` pages with `isLastPage` / `nextPageStart` and
//! millisecond timestamps, `raw`; each flavour's error bodies (`{"type":"error","error":…}`
//! and `{"errors":[…]}`), a 403 naming the missing scopes, and faults injected on demand
//! (429 with `Retry-After`, 5xx) to exercise retries.
//!
//! Writes too, as the references describe them: Cloud's `POST /src` multipart commit that
//! answers 201 with the new commit in `Location` and 409 when `parents` is not the branch tip;
//! Data Center's `PUT /browse/{path}` that answers the new RestCommit and 409 when the file
//! changed since `sourceCommitId` (or exists when none is given); comments on commits with
//! their author set from the credential; tags (Cloud `refs/tags`, Data Center `rest/git`);
//! the signed-in user (Cloud `/user`, Data Center `whoami` and `users/{slug}`). Behind it is a
//! small model of git: commits with parents and whole trees, branches, history by ancestry.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

/// One version of one file: a commit that wrote it.
#[derive(Debug, Clone)]
pub struct Version {
    pub hash: String,
    /// Unix milliseconds.
    pub at_ms: i64,
    pub author_name: String,
    pub author_email: String,
    pub message: String,
    pub bytes: Vec<u8>,
}

/// The repository the fake starts with: one branch, files with their versions (oldest first).
/// Versions with the same hash are one commit.
#[derive(Debug, Default)]
pub struct Repository {
    pub branch: String,
    pub files: Vec<(String, Vec<Version>)>,
}

/// A person the fake knows, and the `Authorization` header that signs in as them.
#[derive(Debug, Clone)]
pub struct FakeUser {
    pub authorization: String,
    /// Cloud nickname, Data Center slug.
    pub name: String,
    pub display_name: String,
    pub email: String,
    /// Cloud account ID.
    pub account_id: String,
}

impl FakeUser {
    /// A user who signs in with Basic `email:token` (Cloud API token, Data Center password).
    pub fn basic(name: &str, email: &str, token: &str) -> FakeUser {
        use base64::Engine as _;
        FakeUser {
            authorization: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"))
            ),
            name: name.to_string(),
            display_name: name.to_string(),
            email: email.to_string(),
            account_id: format!("557058:{name}"),
        }
    }
}

/// What the fake expects and what it should do wrong.
#[derive(Debug, Default)]
pub struct Behaviour {
    /// An `Authorization` header value accepted as the user `dev` (dev@example.com).
    pub accept: String,
    /// Everyone else it knows; anything else is 401.
    pub users: Vec<FakeUser>,
    /// Cloud scopes the token lacks: every call answers 403 naming them.
    pub missing_scopes: Vec<String>,
    /// Answers served before the real ones: (status, `Retry-After` seconds).
    pub faults: VecDeque<(u16, Option<u64>)>,
    /// Raw downloads are sent in 64 KiB pieces this far apart (to stop a process mid-copy).
    pub slow_raw: Option<Duration>,
}

#[derive(Debug, Clone)]
struct CommitObj {
    hash: String,
    parents: Vec<String>,
    at_ms: i64,
    author_name: String,
    author_email: String,
    /// The author's account, when the commit was made through the API.
    author_user: Option<FakeUser>,
    message: String,
    tree: Arc<BTreeMap<String, Arc<Vec<u8>>>>,
}

#[derive(Debug, Clone)]
struct FakeComment {
    id: u64,
    author: FakeUser,
    text: String,
    at_ms: i64,
}

/// The fake's git: commits, branches, tags, comments.
#[derive(Debug, Default)]
struct Git {
    commits: Vec<CommitObj>,
    index: HashMap<String, usize>,
    branches: BTreeMap<String, String>,
    /// name → (commit, message)
    tags: BTreeMap<String, (String, String)>,
    comments: HashMap<String, Vec<FakeComment>>,
    next_id: u64,
    /// Where each branch made through the API started (for merging only its own changes).
    forks: HashMap<String, String>,
    prs: Vec<FakePr>,
}

/// A pull request in the fake.
#[derive(Debug, Clone)]
struct FakePr {
    id: u64,
    title: String,
    description: String,
    source: String,
    destination: String,
    author: FakeUser,
    /// `OPEN`, `MERGED`, `DECLINED`.
    state: String,
    /// Data Center's optimistic lock.
    version: i64,
    /// (who, `APPROVED` | `NEEDS_WORK` | `UNAPPROVED`, when)
    participants: Vec<(FakeUser, String, i64)>,
    merge_commit: Option<String>,
}

impl Git {
    fn from_repository(repo: Repository) -> Git {
        // hash → (newest time, the version, every file it wrote)
        type Written = (i64, Version, Vec<(String, Vec<u8>)>);
        let mut by_hash: BTreeMap<String, Written> = BTreeMap::new();
        for (path, versions) in repo.files {
            for v in versions {
                let e = by_hash
                    .entry(v.hash.clone())
                    .or_insert_with(|| (v.at_ms, v.clone(), Vec::new()));
                e.0 = e.0.max(v.at_ms);
                e.2.push((path.clone(), v.bytes));
            }
        }
        let mut ordered: Vec<_> = by_hash.into_values().collect();
        ordered.sort_by_key(|(at, _, _)| *at);
        let mut git = Git::default();
        let mut tree: BTreeMap<String, Arc<Vec<u8>>> = BTreeMap::new();
        let mut parent: Option<String> = None;
        for (at_ms, v, changes) in ordered {
            for (path, bytes) in changes {
                tree.insert(path, Arc::new(bytes));
            }
            git.push(CommitObj {
                hash: v.hash.clone(),
                parents: parent.iter().cloned().collect(),
                at_ms,
                author_name: v.author_name,
                author_email: v.author_email,
                author_user: None,
                message: v.message,
                tree: Arc::new(tree.clone()),
            });
            parent = Some(v.hash);
        }
        if let Some(head) = parent {
            git.branches.insert(repo.branch, head);
        }
        git
    }

    fn push(&mut self, c: CommitObj) {
        self.index.insert(c.hash.clone(), self.commits.len());
        self.commits.push(c);
    }

    fn get(&self, hash: &str) -> Option<&CommitObj> {
        self.index.get(hash).map(|&i| &self.commits[i])
    }

    /// A commit by hash, branch name or `refs/heads/NAME`.
    fn resolve(&self, rev: &str) -> Option<&CommitObj> {
        let name = rev.strip_prefix("refs/heads/").unwrap_or(rev);
        match self.branches.get(name) {
            Some(h) => self.get(h),
            None => self.get(rev),
        }
    }

    /// Every ancestor of `from` (itself included), newest first.
    fn ancestry<'a>(&'a self, from: &'a CommitObj) -> Vec<&'a CommitObj> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut stack = vec![from];
        while let Some(c) = stack.pop() {
            if !seen.insert(c.hash.clone()) {
                continue;
            }
            out.push(c);
            stack.extend(c.parents.iter().filter_map(|p| self.get(p)));
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.at_ms));
        out
    }

    /// The commits up to `from` that changed `file`, newest first.
    fn file_history<'a>(&'a self, from: &'a CommitObj, file: &str) -> Vec<&'a CommitObj> {
        self.ancestry(from)
            .into_iter()
            .filter(|c| {
                let mine = c.tree.get(file);
                let before = c
                    .parents
                    .first()
                    .and_then(|p| self.get(p))
                    .and_then(|p| p.tree.get(file));
                mine.is_some() && mine != before
            })
            .collect()
    }

    /// A time after every commit and comment so far.
    fn clock(&self) -> i64 {
        let commits = self
            .commits
            .iter()
            .map(|c| c.at_ms)
            .max()
            .unwrap_or(1_780_000_000_000);
        let comments = self
            .comments
            .values()
            .flatten()
            .map(|c| c.at_ms)
            .max()
            .unwrap_or(0);
        commits.max(comments) + 60_000
    }

    /// A new commit on `branch` with `changes` (a path to bytes, or none to delete).
    fn commit(
        &mut self,
        branch: &str,
        parent: Option<&str>,
        user: &FakeUser,
        message: &str,
        changes: Vec<(String, Option<Vec<u8>>)>,
    ) -> String {
        let at_ms = self.clock();
        let mut tree = parent
            .and_then(|p| self.get(p))
            .map(|c| (*c.tree).clone())
            .unwrap_or_default();
        for (path, bytes) in changes {
            match bytes {
                Some(b) => tree.insert(path, Arc::new(b)),
                None => tree.remove(&path),
            };
        }
        use sha2::Digest;
        let hash = hex::encode(
            &sha2::Sha256::digest(format!("{at_ms}{message}{parent:?}").as_bytes())[..20],
        );
        self.push(CommitObj {
            hash: hash.clone(),
            parents: parent.iter().map(|p| p.to_string()).collect(),
            at_ms,
            author_name: user.display_name.clone(),
            author_email: user.email.clone(),
            author_user: Some(user.clone()),
            message: message.to_string(),
            tree: Arc::new(tree),
        });
        self.branches.insert(branch.to_string(), hash.clone());
        hash
    }

    /// Merge `source` into `destination`: the source's own changes (since it forked) on top of
    /// the destination, as a merge commit.
    fn merge(
        &mut self,
        source: &str,
        destination: &str,
        user: &FakeUser,
        message: &str,
    ) -> Option<String> {
        let src_head = self.branches.get(source)?.clone();
        let dest_head = self.branches.get(destination)?.clone();
        let fork = self
            .forks
            .get(source)
            .cloned()
            .unwrap_or_else(|| dest_head.clone());
        let src_tree = self.get(&src_head)?.tree.clone();
        let fork_tree = self.get(&fork).map(|c| c.tree.clone()).unwrap_or_default();
        let mut changes: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        for (path, bytes) in src_tree.iter() {
            if fork_tree.get(path) != Some(bytes) {
                changes.push((path.clone(), Some((**bytes).clone())));
            }
        }
        for path in fork_tree.keys() {
            if !src_tree.contains_key(path) {
                changes.push((path.clone(), None));
            }
        }
        let hash = self.commit(destination, Some(&dest_head), user, message, changes);
        if let Some(c) = self.index.get(&hash).copied() {
            self.commits[c].parents.push(src_head);
        }
        Some(hash)
    }

    fn comment(&mut self, commit: &str, user: &FakeUser, text: &str) -> FakeComment {
        self.next_id += 1;
        let c = FakeComment {
            id: self.next_id,
            author: user.clone(),
            text: text.to_string(),
            at_ms: self.clock() + self.next_id as i64 * 1000,
        };
        self.comments
            .entry(commit.to_string())
            .or_default()
            .push(c.clone());
        c
    }
}

#[derive(Debug)]
struct Shared {
    workspace: String,
    /// Repositories by slug: the one the fake was started with, and any added.
    repos: Mutex<BTreeMap<String, Git>>,
    behaviour: Mutex<Behaviour>,
    requests: AtomicU64,
}

impl Shared {
    fn repo(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Git>> {
        self.repos.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn user(&self, headers: &HeaderMap) -> Option<FakeUser> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let b = self.behaviour.lock().unwrap_or_else(|p| p.into_inner());
        if !b.accept.is_empty() && given == b.accept {
            return Some(FakeUser {
                authorization: b.accept.clone(),
                name: "dev".into(),
                display_name: "Dev".into(),
                email: "dev@example.com".into(),
                account_id: "557058:dev".into(),
            });
        }
        b.users.iter().find(|u| u.authorization == given).cloned()
    }
}

/// A running fake on a loopback port.
#[derive(Debug)]
pub struct FakeBitbucket {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeBitbucket {
    pub async fn start(
        workspace: &str,
        slug: &str,
        repo: Repository,
        behaviour: Behaviour,
    ) -> std::io::Result<FakeBitbucket> {
        let mut repos = BTreeMap::new();
        repos.insert(slug.to_string(), Git::from_repository(repo));
        let shared = Arc::new(Shared {
            workspace: workspace.to_string(),
            repos: Mutex::new(repos),
            behaviour: Mutex::new(behaviour),
            requests: AtomicU64::new(0),
        });
        let cloud = "/2.0/repositories/{ws}/{repo}";
        let dc = "/rest/api/1.0/projects/{ws}/repos/{repo}";
        let app = Router::new()
            .route("/2.0/user", get(cloud_user))
            .route(
                &format!("{cloud}/refs/branches/{{name}}"),
                get(cloud_branch),
            )
            .route(
                &format!("{cloud}/refs/tags"),
                axum::routing::post(cloud_tag_create),
            )
            .route(&format!("{cloud}/refs/tags/{{*name}}"), get(cloud_tag))
            .route(&format!("{cloud}/src"), axum::routing::post(cloud_commit))
            .route(&format!("{cloud}/src/{{commit}}/"), get(cloud_src_root))
            .route(&format!("{cloud}/src/{{commit}}/{{*path}}"), get(cloud_src))
            .route(
                &format!("{cloud}/filehistory/{{commit}}/{{*path}}"),
                get(cloud_history),
            )
            .route(
                &format!("{cloud}/commit/{{commit}}/comments"),
                get(cloud_comments).post(cloud_comment_add),
            )
            .route(
                &format!("{cloud}/pullrequests"),
                axum::routing::post(cloud_pr_create),
            )
            .route(&format!("{cloud}/pullrequests/{{id}}"), get(cloud_pr_get))
            .route(
                &format!("{cloud}/pullrequests/{{id}}/approve"),
                axum::routing::post(cloud_pr_approve),
            )
            .route(
                &format!("{cloud}/pullrequests/{{id}}/request-changes"),
                axum::routing::post(cloud_pr_request_changes),
            )
            .route(
                &format!("{cloud}/pullrequests/{{id}}/comments"),
                axum::routing::post(cloud_pr_comment),
            )
            .route(
                &format!("{cloud}/pullrequests/{{id}}/merge"),
                axum::routing::post(cloud_pr_merge),
            )
            .route(
                &format!("{dc}/pull-requests"),
                axum::routing::post(dc_pr_create),
            )
            .route(&format!("{dc}/pull-requests/{{id}}"), get(dc_pr_get))
            .route(
                &format!("{dc}/pull-requests/{{id}}/participants/{{slug}}"),
                axum::routing::put(dc_pr_participant),
            )
            .route(
                &format!("{dc}/pull-requests/{{id}}/comments"),
                axum::routing::post(dc_pr_comment),
            )
            .route(
                &format!("{dc}/pull-requests/{{id}}/merge"),
                axum::routing::post(dc_pr_merge),
            )
            .route("/plugins/servlet/applinks/whoami", get(dc_whoami))
            .route("/rest/api/1.0/users/{slug}", get(dc_user))
            .route(&format!("{dc}/commits"), get(dc_commits))
            .route(
                &format!("{dc}/commits/{{commit}}/comments"),
                get(dc_comments).post(dc_comment_add),
            )
            .route(
                &format!("{dc}/browse/{{*path}}"),
                get(dc_browse).put(dc_edit),
            )
            .route(&format!("{dc}/raw/{{*path}}"), get(dc_raw))
            .route(&format!("{dc}/tags/{{*name}}"), get(dc_tag))
            .route(
                "/rest/git/1.0/projects/{ws}/repos/{repo}/tags",
                axum::routing::post(dc_tag_create),
            )
            .fallback(|| async {
                cloud_error(
                    StatusCode::NOT_FOUND,
                    "Resource not found",
                    json!("There is no API hosted at this URL"),
                )
            })
            // Bitbucket takes files far larger than axum's default 2 MB.
            .layer(axum::extract::DefaultBodyLimit::max(300 * 1024 * 1024))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeBitbucket { addr, shared, task })
    }

    /// API root for a Cloud client.
    pub fn cloud_base(&self) -> String {
        format!("http://{}/2.0", self.addr)
    }

    /// Server root for a Data Center client.
    pub fn dc_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests served so far (faults included).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Serve these answers before the real ones.
    pub fn inject(&self, faults: &[(u16, Option<u64>)]) {
        let mut b = self
            .shared
            .behaviour
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        b.faults.extend(faults.iter().copied());
    }

    /// Slow raw downloads down (or back up, with `None`).
    pub fn slow_raw(&self, pause: Option<Duration>) {
        self.shared
            .behaviour
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .slow_raw = pause;
    }

    /// Another repository of the workspace, with one branch (a promotion destination).
    pub fn add_repository(&self, slug: &str, repo: Repository) {
        self.shared
            .repo()
            .insert(slug.to_string(), Git::from_repository(repo));
    }

    /// A branch of `slug` starting at no commit: its first commit creates it.
    pub fn commit_as(
        &self,
        slug: &str,
        branch: &str,
        user: &FakeUser,
        path: &str,
        bytes: &[u8],
        message: &str,
    ) -> String {
        let mut repos = self.shared.repo();
        let git = repos.entry(slug.to_string()).or_default();
        let parent = git.branches.get(branch).cloned();
        git.commit(
            branch,
            parent.as_deref(),
            user,
            message,
            vec![(path.to_string(), Some(bytes.to_vec()))],
        )
    }

    /// The bytes of `path` at the head of `branch` of `slug`.
    pub fn file(&self, slug: &str, branch: &str, path: &str) -> Option<Vec<u8>> {
        let repos = self.shared.repo();
        let git = repos.get(slug)?;
        git.resolve(branch)?.tree.get(path).map(|b| (**b).clone())
    }

    /// The commit a tag of `slug` marks.
    pub fn tag(&self, slug: &str, name: &str) -> Option<String> {
        self.shared
            .repo()
            .get(slug)?
            .tags
            .get(name)
            .map(|(c, _)| c.clone())
    }

    /// The text of every comment on a commit of `slug`, oldest first.
    pub fn comments(&self, slug: &str, commit: &str) -> Vec<String> {
        self.shared
            .repo()
            .get(slug)
            .and_then(|g| g.comments.get(commit))
            .map(|cs| cs.iter().map(|c| c.text.clone()).collect())
            .unwrap_or_default()
    }

    /// The state of a pull request of `slug` (`OPEN`, `MERGED`, `DECLINED`).
    pub fn pull_request_state(&self, slug: &str, id: u64) -> Option<String> {
        let repos = self.shared.repo();
        repos
            .get(slug)?
            .prs
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.state.clone())
    }

    /// Approve a pull request as `user`, as if in Bitbucket's web UI.
    pub fn approve_as(&self, slug: &str, id: u64, user: &FakeUser) {
        if let Some(git) = self.shared.repo().get_mut(slug) {
            let at = git.clock();
            if let Some(pr) = git.prs.iter_mut().find(|p| p.id == id) {
                pr.participants.retain(|(u, _, _)| u.name != user.name);
                pr.participants.push((user.clone(), "APPROVED".into(), at));
            }
        }
    }

    /// A comment written straight into the fake (as if through Bitbucket's web UI).
    pub fn comment_as(&self, slug: &str, commit: &str, user: &FakeUser, text: &str) {
        if let Some(g) = self.shared.repo().get_mut(slug) {
            g.comment(commit, user, text);
        }
    }
}

impl Drop for FakeBitbucket {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn cloud_error(status: StatusCode, message: &str, detail: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "type": "error", "error": { "message": message, "detail": detail } }).to_string(),
    )
        .into_response()
}

fn dc_error(status: StatusCode, message: &str, exception: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "errors": [{ "context": null, "message": message, "exceptionName": exception }] })
            .to_string(),
    )
        .into_response()
}

fn json_ok(v: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

/// Authentication and injected faults, the same for every route (`cloud` picks the error
/// shape), and the repository asked for: the user signed in, or the answer to send instead.
// The refusal is handed straight back as the answer; boxing it would only add noise.
#[allow(clippy::result_large_err)]
fn gate(
    s: &Shared,
    headers: &HeaderMap,
    cloud: bool,
    ws: &str,
    repo: &str,
) -> Result<FakeUser, Response> {
    s.requests.fetch_add(1, Ordering::SeqCst);
    {
        let mut b = s.behaviour.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((status, retry_after)) = b.faults.pop_front() {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = if cloud {
                cloud_error(
                    code,
                    "Rate limit for this resource has been exceeded",
                    Value::Null,
                )
            } else {
                dc_error(
                    code,
                    "Too many requests",
                    "com.atlassian.bitbucket.ratelimit.RateLimitedException",
                )
            };
            if let Some(secs) = retry_after {
                if let Ok(v) = secs.to_string().parse() {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            return Err(r);
        }
    }
    let Some(user) = s.user(headers) else {
        return Err(if cloud {
            let mut r = cloud_error(StatusCode::UNAUTHORIZED, "Unauthorized", Value::Null);
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"Bitbucket.org HTTP\""),
            );
            r
        } else {
            dc_error(
                StatusCode::UNAUTHORIZED,
                "Authentication failed. Please check your credentials and try again.",
                "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
            )
        });
    };
    {
        let b = s.behaviour.lock().unwrap_or_else(|p| p.into_inner());
        if cloud && !b.missing_scopes.is_empty() {
            return Err(cloud_error(
                StatusCode::FORBIDDEN,
                "Your credentials lack one or more required privilege scopes.",
                json!({ "required": b.missing_scopes, "granted": ["account"] }),
            ));
        }
    }
    if !ws.is_empty() && (ws != s.workspace || !s.repo().contains_key(repo)) {
        return Err(if cloud {
            cloud_error(
                StatusCode::NOT_FOUND,
                &format!("Repository {ws}/{repo} not found"),
                Value::Null,
            )
        } else {
            dc_error(
                StatusCode::NOT_FOUND,
                &format!("Repository {ws}/{repo} does not exist."),
                "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
            )
        });
    }
    Ok(user)
}

/// A file in a folder: its path, its bytes, the commit that last changed it.
type FileAt<'a> = (&'a str, &'a Arc<Vec<u8>>, String);

/// What `folder` holds at `commit`: the names of its subfolders, and its files (full paths)
/// with their bytes and the commit that last changed each.
fn folder_at<'a>(git: &'a Git, at: &'a CommitObj, folder: &str) -> (Vec<String>, Vec<FileAt<'a>>) {
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut dirs: Vec<String> = Vec::new();
    let mut files = Vec::new();
    for (file, bytes) in at.tree.iter() {
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        match rest.split_once('/') {
            Some((dir, _)) => {
                if !dirs.iter().any(|d| d == dir) {
                    dirs.push(dir.to_string());
                }
            }
            None => {
                let last = git
                    .file_history(at, file)
                    .first()
                    .map(|c| c.hash.clone())
                    .unwrap_or_default();
                files.push((file.as_str(), bytes, last));
            }
        }
    }
    (dirs, files)
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string())
        .unwrap_or_default()
}

fn cloud_user_json(u: &FakeUser) -> Value {
    json!({
        "type": "user",
        "display_name": u.display_name,
        "nickname": u.name,
        "account_id": u.account_id,
        "uuid": format!("{{{}}}", u.account_id),
    })
}

fn dc_user_json(u: &FakeUser) -> Value {
    json!({
        "name": u.name,
        "emailAddress": u.email,
        "displayName": u.display_name,
        "slug": u.name,
        "active": true,
        "type": "NORMAL",
    })
}

fn cloud_commit_json(c: &CommitObj) -> Value {
    let mut author =
        json!({ "type": "author", "raw": format!("{} <{}>", c.author_name, c.author_email) });
    if let Some(u) = &c.author_user {
        author["user"] = cloud_user_json(u);
    }
    json!({
        "type": "commit",
        "hash": c.hash,
        "date": iso(c.at_ms),
        "author": author,
        "message": c.message,
        "parents": c.parents.iter().map(|p| json!({ "type": "commit", "hash": p })).collect::<Vec<_>>(),
    })
}

fn dc_commit_json(c: &CommitObj) -> Value {
    let mut author = json!({ "name": c.author_name, "emailAddress": c.author_email });
    if let Some(u) = &c.author_user {
        author = dc_user_json(u);
    }
    json!({
        "id": c.hash,
        "displayId": &c.hash[..11.min(c.hash.len())],
        "author": author,
        "authorTimestamp": c.at_ms,
        "committer": author,
        "committerTimestamp": c.at_ms,
        "message": c.message,
        "parents": c.parents.iter().map(|p| json!({ "id": p, "displayId": &p[..11.min(p.len())] })).collect::<Vec<_>>(),
    })
}

/// Page `page` (1-based) of `items`, `pagelen` per page, in Cloud's envelope with an opaque
/// `next` that names the page in its own way.
fn cloud_page(
    items: Vec<Value>,
    page: usize,
    pagelen: usize,
    url_of: impl Fn(usize) -> String,
) -> Value {
    let pagelen = pagelen.clamp(10, 100);
    let start = (page - 1) * pagelen;
    let chunk: Vec<Value> = items.iter().skip(start).take(pagelen).cloned().collect();
    let mut v = json!({ "pagelen": pagelen, "page": page, "size": items.len(), "values": chunk });
    if start + pagelen < items.len() {
        v["next"] = json!(url_of(page + 1));
    }
    v
}

#[derive(Debug, serde::Deserialize, Default)]
struct CloudQuery {
    pagelen: Option<usize>,
    /// The fake's own cursor inside `next` (clients never build it).
    cursor: Option<usize>,
}

/// Cloud's `next` links are absolute: the fake writes them for the address it was asked at.
fn host_of(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string()
}

fn no_commit(cloud: bool, commit: &str, repo: &str) -> Response {
    if cloud {
        cloud_error(
            StatusCode::NOT_FOUND,
            &format!("Commit not found: {commit}"),
            Value::Null,
        )
    } else {
        dc_error(
            StatusCode::NOT_FOUND,
            &format!("Commit '{commit}' does not exist in repository '{repo}'."),
            "com.atlassian.bitbucket.commit.NoSuchCommitException",
        )
    }
}

/// Raw bytes, sent slowly when the test asks for it.
fn raw_body(
    s: &Shared,
    bytes: Arc<Vec<u8>>,
    headers: &[(header::HeaderName, &'static str)],
) -> Response {
    let pause = s
        .behaviour
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .slow_raw;
    let mut r = match pause {
        None => (*bytes).clone().into_response(),
        Some(pause) => {
            let chunks: Vec<bytes::Bytes> = bytes
                .chunks(64 * 1024)
                .map(bytes::Bytes::copy_from_slice)
                .collect();
            let stream = futures::stream::iter(chunks).then(move |c| async move {
                tokio::time::sleep(pause).await;
                Ok::<_, std::io::Error>(c)
            });
            axum::body::Body::from_stream(stream).into_response()
        }
    };
    for (k, v) in headers {
        r.headers_mut()
            .insert(k.clone(), header::HeaderValue::from_static(v));
    }
    r
}

use futures::StreamExt as _;

async fn cloud_user(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match gate(&s, &headers, true, "", "") {
        Ok(u) => json_ok(cloud_user_json(&u)),
        Err(r) => r,
    }
}

async fn cloud_branch(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, true, &ws, &repo) {
        return r;
    }
    let repos = s.repo();
    let git = &repos[&repo];
    match git.branches.get(&name).and_then(|h| git.get(h)) {
        Some(head) => {
            json_ok(json!({ "type": "branch", "name": name, "target": cloud_commit_json(head) }))
        }
        None => cloud_error(
            StatusCode::NOT_FOUND,
            &format!("Branch \"{name}\" does not exist."),
            Value::Null,
        ),
    }
}

async fn cloud_src_root(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, commit)): Path<(String, String, String)>,
    Query(q): Query<CloudQuery>,
    headers: HeaderMap,
) -> Response {
    cloud_src_inner(&s, &ws, &repo, &commit, "", &q, &headers)
}

async fn cloud_src(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, commit, path)): Path<(String, String, String, String)>,
    Query(q): Query<CloudQuery>,
    headers: HeaderMap,
) -> Response {
    cloud_src_inner(&s, &ws, &repo, &commit, &path, &q, &headers)
}

fn cloud_src_inner(
    s: &Shared,
    ws: &str,
    repo: &str,
    commit: &str,
    path: &str,
    q: &CloudQuery,
    headers: &HeaderMap,
) -> Response {
    if let Err(r) = gate(s, headers, true, ws, repo) {
        return r;
    }
    let repos = s.repo();
    let git = &repos[repo];
    let Some(at) = git.resolve(commit) else {
        return no_commit(true, commit, repo);
    };
    let folder = path.trim_end_matches('/');
    // A file: its bytes at that commit.
    if !path.ends_with('/') && !folder.is_empty() {
        if let Some(bytes) = at.tree.get(folder) {
            let bytes = bytes.clone();
            drop(repos);
            return raw_body(
                s,
                bytes,
                &[
                    (header::CONTENT_TYPE, "application/octet-stream"),
                    (header::CONTENT_DISPOSITION, "attachment"),
                ],
            );
        }
    }
    let (dirs, files) = folder_at(git, at, folder);
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let dirs: Vec<String> = dirs.into_iter().map(|d| format!("{prefix}{d}")).collect();
    let entries: Vec<Value> = files
        .into_iter()
        .map(|(file, bytes, _)| {
            json!({
                "type": "commit_file",
                "path": file,
                "size": bytes.len(),
                "attributes": ["binary"],
                "mimetype": "application/vnd.ms-cab-compressed",
                "escaped_path": file,
                "commit": { "type": "commit", "hash": commit },
            })
        })
        .collect();
    if entries.is_empty() && dirs.is_empty() && !folder.is_empty() {
        return cloud_error(
            StatusCode::NOT_FOUND,
            &format!("No such file or directory: {folder}"),
            Value::Null,
        );
    }
    let mut all: Vec<Value> = dirs
        .into_iter()
        .map(|d| json!({ "type": "commit_directory", "path": d, "commit": { "type": "commit", "hash": commit } }))
        .collect();
    all.extend(entries);
    let page = q.cursor.unwrap_or(1);
    let pagelen = q.pagelen.unwrap_or(10);
    let host = host_of(headers);
    json_ok(cloud_page(all, page, pagelen, |n| {
        format!("http://{host}/2.0/repositories/{ws}/{repo}/src/{commit}/{prefix}?pagelen={pagelen}&cursor={n}")
    }))
}

async fn cloud_history(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, commit, path)): Path<(String, String, String, String)>,
    Query(q): Query<CloudQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, true, &ws, &repo) {
        return r;
    }
    let host = host_of(&headers);
    let repos = s.repo();
    let git = &repos[&repo];
    let Some(at) = git.resolve(&commit) else {
        return no_commit(true, &commit, &repo);
    };
    let versions = git.file_history(at, &path);
    if versions.is_empty() {
        return cloud_error(
            StatusCode::NOT_FOUND,
            &format!("No such file: {path}"),
            Value::Null,
        );
    }
    let items: Vec<Value> = versions
        .iter()
        .map(|c| {
            json!({
                "type": "commit_file",
                "path": path,
                "size": c.tree.get(&path).map_or(0, |b| b.len()),
                "commit": cloud_commit_json(c),
            })
        })
        .collect();
    let page = q.cursor.unwrap_or(1);
    let pagelen = q.pagelen.unwrap_or(10);
    json_ok(cloud_page(items, page, pagelen, |n| {
        format!("http://{host}/2.0/repositories/{ws}/{repo}/filehistory/{commit}/{path}?pagelen={pagelen}&cursor={n}")
    }))
}

/// Fields and files of a multipart body: (name, file name if a file part, bytes).
async fn parts(mut form: Multipart) -> Result<Vec<(String, Option<String>, Vec<u8>)>, String> {
    let mut out = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_string();
        let file = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
        out.push((name, file, bytes));
    }
    Ok(out)
}

/// `POST /src`: metadata as form fields, each file a part named by its path.
async fn cloud_commit(
    State(s): State<Arc<Shared>>,
    Path((ws, repo)): Path<(String, String)>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let user = match gate(&s, &headers, true, &ws, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let fields = match parts(form).await {
        Ok(f) => f,
        Err(e) => {
            return cloud_error(
                StatusCode::BAD_REQUEST,
                &format!("Malformed form: {e}"),
                Value::Null,
            )
        }
    };
    let text = |k: &str| {
        fields
            .iter()
            .find(|(n, f, _)| n == k && f.is_none())
            .map(|(_, _, b)| String::from_utf8_lossy(b).into_owned())
    };
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    let branch = text("branch").unwrap_or_else(|| "main".into());
    let parents = text("parents");
    let tip = git.branches.get(&branch).cloned();
    if let (Some(tip), Some(parents)) = (&tip, &parents) {
        if parents.split(',').next() != Some(tip.as_str()) {
            return cloud_error(
                StatusCode::CONFLICT,
                &format!("Branch \"{branch}\" has moved: the parent {parents} is not its tip"),
                Value::Null,
            );
        }
    }
    if tip.is_none() {
        if let Some(p) = &parents {
            git.forks.insert(branch.clone(), p.clone());
        }
    }
    let parent = tip.or(parents);
    let mut changes: Vec<(String, Option<Vec<u8>>)> = fields
        .iter()
        .filter(|(_, f, _)| f.is_some())
        .map(|(n, _, b)| (n.trim_start_matches('/').to_string(), Some(b.clone())))
        .collect();
    for (n, f, b) in &fields {
        if n == "files" && f.is_none() {
            let p = String::from_utf8_lossy(b)
                .trim_start_matches('/')
                .to_string();
            if !changes.iter().any(|(c, _)| c == &p) {
                changes.push((p, None));
            }
        }
    }
    if changes.is_empty() {
        return cloud_error(StatusCode::BAD_REQUEST, "No files to commit", Value::Null);
    }
    let message = text("message").unwrap_or_else(|| "Edited online".into());
    let hash = git.commit(&branch, parent.as_deref(), &user, &message, changes);
    let location = format!(
        "http://{}/2.0/repositories/{ws}/{repo}/commit/{hash}",
        host_of(&headers)
    );
    let mut r = StatusCode::CREATED.into_response();
    if let Ok(v) = location.parse() {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn cloud_comment_json(c: &FakeComment, ws: &str, repo: &str, commit: &str) -> Value {
    json!({
        "type": "commit_comment",
        "id": c.id,
        "content": { "type": "rendered", "raw": c.text, "markup": "markdown" },
        "user": cloud_user_json(&c.author),
        "created_on": iso(c.at_ms),
        "updated_on": iso(c.at_ms),
        "deleted": false,
        "commit": { "type": "commit", "hash": commit },
        "links": { "self": { "href": format!("/2.0/repositories/{ws}/{repo}/commit/{commit}/comments/{}", c.id) } },
    })
}

async fn cloud_comments(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, commit)): Path<(String, String, String)>,
    Query(q): Query<CloudQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, true, &ws, &repo) {
        return r;
    }
    let repos = s.repo();
    let git = &repos[&repo];
    if git.get(&commit).is_none() {
        return no_commit(true, &commit, &repo);
    }
    let items: Vec<Value> = git
        .comments
        .get(&commit)
        .map(|cs| {
            cs.iter()
                .map(|c| cloud_comment_json(c, &ws, &repo, &commit))
                .collect()
        })
        .unwrap_or_default();
    let host = host_of(&headers);
    let pagelen = q.pagelen.unwrap_or(10);
    json_ok(cloud_page(items, q.cursor.unwrap_or(1), pagelen, |n| {
        format!("http://{host}/2.0/repositories/{ws}/{repo}/commit/{commit}/comments?pagelen={pagelen}&cursor={n}")
    }))
}

async fn cloud_comment_add(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, commit)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, true, &ws, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let Some(text) = v.pointer("/content/raw").and_then(Value::as_str) else {
        return cloud_error(
            StatusCode::BAD_REQUEST,
            "Bad request",
            json!({ "fields": { "content.raw": ["This field is required."] } }),
        );
    };
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    if git.get(&commit).is_none() {
        return no_commit(true, &commit, &repo);
    }
    let c = git.comment(&commit, &user, text);
    (
        StatusCode::CREATED,
        json_ok(cloud_comment_json(&c, &ws, &repo, &commit)),
    )
        .into_response()
}

async fn cloud_tag(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, true, &ws, &repo) {
        return r;
    }
    let repos = s.repo();
    let git = &repos[&repo];
    match git
        .tags
        .get(&name)
        .and_then(|(h, m)| git.get(h).map(|c| (c, m)))
    {
        Some((c, m)) => json_ok(
            json!({ "type": "tag", "name": name, "message": m, "target": cloud_commit_json(c) }),
        ),
        None => cloud_error(
            StatusCode::NOT_FOUND,
            &format!("Tag \"{name}\" does not exist."),
            Value::Null,
        ),
    }
}

async fn cloud_tag_create(
    State(s): State<Arc<Shared>>,
    Path((ws, repo)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = gate(&s, &headers, true, &ws, &repo) {
        return r;
    }
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let (Some(name), Some(hash)) = (
        v.get("name").and_then(Value::as_str),
        v.pointer("/target/hash").and_then(Value::as_str),
    ) else {
        return cloud_error(
            StatusCode::BAD_REQUEST,
            "name and target.hash are required",
            Value::Null,
        );
    };
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    if git.tags.contains_key(name) {
        return cloud_error(
            StatusCode::BAD_REQUEST,
            &format!("tag \"{name}\" already exists"),
            Value::Null,
        );
    }
    let Some(c) = git.get(hash).cloned() else {
        return cloud_error(
            StatusCode::BAD_REQUEST,
            &format!("invalid hash: {hash}"),
            Value::Null,
        );
    };
    git.tags
        .insert(name.to_string(), (hash.to_string(), String::new()));
    (
        StatusCode::CREATED,
        json_ok(json!({ "type": "tag", "name": name, "target": cloud_commit_json(&c) })),
    )
        .into_response()
}

#[derive(Debug, serde::Deserialize, Default)]
struct DcQuery {
    until: Option<String>,
    path: Option<String>,
    at: Option<String>,
    start: Option<usize>,
    limit: Option<usize>,
}

/// A Data Center page of `items` from `start`, `limit` at most (the server caps it at 1,000).
fn dc_page(items: Vec<Value>, start: usize, limit: usize) -> Value {
    let limit = limit.clamp(1, 1000);
    let chunk: Vec<Value> = items.iter().skip(start).take(limit).cloned().collect();
    let last = start + limit >= items.len();
    json!({
        "size": chunk.len(),
        "limit": limit,
        "isLastPage": last,
        "start": start,
        "nextPageStart": if last { Value::Null } else { json!(start + limit) },
        "values": chunk,
    })
}

async fn dc_whoami(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match gate(&s, &headers, false, "", "") {
        Ok(u) => ([(header::CONTENT_TYPE, "text/plain")], u.name).into_response(),
        Err(r) => r,
    }
}

async fn dc_user(
    State(s): State<Arc<Shared>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, false, "", "") {
        return r;
    }
    let b = s.behaviour.lock().unwrap_or_else(|p| p.into_inner());
    let dev = (!b.accept.is_empty()).then(|| FakeUser {
        authorization: b.accept.clone(),
        name: "dev".into(),
        display_name: "Dev".into(),
        email: "dev@example.com".into(),
        account_id: "557058:dev".into(),
    });
    match b
        .users
        .iter()
        .cloned()
        .chain(dev)
        .find(|u| u.name == slug || u.email == slug)
    {
        Some(u) => json_ok(dc_user_json(&u)),
        None => dc_error(
            StatusCode::NOT_FOUND,
            &format!("User {slug} does not exist."),
            "com.atlassian.bitbucket.user.NoSuchUserException",
        ),
    }
}

async fn dc_commits(
    State(s): State<Arc<Shared>>,
    Path((key, repo)): Path<(String, String)>,
    Query(q): Query<DcQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, false, &key, &repo) {
        return r;
    }
    let repos = s.repo();
    let git = &repos[&repo];
    let until = q.until.clone().unwrap_or_else(|| "main".into());
    let Some(at) = git.resolve(&until) else {
        return no_commit(false, &until, &repo);
    };
    let items: Vec<Value> = match &q.path {
        Some(p) => git
            .file_history(at, p)
            .into_iter()
            .map(dc_commit_json)
            .collect(),
        None => git.ancestry(at).into_iter().map(dc_commit_json).collect(),
    };
    json_ok(dc_page(items, q.start.unwrap_or(0), q.limit.unwrap_or(25)))
}

async fn dc_browse(
    State(s): State<Arc<Shared>>,
    Path((key, repo, path)): Path<(String, String, String)>,
    Query(q): Query<DcQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, false, &key, &repo) {
        return r;
    }
    let repos = s.repo();
    let git = &repos[&repo];
    let at_rev = q.at.clone().unwrap_or_else(|| "main".into());
    let folder = path.trim_matches('/').to_string();
    let Some(at) = git.resolve(&at_rev) else {
        return no_commit(false, &at_rev, &repo);
    };
    let (dirs, files) = folder_at(git, at, &folder);
    let children: Vec<Value> = files
        .into_iter()
        .map(|(file, bytes, last)| {
            let name = file.rsplit('/').next().unwrap_or(file);
            json!({
                "path": { "components": [name], "name": name, "toString": name },
                "contentId": last,
                "type": "FILE",
                "size": bytes.len(),
            })
        })
        .collect();
    if children.is_empty() && dirs.is_empty() {
        return dc_error(
            StatusCode::NOT_FOUND,
            &format!("The path \"{folder}\" does not exist at revision \"{at_rev}\""),
            "com.atlassian.bitbucket.content.NoSuchPathException",
        );
    }
    let mut all: Vec<Value> = dirs
        .into_iter()
        .map(|d| json!({ "path": { "components": [d], "name": d, "toString": d }, "type": "DIRECTORY" }))
        .collect();
    all.extend(children);
    let components: Vec<&str> = folder.split('/').filter(|c| !c.is_empty()).collect();
    json_ok(json!({
        "path": { "components": components, "name": components.last().copied().unwrap_or(""), "toString": folder },
        "revision": at_rev,
        "children": dc_page(all, q.start.unwrap_or(0), q.limit.unwrap_or(500)),
    }))
}

/// `PUT /browse/{path}`: one file, conflict-checked against `sourceCommitId`.
async fn dc_edit(
    State(s): State<Arc<Shared>>,
    Path((key, repo, path)): Path<(String, String, String)>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let user = match gate(&s, &headers, false, &key, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let fields = match parts(form).await {
        Ok(f) => f,
        Err(e) => {
            return dc_error(
                StatusCode::BAD_REQUEST,
                &format!("Malformed form: {e}"),
                "java.lang.IllegalArgumentException",
            )
        }
    };
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _, _)| n == k)
            .map(|(_, _, b)| b.clone())
    };
    let text = |k: &str| get(k).map(|b| String::from_utf8_lossy(&b).into_owned());
    let (Some(content), Some(branch)) = (get("content"), text("branch")) else {
        return dc_error(
            StatusCode::BAD_REQUEST,
            "content and branch are required",
            "com.atlassian.bitbucket.validation.ArgumentValidationException",
        );
    };
    let path = path.trim_matches('/').to_string();
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    // A new branch starts from `sourceBranch`.
    let mut tip = git.branches.get(&branch).cloned();
    if tip.is_none() {
        if let Some(from) = text("sourceBranch").and_then(|b| git.branches.get(&b).cloned()) {
            git.forks.insert(branch.clone(), from.clone());
            tip = Some(from);
        }
    }
    let current = tip.as_deref().and_then(|t| git.get(t));
    let last_change =
        current.and_then(|c| git.file_history(c, &path).first().map(|c| c.hash.clone()));
    let exists = current.is_some_and(|c| c.tree.contains_key(&path));
    let conflict = |m: String| {
        dc_error(
            StatusCode::CONFLICT,
            &m,
            "com.atlassian.bitbucket.content.FileContentModificationException",
        )
    };
    match (text("sourceCommitId"), exists) {
        (None, true) => {
            return conflict(format!(
                "The file \"{path}\" already exists on \"{branch}\""
            ))
        }
        (Some(src), true) if Some(&src) != last_change.as_ref() => {
            return conflict(format!("The file \"{path}\" has been changed since {src}"))
        }
        _ => {}
    }
    if current
        .and_then(|c| c.tree.get(&path))
        .is_some_and(|b| **b == content)
    {
        return conflict(format!("The content of \"{path}\" was not modified"));
    }
    let message = text("message").unwrap_or_else(|| format!("Edited {path}"));
    let hash = git.commit(
        &branch,
        tip.as_deref(),
        &user,
        &message,
        vec![(path, Some(content))],
    );
    let c = git.get(&hash).cloned().expect("just made");
    json_ok(dc_commit_json(&c))
}

async fn dc_raw(
    State(s): State<Arc<Shared>>,
    Path((key, repo, path)): Path<(String, String, String)>,
    Query(q): Query<DcQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, false, &key, &repo) {
        return r;
    }
    let repos = s.repo();
    let git = &repos[&repo];
    let at_rev = q.at.clone().unwrap_or_else(|| "main".into());
    match git
        .resolve(&at_rev)
        .and_then(|c| c.tree.get(&path))
        .cloned()
    {
        Some(bytes) => {
            drop(repos);
            raw_body(
                &s,
                bytes,
                &[(header::CONTENT_TYPE, "application/octet-stream")],
            )
        }
        None => dc_error(
            StatusCode::NOT_FOUND,
            &format!("The path \"{path}\" does not exist at revision \"{at_rev}\""),
            "com.atlassian.bitbucket.content.NoSuchPathException",
        ),
    }
}

fn dc_comment_json(c: &FakeComment) -> Value {
    json!({
        "id": c.id,
        "version": 0,
        "text": c.text,
        "author": dc_user_json(&c.author),
        "createdDate": c.at_ms,
        "updatedDate": c.at_ms,
        "comments": [],
    })
}

async fn dc_comments(
    State(s): State<Arc<Shared>>,
    Path((key, repo, commit)): Path<(String, String, String)>,
    Query(q): Query<DcQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, false, &key, &repo) {
        return r;
    }
    let repos = s.repo();
    let git = &repos[&repo];
    if git.get(&commit).is_none() {
        return no_commit(false, &commit, &repo);
    }
    let items: Vec<Value> = git
        .comments
        .get(&commit)
        .map(|cs| cs.iter().map(dc_comment_json).collect())
        .unwrap_or_default();
    json_ok(dc_page(items, q.start.unwrap_or(0), q.limit.unwrap_or(25)))
}

async fn dc_comment_add(
    State(s): State<Arc<Shared>>,
    Path((key, repo, commit)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, false, &key, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let Some(text) = v.get("text").and_then(Value::as_str) else {
        return dc_error(
            StatusCode::BAD_REQUEST,
            "The comment text is required",
            "com.atlassian.bitbucket.validation.ArgumentValidationException",
        );
    };
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    if git.get(&commit).is_none() {
        return no_commit(false, &commit, &repo);
    }
    let c = git.comment(&commit, &user, text);
    (StatusCode::CREATED, json_ok(dc_comment_json(&c))).into_response()
}

async fn dc_tag(
    State(s): State<Arc<Shared>>,
    Path((key, repo, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, false, &key, &repo) {
        return r;
    }
    let repos = s.repo();
    match repos[&repo].tags.get(&name) {
        Some((hash, _)) => json_ok(json!({
            "id": format!("refs/tags/{name}"),
            "displayId": name,
            "type": "TAG",
            "latestCommit": hash,
            "latestChangeset": hash,
        })),
        None => dc_error(
            StatusCode::NOT_FOUND,
            &format!("Tag '{name}' does not exist in repository '{repo}'."),
            "com.atlassian.bitbucket.repository.NoSuchTagException",
        ),
    }
}

async fn dc_tag_create(
    State(s): State<Arc<Shared>>,
    Path((key, repo)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = gate(&s, &headers, false, &key, &repo) {
        return r;
    }
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let (Some(name), Some(start)) = (
        v.get("name").and_then(Value::as_str),
        v.get("startPoint").and_then(Value::as_str),
    ) else {
        return dc_error(
            StatusCode::BAD_REQUEST,
            "name and startPoint are required",
            "com.atlassian.bitbucket.validation.ArgumentValidationException",
        );
    };
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    if git.tags.contains_key(name) {
        return dc_error(
            StatusCode::BAD_REQUEST,
            &format!("Tag '{name}' already exists in repository '{repo}'."),
            "com.atlassian.bitbucket.repository.DuplicateRefException",
        );
    }
    let Some(c) = git.resolve(start).map(|c| c.hash.clone()) else {
        return no_commit(false, start, &repo);
    };
    let message = v
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    git.tags.insert(name.to_string(), (c.clone(), message));
    (
        StatusCode::CREATED,
        json_ok(json!({ "id": format!("refs/tags/{name}"), "displayId": name, "type": "TAG", "latestCommit": c, "latestChangeset": c, "hash": c })),
    )
        .into_response()
}

fn pr_of<'a>(git: &'a mut Git, id: &str) -> Option<&'a mut FakePr> {
    let id: u64 = id.parse().ok()?;
    git.prs.iter_mut().find(|p| p.id == id)
}

fn cloud_pr_json(git: &Git, pr: &FakePr) -> Value {
    let head = |b: &str| git.branches.get(b).cloned().unwrap_or_default();
    json!({
        "type": "pullrequest",
        "id": pr.id,
        "title": pr.title,
        "description": pr.description,
        "state": pr.state,
        "author": cloud_user_json(&pr.author),
        "source": { "branch": { "name": pr.source }, "commit": { "type": "commit", "hash": head(&pr.source) } },
        "destination": { "branch": { "name": pr.destination }, "commit": { "type": "commit", "hash": head(&pr.destination) } },
        "participants": pr.participants.iter().map(|(u, status, at)| cloud_participant(u, status, *at)).collect::<Vec<_>>(),
        "merge_commit": pr.merge_commit.as_ref().map(|h| json!({ "type": "commit", "hash": h })),
        "close_source_branch": true,
    })
}

fn cloud_participant(u: &FakeUser, status: &str, at: i64) -> Value {
    json!({
        "type": "participant",
        "user": cloud_user_json(u),
        "role": "PARTICIPANT",
        "approved": status == "APPROVED",
        "state": match status { "APPROVED" => json!("approved"), "NEEDS_WORK" => json!("changes_requested"), _ => Value::Null },
        "participated_on": iso(at),
    })
}

fn dc_ref(git: &Git, branch: &str, repo: &str, key: &str) -> Value {
    json!({
        "id": format!("refs/heads/{branch}"),
        "displayId": branch,
        "latestCommit": git.branches.get(branch).cloned().unwrap_or_default(),
        "repository": { "slug": repo, "project": { "key": key } },
    })
}

fn dc_participant(u: &FakeUser, role: &str, status: &str) -> Value {
    json!({ "user": dc_user_json(u), "role": role, "approved": status == "APPROVED", "status": status })
}

fn dc_pr_json(git: &Git, pr: &FakePr, repo: &str, key: &str) -> Value {
    json!({
        "id": pr.id,
        "version": pr.version,
        "title": pr.title,
        "description": pr.description,
        "state": pr.state,
        "open": pr.state == "OPEN",
        "closed": pr.state != "OPEN",
        "fromRef": dc_ref(git, &pr.source, repo, key),
        "toRef": dc_ref(git, &pr.destination, repo, key),
        "author": dc_participant(&pr.author, "AUTHOR", "UNAPPROVED"),
        "reviewers": [],
        "participants": pr.participants.iter().map(|(u, status, _)| dc_participant(u, "PARTICIPANT", status)).collect::<Vec<_>>(),
    })
}

/// A new pull request, or why not (shared by both flavours).
fn open_pr(
    git: &mut Git,
    user: &FakeUser,
    title: &str,
    description: &str,
    source: &str,
    destination: &str,
) -> Result<u64, String> {
    if !git.branches.contains_key(source) {
        return Err(format!("branch not found: {source}"));
    }
    if !git.branches.contains_key(destination) {
        return Err(format!("branch not found: {destination}"));
    }
    if git
        .prs
        .iter()
        .any(|p| p.state == "OPEN" && p.source == source && p.destination == destination)
    {
        return Err(format!("Only one pull request may be open for a given source and target branch ({source} → {destination})"));
    }
    let id = git.prs.len() as u64 + 1;
    git.prs.push(FakePr {
        id,
        title: title.to_string(),
        description: description.to_string(),
        source: source.to_string(),
        destination: destination.to_string(),
        author: user.clone(),
        state: "OPEN".into(),
        version: 0,
        participants: Vec::new(),
        merge_commit: None,
    });
    Ok(id)
}

/// Approve or request changes (both flavours); the participant after it, or why not.
fn review_pr(git: &mut Git, id: &str, user: &FakeUser, status: &str) -> Result<(), String> {
    let at = git.clock();
    let pr = pr_of(git, id).ok_or_else(|| format!("pull request {id} does not exist"))?;
    if pr.state != "OPEN" {
        return Err(format!("pull request {id} is {}", pr.state.to_lowercase()));
    }
    pr.participants.retain(|(u, _, _)| u.name != user.name);
    pr.participants.push((user.clone(), status.to_string(), at));
    pr.version += 1;
    Ok(())
}

/// Merge (both flavours); the merge commit, or why not.
fn merge_pr(
    git: &mut Git,
    id: &str,
    user: &FakeUser,
    message: &str,
    version: Option<i64>,
) -> Result<(), String> {
    let pr = pr_of(git, id)
        .ok_or_else(|| format!("pull request {id} does not exist"))?
        .clone();
    if pr.state != "OPEN" {
        return Err(format!("pull request {id} is {}", pr.state.to_lowercase()));
    }
    if version.is_some_and(|v| v != pr.version) {
        return Err(format!("You are attempting to modify a pull request based on out-of-date information (version {} is current)", pr.version));
    }
    let hash = git
        .merge(&pr.source, &pr.destination, user, message)
        .ok_or_else(|| "a branch of the pull request is gone".to_string())?;
    if let Some(p) = pr_of(git, id) {
        p.state = "MERGED".into();
        p.merge_commit = Some(hash);
        p.version += 1;
    }
    Ok(())
}

fn body_json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

async fn cloud_pr_create(
    State(s): State<Arc<Shared>>,
    Path((ws, repo)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, true, &ws, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let v = body_json(&body);
    let text = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    let destination = match text("/destination/branch/name") {
        d if d.is_empty() => "main".to_string(),
        d => d,
    };
    match open_pr(
        git,
        &user,
        &text("/title"),
        &text("/description"),
        &text("/source/branch/name"),
        &destination,
    ) {
        Ok(id) => {
            let pr = git
                .prs
                .iter()
                .find(|p| p.id == id)
                .cloned()
                .expect("just made");
            (StatusCode::CREATED, json_ok(cloud_pr_json(git, &pr))).into_response()
        }
        Err(e) => cloud_error(
            StatusCode::BAD_REQUEST,
            "Bad request",
            json!({ "fields": { "source": [e] } }),
        ),
    }
}

async fn cloud_pr_get(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, true, &ws, &repo) {
        return r;
    }
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    match pr_of(git, &id).cloned() {
        Some(pr) => json_ok(cloud_pr_json(git, &pr)),
        None => cloud_error(
            StatusCode::NOT_FOUND,
            &format!("Pull request {id} does not exist"),
            Value::Null,
        ),
    }
}

async fn cloud_pr_review(
    s: &Shared,
    ws: &str,
    repo: &str,
    id: &str,
    headers: &HeaderMap,
    status: &str,
) -> Response {
    let user = match gate(s, headers, true, ws, repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut repos = s.repo();
    let git = repos.get_mut(repo).expect("checked by gate");
    match review_pr(git, id, &user, status) {
        Ok(()) => json_ok(cloud_participant(&user, status, git.clock())),
        Err(e) => cloud_error(StatusCode::BAD_REQUEST, &e, Value::Null),
    }
}

async fn cloud_pr_approve(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    cloud_pr_review(&s, &ws, &repo, &id, &headers, "APPROVED").await
}

async fn cloud_pr_request_changes(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    cloud_pr_review(&s, &ws, &repo, &id, &headers, "NEEDS_WORK").await
}

async fn cloud_pr_comment(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, true, &ws, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let text = body_json(&body)
        .pointer("/content/raw")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    if pr_of(git, &id).is_none() {
        return cloud_error(
            StatusCode::NOT_FOUND,
            &format!("Pull request {id} does not exist"),
            Value::Null,
        );
    }
    let c = git.comment(&format!("pr:{id}"), &user, &text);
    (StatusCode::CREATED, json_ok(json!({ "type": "pullrequest_comment", "id": c.id, "content": { "raw": c.text }, "user": cloud_user_json(&user) }))).into_response()
}

async fn cloud_pr_merge(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, true, &ws, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let message = body_json(&body)
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Merged")
        .to_string();
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    match merge_pr(git, &id, &user, &message, None) {
        Ok(()) => {
            let pr = pr_of(git, &id).cloned().expect("merged");
            json_ok(cloud_pr_json(git, &pr))
        }
        Err(e) => cloud_error(StatusCode::CONFLICT, &e, Value::Null),
    }
}

async fn dc_pr_create(
    State(s): State<Arc<Shared>>,
    Path((key, repo)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, false, &key, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let v = body_json(&body);
    let text = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let branch = |p: &str| text(p).trim_start_matches("refs/heads/").to_string();
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    match open_pr(
        git,
        &user,
        &text("/title"),
        &text("/description"),
        &branch("/fromRef/id"),
        &branch("/toRef/id"),
    ) {
        Ok(id) => {
            let pr = git
                .prs
                .iter()
                .find(|p| p.id == id)
                .cloned()
                .expect("just made");
            (
                StatusCode::CREATED,
                json_ok(dc_pr_json(git, &pr, &repo, &key)),
            )
                .into_response()
        }
        Err(e) => dc_error(
            StatusCode::CONFLICT,
            &e,
            "com.atlassian.bitbucket.pull.DuplicatePullRequestException",
        ),
    }
}

async fn dc_pr_get(
    State(s): State<Arc<Shared>>,
    Path((key, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = gate(&s, &headers, false, &key, &repo) {
        return r;
    }
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    match pr_of(git, &id).cloned() {
        Some(pr) => json_ok(dc_pr_json(git, &pr, &repo, &key)),
        None => dc_error(
            StatusCode::NOT_FOUND,
            &format!("Pull request {id} does not exist in {key}/{repo}."),
            "com.atlassian.bitbucket.pull.NoSuchPullRequestException",
        ),
    }
}

async fn dc_pr_participant(
    State(s): State<Arc<Shared>>,
    Path((key, repo, id, slug)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, false, &key, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if slug != user.name {
        return dc_error(
            StatusCode::UNAUTHORIZED,
            "You may only change your own status",
            "com.atlassian.bitbucket.AuthorisationException",
        );
    }
    let status = body_json(&body)
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("UNAPPROVED")
        .to_string();
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    match review_pr(git, &id, &user, &status) {
        Ok(()) => json_ok(dc_participant(&user, "PARTICIPANT", &status)),
        Err(e) => dc_error(
            StatusCode::CONFLICT,
            &e,
            "com.atlassian.bitbucket.pull.InvalidPullRequestStateException",
        ),
    }
}

async fn dc_pr_comment(
    State(s): State<Arc<Shared>>,
    Path((key, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, false, &key, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let text = body_json(&body)
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    if pr_of(git, &id).is_none() {
        return dc_error(
            StatusCode::NOT_FOUND,
            &format!("Pull request {id} does not exist"),
            "com.atlassian.bitbucket.pull.NoSuchPullRequestException",
        );
    }
    let c = git.comment(&format!("pr:{id}"), &user, &text);
    (StatusCode::CREATED, json_ok(dc_comment_json(&c))).into_response()
}

#[derive(Debug, serde::Deserialize)]
struct MergeQuery {
    version: Option<i64>,
}

async fn dc_pr_merge(
    State(s): State<Arc<Shared>>,
    Path((key, repo, id)): Path<(String, String, String)>,
    Query(q): Query<MergeQuery>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let user = match gate(&s, &headers, false, &key, &repo) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let message = body_json(&body)
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Merged")
        .to_string();
    let mut repos = s.repo();
    let git = repos.get_mut(&repo).expect("checked by gate");
    match merge_pr(git, &id, &user, &message, Some(q.version.unwrap_or(-1))) {
        Ok(()) => {
            let pr = pr_of(git, &id).cloned().expect("merged");
            json_ok(dc_pr_json(git, &pr, &repo, &key))
        }
        Err(e) => dc_error(
            StatusCode::CONFLICT,
            &e,
            "com.atlassian.bitbucket.pull.PullRequestOutOfDateException",
        ),
    }
}
