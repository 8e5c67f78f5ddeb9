use super::*;

fn problems(text: &str) -> Vec<String> {
    match Config::parse(text, "opsdeck.toml") {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string().lines().map(str::to_string).collect(),
    }
}

const GOOD: &str = r#"
[[environment]]
id = "live"
name = "Live"

[[check]]
id = "fsw-api-live"
name = "Field Service Web API"
environment = "live"
type = "http"
url = "https://fsw.example.com/HealthCheck"
interval = "30s"
timeout = "5s"
headers = { Accept = "application/json", "X-Api-Key" = { secret = "fsw-key" } }
"#;

#[test]
fn parses_the_design_example() {
    let config = Config::parse(GOOD, "opsdeck.toml").expect("valid");
    assert_eq!(config.environment[0].id, "live");
    let check = &config.check[0];
    assert_eq!(check.id(), "fsw-api-live");
    assert_eq!(check.common.interval, Duration::from_secs(30));
    let CheckSpec::Http(http) = &check.spec else {
        panic!("an http check")
    };
    assert_eq!(http.url, "https://fsw.example.com/HealthCheck");
    assert_eq!(http.max_redirects, 5);
    assert_eq!(
        config.secret_refs().get("fsw-key"),
        Some(&vec!["fsw-api-live".to_string()])
    );
}

#[test]
fn malformed_toml_names_the_line() {
    let p = problems("[[check]]\nid = \"a\"\ntype = \"http\nurl = 1\n");
    assert!(p[0].starts_with("opsdeck.toml:3:"), "{p:?}");
    assert!(p[0].contains("invalid TOML"), "{p:?}");
}

#[test]
fn unknown_key_gets_line_and_did_you_mean() {
    let text = GOOD.replace("interval = \"30s\"", "intervall = \"30s\"");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("opsdeck.toml:12:1: `check[0].intervall`"),
        "{p:?}"
    );
    assert!(p[0].contains("did you mean `interval`?"), "{p:?}");
}

#[test]
fn unknown_top_level_key_and_type() {
    let p = problems("[[checks]]\nid = \"a\"\n");
    assert!(p[0].contains("did you mean `check`?"), "{p:?}");
    let p = problems("[[check]]\nid = \"a\"\ntype = \"htpp\"\nurl = \"http://x\"\n");
    assert!(p[0].starts_with("opsdeck.toml:3:"), "{p:?}");
    assert!(p[0].contains("did you mean `http`?"), "{p:?}");
}

#[test]
fn wrong_type_names_the_key_line() {
    let text = GOOD.replace("timeout = \"5s\"", "timeout = 5");
    let p = problems(&text);
    assert!(p[0].starts_with("opsdeck.toml:13:"), "{p:?}");
    assert!(p[0].contains("`check[0].timeout`"), "{p:?}");
    let text = GOOD.replace("timeout = \"5s\"", "timeout = \"5 parsecs\"");
    let p = problems(&text);
    assert!(p[0].starts_with("opsdeck.toml:13:"), "{p:?}");
}

#[test]
fn literal_password_is_refused_with_the_fix() {
    let text = format!("{GOOD}username = \"monitor\"\npassword = \"hunter2\"\n");
    let p = problems(&text);
    assert!(p[0].starts_with("opsdeck.toml:16:"), "{p:?}");
    assert!(p[0].contains("opsdeck secret set NAME"), "{p:?}");
    assert!(
        !p.join("\n").contains("hunter2"),
        "the secret must not be echoed: {p:?}"
    );
}

#[test]
fn duplicates_and_unknown_environments() {
    let text = format!(
        "{GOOD}\n[[check]]\nid = \"fsw-api-live\"\ntype = \"http\"\nurl = \"http://a\"\nenvironment = \"lvie\"\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].contains("duplicate check id `fsw-api-live`"), "{p:?}");
    assert!(p[0].starts_with("opsdeck.toml:17:"), "{p:?}");
    assert!(p[1].contains("unknown environment `lvie`"), "{p:?}");
    assert!(p[1].contains("did you mean `live`?"), "{p:?}");
}

#[test]
fn url_with_password_and_bad_ids_are_refused() {
    let p = problems("[[check]]\nid = \"Bad Id\"\ntype = \"http\"\nurl = \"http://u:p@host/\"\n");
    assert!(p.iter().any(|l| l.contains("not a valid id")), "{p:?}");
    assert!(p.iter().any(|l| l.contains("carries a password")), "{p:?}");
}

#[test]
fn schema_lists_check_fields() {
    let schema = Config::json_schema().to_string();
    for key in [
        "max_redirects",
        "json_pointer",
        "interval",
        "environment",
        "failures_to_down",
    ] {
        assert!(schema.contains(key), "{key} missing from schema");
    }
}

#[test]
fn empty_file_is_an_empty_estate() {
    let c = Config::parse("", "x.toml").expect("empty is valid");
    assert!(c.check.is_empty());
}

#[test]
fn did_you_mean_works_in_every_table() {
    let p = problems("[settings]\nmax_concurency = 5\n");
    assert!(p[0].contains("did you mean `max_concurrency`?"), "{p:?}");
    let p = problems("[[environment]]\nid = \"live\"\nnmae = \"Live\"\n");
    assert!(p[0].contains("did you mean `name`?"), "{p:?}");
    let p = problems("[settings]\nmax_per_host = 0\n");
    assert!(
        p[0].starts_with("opsdeck.toml:2:16: `settings.max_per_host`: must be at least 1"),
        "{p:?}"
    );
}

#[test]
fn relative_ca_file_is_relative_to_the_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("estate.toml");
    std::fs::write(&path, "[[check]]\nid = \"a\"\ntype = \"http\"\nurl = \"https://x/\"\nca_file = \"certs/ca.pem\"\n").expect("write");
    let config = Config::load(&path).expect("valid");
    let CheckSpec::Http(http) = &config.check[0].spec else {
        panic!("an http check")
    };
    assert_eq!(
        http.ca_file.as_deref(),
        Some(dir.path().join("certs/ca.pem").as_path())
    );
}

#[test]
fn two_push_checks_cannot_share_a_token() {
    let text = "[[check]]\nid = \"nightly\"\ntype = \"push\"\ntoken = { secret = \"push-a\" }\nperiod = \"1d\"\n\
                [[check]]\nid = \"weekly\"\ntype = \"push\"\ntoken = { secret = \"push-b\" }\nperiod = \"7d\"\n\
                [[check]]\nid = \"hourly\"\ntype = \"push\"\ntoken = { secret = \"push-a\" }\nperiod = \"1h\"\n";
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("opsdeck.toml:14:"), "{p:?}");
    assert!(
        p[0].contains("credential `push-a` is already the push token of check `nightly`"),
        "{p:?}"
    );
}
