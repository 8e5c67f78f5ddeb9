fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        // Declaring the app's commands makes each one need an explicit permission.
        .app_manifest(tauri_build::AppManifest::new().commands(&[
            "rpc",
            "desktop_preferences",
            "set_desktop_preferences",
            "sharing_status",
            "restart",
        ]));
    tauri_build::try_build(attributes).expect("tauri build script");
}
