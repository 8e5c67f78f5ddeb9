//! The real servers the integration tests talk to (RabbitMQ, Prometheus), started by
//! `scripts/services`, which writes the variables naming them.

/// The address in `var`; without it the test says it was skipped, unless
/// `OPSDECK_TEST_REQUIRE_SERVICES` is set (as in CI), when that is a failure.
pub fn service(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("OPSDECK_TEST_REQUIRE_SERVICES").is_none(),
                "{var} is not set; run scripts/services start DIR and source DIR/env"
            );
            eprintln!("SKIPPED: no {what} (set {var}, see scripts/services)");
            None
        }
    }
}
