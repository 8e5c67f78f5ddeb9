// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    opsdeck_desktop::tray::remember_local_offset();
    // WebKitGTK's accelerated compositing buys this UI nothing and, without a GPU (remote
    // desktops, virtual machines), costs about 100 MB in software buffers and blank windows on
    // some drivers. Set before any thread starts; a value the user set wins.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    if let Err(e) = opsdeck_desktop::run() {
        eprintln!("opsdeck: {e}");
        std::process::exit(1);
    }
}
