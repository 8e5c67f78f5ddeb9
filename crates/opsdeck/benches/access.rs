//! What access control costs: creating a token, the first check of a token (Argon2id, slow on
//! purpose), every later check (a SHA-256 and a map lookup), a wrong secret, and a guess with an
//! unknown id. The overview through the server with a token is in the history benchmark.
//!
//! `cargo bench -p opsdeck --bench access`; numbers go to docs/performance.md.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck_core::access::{Role, TokenStore, TokenVerifier, Verdict};
use secrecy::ExposeSecret;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what:<44} median {:>10.3?}  p95 {:>10.3?}  n={}",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.len()
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = TokenStore::new(dir.path());

    let mut create = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..20 {
        let t = Instant::now();
        let new = store
            .create(&format!("bench-{i}"), Role::Viewer)
            .expect("create");
        create.push(t.elapsed());
        tokens.push(new.token.expose_secret().to_string());
    }
    report("token create (Argon2id hash + file write)", create);

    let mut first = Vec::new();
    for token in &tokens {
        // A fresh verifier has nothing cached: this is a token's first request.
        let verifier = TokenVerifier::new(store.clone());
        let t = Instant::now();
        assert!(matches!(verifier.verify(token), Verdict::Valid(_)));
        first.push(t.elapsed());
    }
    report("first check of a token (Argon2id verify)", first);

    let verifier = Arc::new(TokenVerifier::new(store.clone()));
    verifier.verify(&tokens[0]);
    let mut cached = Vec::new();
    for _ in 0..20_000 {
        let t = Instant::now();
        assert!(matches!(verifier.verify(&tokens[0]), Verdict::Valid(_)));
        cached.push(t.elapsed());
    }
    report("later checks (SHA-256 + lookup + file stat)", cached);

    let mut wrong = Vec::new();
    let mut bad = tokens[0].clone();
    bad.pop();
    bad.push('x');
    for _ in 0..20 {
        let t = Instant::now();
        assert_eq!(verifier.verify(&bad), Verdict::Invalid);
        wrong.push(t.elapsed());
    }
    report("wrong secret for a known id (Argon2id)", wrong);

    let mut unknown = Vec::new();
    for i in 0..20_000 {
        let guess = format!("opsdeck_{i:016x}_{}", "0".repeat(64));
        let t = Instant::now();
        assert_eq!(verifier.verify(&guess), Verdict::Invalid);
        unknown.push(t.elapsed());
    }
    report("unknown id (no Argon2)", unknown);
}
