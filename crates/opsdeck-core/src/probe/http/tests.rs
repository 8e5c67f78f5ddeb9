use super::*;
use crate::config::Config;

fn spec(extra: &str) -> HttpSpec {
    let text =
        format!("[[check]]\nid = \"t\"\ntype = \"http\"\nurl = \"http://h/HealthCheck\"\n{extra}");
    let config = Config::parse(&text, "t.toml").expect("valid test config");
    let CheckSpec::Http(s) = config.check[0].spec.clone() else {
        panic!("an http check")
    };
    s
}
use crate::config::CheckSpec;

fn answer(status: u16, ctype: Option<&str>, body: &[u8]) -> Answer {
    Answer {
        status,
        content_type: ctype.map(str::to_string),
        body: body.to_vec(),
        truncated: false,
        cap: 1024 * 1024,
        cert_not_after: None,
        final_url: "http://h/HealthCheck".into(),
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("valid")
}

#[test]
fn plain_text_words() {
    let s = spec("");
    assert_eq!(
        evaluate(&s, &answer(200, Some("text/plain"), b"Healthy"), now()).status,
        Status::Up
    );
    let d = evaluate(&s, &answer(200, Some("text/plain"), b"Degraded"), now());
    assert_eq!(
        (d.status, d.message.as_str()),
        (Status::Degraded, "Degraded")
    );
    let u = evaluate(&s, &answer(503, Some("text/plain"), b"Unhealthy"), now());
    assert_eq!((u.status, u.message.as_str()), (Status::Down, "Unhealthy"));
}

#[test]
fn json_503_is_a_parsed_report() {
    let body = br#"{"status":"Unhealthy","totalDuration":"00:00:00.0100000","entries":{"sqlserver":{"data":{},"duration":"00:00:00.0100000","status":"Unhealthy","tags":[],"exception":"Login failed"}}}"#;
    let o = evaluate(
        &spec(""),
        &answer(503, Some("application/json"), body),
        now(),
    );
    assert_eq!(o.status, Status::Down);
    assert_eq!(o.message, "Unhealthy (sqlserver: Login failed)");
    assert_eq!(o.details["entries"][0]["exception"], "Login failed");
    assert_eq!(o.details["format"], "aspnet-json");
}

#[test]
fn generic_status_codes() {
    let s = spec("");
    let o = evaluate(&s, &answer(500, Some("text/html"), b"<h1>boom</h1>"), now());
    assert_eq!(
        (o.status, o.message.as_str()),
        (Status::Down, "HTTP 500 Internal Server Error")
    );
    let s = spec("expected_status = [401]");
    assert_eq!(
        evaluate(&s, &answer(401, None, b""), now()).status,
        Status::Up
    );
    let o = evaluate(&s, &answer(200, None, b""), now());
    assert_eq!(o.message, "HTTP 200 OK (expected 401)");
}

#[test]
fn body_and_json_expectations() {
    let s = spec("body_contains = \"ready\"");
    assert_eq!(
        evaluate(&s, &answer(200, None, b"all ready"), now()).status,
        Status::Up
    );
    let o = evaluate(&s, &answer(200, None, b"starting"), now());
    assert_eq!(o.message, "the body does not contain \"ready\"");
    let s = spec("json_pointer = \"/db/ok\"\njson_equals = true");
    assert_eq!(
        evaluate(
            &s,
            &answer(200, Some("application/json"), br#"{"db":{"ok":true}}"#),
            now()
        )
        .status,
        Status::Up
    );
    let o = evaluate(
        &s,
        &answer(200, Some("application/json"), br#"{"db":{"ok":false}}"#),
        now(),
    );
    assert_eq!(o.message, "`/db/ok` is false, expected true");
    let o = evaluate(
        &s,
        &answer(200, Some("application/json"), b"{not json"),
        now(),
    );
    assert_eq!(o.status, Status::Down);
    assert!(o.message.contains("not valid JSON"), "{}", o.message);
}

#[test]
fn invalid_json_and_utf8_and_size() {
    let o = evaluate(
        &spec(""),
        &answer(200, Some("application/json"), b"{oops"),
        now(),
    );
    assert_eq!(o.status, Status::Down);
    assert!(
        o.message.starts_with("the response body is not valid JSON"),
        "{}",
        o.message
    );
    let o = evaluate(
        &spec(""),
        &answer(200, Some("text/plain"), b"ok \xff\xfe"),
        now(),
    );
    assert_eq!(o.status, Status::Up);
    assert!(
        o.message
            .contains("not valid UTF-8 (invalid byte at offset 3)"),
        "{}",
        o.message
    );
    let o = evaluate(
        &spec("format = \"aspnet\""),
        &answer(200, Some("text/plain"), b"\xff"),
        now(),
    );
    assert_eq!(o.status, Status::Down);
    let mut big = answer(200, Some("text/plain"), b"");
    big.truncated = true;
    let o = evaluate(&spec("body_contains = \"x\""), &big, now());
    assert_eq!(o.status, Status::Down);
    assert!(
        o.message.contains("larger than the 1 MiB limit"),
        "{}",
        o.message
    );
}

#[test]
fn certificate_expiry_degrades_under_two_weeks() {
    let mut a = answer(200, Some("text/plain"), b"Healthy");
    a.cert_not_after = Some(now() + time::Duration::days(10));
    let o = evaluate(&spec(""), &a, now());
    assert_eq!(o.status, Status::Degraded);
    assert!(o.message.contains("expires in 10 days"), "{}", o.message);
    assert_eq!(o.details["tls"]["days_left"], 10);
    a.cert_not_after = Some(now() + time::Duration::days(90));
    assert_eq!(evaluate(&spec(""), &a, now()).status, Status::Up);
}
