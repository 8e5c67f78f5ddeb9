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
