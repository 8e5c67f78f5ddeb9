use super::*;

fn t(id: &str, from: Option<Status>, to: Status, at: &str) -> Transition {
    Transition {
        id: id.into(),
        from,
        to,
        reason: format!("{id}: connection refused"),
        at: format!("2026-03-29T01:00:{at}Z"),
    }
}

fn upper(id: &str) -> String {
    id.to_uppercase()
}

#[test]
fn one_failure_is_one_toast_with_its_reason() {
    let toasts = compose(&[t("erp", Some(Status::Up), Status::Down, "01")], &upper);
    assert_eq!(
        toasts,
        vec![Toast {
            title: "ERP is down".into(),
            body: "erp: connection refused".into(),
            check_id: Some("erp".into()),
        }]
    );
}

#[test]
fn ten_failures_in_one_sweep_are_one_toast() {
    let group: Vec<Transition> = (0..10)
        .map(|i| t(&format!("c{i}"), Some(Status::Up), Status::Down, "02"))
        .collect();
    let toasts = compose(&group, &upper);
    assert_eq!(toasts.len(), 1);
    assert_eq!(toasts[0].title, "10 checks are down");
    assert_eq!(toasts[0].body, "C0, C1, C2, and 7 more");
    assert_eq!(toasts[0].check_id, None);
}

#[test]
fn recoveries_are_their_own_toast_and_degraded_is_not_toasted() {
    let group = vec![
        t("a", Some(Status::Up), Status::Down, "01"),
        t("b", Some(Status::Down), Status::Up, "02"),
        t("c", Some(Status::Up), Status::Degraded, "03"),
        t("d", Some(Status::Degraded), Status::Up, "04"),
    ];
    assert!(!notable(&group[2]) && !notable(&group[3]));
    let toasts = compose(&group, &upper);
    let titles: Vec<&str> = toasts.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, vec!["A is down", "B is back up"]);
}

#[test]
fn a_flap_inside_the_window_reports_the_last_word() {
    let group = vec![
        t("a", Some(Status::Up), Status::Down, "01"),
        t("a", Some(Status::Down), Status::Up, "03"),
    ];
    let titles: Vec<String> = compose(&group, &upper)
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(titles, vec!["A is back up"]);
}

#[test]
fn mute_and_preferences_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let now = 1_700_000_000_000;
    let mut prefs = DesktopPreferences::load(dir.path());
    assert_eq!(prefs, DesktopPreferences::default());
    assert!(prefs.allows_toasts(now));
    prefs.mute_for(4, now);
    assert!(!prefs.allows_toasts(now + 3 * 3_600_000));
    assert!(prefs.allows_toasts(now + 4 * 3_600_000 + 1));
    prefs.save(dir.path()).unwrap();
    assert_eq!(DesktopPreferences::load(dir.path()), prefs);
    prefs.mute_for(0, now);
    assert!(prefs.allows_toasts(now));

    std::fs::write(DesktopPreferences::file(dir.path()), "{not json").unwrap();
    assert_eq!(
        DesktopPreferences::load(dir.path()),
        DesktopPreferences::default()
    );
}

/// The whole path: a real engine sweeps ten checks that all fail (nothing listens on their
/// port), and the toast loop turns their transitions into one notification. (The engine spreads
/// first runs over at most one interval, here a second.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sweep_of_a_real_engine_raises_one_toast() {
    use std::sync::Mutex;

    use crate::config::Config;
    use crate::secret::ExplicitSecrets;
    use crate::store::Store;

    // A port that was free a moment ago: connections are refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut text = String::from("[settings]\nfailures_to_down = 1\n");
    for i in 0..10 {
        text += &format!(
            "[[check]]\nid = \"svc-{i}\"\nname = \"Service {i}\"\ntype = \"http\"\nurl = \"http://127.0.0.1:{port}/{i}\"\ninterval = \"1s\"\n"
        );
    }
    let config = Config::parse(&text, "test").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("h.sqlite")).await.unwrap();
    let engine = Engine::new(config, store, Arc::new(ExplicitSecrets::default()))
        .await
        .unwrap();
    let shown: Arc<Mutex<Vec<Toast>>> = Arc::default();
    let sink = shown.clone();
    let toasts = tokio::spawn(run(
        engine.clone(),
        engine.subscribe(),
        Grouping {
            quiet: Duration::from_secs(2),
            max: Duration::from_secs(20),
        },
        || true,
        move |t| sink.lock().unwrap().push(t),
    ));
    engine.start().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while shown.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no toast");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give a second group the chance to (wrongly) appear.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let shown = shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].title, "10 checks are down");
    assert!(shown[0].body.starts_with("Service "), "{}", shown[0].body);
    assert!(shown[0].body.ends_with("and 7 more"), "{}", shown[0].body);
    engine.shutdown().await;
    toasts.abort();
}
