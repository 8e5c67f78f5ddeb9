use secrecy::ExposeSecret;

use super::*;

#[test]
fn roles_are_ordered_and_parsed() {
    assert!(Role::Viewer < Role::Operator);
    assert!(Role::Operator < Role::Approver);
    assert!(Role::Approver < Role::Admin);
    assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
    assert!("root"
        .parse::<Role>()
        .unwrap_err()
        .contains("viewer, operator"));
}

#[test]
fn a_token_is_shown_once_and_only_its_hash_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    let new = store.create("phone-anna", Role::Viewer).unwrap();
    let token = new.token.expose_secret().to_string();
    assert!(token.starts_with("opsdeck_"));
    let (_, secret) = parse(&token).unwrap();
    let file = std::fs::read_to_string(store.file()).unwrap();
    assert!(
        !file.contains(secret),
        "the secret part must not be on disk"
    );
    assert!(file.contains("$argon2id$"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner reads the token file");
    }
    assert_eq!(store.list().unwrap(), vec![new.info.clone()]);
    assert_eq!(
        store.create("phone-anna", Role::Admin).unwrap_err(),
        AccessError::Duplicate("phone-anna".into())
    );
    assert_eq!(
        store.create("no spaces", Role::Admin).unwrap_err(),
        AccessError::InvalidName("no spaces".into())
    );
}

#[test]
fn verification_accepts_the_token_rejects_others_and_notices_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    let verifier = TokenVerifier::new(store.clone());
    assert_eq!(verifier.verify("anything"), Verdict::Invalid);
    // Created after the verifier first read the (missing) file: picked up.
    let new = store.create("ops", Role::Operator).unwrap();
    let token = new.token.expose_secret();
    let ops = Verdict::Valid(Caller {
        name: "ops".into(),
        role: Role::Operator,
    });
    assert_eq!(verifier.verify(token), ops);
    assert_eq!(verifier.verify(token), ops, "cached");
    // Same id, wrong secret.
    let mut wrong = token.to_string();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    assert_eq!(verifier.verify(&wrong), Verdict::Invalid);
    assert_eq!(verifier.verify(""), Verdict::Invalid);
    assert_eq!(
        verifier.verify("opsdeck_0123456789abcdef_short"),
        Verdict::Invalid
    );

    store.revoke("ops").unwrap();
    assert_eq!(verifier.verify(token), Verdict::Invalid, "revoked");
    assert_eq!(
        store.revoke("ops").unwrap_err(),
        AccessError::NotFound("ops".into())
    );
}

#[test]
fn a_broken_token_file_lets_nobody_in_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    let new = store.create("admin", Role::Admin).unwrap();
    std::fs::write(store.file(), "{ not json").unwrap();
    let verifier = TokenVerifier::new(store);
    match verifier.verify(new.token.expose_secret()) {
        Verdict::Unreadable(why) => assert!(why.contains("tokens.json"), "{why}"),
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

#[test]
fn session_tokens_live_in_memory_only() {
    let dir = tempfile::tempdir().unwrap();
    let verifier = TokenVerifier::new(TokenStore::new(dir.path()));
    let token = verifier.session_token("sign-in link", Role::Admin);
    assert!(matches!(
        verifier.verify(token.expose_secret()),
        Verdict::Valid(Caller {
            role: Role::Admin,
            ..
        })
    ));
    assert!(!verifier.store().file().exists());
    let other = TokenVerifier::new(TokenStore::new(dir.path()));
    assert_eq!(other.verify(token.expose_secret()), Verdict::Invalid);
}
