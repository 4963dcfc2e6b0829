//! The TypeScript bindings the UI is written against (`ui/src/bindings.ts`) are generated
//! from the commands and events; this test fails when they drift apart.
//! `UPDATE_BINDINGS=1 cargo test -p mutual-app --test bindings` rewrites the file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn the_committed_typescript_bindings_match_the_commands_and_events() {
    let dir = tempfile::tempdir().unwrap();
    let fresh_path = dir.path().join("bindings.ts");
    mutual_app::bindings()
        .export(mutual_app::typescript(), &fresh_path)
        .expect("the bindings export");
    let fresh = std::fs::read_to_string(&fresh_path).unwrap();
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed_path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        fresh == committed,
        "ui/src/bindings.ts is out of date with the commands: run \
         `UPDATE_BINDINGS=1 cargo test -p mutual-app --test bindings` and commit it"
    );
    // Every command is there, by its camelCase name.
    for command in [
        "whoami",
        "createGroup",
        "editBoard",
        "editAssembly",
        "editResources",
        "voteAdmin",
        "lookBeforeJoining",
        "join",
    ] {
        assert!(
            fresh.contains(&format!("{command}: (")),
            "{command} is missing"
        );
    }
}
