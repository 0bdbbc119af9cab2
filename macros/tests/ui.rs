//! What the derives refuse, with the compiler messages a user sees pinned in
//! `tests/ui/*.stderr` (refresh with `TRYBUILD=overwrite` after a deliberate change).

#[test]
fn misuses_are_compile_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
