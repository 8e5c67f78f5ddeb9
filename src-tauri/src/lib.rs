//! The desktop shell: a thin adapter that boots the engine and exposes the one `rpc` command and
//! the engine's events to the web view. Tray, toasts and window state come with the desktop
//! feature set; all behaviour stays in `opsdeck-core`.

use opsdeck::boot::{self, BootOptions, Booted};
use opsdeck_core::api::{Api, ApiError, Request};
use tauri::{Emitter, Manager};

/// Name of the event that carries every engine [`opsdeck_core::engine::Event`].
pub const EVENT: &str = "opsdeck://event";

#[tauri::command]
async fn rpc(api: tauri::State<'_, Api>, request: Request) -> Result<serde_json::Value, ApiError> {
    api.call(request).await
}

/// Keeps the engine (and the demo fakes, if any) alive for the app's lifetime.
struct Engine(#[allow(dead_code)] Booted);

fn options() -> BootOptions {
    let config = std::env::var_os("OPSDECK_CONFIG").map(std::path::PathBuf::from);
    BootOptions {
        config_explicit: config.is_some(),
        config: config.unwrap_or_else(opsdeck_core::paths::default_config_file),
        data_dir: std::env::var_os("OPSDECK_DATA_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(opsdeck_core::paths::default_data_dir),
        demo: false,
    }
}

pub fn run() -> Result<(), tauri::Error> {
    let options = options();
    let _logs = opsdeck::logging::init("info", Some(&options.data_dir));
    tauri::Builder::default()
        .setup(move |app| {
            let booted = tauri::async_runtime::block_on(boot::start(&options))
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            let mut events = booted.engine.subscribe();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            let _ = handle.emit(EVENT, event);
                        }
                        // Missed events: tell the UI to refetch, as the SSE stream does.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            let resync = serde_json::json!({ "kind": "config", "path": null, "error": null });
                            let _ = handle.emit(EVENT, resync);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            app.manage(booted.api());
            app.manage(Engine(booted));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![rpc])
        .run(tauri::generate_context!())
}
