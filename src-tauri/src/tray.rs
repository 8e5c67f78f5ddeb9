//! The tray icon: the worst status as a coloured shape (circle, triangle, square, ring, so it
//! reads without colour), a tooltip with the counts, and the menu a support engineer needs
//! without opening the window.

use std::sync::Arc;
use std::time::Duration;

use opsdeck_core::api::Api;
use opsdeck_core::engine::Event;
use opsdeck_core::status::Status;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::Preferences;

const TRAY_ID: &str = "status";

/// The tray is redrawn at most this often while results stream in.
const REFRESH_EVERY: Duration = Duration::from_millis(500);

fn icon(status: Status) -> Image<'static> {
    let bytes: &'static [u8] = match status {
        Status::Up => include_bytes!("../../icons/tray-up.png"),
        Status::Degraded => include_bytes!("../../icons/tray-degraded.png"),
        Status::Down => include_bytes!("../../icons/tray-down.png"),
        Status::Unknown => include_bytes!("../../icons/tray-unknown.png"),
    };
    Image::from_bytes(bytes).expect("tray icons are valid PNG files")
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Up => "All up",
        Status::Degraded => "Degraded",
        Status::Down => "Down",
        Status::Unknown => "Unknown",
    }
}

/// "opsdeck: Down · 2 down, 1 degraded, 27 up", plus the mute state.
fn tooltip<R: Runtime>(app: &AppHandle<R>, api: &Api) -> (Status, String) {
    let (worst, counts) = api.summary();
    let mut text = format!("opsdeck: {} · {}", status_word(worst), counts.describe());
    if let Some(prefs) = app.try_state::<Arc<Preferences>>() {
        let prefs = prefs.get();
        let now = opsdeck_core::time_fmt::now_ms();
        if !prefs.notifications {
            text.push_str(" · notifications off");
        } else if prefs.muted_at(now) {
            if let Some(until) = prefs.muted_until.as_deref() {
                text.push_str(&format!(" · muted until {}", local_time(until)));
            }
        }
    }
    (worst, text)
}

/// The local UTC offset, read while the process had one thread: on Linux the offset can only
/// be read safely then, so later reads fall back to it.
static START_OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();

/// Call first thing in `main`, before any thread starts.
pub fn remember_local_offset() {
    if let Ok(offset) = time::UtcOffset::current_local_offset() {
        let _ = START_OFFSET.set(offset);
    }
}

/// `HH:MM` of an RFC 3339 time in the user's time zone; with "UTC" when it is not known.
pub(crate) fn local_time(rfc3339: &str) -> String {
    let Ok(t) =
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
    else {
        return rfc3339.to_string();
    };
    let offset = time::UtcOffset::current_local_offset()
        .ok()
        .or_else(|| START_OFFSET.get().copied());
    match offset {
        Some(offset) => {
            let local = t.to_offset(offset);
            format!("{:02}:{:02}", local.hour(), local.minute())
        }
        None => format!("{:02}:{:02} UTC", t.hour(), t.minute()),
    }
}

/// Redraw the tray icon and tooltip from the engine's current state.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let (Some(tray), Some(api)) = (app.tray_by_id(TRAY_ID), app.try_state::<Api>()) else {
        return;
    };
    let (worst, text) = tooltip(app, &api);
    let _ = tray.set_icon(Some(icon(worst)));
    let _ = tray.set_tooltip(Some(&text));
}

pub fn install<R: Runtime>(app: &AppHandle<R>, api: &Api) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open opsdeck", true, None::<&str>)?;
    let check_all = MenuItem::with_id(app, "check-all", "Check all now", true, None::<&str>)?;
    let mute = Submenu::with_id_and_items(
        app,
        "mute",
        "Mute notifications",
        true,
        &[
            &MenuItem::with_id(app, "mute-1", "For 1 hour", true, None::<&str>)?,
            &MenuItem::with_id(app, "mute-4", "For 4 hours", true, None::<&str>)?,
            &MenuItem::with_id(app, "mute-8", "For 8 hours", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "mute-0", "Unmute", true, None::<&str>)?,
        ],
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit opsdeck", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &check_all,
            &mute,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let (worst, text) = tooltip(app, api);
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(worst))
        .tooltip(&text)
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_main(tray.app_handle());
            }
        })
        .build(app)?;
    follow(app.clone(), api.clone());
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "open" => crate::show_main(app),
        "check-all" => {
            if let Some(api) = app.try_state::<Api>() {
                let api = api.inner().clone();
                tauri::async_runtime::spawn(async move {
                    let counts = api.check_all().await;
                    tracing::info!(results = %counts.describe(), "checked all from the tray");
                });
            }
        }
        "quit" => crate::quit(app),
        other => {
            if let Some(hours) = other.strip_prefix("mute-").and_then(|h| h.parse().ok()) {
                if let Some(prefs) = app.try_state::<Arc<Preferences>>() {
                    let now = opsdeck_core::time_fmt::now_ms();
                    match prefs.update(|p| p.mute_for(hours, now)) {
                        Ok(saved) => crate::preferences_changed(app, &saved),
                        Err(e) => tracing::warn!(error = %e, "cannot mute notifications"),
                    }
                }
            }
        }
    }
}

/// Keep the tray current: redraw after results, transitions and config changes, at most every
/// [`REFRESH_EVERY`], and once a minute so an expired mute disappears from the tooltip.
fn follow<R: Runtime>(app: AppHandle<R>, api: Api) {
    let mut events = api.engine().subscribe();
    tauri::async_runtime::spawn(async move {
        let mut dirty = false;
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        // Ticks since the last redraw: 120 of them are a minute.
        let mut idle_ticks = 0u32;
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(Event::Result { .. } | Event::Transition { .. } | Event::Config { .. } | Event::Removed { .. }) => dirty = true,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => dirty = true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    idle_ticks += 1;
                    if dirty || idle_ticks >= 120 {
                        dirty = false;
                        idle_ticks = 0;
                        refresh(&app);
                    }
                }
            }
        }
    });
}
