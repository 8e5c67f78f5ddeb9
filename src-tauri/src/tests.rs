//! The IPC surface of the desktop shell, through tauri's mock runtime with the app's real
//! configuration and capabilities: what the web view may call, and what it gets back.

use std::sync::Arc;

use opsdeck_core::config::Config;
use opsdeck_core::engine::Engine;
use opsdeck_core::secret::ExplicitSecrets;
use opsdeck_core::store::Store;
use serde_json::{json, Value};
use tauri::test::{mock_builder, MockRuntime};
use tauri::webview::InvokeRequest;
use tauri::Manager;

use super::*;

const ESTATE: &str = r#"
[[environment]]
id = "live"
name = "Live"

[[check]]
id = "erp-api"
name = "ERP API"
type = "http"
environment = "live"
url = "http://127.0.0.1:9/HealthCheck"
"#;

struct Fixture {
    _dir: tempfile::TempDir,
    _app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(ESTATE, "test").unwrap();
    let db = dir.path().join("history.sqlite");
    let engine = tauri::async_runtime::block_on(async {
        let store = Store::open(&db).await.unwrap();
        Engine::new(config, store, Arc::new(ExplicitSecrets::default()))
            .await
            .unwrap()
    });
    let app = with_commands(mock_builder())
        .build(tauri::generate_context!())
        .unwrap();
    let files = opsdeck_core::api::Files {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    app.manage(Api::with_files(engine, files));
    app.manage(Arc::new(Preferences::load(dir.path().to_path_buf())));
    app.manage(Arc::new(sharing::Sharing::new(dir.path().to_path_buf())));
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Fixture {
        _dir: dir,
        _app: app,
        webview,
    }
}

/// The origin the app's own pages have on Linux and macOS.
const APP_ORIGIN: &str = "tauri://localhost";

fn invoke(f: &Fixture, cmd: &str, body: Value) -> Result<Value, Value> {
    invoke_from(f, APP_ORIGIN, cmd, body)
}

fn invoke_from(f: &Fixture, origin: &str, cmd: &str, body: Value) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        &f.webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: origin.parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

#[test]
fn rpc_answers_the_overview_from_the_engine() {
    let f = fixture();
    let overview = invoke(&f, "rpc", json!({ "request": { "method": "overview" } })).unwrap();
    assert_eq!(overview["environments"][0]["name"], "Live");
    assert_eq!(overview["environments"][0]["checks"][0]["id"], "erp-api");
}

#[test]
fn rpc_errors_carry_the_api_error_code() {
    let f = fixture();
    let err = invoke(
        &f,
        "rpc",
        json!({ "request": { "method": "check_detail", "params": { "id": "nope" } } }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");
}

#[test]
fn preferences_round_trip_and_persist() {
    let f = fixture();
    let prefs = invoke(&f, "desktop_preferences", json!({})).unwrap();
    assert_eq!(prefs["notifications"], true);
    assert_eq!(prefs["muted_until"], Value::Null);
    let saved = invoke(
        &f,
        "set_desktop_preferences",
        json!({ "preferences": { "start_with_os": false, "notifications": false, "muted_until": "2099-01-01T00:00:00Z" } }),
    )
    .unwrap();
    assert_eq!(saved["notifications"], false);
    let again = invoke(&f, "desktop_preferences", json!({})).unwrap();
    assert_eq!(again["muted_until"], "2099-01-01T00:00:00Z");
    let on_disk = DesktopPreferences::load(f._dir.path());
    assert!(!on_disk.notifications);
}

#[test]
fn the_capability_refuses_what_the_ui_does_not_use() {
    let f = fixture();
    // Plugin APIs are not granted to the web view: notifications are raised by the shell.
    let err = invoke(
        &f,
        "plugin:notification|notify",
        json!({ "options": { "title": "x" } }),
    );
    assert!(err.is_err(), "{err:?}");
}

#[test]
fn a_remote_page_in_the_window_cannot_call_the_engine() {
    let f = fixture();
    let err = invoke_from(
        &f,
        "https://attacker.example/",
        "rpc",
        json!({ "request": { "method": "overview" } }),
    );
    assert!(err.is_err());
}

#[test]
fn mute_times_read_as_a_clock_time() {
    let shown = crate::tray::local_time("2026-03-29T00:30:00Z");
    // Local time where the zone is known, else UTC said out loud.
    assert!(
        shown.len() == 5 || shown == "00:30 UTC",
        "unexpected clock time `{shown}`"
    );
    assert_eq!(shown.as_bytes()[2], b':');
    assert_eq!(crate::tray::local_time("not a time"), "not a time");
}

/// "Pair a phone" from the desktop app: the app shares its console on the network and a viewer
/// token made through `rpc` lets a browser in; nothing else does; turning sharing off closes it.
#[test]
fn sharing_serves_the_console_to_token_holders_and_stops() {
    let f = fixture();
    let created = invoke(
        &f,
        "rpc",
        json!({ "request": { "method": "create_token", "params": { "name": "phone", "role": "viewer" } } }),
    )
    .unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert_eq!(created["info"]["role"], "viewer");

    let mut prefs = invoke(&f, "desktop_preferences", json!({})).unwrap();
    assert_eq!(prefs["sharing"]["enabled"], false);
    // On the network without a certificate: refused, with what to do.
    prefs["sharing"] =
        json!({ "enabled": true, "listen": "0.0.0.0:0", "tls_cert": null, "tls_key": null });
    invoke(
        &f,
        "set_desktop_preferences",
        json!({ "preferences": prefs.clone() }),
    )
    .unwrap();
    let status = invoke(&f, "sharing_status", json!({})).unwrap();
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .contains("choose a certificate"),
        "{status}"
    );
    assert_eq!(status["listening"], Value::Null);

    prefs["sharing"]["listen"] = json!("127.0.0.1:0");
    invoke(
        &f,
        "set_desktop_preferences",
        json!({ "preferences": prefs.clone() }),
    )
    .unwrap();
    let status = invoke(&f, "sharing_status", json!({})).unwrap();
    let url = status["listening"]
        .as_str()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert_eq!(status["suggested_url"].as_str(), Some(url.as_str()));
    let get = |token: Option<String>| {
        let url = format!("{url}/api/overview");
        tauri::async_runtime::block_on(async move {
            let mut req = reqwest::Client::new().get(url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.map(|r| r.status().as_u16())
        })
    };
    assert_eq!(get(Some(token.clone())).unwrap(), 200);
    assert_eq!(get(None).unwrap(), 401);
    let run = {
        let url = format!("{url}/api/checks/erp-api/run");
        let token = token.clone();
        tauri::async_runtime::block_on(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    assert_eq!(run, 403, "a paired phone may look, not act");

    prefs["sharing"]["enabled"] = json!(false);
    invoke(
        &f,
        "set_desktop_preferences",
        json!({ "preferences": prefs }),
    )
    .unwrap();
    assert_eq!(
        invoke(&f, "sharing_status", json!({})).unwrap()["listening"],
        Value::Null
    );
    assert!(
        get(Some(token)).is_err(),
        "the port is closed once sharing is off"
    );
}
