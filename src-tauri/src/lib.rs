//! The desktop shell: a thin adapter that boots the engine, exposes the `rpc` command and the
//! engine's events to the web view, and adds what only a desktop has: a tray icon that shows the
//! worst status, notifications, one instance, a remembered window, and start with the OS. All
//! behaviour (what a toast says, when it is muted, what the tray summary reads) lives in
//! `opsdeck-core`.

pub mod sharing;
pub mod tray;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use opsdeck::boot::{self, BootOptions, Booted};
use opsdeck_core::api::{Api, ApiError, Request};
use opsdeck_core::toast::{self, DesktopPreferences};
use tauri::{AppHandle, Emitter, Manager, Runtime, WindowEvent};

/// Name of the event that carries every engine [`opsdeck_core::engine::Event`].
pub const EVENT: &str = "opsdeck://event";

/// Name of the event that carries the desktop preferences whenever they change (muting from
/// the tray, say), so an open Settings page shows the truth.
pub const PREFERENCES_EVENT: &str = "opsdeck://preferences";

/// Given by the OS autostart entry: start in the tray without showing the window.
pub const MINIMIZED_ARG: &str = "--minimized";

#[tauri::command]
async fn rpc(api: tauri::State<'_, Api>, request: Request) -> Result<serde_json::Value, ApiError> {
    api.call(&opsdeck_core::access::Caller::local(), request)
        .await
}

/// The desktop preferences and where they are saved.
#[derive(Debug)]
pub struct Preferences {
    data_dir: PathBuf,
    current: Mutex<DesktopPreferences>,
}

impl Preferences {
    pub fn load(data_dir: PathBuf) -> Self {
        let current = Mutex::new(DesktopPreferences::load(&data_dir));
        Preferences { data_dir, current }
    }

    pub fn get(&self) -> DesktopPreferences {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn update(
        &self,
        change: impl FnOnce(&mut DesktopPreferences),
    ) -> Result<DesktopPreferences, ApiError> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = current.clone();
        change(&mut next);
        next.save(&self.data_dir).map_err(|e| {
            ApiError::new(
                "internal",
                format!(
                    "cannot save the desktop preferences in {}: {e}",
                    DesktopPreferences::file(&self.data_dir).display()
                ),
            )
        })?;
        *current = next.clone();
        Ok(next)
    }

    pub fn allows_toasts(&self) -> bool {
        self.get().allows_toasts(opsdeck_core::time_fmt::now_ms())
    }
}

#[tauri::command]
fn desktop_preferences<R: Runtime>(
    app: AppHandle<R>,
    prefs: tauri::State<'_, Arc<Preferences>>,
) -> DesktopPreferences {
    let mut current = prefs.get();
    // The OS entry is the truth: the user may have removed it in the OS settings.
    if let Some(enabled) = autostart::is_enabled(&app) {
        current.start_with_os = enabled;
    }
    current
}

#[tauri::command]
async fn set_desktop_preferences<R: Runtime>(
    app: AppHandle<R>,
    prefs: tauri::State<'_, Arc<Preferences>>,
    preferences: DesktopPreferences,
) -> Result<DesktopPreferences, ApiError> {
    let wanted = preferences.start_with_os;
    let registered = autostart::is_enabled(&app).unwrap_or(prefs.get().start_with_os);
    if registered != wanted {
        autostart::set(&app, wanted)?;
    }
    let saved = prefs.update(|p| *p = preferences)?;
    preferences_changed(&app, &saved);
    apply_sharing(&app, &saved).await;
    Ok(saved)
}

/// Whether (and where) the console is shared on the network, or why it cannot be.
#[tauri::command]
fn sharing_status(
    sharing: tauri::State<'_, Arc<sharing::Sharing>>,
) -> opsdeck_core::sharing::SharingStatus {
    sharing.status()
}

/// Start, restart or stop sharing on the network as the preferences say.
async fn apply_sharing<R: Runtime>(app: &AppHandle<R>, preferences: &DesktopPreferences) {
    let (Some(share), Some(api)) = (
        app.try_state::<Arc<sharing::Sharing>>(),
        app.try_state::<Api>(),
    ) else {
        return;
    };
    let share = share.inner().clone();
    share
        .apply(
            api.inner().clone(),
            sharing::ui_files(app),
            &preferences.sharing,
        )
        .await;
}

/// Tell the tray and the web view that the preferences changed.
pub fn preferences_changed<R: Runtime>(app: &AppHandle<R>, now: &DesktopPreferences) {
    tray::refresh(app);
    let _ = app.emit(PREFERENCES_EVENT, now);
}

/// Restart the app (after the first config file was created, say).
#[tauri::command]
async fn restart<R: Runtime>(app: AppHandle<R>) {
    stop_engine(&app).await;
    app.restart();
}

mod autostart {
    use opsdeck_core::api::ApiError;
    use tauri::{AppHandle, Manager, Runtime};
    use tauri_plugin_autostart::ManagerExt;

    pub fn is_enabled<R: Runtime>(app: &AppHandle<R>) -> Option<bool> {
        app.try_state::<tauri_plugin_autostart::AutoLaunchManager>()?;
        app.autolaunch().is_enabled().ok()
    }

    pub fn set<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<(), ApiError> {
        if app
            .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
            .is_none()
        {
            return Err(ApiError::new(
                "internal",
                "starting with the OS is not available in this build",
            ));
        }
        let manager = app.autolaunch();
        let result = if on {
            manager.enable()
        } else {
            manager.disable()
        };
        result.map_err(|e| {
            ApiError::new(
                "internal",
                format!(
                    "cannot {} starting opsdeck with the OS: {e}",
                    if on { "turn on" } else { "turn off" }
                ),
            )
        })
    }
}

/// Keeps the engine (and the demo fakes, if any) alive for the app's lifetime.
struct Engine(tokio::sync::Mutex<Option<Booted>>);

async fn stop_engine<R: Runtime>(app: &AppHandle<R>) {
    if let Some(engine) = app.try_state::<Engine>() {
        if let Some(booted) = engine.0.lock().await.take() {
            booted.engine.shutdown().await;
        }
    }
}

/// Quit for real (the window's close button only hides it to the tray).
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_window_state::{AppHandleExt, StateFlags};
    if let Err(e) = app.save_window_state(StateFlags::all() - StateFlags::VISIBLE) {
        tracing::warn!(error = %e, "cannot save the window position");
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        stop_engine(&app).await;
        app.exit(0);
    });
}

/// Bring the main window to the front.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn options() -> BootOptions {
    let config = std::env::var_os("OPSDECK_CONFIG").map(PathBuf::from);
    BootOptions {
        config_explicit: config.is_some(),
        config: config.unwrap_or_else(opsdeck_core::paths::default_config_file),
        data_dir: std::env::var_os("OPSDECK_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(opsdeck_core::paths::default_data_dir),
        demo: false,
    }
}

/// The commands the web view may call; shared by the app and its IPC tests.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        rpc,
        desktop_preferences,
        set_desktop_preferences,
        sharing_status,
        restart
    ])
}

/// Forward engine events to the web view.
fn forward_events<R: Runtime>(app: &AppHandle<R>, api: &Api) {
    let mut events = api.engine().subscribe();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let _ = handle.emit(EVENT, event);
                }
                // Missed events: tell the UI to refetch, as the SSE stream does.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let resync =
                        serde_json::json!({ "kind": "config", "path": null, "error": null });
                    let _ = handle.emit(EVENT, resync);
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

fn notify<R: Runtime>(app: &AppHandle<R>, toast: toast::Toast) {
    use tauri_plugin_notification::NotificationExt;
    tracing::info!(title = %toast.title, "notification");
    if let Err(e) = app
        .notification()
        .builder()
        .title(&toast.title)
        .body(&toast.body)
        .show()
    {
        // No notification service (a bare Linux session, say): the tray still tells.
        tracing::warn!(error = %e, "cannot show a desktop notification");
    }
}

/// Shows the notifications of `type = "desktop"` alert channels, within the user's mute.
struct DesktopAlerts<R: Runtime> {
    app: AppHandle<R>,
    prefs: Arc<Preferences>,
}

impl<R: Runtime> std::fmt::Debug for DesktopAlerts<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesktopAlerts").finish_non_exhaustive()
    }
}

impl<R: Runtime> opsdeck_core::alerting::channel::DesktopSink for DesktopAlerts<R> {
    fn show(&self, n: &opsdeck_core::alerting::notification::Notification) -> Result<(), String> {
        // Muted (or notifications off): taken, not shown; showing it after the mute would be
        // news from the past.
        if !self.prefs.allows_toasts() {
            tracing::info!(title = %n.title, "alert not shown: notifications are muted");
            return Ok(());
        }
        let body: Vec<String> = n.items.iter().take(4).map(|i| i.line()).collect();
        let mut body = body.join("\n");
        if n.items.len() > 4 {
            body.push_str(&format!("\nand {} more", n.items.len() - 4));
        }
        notify(
            &self.app,
            toast::Toast {
                title: n.prefixed_title(),
                body,
                check_id: None,
            },
        );
        Ok(())
    }
}

/// Whether the estate routes alerts to the desktop itself: then the alert pipeline shows
/// them, and the built-in toasts of every transition step aside.
fn has_desktop_channel(engine: &opsdeck_core::engine::Engine) -> bool {
    engine.config().channel.iter().any(|c| {
        c.common.enabled && matches!(c.spec, opsdeck_core::config::ChannelSpec::Desktop(_))
    })
}

pub fn run() -> Result<(), tauri::Error> {
    let options = options();
    let _logs = opsdeck::logging::init("info", Some(&options.data_dir));
    let minimized = std::env::args().any(|a| a == MINIMIZED_ARG);
    let builder = tauri::Builder::default()
        // First, so a second start only brings the running window forward.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main(app)
        }))
        .plugin(
            tauri_plugin_window_state::Builder::default()
                // Visibility is ours: hidden in the tray when started with the OS.
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all()
                        - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![MINIMIZED_ARG]),
        ))
        .plugin(tauri_plugin_notification::init());
    with_commands(builder)
        .setup(move |app| {
            let booted = tauri::async_runtime::block_on(boot::start(&options))
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            let api = booted.api();
            let prefs = Arc::new(Preferences::load(options.data_dir.clone()));
            app.manage(Engine(tokio::sync::Mutex::new(Some(booted))));
            forward_events(app.handle(), &api);
            api.engine().set_desktop_sink(Arc::new(DesktopAlerts {
                app: app.handle().clone(),
                prefs: prefs.clone(),
            }));
            {
                let handle = app.handle().clone();
                let allow = prefs.clone();
                let engine = api.engine().clone();
                tauri::async_runtime::spawn(toast::run(
                    api.engine().clone(),
                    api.engine().subscribe(),
                    toast::GROUPING,
                    move || allow.allows_toasts() && !has_desktop_channel(&engine),
                    move |t| notify(&handle, t),
                ));
            }
            app.manage(api.clone());
            app.manage(Arc::new(sharing::Sharing::new(options.data_dir.clone())));
            {
                let handle = app.handle().clone();
                let saved = prefs.get();
                tauri::async_runtime::spawn(async move { apply_sharing(&handle, &saved).await });
            }
            app.manage(prefs);
            tray::install(app.handle(), &api)?;
            if !minimized {
                show_main(app.handle());
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps the console watching from the tray.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == "main" {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .run(tauri::generate_context!())
}

#[cfg(test)]
mod tests;
