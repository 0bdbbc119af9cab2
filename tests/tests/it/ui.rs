//! What must not compile, with the compiler messages a user sees pinned in
//! `tests/ui/*.stderr` (refresh with `TRYBUILD=overwrite` after a deliberate change).

#[test]
fn type_errors_are_compile_errors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let cases = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("rs".as_ref()))
        .count();
    assert!(
        cases >= 4,
        "expected the compile-fail cases in {}",
        dir.display()
    );
    trybuild::TestCases::new().compile_fail(dir.join("*.rs"));
}
