//! The Bitbucket client against the protocol-faithful fake of Bitbucket Cloud and Data Center
//! (`opsdeck::fake_bitbucket`, built from Atlassian's documented payloads; no real Bitbucket
//! can run here): the branch head, CABs in a folder, a file's whole history across pages, the
//! bytes of a version, retries on 429 and 5xx, and refusals that say what to do.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use base64::Engine as _;
use opsdeck::fake_bitbucket::{Behaviour, FakeBitbucket, Repository, Version};
use opsdeck_core::cab::bitbucket::{Auth, BitbucketError, Client, Flavour, Repo};
use secrecy::SecretString;

const EMAIL: &str = "dev@example.com";
const TOKEN: &str = "t0ken-for-tests";

fn version(n: usize, file: &str) -> Version {
    Version {
        hash: format!("{:040x}", 0xabc000 + n as u64 * 7 + file.len() as u64),
        at_ms: 1_780_000_000_000 + n as i64 * 60_000 + file.len() as i64,
        author_name: if n % 2 == 0 {
            "Anna Dev".into()
        } else {
            "Ben Dev".into()
        },
        author_email: if n % 2 == 0 {
            "anna@example.com".into()
        } else {
            "ben@example.com".into()
        },
        message: format!("{file} v{n}"),
        bytes: format!("MSCF {file} {n}").into_bytes(),
    }
}

/// `cabs/` with three CABs (one of them with `versions` versions), a subfolder and a README.
fn repository(versions: usize) -> Repository {
    let many = "cabs/GHA Field Service.cab";
    Repository {
        branch: "main".into(),
        files: vec![
            (
                many.into(),
                (0..versions).map(|n| version(n, many)).collect(),
            ),
            (
                "cabs/Orders.cab".into(),
                vec![version(0, "cabs/Orders.cab")],
            ),
            (
                "cabs/Invoices.cab".into(),
                (0..3).map(|n| version(n, "cabs/Invoices.cab")).collect(),
            ),
            (
                "cabs/old/Legacy.cab".into(),
                vec![version(0, "cabs/old/Legacy.cab")],
            ),
            ("README.md".into(), vec![version(0, "README.md")]),
        ],
    }
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}:{TOKEN}"))
    )
}

async fn fake(versions: usize, accept: String) -> FakeBitbucket {
    FakeBitbucket::start(
        "gha",
        "epicor-cabs",
        repository(versions),
        Behaviour {
            accept,
            ..Behaviour::default()
        },
    )
    .await
    .unwrap()
}

fn client(flavour: Flavour, base: String, auth: Auth) -> Client {
    Client::new(
        Repo {
            flavour,
            base,
            workspace: "gha".into(),
            slug: "epicor-cabs".into(),
            credential: "bitbucket".into(),
        },
        auth,
    )
    .with_backoff(Duration::from_millis(50))
}

fn api_token() -> Auth {
    Auth::Basic {
        username: EMAIL.into(),
        token: SecretString::from(TOKEN.to_string()),
    }
}

async fn catalogue_works(c: &Client, versions: usize) {
    let head = c.branch_head("main").await.unwrap();
    let mut files = c.list_files(&head, "cabs/").await.unwrap();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "cabs/GHA Field Service.cab",
            "cabs/Invoices.cab",
            "cabs/Orders.cab"
        ],
        "files in the folder, not in its subfolders"
    );
    assert_eq!(files[1].size, Some("MSCF cabs/Invoices.cab 2".len() as u64));
    let history = c
        .history(&head, "cabs/GHA Field Service.cab")
        .await
        .unwrap();
    assert_eq!(history.len(), versions, "every version, across pages");
    assert_eq!(
        history[0].message,
        format!("cabs/GHA Field Service.cab v{}", versions - 1)
    );
    assert!(
        history[0].author.ends_with("@example.com>"),
        "{:?}",
        history[0]
    );
    assert!(history[0].date.starts_with("2026-"), "{:?}", history[0]);
    assert!(
        history.windows(2).all(|w| w[0].date >= w[1].date),
        "newest first"
    );
    let newest = c.raw(&head, "cabs/GHA Field Service.cab").await.unwrap();
    assert_eq!(
        newest,
        format!("MSCF cabs/GHA Field Service.cab {}", versions - 1).into_bytes()
    );
    let first = &history[versions - 1];
    let oldest = c
        .raw(&first.hash, "cabs/GHA Field Service.cab")
        .await
        .unwrap();
    assert_eq!(
        oldest,
        b"MSCF cabs/GHA Field Service.cab 0".to_vec(),
        "a version by its commit"
    );
}

#[tokio::test]
async fn cloud_catalogue_pages_through_a_long_history() {
    let fake = fake(250, basic()).await;
    let c = client(Flavour::Cloud, fake.cloud_base(), api_token());
    catalogue_works(&c, 250).await;
    // 1 branch + 1 listing + 3 history pages of 100 + 2 raw.
    assert_eq!(fake.requests(), 7);
}

#[tokio::test]
async fn data_center_catalogue_pages_through_a_long_history() {
    let fake = fake(1200, "Bearer dc-http-token".into()).await;
    let c = client(
        Flavour::DataCenter,
        fake.dc_base(),
        Auth::Bearer {
            token: SecretString::from("dc-http-token".to_string()),
        },
    );
    catalogue_works(&c, 1200).await;
    // 1 branch + 1 listing + 2 history pages of 1,000 + 2 raw.
    assert_eq!(fake.requests(), 6);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried() {
    let fake = fake(3, basic()).await;
    let c = client(Flavour::Cloud, fake.cloud_base(), api_token());
    fake.inject(&[(429, Some(1)), (503, None)]);
    let started = std::time::Instant::now();
    c.branch_head("main").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After is honoured"
    );
    assert_eq!(fake.requests(), 3);

    fake.inject(&[(503, None), (503, None), (503, None), (503, None)]);
    let err = c.branch_head("main").await.unwrap_err();
    assert!(
        matches!(
            err,
            BitbucketError::Server {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{err}"
    );
    fake.inject(&[(429, None), (429, None), (429, None), (429, None)]);
    let err = c.branch_head("main").await.unwrap_err();
    assert!(
        err.to_string().contains("is limiting requests (429)"),
        "{err}"
    );
}

#[tokio::test]
async fn refusals_say_what_to_do() {
    let fake = fake(3, basic()).await;
    let wrong = client(
        Flavour::Cloud,
        fake.cloud_base(),
        Auth::Basic {
            username: "dev".into(),
            token: SecretString::from(TOKEN.to_string()),
        },
    );
    let err = wrong.branch_head("main").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BitbucketError::Unauthorized { .. }), "{text}");
    assert!(
        text.contains("keychain entry `bitbucket`") && text.contains("e-mail"),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "never the token: {text}");

    let c = client(Flavour::Cloud, fake.cloud_base(), api_token());
    let err = c.branch_head("release").await.unwrap_err();
    assert!(
        err.to_string().contains("has no branch `release` (404)"),
        "{err}"
    );
    let head = c.branch_head("main").await.unwrap();
    let err = c.list_files(&head, "no-such-folder").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("has no folder `no-such-folder` (404)"),
        "{err}"
    );

    let other = Client::new(
        Repo {
            flavour: Flavour::Cloud,
            base: fake.cloud_base(),
            workspace: "gha".into(),
            slug: "no-such-repo".into(),
            credential: "bitbucket".into(),
        },
        api_token(),
    );
    let err = other.branch_head("main").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Repository gha/no-such-repo not found"),
        "{err}"
    );

    let scoped = FakeBitbucket::start(
        "gha",
        "epicor-cabs",
        repository(1),
        Behaviour {
            accept: basic(),
            missing_scopes: vec!["read:repository:bitbucket".into()],
            ..Behaviour::default()
        },
    )
    .await
    .unwrap();
    let c = client(Flavour::Cloud, scoped.cloud_base(), api_token());
    let err = c.branch_head("main").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the token in keychain entry `bitbucket` lacks the scope `read:repository:bitbucket` on {} (403); create a token with it",
            scoped.addr
        )
    );

    let dc = client(
        Flavour::DataCenter,
        fake.dc_base(),
        Auth::Bearer {
            token: SecretString::from("expired".to_string()),
        },
    );
    let err = dc.branch_head("main").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Authentication failed. Please check your credentials"),
        "{err}"
    );
}

/// Commits, comments and tags: a commit based on a stale view is refused (Cloud: `parents` is
/// not the tip; Data Center: the file changed since `sourceCommitId`), and nothing is lost.
#[tokio::test]
async fn writes_never_overwrite_a_newer_commit() {
    use opsdeck::fake_bitbucket::FakeUser;
    use opsdeck_core::cab::bitbucket::UploadBase;
    for (flavour, name) in [(Flavour::Cloud, "cloud"), (Flavour::DataCenter, "dc")] {
        let f = fake(3, basic()).await;
        let base = if flavour == Flavour::Cloud {
            f.cloud_base()
        } else {
            f.dc_base()
        };
        let c = client(flavour, base, api_token());
        let me = c.whoami().await.unwrap();
        assert_eq!(me.name, "dev", "{name}");
        assert_eq!(me.email.as_deref(), Some(EMAIL), "{name}");

        let file = "cabs/Invoices.cab";
        let head = c.branch_head("main").await.unwrap();
        let seen = c.last_commit_of("main", file).await.unwrap();
        assert!(seen.is_some(), "{name}");
        let stale = UploadBase {
            branch: "main".into(),
            branch_head: head.clone(),
            file_commit: seen.clone(),
            ..UploadBase::default()
        };
        // Someone else changes the same file meanwhile.
        let ben = FakeUser::basic("ben", "ben@example.com", "x");
        f.commit_as(
            "epicor-cabs",
            "main",
            &ben,
            file,
            b"MSCF ben's",
            "Ben's change",
        );
        let err = c
            .upload(&stale, file, b"MSCF mine".to_vec(), "Mine")
            .await
            .unwrap_err();
        assert!(
            matches!(err, BitbucketError::Moved { .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains("refresh"), "{err}");
        assert_eq!(f.file("epicor-cabs", "main", file).unwrap(), b"MSCF ben's");

        // From a fresh view, the commit goes in and answers its hash.
        let fresh = UploadBase {
            branch: "main".into(),
            branch_head: c.branch_head("main").await.unwrap(),
            file_commit: c.last_commit_of("main", file).await.unwrap(),
            ..UploadBase::default()
        };
        let commit = c
            .upload(&fresh, file, b"MSCF mine".to_vec(), "Mine")
            .await
            .unwrap();
        assert_eq!(c.branch_head("main").await.unwrap(), commit, "{name}");
        let newest = &c.history(&commit, file).await.unwrap()[0];
        assert_eq!(newest.hash, commit);
        assert!(newest.author_account.is_some(), "{name}: {newest:?}");
        assert!(me.wrote(newest), "{name}: the token's owner wrote it");

        // A new file without a file commit; on Data Center an existing one is a conflict.
        if flavour == Flavour::DataCenter {
            let blind = UploadBase {
                branch: "main".into(),
                branch_head: commit.clone(),
                file_commit: None,
                ..UploadBase::default()
            };
            let err = c
                .upload(&blind, file, b"MSCF blind".to_vec(), "Blind")
                .await
                .unwrap_err();
            assert!(matches!(err, BitbucketError::Moved { .. }), "{err:?}");
        }

        // Comments carry the author Bitbucket knows; many of them page.
        for n in 0..30 {
            c.add_comment(&commit, &format!("note {n}")).await.unwrap();
        }
        let comments = c.comments(&commit).await.unwrap();
        assert_eq!(comments.len(), 30, "{name}");
        assert_eq!(comments[0].text, "note 0");
        assert_eq!(comments[29].author.name, "dev");

        // Tags: created once, read back; a second with the same name is refused.
        assert_eq!(c.tag("cab/Invoices/4").await.unwrap(), None);
        c.create_tag("cab/Invoices/4", &commit, "promoted")
            .await
            .unwrap();
        assert_eq!(
            c.tag("cab/Invoices/4").await.unwrap().as_deref(),
            Some(commit.as_str())
        );
        let err = c
            .create_tag("cab/Invoices/4", &commit, "again")
            .await
            .unwrap_err();
        assert!(
            matches!(err, BitbucketError::Refused { status: 400, .. }),
            "{err:?}"
        );
    }
}
