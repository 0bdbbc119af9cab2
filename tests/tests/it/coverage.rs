//! The spec against the live server the tests run on: `redtyped-codegen check`
//! as a test, so CI fails when a command is missing, untyped, or its server
//! facts drift.

use redtyped_codegen::{Coverage, Spec, facts, live::Live};

#[test]
fn the_spec_covers_every_command_of_the_server_without_drift() {
    let server = redtyped_tests::shared();
    let mut live = Live::connect(&server.url()).expect("connect for COMMAND DOCS");
    let docs = live.call(&["COMMAND", "DOCS"]).unwrap();
    let info = live.call(&["COMMAND", "INFO"]).unwrap();
    let commands = facts::from_server(&docs, &info).unwrap();
    assert!(
        commands.len() > 300,
        "the server listed only {} commands",
        commands.len()
    );

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands.json");
    let spec = Spec::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let coverage = Coverage::of(&spec, &commands);
    eprintln!("{coverage}");
    assert!(
        coverage.missing.is_empty(),
        "commands missing from the spec:\n{coverage}"
    );
    assert!(
        coverage.drifted.is_empty(),
        "server facts drifted (run redtyped-codegen refresh):\n{coverage}"
    );
}
