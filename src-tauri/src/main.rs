// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = opsdeck_desktop::run() {
        eprintln!("opsdeck: {e}");
        std::process::exit(1);
    }
}
