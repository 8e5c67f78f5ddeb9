//! The CAB release workflow through `opsdeck serve`'s HTTP API, against the fake of Bitbucket
//! Cloud (`opsdeck::fake_bitbucket`, built from Atlassian's documented payloads; no real
//! Bitbucket can run here). On a team server the opsdeck token's role decides what a caller
//! may do, and its name (a person's e-mail) is who they are: approvals through the server count
//! per token, never for the token that uploaded the version.
#![allow(clippy::unwrap_used)]

mod support;

use opsdeck::fake_bitbucket::{Behaviour, FakeBitbucket, FakeUser, Repository};
use serde_json::{json, Value};
use sha2::Digest;
use support::*;

fn as_token(t: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {t}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(h)
        .build()
        .unwrap()
}

async fn answer(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_workflow_through_the_http_api() {
    if !keychain_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dest = dir.path().join("New CABs");
    std::fs::create_dir_all(&dest).unwrap();
    let svc = FakeUser::basic("opsdeck-svc", "opsdeck-svc@example.com", "svc-token");
    let fake = FakeBitbucket::start(
        "gha",
        "epicor-cabs",
        Repository {
            branch: "main".into(),
            files: Vec::new(),
        },
        Behaviour {
            users: vec![svc.clone()],
            ..Behaviour::default()
        },
    )
    .await
    .unwrap();
    let secret = format!("cab-svc-{}", std::process::id());
    assert!(set_secret(&secret, "svc-token", &data).status.success());
    let config = write_config(
        dir.path(),
        &format!(
            "[[environment]]\nid = \"test\"\nname = \"Test\"\n\n[cab]\nprovider = \"bitbucket-cloud\"\nurl = \"{}\"\n\
             workspace = \"gha\"\nrepository = \"epicor-cabs\"\npath = \"cabs\"\nusername = \"opsdeck-svc@example.com\"\n\
             token = {{ secret = \"{secret}\" }}\napprovers = [\"anna@example.com\", \"boss@example.com\"]\n\
             publishers = [\"dev@example.com\", \"boss@example.com\"]\nrequired_approvals = 2\n\n\
             [cab.destination]\ntype = \"folder\"\npath = '{}'\n",
            fake.cloud_base(),
            dest.display()
        ),
    );
    // An empty repository has no branch yet: the first commit makes it.
    fake.commit_as("epicor-cabs", "main", &svc, "README.md", b"CABs", "Start");
    let viewer = as_token(&create_named_token(&data, "manager@example.com", "viewer"));
    let dev = as_token(&create_named_token(&data, "dev@example.com", "operator"));
    let anna = as_token(&create_named_token(&data, "anna@example.com", "approver"));
    let boss = as_token(&create_named_token(&data, "boss@example.com", "approver"));
    let server = Server::start(&config, &data);
    let base = &server.base;
    let api = |p: &str| format!("{base}/api{p}");

    let (status, board) = answer(viewer.get(api("/cab"))).await;
    assert_eq!(status, 200, "{board}");
    assert_eq!(board["cabs"], json!([]));
    assert_eq!(board["roles"]["identity"]["name"], "opsdeck-svc");
    let head = board["head"].as_str().unwrap().to_string();

    // Upload the raw bytes; a stale head or a viewer is refused.
    let v1 = b"MSCF\0\0\0\0 field service one".to_vec();
    let (status, up) = answer(
        dev.put(api("/cab/Field.cab"))
            .query(&[
                ("message", "Field service"),
                ("expected_head", head.as_str()),
            ])
            .body(v1.clone()),
    )
    .await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(up["version"], 1);
    let (status, stale) = answer(
        dev.put(api("/cab/Field.cab"))
            .query(&[("message", "again"), ("expected_head", head.as_str())])
            .body(b"MSCF other".to_vec()),
    )
    .await;
    assert_eq!(status, 409, "{stale}");
    assert!(
        stale["message"].as_str().unwrap().contains("refresh"),
        "{stale}"
    );
    let (status, _) = answer(
        viewer
            .put(api("/cab/Other.cab"))
            .query(&[("message", "x")])
            .body(b"MSCF x".to_vec()),
    )
    .await;
    assert_eq!(status, 403);

    let (status, installed) = answer(
        dev.post(api("/cab/Field.cab/install"))
            .json(&json!({ "environment": "test" })),
    )
    .await;
    assert_eq!(status, 200, "{installed}");
    assert_eq!(
        installed["installs"][0]["by"],
        "dev@example.com (through opsdeck-svc)"
    );

    // Pull requests belong to the pull-request flow only.
    let (status, review) = answer(dev.post(api("/cab/Field.cab/request-review"))).await;
    assert_eq!(status, 400, "{review}");
    assert!(
        review["message"]
            .as_str()
            .unwrap()
            .contains("pull-request flow"),
        "{review}"
    );

    // Approvals: the role is the token's; an operator cannot, and two approvers are needed.
    let (status, _) = answer(dev.post(api("/cab/Field.cab/approve"))).await;
    assert_eq!(status, 403);
    let (status, one) = answer(anna.post(api("/cab/Field.cab/approve"))).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["waiting_for"], "1 of 2 approvals");
    let (status, early) = answer(boss.post(api("/cab/Field.cab/promote"))).await;
    assert_eq!(status, 409, "{early}");
    let (status, not_publisher) = answer(anna.post(api("/cab/Field.cab/promote"))).await;
    assert_eq!(status, 403, "{not_publisher}");
    assert!(not_publisher["message"]
        .as_str()
        .unwrap()
        .starts_with("the token `anna@example.com` may not promote"));

    // A version uploaded through the server by a token cannot be approved by that token.
    let (status, _) = answer(
        boss.put(api("/cab/Boss.cab"))
            .query(&[("message", "Boss's own")])
            .body(b"MSCF boss".to_vec()),
    )
    .await;
    assert_eq!(status, 200);
    let (_, mine) = answer(boss.get(api("/cab/Boss.cab"))).await;
    assert_eq!(mine["versions"][0]["yours"], true, "{mine}");
    assert_eq!(mine["versions"][0]["uploaded_through"], "boss@example.com");
    assert_eq!(
        mine["versions"][0]["message"], "Boss's own",
        "the trailer is not in the message"
    );
    let (_, theirs) = answer(anna.get(api("/cab/Boss.cab"))).await;
    assert_eq!(theirs["versions"][0]["yours"], false);
    let (status, own) = answer(boss.post(api("/cab/Boss.cab/approve"))).await;
    assert_eq!(status, 403, "{own}");
    assert!(
        own["message"].as_str().unwrap().contains("own author"),
        "{own}"
    );

    let (status, two) = answer(
        boss.post(api("/cab/Field.cab/approve"))
            .json(&json!({ "version": "1" })),
    )
    .await;
    assert_eq!(status, 200, "{two}");
    assert_eq!(two["promotable"], true, "{two}");

    let (status, promoted) = answer(boss.post(api("/cab/Field.cab/promote"))).await;
    assert_eq!(status, 200, "{promoted}");
    assert_eq!(std::fs::read(dest.join("Field.cab")).unwrap(), v1);
    std::fs::write(dest.join("Field.cab"), b"MSCF not ours").unwrap();
    let (status, exists) = answer(boss.post(api("/cab/Field.cab/promote"))).await;
    assert_eq!(
        (status, exists["code"].as_str()),
        (409, Some("exists")),
        "{exists}"
    );
    let (status, _) = answer(
        boss.post(api("/cab/Field.cab/promote"))
            .json(&json!({ "replace": true })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(std::fs::read(dest.join("Field.cab")).unwrap(), v1);

    // The board, a download, and the same through the command endpoint.
    let (_, board) = answer(viewer.get(api("/cab"))).await;
    let field = board["cabs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Field.cab")
        .unwrap()
        .clone();
    assert_eq!(field["stage"], "promoted", "{field:#}");
    assert_eq!(field["installed"][0]["version"], 1);
    let file = viewer
        .get(api("/cab/Field.cab/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.headers()["x-cab-sha256"].to_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&v1))
    );
    assert_eq!(file.bytes().await.unwrap().to_vec(), v1);
    let (status, detail) = answer(
        viewer
            .post(api("/rpc"))
            .json(&json!({ "method": "cab_detail", "params": { "name": "Field.cab" } })),
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(
        detail["versions"][0]["approvals"].as_array().unwrap().len(),
        2
    );

    // The audit: who, through which token; verified; exported.
    let (_, audit) = answer(
        viewer
            .get(api("/cab/audit"))
            .query(&[("cab", "cabs/Field.cab")]),
    )
    .await;
    let entries = audit["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["action"] == "approve"
            && e["actor"]
                .as_str()
                .unwrap()
                .ends_with("via token boss@example.com")),
        "{audit:#}"
    );
    let (_, verify) = answer(viewer.get(api("/cab/audit/verify"))).await;
    assert_eq!(verify["ok"], true);
    let csv = viewer.get(api("/cab/audit.csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.text().await.unwrap().contains(",promote,ok,"));
    let _ = opsdeck()
        .arg("--data-dir")
        .arg(&data)
        .args(["secret", "delete", &secret])
        .output();
}
