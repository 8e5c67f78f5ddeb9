use super::*;

const FILE: &str = r#"# Our estate
[[environment]]
id = "live"
name = "Live"  # the one that matters

[[check]]
id = "erp-api"
name = "ERP API"
type = "http"
environment = "live"
url = "https://erp.example.test/HealthCheck"
# keep headers: the form does not show them
headers = { "X-Probe" = "opsdeck" }
"#;

fn editor(text: &str) -> (tempfile::TempDir, EstateFileEditor) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("opsdeck.toml");
    std::fs::write(&path, text).unwrap();
    (dir, EstateFileEditor::new(path))
}

fn file_text(e: &EstateFileEditor) -> String {
    std::fs::read_to_string(e.path()).unwrap()
}

#[test]
fn reads_forms_and_the_keys_forms_do_not_show() {
    let (_d, e) = editor(FILE);
    let estate = e.read().unwrap();
    assert!(estate.editable);
    assert_eq!(estate.environments[0].name, "Live");
    let check = &estate.checks[0];
    assert_eq!(check.id, "erp-api");
    assert_eq!(check.interval, "30s");
    assert_eq!(check.method, "GET");
    assert_eq!(check.other_keys, vec!["headers".to_string()]);
}

#[test]
fn editing_a_check_keeps_comments_and_other_keys_and_writes_no_defaults() {
    let (_d, e) = editor(FILE);
    let estate = e.read().unwrap();
    let mut form = estate.checks[0].clone();
    form.name = "ERP REST API".into();
    form.interval = "1m".into();
    form.tags = vec!["erp".into(), " ".into()];
    form.password = "erp-api-password".into();
    form.username = "probe".into();
    e.save_check(&estate.revision, Some("erp-api"), &form)
        .unwrap();
    let text = file_text(&e);
    assert!(text.contains("# Our estate"), "{text}");
    assert!(text.contains("# the one that matters"), "{text}");
    assert!(text.contains("# keep headers"), "{text}");
    assert!(
        text.contains(r#"headers = { "X-Probe" = "opsdeck" }"#),
        "{text}"
    );
    assert!(text.contains(r#"name = "ERP REST API""#), "{text}");
    assert!(text.contains(r#"interval = "1m""#), "{text}");
    assert!(text.contains(r#"tags = ["erp"]"#), "{text}");
    assert!(
        text.contains(r#"password = { secret = "erp-api-password" }"#),
        "{text}"
    );
    assert!(
        !text.contains("timeout"),
        "defaults are not written: {text}"
    );
    assert!(!text.contains("method"), "defaults are not written: {text}");
    let again = e.read().unwrap();
    assert_eq!(again.checks[0].name, "ERP REST API");
    assert_eq!(again.checks[0].password, "erp-api-password");
}

#[test]
fn adding_a_check_appends_a_table_that_loads() {
    let (_d, e) = editor(FILE);
    let estate = e.read().unwrap();
    let mut form = CheckForm::blank();
    form.id = "gateway".into();
    form.environment = "live".into();
    form.url = "http://gw.example.test/health".into();
    form.expected_status = vec![200, 204];
    let config = e.save_check(&estate.revision, None, &form).unwrap();
    assert_eq!(config.check.len(), 2);
    assert_eq!(config.check[1].common.id, "gateway");
    let text = file_text(&e);
    assert!(text.contains("expected_status = [200, 204]"), "{text}");
}

#[test]
fn invalid_edits_report_the_field_and_write_nothing() {
    let (_d, e) = editor(FILE);
    let estate = e.read().unwrap();
    let before = file_text(&e);
    let mut form = estate.checks[0].clone();
    form.interval = "every now and then".into();
    let Err(EstateError::Invalid(fields)) = e.save_check(&estate.revision, Some("erp-api"), &form)
    else {
        panic!("expected field errors");
    };
    assert_eq!(fields[0].field, "interval", "{fields:?}");
    assert_eq!(file_text(&e), before);

    let mut form = estate.checks[0].clone();
    form.environment = "prod".into();
    let Err(EstateError::Invalid(fields)) = e.save_check(&estate.revision, Some("erp-api"), &form)
    else {
        panic!("expected field errors");
    };
    assert_eq!(fields[0].field, "environment", "{fields:?}");
    assert!(fields[0].message.contains("`prod`"), "{fields:?}");
    assert_eq!(file_text(&e), before);

    let mut dup = CheckForm::blank();
    dup.id = "erp-api".into();
    let Err(EstateError::Invalid(fields)) = e.save_check(&estate.revision, None, &dup) else {
        panic!("expected field errors");
    };
    assert_eq!(fields[0].field, "id");
    assert!(fields.iter().any(|f| f.field == "url"), "{fields:?}");
    assert_eq!(file_text(&e), before);
}

#[test]
fn an_edit_against_an_old_revision_is_refused() {
    let (_d, e) = editor(FILE);
    let estate = e.read().unwrap();
    std::fs::write(e.path(), format!("{FILE}\n# edited by hand\n")).unwrap();
    let form = estate.checks[0].clone();
    assert!(matches!(
        e.save_check(&estate.revision, Some("erp-api"), &form),
        Err(EstateError::Conflict)
    ));
}

#[test]
fn a_broken_file_is_read_only_with_its_problems() {
    let (_d, e) = editor("[[check]]\nid = \"x\"\ntype = \"htp\"\n");
    let estate = e.read().unwrap();
    assert!(!estate.editable);
    let reason = estate.read_only_reason.unwrap();
    assert!(reason.contains("unknown check type"), "{reason}");
}

#[test]
fn environments_rename_carries_to_checks_and_removal_needs_no_users() {
    let (_d, e) = editor(FILE);
    let estate = e.read().unwrap();
    let Err(EstateError::Invalid(fields)) = e.remove_environment(&estate.revision, "live") else {
        panic!("an environment in use must not be removed");
    };
    assert!(fields[0].message.contains("`erp-api`"), "{fields:?}");

    let form = EnvironmentForm {
        id: "production".into(),
        name: "Production".into(),
        order: Some(1),
    };
    let config = e
        .save_environment(&estate.revision, Some("live"), &form)
        .unwrap();
    assert_eq!(
        config.check[0].common.environment.as_deref(),
        Some("production")
    );
    let text = file_text(&e);
    assert!(text.contains("# the one that matters"), "{text}");

    let estate = e.read().unwrap();
    e.remove_check(&estate.revision, "erp-api").unwrap();
    let estate = e.read().unwrap();
    assert!(estate.checks.is_empty());
    e.remove_environment(&estate.revision, "production")
        .unwrap();
    assert!(e.read().unwrap().environments.is_empty());
}

#[test]
fn create_writes_a_starter_only_where_no_file_is() {
    let dir = tempfile::tempdir().unwrap();
    let e = EstateFileEditor::new(dir.path().join("sub").join("opsdeck.toml"));
    let estate = e.read().unwrap();
    assert!(!estate.exists && !estate.editable);
    let created = e.create().unwrap();
    assert!(created.exists && created.editable);
    assert_eq!(created.environments[0].id, "live");
    assert!(matches!(e.create(), Err(EstateError::ReadOnly(_))));
}
