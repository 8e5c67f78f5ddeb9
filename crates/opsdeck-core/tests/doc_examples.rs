//! Every example config in docs/examples must load: documentation that does not parse is a bug.

use std::path::Path;

#[test]
fn documented_examples_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("docs/examples exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            if let Err(e) = opsdeck_core::config::Config::load(&path) {
                panic!("{e}");
            }
            seen += 1;
        }
    }
    assert!(seen > 0, "no examples found in {}", dir.display());
}

/// docs/opsdeck.schema.json is the JSON Schema editors use; it must match the Rust types.
/// `OPSDECK_BLESS_BINDINGS=1` rewrites it.
#[test]
fn published_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/opsdeck.schema.json");
    let fresh = serde_json::to_string_pretty(&opsdeck_core::config::Config::json_schema())
        .expect("schema")
        + "\n";
    if std::env::var_os("OPSDECK_BLESS_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/opsdeck.schema.json is stale: run OPSDECK_BLESS_BINDINGS=1 cargo test -p opsdeck-core --test doc_examples"
    );
}
