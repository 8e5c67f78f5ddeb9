//! The real desktop app, end to end: the window opens on the engine's overview, navigation to a
//! check's detail works, a service breaking shows up live, and a second start hands over to the
//! running app. Runs when `OPSDECK_DESKTOP_E2E=1` (the test script sets it after installing
//! tauri-driver and WebKitWebDriver); otherwise it says why it did nothing.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod driver;

use std::time::Duration;

use fantoccini::Locator;

fn wanted() -> bool {
    if std::env::var_os("OPSDECK_DESKTOP_E2E").is_some() {
        if let Err(why) = driver::available() {
            panic!("OPSDECK_DESKTOP_E2E is set but {why}");
        }
        return true;
    }
    println!("skipped: set OPSDECK_DESKTOP_E2E=1 to drive the desktop app");
    false
}

fn screenshot(name: &str, png: &[u8]) {
    if let Some(dir) = std::env::var_os("OPSDECK_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }
}

async fn text_of(client: &fantoccini::Client, css: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .text()
        .await
        .unwrap()
}

/// Wait until the page's text contains `needle`.
async fn page_shows(client: &fantoccini::Client, needle: &str, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let body = text_of(client, "body").await;
        if body.contains(needle) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the window never showed `{needle}`; it shows:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desktop_app_shows_the_engine_and_navigates() {
    if !wanted() {
        return;
    }
    let app = driver::launch().await;
    let c = &app.client;
    println!("cold start to overview: {:?}", app.cold_start);

    // Overview from the engine: both environments, and the degraded service as degraded.
    let row = text_of(c, r#"a[data-check-id="erp-api"]"#).await;
    assert_eq!(row, "ERP REST API");
    page_shows(c, "AP Automation", Duration::from_secs(5)).await;
    page_shows(c, "1 degraded", Duration::from_secs(20)).await;
    screenshot("desktop-overview.png", &c.screenshot().await.unwrap());

    // To the detail page and its health report entries.
    c.find(Locator::Css(r#"a[data-check-id="erp-api"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = text_of(c, "#main-content h1").await;
    assert_eq!(title, "ERP REST API");
    page_shows(c, "sqlserver", Duration::from_secs(10)).await;
    page_shows(c, "appserver", Duration::from_secs(1)).await;
    screenshot("desktop-check-detail.png", &c.screenshot().await.unwrap());

    // Break the service; "Check now" in the window makes the engine see it at once.
    let control = format!("http://{}/svc/erp/behaviour", app.fakes.addr);
    let put = reqwest::Client::new()
        .put(&control)
        .body("unhealthy")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 204);
    c.find(Locator::XPath("//button[normalize-space()='Check now']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_shows(
        c,
        "Connection refused (set by hand)",
        Duration::from_secs(15),
    )
    .await;
    page_shows(c, "Down", Duration::from_secs(5)).await;

    // Settings › Desktop: starting with the OS writes the OS's autostart entry, with the
    // argument that starts the app in the tray; turning it off removes it.
    c.find(Locator::XPath("//nav//a[normalize-space()='Settings']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let start_with_os = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(
            "//label[contains(normalize-space(), 'Start opsdeck when I sign in')]//input | //input[@id=//label[contains(normalize-space(), 'Start opsdeck when I sign in')]/@for]",
        ))
        .await
        .expect("the Desktop section of Settings");
    screenshot("desktop-settings.png", &c.screenshot().await.unwrap());
    // The autostart entry goes under the home folder's `.config` (XDG's default place).
    let entry = app
        .dir
        .path()
        .join("home/.config/autostart/opsdeck.desktop");
    assert!(!entry.exists());
    start_with_os.click().await.unwrap();
    let text = eventually_file(&entry, true).await;
    assert!(text.contains("--minimized"), "{text}");
    // As a person would: turn it off once the page has said it is on.
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[@role='status' and contains(., 'opsdeck will start when you sign in.')]",
        ))
        .await
        .expect("the page says the setting was saved");
    start_with_os.click().await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[@role='status' and contains(., 'opsdeck will not start when you sign in.')]",
        ))
        .await
        .expect("the page says the setting was turned off");
    eventually_file(&entry, false).await;

    // A second start of the app hands over to this one and leaves.
    let second = std::process::Command::new(driver::APP)
        .env("DISPLAY", &app.display)
        .env("NO_AT_BRIDGE", "1")
        .env("OPSDECK_CONFIG", app.dir.path().join("opsdeck.toml"))
        .env("OPSDECK_DATA_DIR", app.dir.path().join("data"))
        .env("HOME", app.dir.path().join("home"))
        .env("XDG_CONFIG_HOME", app.dir.path().join("xdg-config"))
        .env("XDG_DATA_HOME", app.dir.path().join("xdg-data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = wait_exit(second, Duration::from_secs(20));
    assert!(status.success(), "the second instance exited with {status}");
    // The first one still answers.
    assert_eq!(text_of(c, "#main-content h1").await, "Settings");

    for (name, memory) in app.memory_by_process() {
        println!("  {name:<16} {memory}");
    }
    println!("  {:<16} {}", "all", app.memory());
    app.close().await;
}

/// Wait until `path` exists (and return its text) or is gone.
async fn eventually_file(path: &std::path::Path, present: bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if path.exists() == present {
            return std::fs::read_to_string(path).unwrap_or_default();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} was never {}",
            path.display(),
            if present { "written" } else { "removed" }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn wait_exit(mut child: std::process::Child, within: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the second instance did not exit within {within:?}: single instance failed");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
