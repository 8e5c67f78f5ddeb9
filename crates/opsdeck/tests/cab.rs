//! `opsdeck cab list|history` against the fake of Bitbucket Cloud (`opsdeck::fake_bitbucket`,
//! built from Atlassian's documented payloads; no real Bitbucket can run here), with the API
//! token in the real keychain (scripts/with-keyring).
#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine as _;
use opsdeck::fake_bitbucket::{Behaviour, FakeBitbucket, Repository, Version};
use serde_json::Value;
use support::*;

fn version(n: i64, file: &str, author: &str) -> Version {
    Version {
        hash: format!("{:040x}", 0x5eed_0000 + n * 31 + file.len() as i64),
        at_ms: 1_780_000_000_000 + n * 3_600_000 + file.len() as i64,
        author_name: author.into(),
        author_email: format!("{}@example.com", author.to_lowercase().replace(' ', ".")),
        message: format!("{file}: change {n}"),
        bytes: format!("MSCF {file} {n}").into_bytes(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalogue_from_the_command_line() {
    if !keychain_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = format!("cab-token-{}", std::process::id());
    let secret = "api-token-value";
    let fs = "cabs/GHA Field Service.cab";
    let fake = FakeBitbucket::start(
        "gha",
        "epicor-cabs",
        Repository {
            branch: "main".into(),
            files: vec![
                (
                    fs.into(),
                    (0..3).map(|n| version(n, fs, "Anna Dev")).collect(),
                ),
                (
                    "cabs/Orders.cab".into(),
                    vec![version(5, "cabs/Orders.cab", "Ben Dev")],
                ),
                (
                    "cabs/notes.txt".into(),
                    vec![version(1, "cabs/notes.txt", "Ben Dev")],
                ),
            ],
        },
        Behaviour {
            accept: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("dev@example.com:{secret}"))
            ),
            ..Behaviour::default()
        },
    )
    .await
    .unwrap();
    let out = set_secret(&token, secret, &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = write_config(
        dir.path(),
        &format!(
            "[cab]\nprovider = \"bitbucket-cloud\"\nurl = \"{}\"\nworkspace = \"gha\"\nrepository = \"epicor-cabs\"\n\
             path = \"cabs/\"\nusername = \"dev@example.com\"\ntoken = {{ secret = \"{token}\" }}\n\
             approvers = [\"approver@example.com\"]\n",
            fake.cloud_base()
        ),
    );
    let cab = |args: &[&str]| {
        opsdeck()
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .arg("cab")
            .args(args)
            .output()
            .unwrap()
    };
    let list = cab(&["list", "--format", "json"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let v: Value = serde_json::from_slice(&list.stdout).unwrap();
    let cabs = v["cabs"].as_array().unwrap();
    assert_eq!(cabs.len(), 2, "only .cab files: {v:#}");
    let first = &cabs[0];
    assert_eq!(first["name"], "GHA Field Service.cab");
    assert_eq!(first["path"], fs);
    assert_eq!(first["versions"], 3);
    assert_eq!(first["message"], format!("{fs}: change 2"));
    assert_eq!(first["author"], "Anna Dev <anna.dev@example.com>");
    let bytes = format!("MSCF {fs} 2");
    assert_eq!(first["size"], bytes.len());
    use sha2::Digest;
    assert_eq!(
        first["sha256"],
        hex::encode(sha2::Sha256::digest(bytes.as_bytes()))
    );
    for key in ["commit", "date"] {
        assert!(
            first[key].as_str().is_some_and(|s| !s.is_empty()),
            "{key}: {first:#}"
        );
    }

    let found = cab(&["list", "field", "SERVICE", "--format", "json"]);
    let v: Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(v["cabs"].as_array().unwrap().len(), 1, "{v:#}");
    let none = cab(&["list", "payroll"]);
    assert!(String::from_utf8_lossy(&none.stdout).contains("no CAB's name contains payroll"));

    let table = cab(&["list"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("GHA Field Service.cab") && text.contains("Orders.cab"),
        "{text}"
    );

    let history = cab(&["history", "GHA Field Service.cab", "--format", "json"]);
    assert!(
        history.status.success(),
        "{}",
        String::from_utf8_lossy(&history.stderr)
    );
    let h: Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(h["versions"].as_array().unwrap().len(), 3);
    assert_eq!(h["versions"][2]["message"], format!("{fs}: change 0"));
    let missing = cab(&["history", "Nope.cab"]);
    assert_eq!(missing.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no CAB named `Nope.cab`"));

    // `secret test` of the CAB token signs in to Bitbucket.
    let tested = opsdeck()
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .args(["secret", "test", &token])
        .output()
        .unwrap();
    assert!(
        tested.status.success(),
        "{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    assert!(String::from_utf8_lossy(&tested.stdout).contains("dev@example.com"));

    // A wrong token: the message names the keychain entry, never the value.
    let out = set_secret(&token, "stale-token", &data);
    assert!(out.status.success());
    let refused = cab(&["list"]);
    assert_eq!(refused.status.code(), Some(69));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains(&format!("keychain entry `{token}`")), "{err}");
    assert!(!err.contains("stale-token"), "{err}");
    let _ = opsdeck()
        .arg("--data-dir")
        .arg(&data)
        .args(["secret", "delete", &token])
        .output();
}
