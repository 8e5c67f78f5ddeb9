//! The command-line contract, through the real binary: exit codes, JSON output, config errors.
#![allow(clippy::unwrap_used)]

mod support;

use opsdeck::fakes::{Behaviour, FakeServer};
use support::*;

async fn fakes() -> FakeServer {
    FakeServer::start(
        vec![
            ("up".into(), Behaviour::HealthyText),
            (
                "degraded".into(),
                Behaviour::Degraded {
                    entry: "redis",
                    description: "slow",
                },
            ),
            ("down".into(), Behaviour::UnhealthyText),
        ],
        std::net::Ipv4Addr::LOCALHOST.into(),
    )
    .await
    .unwrap()
}

/// Run the binary off the async runtime (it talks to servers this runtime serves).
async fn run_async(args: Vec<String>, config: std::path::PathBuf) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args, Some(&config))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_code_is_the_worst_status_and_json_follows_the_contract() {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("[[environment]]\nid = \"live\"\nname = \"Live\"\n");
    for id in ["up", "degraded", "down"] {
        text += &http_check(id, &f.url(id), "environment = \"live\"");
    }
    let config = write_config(dir.path(), &text);

    let out = run_async(
        vec!["check".into(), "--format".into(), "json".into()],
        config.clone(),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["checked_at"].as_str().unwrap().ends_with('Z'));
    assert!(json["duration_ms"].is_u64());
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let by_id = |id: &str| results.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(by_id("up")["status"], "up");
    assert_eq!(by_id("up")["environment"], "live");
    assert_eq!(by_id("up")["type"], "http");
    assert_eq!(by_id("degraded")["status"], "degraded");
    assert_eq!(by_id("down")["status"], "down");

    let out = run_async(
        vec!["check".into(), "up".into(), "degraded".into()],
        config.clone(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("▲ degraded"), "{table}");
    assert!(
        table.contains("1 up, 1 degraded, 0 down, 0 unknown"),
        "{table}"
    );

    let out = run_async(vec!["check".into(), "up".into()], config.clone()).await;
    assert_eq!(out.status.code(), Some(0));

    let out = run_async(vec!["check".into(), "nope".into()], config.clone()).await;
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no check with id `nope`"));
}

#[test]
fn config_errors_name_file_line_and_key_and_exit_78() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[[check]]\nid = \"a\"\ntype = \"http\"\nurl = \"http://127.0.0.1:9/\"\nintervall = \"10s\"\n",
    );
    for args in [&["check"][..], &["config", "validate"][..]] {
        let out = run(args, Some(&config));
        assert_eq!(out.status.code(), Some(78));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("opsdeck.toml:5:1: `check[0].intervall`"),
            "{err}"
        );
        assert!(err.contains("did you mean `interval`?"), "{err}");
    }
    let config = write_config(dir.path(), "[[check]]\nid = \"a\"\ntype = \"http\"\nurl = \"http://x/\"\nusername = \"u\"\npassword = \"hunter2\"\n");
    let out = run(&["config", "validate"], Some(&config));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        err.contains(":6:") && err.contains("opsdeck secret set NAME"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));

    let out = run(&["check"], Some(&dir.path().join("missing.toml")));
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no config file at"));

    let good = write_config(dir.path(), &http_check("a", "http://127.0.0.1:9/", ""));
    let out = run(&["config", "validate"], Some(&good));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (0 environments, 1 checks"));
}

#[test]
fn usage_errors_exit_64_and_schema_is_json() {
    let out = run(&["check", "--format", "yaml"], None);
    assert_eq!(out.status.code(), Some(64));
    let out = run(&["frobnicate"], None);
    assert_eq!(out.status.code(), Some(64));
    let out = run(&["config", "schema"], None);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "opsdeck configuration");
    assert!(schema.to_string().contains("max_redirects"));
}
