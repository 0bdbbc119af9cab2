//! Generates the typed commands from the workspace's `commands.json`.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let spec_path = manifest.join("../commands.json");
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let text = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_path.display()));
    let code = redtyped_codegen::generate_from_json(&text, &redtyped_codegen::Options::default())
        .unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("commands.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
