//! The whole CAB release workflow through the real `opsdeck` binary, against the fake of
//! Bitbucket Cloud and Data Center (`opsdeck::fake_bitbucket`, built from Atlassian's
//! documented payloads, since no real Bitbucket can run here), with every person's token in the
//! real keychain (scripts/with-keyring): upload, installs, approvals (self-approval refused,
//! the count enforced, rejections with reasons), promotion to a folder and to a protected
//! branch, the manifest and tag, conflicts, and the audit log (tampering detected, CSV).
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use opsdeck::fake_bitbucket::{Behaviour, FakeBitbucket, FakeUser, Repository, Version};
use serde_json::Value;
use sha2::Digest;
use support::*;

const FS: &str = "cabs/GHA Field Service.cab";

/// The people: a developer (publisher), two approvers.
fn people() -> Vec<(&'static str, FakeUser)> {
    vec![
        (
            "dev",
            FakeUser::basic("dev", "dev@example.com", "dev-token"),
        ),
        (
            "anna",
            FakeUser::basic("anna", "anna@example.com", "anna-token"),
        ),
        (
            "boss",
            FakeUser::basic("boss", "boss@example.com", "boss-token"),
        ),
    ]
}

fn cab_bytes(tag: &str, size: usize) -> Vec<u8> {
    let mut b = b"MSCF\0\0\0\0".to_vec();
    let mut n: u32 = 7;
    while b.len() < size {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        b.push((n >> 16) as u8);
    }
    b.extend_from_slice(tag.as_bytes());
    b
}

fn sha(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

fn repository() -> Repository {
    Repository {
        branch: "main".into(),
        files: vec![(
            "cabs/Orders.cab".into(),
            vec![Version {
                hash: format!("{:040x}", 0xfeed_u64),
                at_ms: 1_780_000_000_000,
                author_name: "Ben Dev".into(),
                author_email: "ben@example.com".into(),
                message: "Orders v1".into(),
                bytes: cab_bytes("orders", 100),
            }],
        )],
    }
}

struct Estate {
    dir: tempfile::TempDir,
    data: PathBuf,
    fake: FakeBitbucket,
    dest: PathBuf,
    run_id: String,
}

impl Estate {
    async fn start(destination: &str, required: u32) -> Estate {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let dest = dir.path().join("GHA Mods - New CABs");
        std::fs::create_dir_all(&dest).unwrap();
        let fake = FakeBitbucket::start(
            "gha",
            "epicor-cabs",
            repository(),
            Behaviour {
                users: people().into_iter().map(|(_, u)| u).collect(),
                ..Behaviour::default()
            },
        )
        .await
        .unwrap();
        let run_id = format!("{}-{}", std::process::id(), rand_suffix());
        let e = Estate {
            dir,
            data,
            fake,
            dest,
            run_id,
        };
        for (who, _) in people() {
            let out = set_secret(&e.secret(who), &format!("{who}-token"), &e.data);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            e.write(who, destination, required, "bitbucket-cloud");
        }
        e
    }

    fn secret(&self, who: &str) -> String {
        format!("cab-{who}-{}", self.run_id)
    }

    fn config(&self, who: &str) -> PathBuf {
        self.dir.path().join(format!("{who}.toml"))
    }

    fn write(&self, who: &str, destination: &str, required: u32, provider: &str) {
        self.write_with(who, destination, required, provider, "");
    }

    /// The config of `who`, with `extra` lines in `[cab]`.
    fn write_with(&self, who: &str, destination: &str, required: u32, provider: &str, extra: &str) {
        let url = if provider == "bitbucket-cloud" {
            self.fake.cloud_base()
        } else {
            self.fake.dc_base()
        };
        let destination = if destination == "folder" {
            format!("type = \"folder\"\npath = '{}'", self.dest.display())
        } else {
            destination.to_string()
        };
        std::fs::write(
            self.config(who),
            format!(
                "[[environment]]\nid = \"test\"\nname = \"Test\"\n\n[[environment]]\nid = \"staging\"\nname = \"Staging\"\n\n\
                 [cab]\nprovider = \"{provider}\"\nurl = \"{url}\"\nworkspace = \"gha\"\nrepository = \"epicor-cabs\"\n\
                 path = \"cabs\"\nusername = \"{who}@example.com\"\ntoken = {{ secret = \"{}\" }}\n\
                 approvers = {approvers}\npublishers = {publishers}\n\
                 required_approvals = {required}\n{extra}\n[cab.destination]\n{destination}\n",
                self.secret(who),
                // Cloud shows who wrote an approval by account ID only; Data Center by user.
                approvers = if provider == "bitbucket-cloud" {
                    r#"["Anna <557058:anna>", "Bo <557058:boss>"]"#
                } else {
                    r#"["anna@example.com", "boss"]"#
                },
                publishers = if provider == "bitbucket-cloud" {
                    r#"["557058:dev", "Anna <557058:anna>"]"#
                } else {
                    r#"["dev@example.com", "anna@example.com"]"#
                },
            ),
        )
        .unwrap();
    }

    fn cab(&self, who: &str, args: &[&str]) -> Output {
        opsdeck()
            .arg("--config")
            .arg(self.config(who))
            .arg("--data-dir")
            .arg(&self.data)
            .arg("cab")
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, who: &str, args: &[&str]) -> Value {
        let out = self.cab(who, &[args, &["--format", "json"]].concat());
        assert!(
            out.status.success(),
            "{who} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The command fails with `code`, saying `says`.
    fn refused(&self, who: &str, args: &[&str], code: i32, says: &str) {
        let out = self.cab(who, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{who} {args:?}: {err}");
        assert!(
            err.contains(says),
            "{who} {args:?}: expected `{says}` in: {err}"
        );
    }

    fn audit(&self) -> Vec<Value> {
        let v = self.ok("dev", &["audit", "--limit", "1000"]);
        v["entries"].as_array().unwrap().clone()
    }

    fn upload(&self, who: &str, name: &str, bytes: &[u8], message: &str) -> Value {
        let file = self.dir.path().join("export").join(name);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, bytes).unwrap();
        self.ok(who, &["upload", file.to_str().unwrap(), "-m", message])
    }
}

impl Drop for Estate {
    fn drop(&mut self) {
        for (who, _) in people() {
            let _ = opsdeck()
                .arg("--data-dir")
                .arg(&self.data)
                .args(["secret", "delete", &self.secret(who)])
                .output();
        }
    }
}

fn rand_suffix() -> u32 {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn from_upload_to_promotion_on_bitbucket_cloud() {
    if !keychain_available() {
        return;
    }
    let e = Estate::start("folder", 2).await;
    let who = e.ok("dev", &["whoami"]);
    assert_eq!(who["identity"]["name"], "dev");
    assert_eq!(who["publisher"], true);
    assert_eq!(who["approver"], false);

    // Upload: a new CAB, then a new version; junk and repeats are refused.
    let v1 = cab_bytes("field service 1", 300_000);
    let up = e.upload(
        "dev",
        "GHA Field Service.cab",
        &v1,
        "First cut of Field Service",
    );
    assert_eq!(up["path"], FS);
    assert_eq!(up["version"], 1);
    assert_eq!(up["sha256"], sha(&v1));
    assert_eq!(e.fake.file("epicor-cabs", "main", FS).unwrap(), v1);
    let junk = e.dir.path().join("notes.cab");
    std::fs::write(&junk, b"just text").unwrap();
    e.refused(
        "dev",
        &["upload", junk.to_str().unwrap(), "-m", "x"],
        65,
        "not a cabinet file",
    );
    let again = e.dir.path().join("export/GHA Field Service.cab");
    e.refused(
        "dev",
        &["upload", again.to_str().unwrap(), "-m", "same"],
        65,
        "identical to version 1",
    );
    e.refused(
        "boss",
        &["upload", again.to_str().unwrap(), "-m", "x"],
        65,
        "only the publishers",
    );

    // Someone commits meanwhile: an upload based on the old head is refused, nothing lost.
    let head_before = e.ok("dev", &["show", "GHA Field Service.cab"])["versions"][0]["commit"]
        .as_str()
        .unwrap()
        .to_string();
    let ben = FakeUser::basic("ben", "ben@example.com", "ben-token");
    e.fake.commit_as(
        "epicor-cabs",
        "main",
        &ben,
        "cabs/Orders.cab",
        &cab_bytes("orders 2", 90),
        "Orders v2",
    );
    let v2 = cab_bytes("field service 2", 300_000);
    std::fs::write(&again, &v2).unwrap();
    e.refused(
        "dev",
        &[
            "upload",
            again.to_str().unwrap(),
            "-m",
            "second",
            "--expect-head",
            &head_before,
        ],
        69,
        "refresh",
    );
    assert_eq!(
        e.fake.file("epicor-cabs", "main", FS).unwrap(),
        v1,
        "nothing overwritten"
    );
    let up2 = e.upload("dev", "GHA Field Service.cab", &v2, "Second cut");
    assert_eq!(up2["version"], 2);

    // Installs are recorded in Bitbucket, against the version's commit.
    e.ok(
        "dev",
        &[
            "install",
            "GHA Field Service.cab",
            "-e",
            "test",
            "--version",
            "1",
        ],
    );
    let installed = e.ok("dev", &["install", "GHA Field Service.cab", "-e", "test"]);
    assert_eq!(installed["installs"][0]["target"], "test");
    e.refused(
        "dev",
        &["install", "GHA Field Service.cab", "-e", "qa"],
        65,
        "no environment `qa`",
    );
    let commit2 = up2["commit"].as_str().unwrap();
    assert!(
        e.fake.comments("epicor-cabs", commit2)[0]
            .starts_with("[opsdeck] installed `cabs/GHA Field Service.cab`"),
        "{:?}",
        e.fake.comments("epicor-cabs", commit2)
    );

    // Approvals: not by the author, not by a non-approver, and two are needed.
    e.refused(
        "dev",
        &["approve", "GHA Field Service.cab"],
        65,
        "only the approvers",
    );
    e.refused(
        "dev",
        &["promote", "GHA Field Service.cab"],
        65,
        "0 of 2 approvals",
    );
    e.upload("anna", "Anna.cab", &cab_bytes("anna", 500), "Anna's own");
    e.refused("anna", &["approve", "Anna.cab"], 65, "its own author");
    let anna_wrote = e.ok("dev", &["show", "Anna.cab"]);
    assert_eq!(
        anna_wrote["versions"][0]["approvals"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(anna_wrote["versions"][0]["yours"], false);
    assert_eq!(
        e.ok("anna", &["show", "Anna.cab"])["versions"][0]["yours"],
        true
    );
    // A forged record (a developer's comment claiming to be approvers) counts for nothing.
    let dev_user = FakeUser::basic("dev", "dev@example.com", "dev-token");
    for who in ["anna@example.com", "557058:anna", "557058:boss"] {
        e.fake.comment_as(
            "epicor-cabs",
            commit2,
            &dev_user,
            &format!(
                "[opsdeck] approved `{FS}`\nsha256: {}\nas: {who}\nvia: {who}\n",
                sha(&v2)
            ),
        );
    }
    let forged = e.ok("anna", &["show", "GHA Field Service.cab"]);
    assert_eq!(
        forged["versions"][0]["waiting_for"], "0 of 2 approvals",
        "{forged:#}"
    );
    let one = e.ok("anna", &["approve", "GHA Field Service.cab"]);
    assert_eq!(one["waiting_for"], "1 of 2 approvals");
    e.refused(
        "dev",
        &["promote", "GHA Field Service.cab"],
        65,
        "1 of 2 approvals",
    );

    // A rejection (with a reason) blocks, whatever the count; the rejecter's approval lifts it.
    e.refused(
        "boss",
        &["reject", "GHA Field Service.cab", "--reason", " "],
        65,
        "needs a reason",
    );
    let rejected = e.ok(
        "boss",
        &[
            "reject",
            "GHA Field Service.cab",
            "--reason",
            "Orders form fails to open",
        ],
    );
    assert_eq!(
        rejected["waiting_for"],
        "rejected by boss (says boss@example.com): Orders form fails to open"
    );
    e.refused(
        "dev",
        &["promote", "GHA Field Service.cab"],
        65,
        "Orders form fails to open",
    );
    let approved = e.ok("boss", &["approve", "GHA Field Service.cab"]);
    assert_eq!(approved["promotable"], true, "{approved:#}");

    // Promotion: exactly the approved bytes, a manifest beside them, a tag on the commit.
    let p = e.ok("dev", &["promote", "GHA Field Service.cab"]);
    assert_eq!(p["version"], 2);
    assert_eq!(p["tag"], "cab/GHA-Field-Service/2");
    let target = e.dest.join("GHA Field Service.cab");
    assert_eq!(std::fs::read(&target).unwrap(), v2);
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(e.dest.join("GHA Field Service.cab.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["sha256"], sha(&v2));
    assert_eq!(manifest["source_commit"], commit2);
    assert_eq!(manifest["version"], 2);
    assert_eq!(
        manifest["approvers"].as_array().unwrap().len(),
        2,
        "{manifest:#}"
    );
    assert!(manifest["promoted_by"]
        .as_str()
        .unwrap()
        .contains("dev@example.com"));
    assert_eq!(
        e.fake
            .tag("epicor-cabs", "cab/GHA-Field-Service/2")
            .as_deref(),
        Some(commit2)
    );
    assert_eq!(
        files_in(&e.dest),
        [
            "GHA Field Service.cab",
            "GHA Field Service.cab.manifest.json"
        ]
    );
    let show = e.ok("anna", &["show", "GHA Field Service.cab"]);
    assert_eq!(show["card"]["stage"], "promoted");
    assert_eq!(show["card"]["installed"][0]["version"], 2);
    assert!(show["card"]["installed"][1].is_null(), "nothing in staging");

    // Promoting again is harmless; a different file of the same name is never overwritten
    // without --replace.
    let again = e.ok("dev", &["promote", "GHA Field Service.cab"]);
    assert_eq!(again["placed"]["already_there"], true);
    std::fs::write(&target, b"MSCF someone else's file").unwrap();
    e.refused(
        "dev",
        &["promote", "GHA Field Service.cab"],
        65,
        "already holds a different file",
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"MSCF someone else's file");
    let replaced = e.ok("dev", &["promote", "GHA Field Service.cab", "--replace"]);
    assert_eq!(replaced["placed"]["replaced"], true);
    assert_eq!(std::fs::read(&target).unwrap(), v2);

    // The audit log has every action, failures too, and its chain holds.
    let audit = e.audit();
    let count = |action: &str, outcome: &str| {
        audit
            .iter()
            .filter(|x| x["action"] == action && x["outcome"] == outcome)
            .count()
    };
    assert_eq!(count("upload", "ok"), 3);
    assert!(count("upload", "failed") >= 3);
    assert_eq!(count("install", "ok"), 2);
    assert_eq!(count("approve", "ok"), 2);
    assert_eq!(count("approve", "failed"), 2);
    assert_eq!(count("reject", "ok"), 1);
    assert_eq!(count("promote", "ok"), 3);
    assert!(count("promote", "failed") >= 4);
    let verify = e.ok("dev", &["audit", "verify"]);
    assert_eq!(verify["ok"], true, "{verify:#}");
    let csv = e.cab("dev", &["audit", "export"]);
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.starts_with("seq,at,actor,action,outcome,cab,version,detail,prev,hash"));
    assert_eq!(
        text.lines().filter(|l| l.contains(",promote,ok,")).count(),
        3
    );

    // Tampering: an edited entry, then a deleted one, are found and named.
    let db = e.data.join("opsdeck.sqlite");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE cab_audit SET actor = 'someone else' WHERE action = 'reject'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let out = e.cab("dev", &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(65));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("was edited") && said.contains("reject"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn promotion_to_a_protected_branch_on_data_center() {
    if !keychain_available() {
        return;
    }
    let e = Estate::start("folder", 1).await;
    e.fake.add_repository(
        "gha-mods",
        Repository {
            branch: "release".into(),
            files: vec![(
                "README.md".into(),
                vec![Version {
                    hash: format!("{:040x}", 0xbeef_u64),
                    at_ms: 1_780_000_000_000,
                    author_name: "Boss".into(),
                    author_email: "boss@example.com".into(),
                    message: "Start".into(),
                    bytes: b"GHA Mods - New CABs".to_vec(),
                }],
            )],
        },
    );
    for (who, _) in people() {
        e.write(
            who,
            "type = \"bitbucket-branch\"\nbranch = \"release\"\nrepository = \"gha-mods\"\npath = \"New CABs\"",
            1,
            "bitbucket-dc",
        );
    }
    let who = e.ok("boss", &["whoami"]);
    assert_eq!(who["identity"]["email"], "boss@example.com");
    assert_eq!(who["approver"], true);
    let bytes = cab_bytes("dc", 50_000);
    let up = e.upload("dev", "Quotes.cab", &bytes, "Quotes");
    assert_eq!(up["version"], 1);
    // Data Center refuses a create over an existing file (no sourceCommitId) with 409.
    e.refused(
        "boss",
        &["approve", "Quotes.cab", "--version", "2"],
        65,
        "no version `2`",
    );
    e.ok("boss", &["approve", "Quotes.cab"]);
    let p = e.ok("dev", &["promote", "Quotes.cab"]);
    assert_eq!(p["placed"]["target"], "release:New CABs/Quotes.cab");
    assert_eq!(
        e.fake
            .file("gha-mods", "release", "New CABs/Quotes.cab")
            .unwrap(),
        bytes
    );
    let manifest: Value = serde_json::from_slice(
        &e.fake
            .file("gha-mods", "release", "New CABs/Quotes.cab.manifest.json")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["sha256"], sha(&bytes));
    assert_eq!(manifest["approvers"][0], "boss <boss@example.com>");
    assert_eq!(
        e.fake.tag("epicor-cabs", "cab/Quotes/1").as_deref(),
        up["commit"].as_str()
    );
    // Again: the bytes are there; only the manifest is refreshed.
    let again = e.ok("dev", &["promote", "Quotes.cab"]);
    assert_eq!(again["placed"]["already_there"], true);
    assert!(e.ok("dev", &["audit", "verify"])["ok"].as_bool().unwrap());
}

/// Wait until `dir` holds a hidden partial copy with some bytes in it.
fn wait_for_partial(dir: &Path) -> bool {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < until {
        let partial = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| {
                e.file_name().to_string_lossy().ends_with(".partial")
                    && e.metadata().is_ok_and(|m| m.len() > 0)
            });
        if partial {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn a_promotion_killed_mid_copy_leaves_nothing_and_can_be_repeated() {
    if !keychain_available() {
        return;
    }
    let e = Estate::start("folder", 1).await;
    let bytes = cab_bytes("big", 2 * 1024 * 1024);
    e.upload("dev", "Big.cab", &bytes, "Big");
    e.ok("anna", &["approve", "Big.cab"]);
    // 32 pieces of 64 KiB, 150 ms apart: the copy takes about five seconds.
    e.fake.slow_raw(Some(std::time::Duration::from_millis(150)));
    let mut child = opsdeck()
        .arg("--config")
        .arg(e.config("dev"))
        .arg("--data-dir")
        .arg(&e.data)
        .args(["cab", "promote", "Big.cab"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_for_partial(&e.dest), "the copy never started");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !e.dest.join("Big.cab").exists() && !e.dest.join("Big.cab.manifest.json").exists(),
        "only the hidden partial file may remain: {:?}",
        files_in(&e.dest)
    );
    // A partial file is left alone while it may belong to a promotion still running; one
    // from an hour ago is a killed one's, removed by the next promotion.
    for entry in std::fs::read_dir(&e.dest).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().ends_with(".partial") {
            std::fs::File::options()
                .write(true)
                .open(entry.path())
                .unwrap()
                .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
                .unwrap();
        }
    }
    e.fake.slow_raw(None);
    let p = e.ok("dev", &["promote", "Big.cab"]);
    assert_eq!(p["placed"]["already_there"], false);
    assert_eq!(std::fs::read(e.dest.join("Big.cab")).unwrap(), bytes);
    assert_eq!(
        files_in(&e.dest),
        ["Big.cab", "Big.cab.manifest.json"],
        "the partial file is gone"
    );
    let outcomes: Vec<String> = e
        .audit()
        .iter()
        .rev()
        .filter(|x| x["action"] == "promote")
        .map(|x| {
            format!(
                "{} {}",
                x["outcome"].as_str().unwrap(),
                x["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(outcomes.len(), 4, "{outcomes:#?}");
    assert!(outcomes[0].starts_with("started"), "{outcomes:#?}");
    assert!(
        outcomes[1].starts_with("failed interrupted"),
        "{outcomes:#?}"
    );
    assert!(outcomes[2].starts_with("started"), "{outcomes:#?}");
    assert!(outcomes[3].starts_with("ok"), "{outcomes:#?}");
}

/// A small tmpfs at `dir`, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }

    fn remount(&self, options: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_or_read_only_destination_fails_cleanly_and_a_retry_succeeds() {
    if !keychain_available() {
        return;
    }
    let e = Estate::start("folder", 1).await;
    // A real full disk and a real read-only one need a file system of their own.
    let Some(mount) = Mount::tmpfs(&e.dest, "256k") else {
        eprintln!("SKIPPED: mounting a tmpfs needs root (CAP_SYS_ADMIN); a full destination was not tested");
        return;
    };
    let bytes = cab_bytes("full", 1024 * 1024);
    e.upload("dev", "Full.cab", &bytes, "Full");
    e.ok("anna", &["approve", "Full.cab"]);
    e.refused(
        "dev",
        &["promote", "Full.cab"],
        74,
        "the destination is full",
    );
    assert_eq!(
        files_in(&e.dest),
        Vec::<String>::new(),
        "no partial or wrong file"
    );
    let last = &e.audit()[0];
    assert_eq!(last["action"], "promote");
    assert_eq!(last["outcome"], "failed");
    assert!(
        last["detail"].as_str().unwrap().contains("full"),
        "{last:#}"
    );

    mount.remount("size=4m");
    let p = e.ok("dev", &["promote", "Full.cab"]);
    assert_eq!(p["sha256"], sha(&bytes));
    assert_eq!(std::fs::read(e.dest.join("Full.cab")).unwrap(), bytes);

    // Read-only: a new version cannot go out, and the old one stays as it was.
    let v2 = cab_bytes("full 2", 1000);
    e.upload("dev", "Full.cab", &v2, "Full, smaller");
    e.ok("anna", &["approve", "Full.cab"]);
    mount.remount("ro");
    e.refused(
        "dev",
        &["promote", "Full.cab", "--replace"],
        74,
        "Read-only file system",
    );
    assert_eq!(std::fs::read(e.dest.join("Full.cab")).unwrap(), bytes);
    mount.remount("rw");
    let p = e.ok("dev", &["promote", "Full.cab", "--replace"]);
    assert_eq!(p["version"], 2);
    assert_eq!(std::fs::read(e.dest.join("Full.cab")).unwrap(), v2);
    assert!(e.ok("dev", &["audit", "verify"])["ok"].as_bool().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pull_request_flow_on_both_flavours() {
    if !keychain_available() {
        return;
    }
    for provider in ["bitbucket-cloud", "bitbucket-dc"] {
        let e = Estate::start("folder", 1).await;
        let boss_user = FakeUser::basic("boss", "boss@example.com", "boss-token");
        e.fake.commit_as(
            "epicor-cabs",
            "release",
            &boss_user,
            "New CABs/README.md",
            b"GHA Mods - New CABs",
            "Release branch",
        );
        for (who, _) in people() {
            e.write_with(
                who,
                "type = \"bitbucket-branch\"\nbranch = \"release\"\npath = \"New CABs\"",
                2,
                provider,
                "flow = \"pull-request\"\n",
            );
        }
        let bytes = cab_bytes(provider, 20_000);
        e.upload("dev", "Quotes.cab", &bytes, "Quotes");
        e.refused(
            "anna",
            &["approve", "Quotes.cab"],
            65,
            "request a review first",
        );
        let v = e.ok("dev", &["request", "Quotes.cab"]);
        let pr = v["pull_request"]["id"].as_u64().unwrap();
        assert_eq!(v["pull_request"]["state"], "OPEN", "{provider}: {v:#}");
        assert!(v["pull_request"]["source_branch"]
            .as_str()
            .unwrap()
            .starts_with("opsdeck/Quotes-"));
        let again = e.ok("dev", &["request", "Quotes.cab"]);
        assert_eq!(
            again["pull_request"]["id"], pr,
            "{provider}: one pull request per version"
        );
        e.refused("dev", &["promote", "Quotes.cab"], 65, "0 of 2 approvals");

        // Bitbucket's own approvals count: a rejection (needs work) blocks until lifted.
        let rejected = e.ok(
            "boss",
            &["reject", "Quotes.cab", "--reason", "Margin shown twice"],
        );
        let boss_label = if provider == "bitbucket-cloud" {
            "boss (says boss@example.com)"
        } else {
            "boss <boss@example.com>"
        };
        assert_eq!(
            rejected["waiting_for"],
            format!("rejected by {boss_label}: Margin shown twice"),
            "{provider}"
        );
        let one = e.ok("anna", &["approve", "Quotes.cab"]);
        assert!(
            one["waiting_for"]
                .as_str()
                .unwrap()
                .starts_with("rejected by boss"),
            "{provider}: {one:#}"
        );
        let two = e.ok("boss", &["approve", "Quotes.cab"]);
        assert_eq!(two["promotable"], true, "{provider}: {two:#}");
        assert_eq!(two["approvals"].as_array().unwrap().len(), 2);

        // Promotion merges the pull request after checking its bytes.
        let p = e.ok("dev", &["promote", "Quotes.cab"]);
        assert_eq!(
            p["placed"]["target"], "release:New CABs/Quotes.cab",
            "{provider}"
        );
        assert_eq!(
            e.fake.pull_request_state("epicor-cabs", pr).as_deref(),
            Some("MERGED")
        );
        assert_eq!(
            e.fake
                .file("epicor-cabs", "release", "New CABs/Quotes.cab")
                .unwrap(),
            bytes
        );
        assert_eq!(
            e.fake
                .file("epicor-cabs", "release", "New CABs/README.md")
                .unwrap(),
            b"GHA Mods - New CABs",
            "{provider}: the merge keeps the release branch's files"
        );
        assert!(
            e.fake.tag("epicor-cabs", "cab/Quotes/1").is_some(),
            "{provider}"
        );
        let shown = e.ok("dev", &["show", "Quotes.cab"]);
        assert_eq!(shown["card"]["stage"], "promoted", "{provider}");
        assert_eq!(shown["versions"][0]["pull_request"]["state"], "MERGED");

        // An approver's own version: their approval in the pull request is refused.
        let anna = e.upload("anna", "Anna.cab", &cab_bytes("anna pr", 900), "Anna's own");
        // A record pointing at another version's (approved, merged) pull request is ignored.
        let ben = FakeUser::basic("ben", "ben@example.com", "ben-token");
        e.fake.comment_as(
            "epicor-cabs",
            anna["commit"].as_str().unwrap(),
            &ben,
            &format!("[opsdeck] review-requested `cabs/Anna.cab`\npull-request: {pr}\n"),
        );
        let shown = e.ok("dev", &["show", "Anna.cab"]);
        assert_eq!(
            shown["versions"][0]["waiting_for"], "no pull request yet: request a review",
            "{provider}: {shown:#}"
        );
        e.ok("anna", &["request", "Anna.cab"]);
        e.refused("anna", &["approve", "Anna.cab"], 65, "its own author");
        assert!(e.ok("dev", &["audit", "verify"])["ok"].as_bool().unwrap());
    }
}
