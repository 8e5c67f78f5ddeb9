//! A fake of Bitbucket Cloud (REST 2.0) and Bitbucket Data Center (REST 1.0), for the tests and
//! benchmarks of the CAB workflow, built from the documented request and response shapes (and
//! Atlassian's sample payloads): Cloud's `paginated_treeentries` and `paginated_files` with an
//! opaque `next`, branch refs with `target.hash`, raw file bytes; Data Center's `browse`
//! directory with its `children` page, `commits` pages with `isLastPage` / `nextPageStart` and
//! millisecond timestamps, `raw`; each flavour's error bodies (`{"type":"error","error":…}`
//! and `{"errors":[…]}`), a 403 naming the missing scopes, and faults injected on demand
//! (429 with `Retry-After`, 5xx) to exercise retries.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
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

/// The repository the fake serves: one branch, files with their versions (oldest first).
#[derive(Debug, Default)]
pub struct Repository {
    pub branch: String,
    pub files: Vec<(String, Vec<Version>)>,
}

impl Repository {
    /// The newest commit of all: the branch's head.
    fn head(&self) -> Option<&Version> {
        self.files
            .iter()
            .flat_map(|(_, v)| v.iter())
            .max_by_key(|v| v.at_ms)
    }
}

/// What the fake expects and what it should do wrong.
#[derive(Debug, Default)]
pub struct Behaviour {
    /// `Authorization` header value the fake accepts; anything else is 401.
    pub accept: String,
    /// Cloud scopes the token lacks: every call answers 403 naming them.
    pub missing_scopes: Vec<String>,
    /// Answers served before the real ones: (status, `Retry-After` seconds).
    pub faults: VecDeque<(u16, Option<u64>)>,
}

#[derive(Debug)]
struct Shared {
    workspace: String,
    slug: String,
    repo: Mutex<Repository>,
    behaviour: Mutex<Behaviour>,
    requests: AtomicU64,
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
        let shared = Arc::new(Shared {
            workspace: workspace.to_string(),
            slug: slug.to_string(),
            repo: Mutex::new(repo),
            behaviour: Mutex::new(behaviour),
            requests: AtomicU64::new(0),
        });
        let app = Router::new()
            .route(
                "/2.0/repositories/{ws}/{repo}/refs/branches/{name}",
                get(cloud_branch),
            )
            .route(
                "/2.0/repositories/{ws}/{repo}/src/{commit}/",
                get(cloud_src_root),
            )
            .route(
                "/2.0/repositories/{ws}/{repo}/src/{commit}/{*path}",
                get(cloud_src),
            )
            .route(
                "/2.0/repositories/{ws}/{repo}/filehistory/{commit}/{*path}",
                get(cloud_history),
            )
            .route(
                "/rest/api/1.0/projects/{key}/repos/{repo}/commits",
                get(dc_commits),
            )
            .route(
                "/rest/api/1.0/projects/{key}/repos/{repo}/browse/{*path}",
                get(dc_browse),
            )
            .route(
                "/rest/api/1.0/projects/{key}/repos/{repo}/raw/{*path}",
                get(dc_raw),
            )
            .fallback(|| async {
                cloud_error(
                    StatusCode::NOT_FOUND,
                    "Resource not found",
                    json!("There is no API hosted at this URL"),
                )
            })
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

/// Authentication and injected faults, the same for every route. `cloud` picks the error shape.
fn gate(s: &Shared, headers: &HeaderMap, cloud: bool) -> Option<Response> {
    s.requests.fetch_add(1, Ordering::SeqCst);
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
        return Some(r);
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if given != b.accept {
        return Some(if cloud {
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
    }
    if cloud && !b.missing_scopes.is_empty() {
        return Some(cloud_error(
            StatusCode::FORBIDDEN,
            "Your credentials lack one or more required privilege scopes.",
            json!({ "required": b.missing_scopes, "granted": ["account"] }),
        ));
    }
    None
}

fn wrong_repo(s: &Shared, ws: &str, repo: &str, cloud: bool) -> Option<Response> {
    (ws != s.workspace || repo != s.slug).then(|| {
        if cloud {
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
        }
    })
}

/// What `folder` holds at `commit`: the names of its subfolders, and its files (full paths)
/// with their version at that commit.
fn folder_at<'a>(
    repo: &'a Repository,
    commit: &str,
    folder: &str,
) -> (Vec<String>, Vec<(&'a str, &'a Version)>) {
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let mut dirs: Vec<String> = Vec::new();
    let mut files = Vec::new();
    for (file, _) in &repo.files {
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let Some(v) = versions_at(repo, commit, file) else {
            continue;
        };
        match rest.split_once('/') {
            Some((dir, _)) => {
                if !dirs.iter().any(|d| d == dir) {
                    dirs.push(dir.to_string());
                }
            }
            None => files.push((file.as_str(), v[0])),
        }
    }
    (dirs, files)
}

/// Versions of a file as of a commit (a hash, or the branch's name), newest first.
fn versions_at<'a>(repo: &'a Repository, commit: &str, file: &str) -> Option<Vec<&'a Version>> {
    let cutoff = if commit == repo.branch || commit == format!("refs/heads/{}", repo.branch) {
        i64::MAX
    } else {
        repo.files
            .iter()
            .flat_map(|(_, v)| v.iter())
            .find(|v| v.hash == commit)?
            .at_ms
    };
    let (_, versions) = repo.files.iter().find(|(p, _)| p == file)?;
    let mut at: Vec<&Version> = versions.iter().filter(|v| v.at_ms <= cutoff).collect();
    at.reverse();
    (!at.is_empty()).then_some(at)
}

fn commit_known(repo: &Repository, commit: &str) -> bool {
    commit == repo.branch
        || commit == format!("refs/heads/{}", repo.branch)
        || repo
            .files
            .iter()
            .flat_map(|(_, v)| v.iter())
            .any(|v| v.hash == commit)
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string())
        .unwrap_or_default()
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

async fn cloud_branch(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&s, &headers, true).or_else(|| wrong_repo(&s, &ws, &repo, true)) {
        return r;
    }
    let r = s.repo.lock().unwrap_or_else(|p| p.into_inner());
    match (name == r.branch).then(|| r.head()).flatten() {
        Some(head) => json_ok(json!({
            "type": "branch",
            "name": name,
            "target": {
                "type": "commit",
                "hash": head.hash,
                "date": iso(head.at_ms),
                "author": { "type": "author", "raw": format!("{} <{}>", head.author_name, head.author_email) },
                "message": head.message,
            },
        })),
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
    if let Some(r) = gate(s, headers, true).or_else(|| wrong_repo(s, ws, repo, true)) {
        return r;
    }
    let r = s.repo.lock().unwrap_or_else(|p| p.into_inner());
    if !commit_known(&r, commit) {
        return cloud_error(
            StatusCode::NOT_FOUND,
            &format!("Commit not found: {commit}"),
            Value::Null,
        );
    }
    let folder = path.trim_end_matches('/');
    // A file: its bytes at that commit.
    if !path.ends_with('/') && !folder.is_empty() {
        if let Some(v) = versions_at(&r, commit, folder) {
            return (
                [
                    (header::CONTENT_TYPE, "application/octet-stream"),
                    (header::CONTENT_DISPOSITION, "attachment"),
                ],
                v[0].bytes.clone(),
            )
                .into_response();
        }
    }
    let (dirs, files) = folder_at(&r, commit, folder);
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let dirs: Vec<String> = dirs.into_iter().map(|d| format!("{prefix}{d}")).collect();
    let entries: Vec<Value> = files
        .into_iter()
        .map(|(file, v)| {
            json!({
                "type": "commit_file",
                "path": file,
                "size": v.bytes.len(),
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

/// Cloud's `next` links are absolute: the fake writes them for the address it was asked at.
fn host_of(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string()
}

async fn cloud_history(
    State(s): State<Arc<Shared>>,
    Path((ws, repo, commit, path)): Path<(String, String, String, String)>,
    Query(q): Query<CloudQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&s, &headers, true).or_else(|| wrong_repo(&s, &ws, &repo, true)) {
        return r;
    }
    let host = host_of(&headers);
    let r = s.repo.lock().unwrap_or_else(|p| p.into_inner());
    let Some(versions) = versions_at(&r, &commit, &path) else {
        return cloud_error(
            StatusCode::NOT_FOUND,
            &format!("No such file: {path}"),
            Value::Null,
        );
    };
    let items: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "type": "commit_file",
                "path": path,
                "size": v.bytes.len(),
                "commit": {
                    "type": "commit",
                    "hash": v.hash,
                    "date": iso(v.at_ms),
                    "author": { "type": "author", "raw": format!("{} <{}>", v.author_name, v.author_email) },
                    "message": v.message,
                },
            })
        })
        .collect();
    let page = q.cursor.unwrap_or(1);
    let pagelen = q.pagelen.unwrap_or(10);
    json_ok(cloud_page(items, page, pagelen, |n| {
        format!("http://{host}/2.0/repositories/{ws}/{repo}/filehistory/{commit}/{path}?pagelen={pagelen}&cursor={n}")
    }))
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

async fn dc_commits(
    State(s): State<Arc<Shared>>,
    Path((key, repo)): Path<(String, String)>,
    Query(q): Query<DcQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&s, &headers, false).or_else(|| wrong_repo(&s, &key, &repo, false)) {
        return r;
    }
    let r = s.repo.lock().unwrap_or_else(|p| p.into_inner());
    let until = q.until.clone().unwrap_or_else(|| r.branch.clone());
    if !commit_known(&r, &until) {
        return dc_error(
            StatusCode::NOT_FOUND,
            &format!("Commit '{until}' does not exist in repository '{repo}'."),
            "com.atlassian.bitbucket.commit.NoSuchCommitException",
        );
    }
    let commit = |v: &Version| {
        json!({
            "id": v.hash,
            "displayId": &v.hash[..11.min(v.hash.len())],
            "author": { "name": v.author_name, "emailAddress": v.author_email },
            "authorTimestamp": v.at_ms,
            "committer": { "name": v.author_name, "emailAddress": v.author_email },
            "committerTimestamp": v.at_ms,
            "message": v.message,
            "parents": [],
        })
    };
    let items: Vec<Value> = match &q.path {
        Some(p) => versions_at(&r, &until, p)
            .unwrap_or_default()
            .into_iter()
            .map(commit)
            .collect(),
        None => {
            let mut all: Vec<&Version> = r.files.iter().flat_map(|(_, v)| v.iter()).collect();
            all.sort_by_key(|v| std::cmp::Reverse(v.at_ms));
            all.into_iter().map(commit).collect()
        }
    };
    json_ok(dc_page(items, q.start.unwrap_or(0), q.limit.unwrap_or(25)))
}

async fn dc_browse(
    State(s): State<Arc<Shared>>,
    Path((key, repo, path)): Path<(String, String, String)>,
    Query(q): Query<DcQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&s, &headers, false).or_else(|| wrong_repo(&s, &key, &repo, false)) {
        return r;
    }
    let r = s.repo.lock().unwrap_or_else(|p| p.into_inner());
    let at = q.at.clone().unwrap_or_else(|| r.branch.clone());
    let folder = path.trim_matches('/').to_string();
    let (dirs, files) = folder_at(&r, &at, &folder);
    let children: Vec<Value> = files
        .into_iter()
        .map(|(file, v)| {
            let name = file.rsplit('/').next().unwrap_or(file);
            json!({
                "path": { "components": [name], "name": name, "toString": name },
                "contentId": v.hash,
                "type": "FILE",
                "size": v.bytes.len(),
            })
        })
        .collect();
    if children.is_empty() && dirs.is_empty() {
        return dc_error(
            StatusCode::NOT_FOUND,
            &format!("The path \"{folder}\" does not exist at revision \"{at}\""),
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
        "revision": at,
        "children": dc_page(all, q.start.unwrap_or(0), q.limit.unwrap_or(500)),
    }))
}

async fn dc_raw(
    State(s): State<Arc<Shared>>,
    Path((key, repo, path)): Path<(String, String, String)>,
    Query(q): Query<DcQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&s, &headers, false).or_else(|| wrong_repo(&s, &key, &repo, false)) {
        return r;
    }
    let r = s.repo.lock().unwrap_or_else(|p| p.into_inner());
    let at = q.at.clone().unwrap_or_else(|| r.branch.clone());
    match versions_at(&r, &at, &path) {
        Some(v) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            v[0].bytes.clone(),
        )
            .into_response(),
        None => dc_error(
            StatusCode::NOT_FOUND,
            &format!("The path \"{path}\" does not exist at revision \"{at}\""),
            "com.atlassian.bitbucket.content.NoSuchPathException",
        ),
    }
}
