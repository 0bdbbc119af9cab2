//! Golden-file, determinism and rejection tests for the generator.
//!
//! The golden file is `tests/golden/commands.rs`, generated from
//! `tests/golden/spec.json`. After an intended change to the output, refresh it
//! with `UPDATE_GOLDEN=1 cargo test -p redtyped-codegen` and review the diff.

use std::path::PathBuf;

use redtyped_codegen::{Options, Spec, generate, generate_from_json};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn output_matches_the_golden_file() {
    let spec = std::fs::read_to_string(golden_dir().join("spec.json")).unwrap();
    let code = generate_from_json(&spec, &Options::default()).unwrap();
    let golden_path = golden_dir().join("commands.rs");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden_path, &code).unwrap();
    }
    let golden = std::fs::read_to_string(&golden_path)
        .expect("golden file exists (UPDATE_GOLDEN=1 writes it)");
    if code != golden {
        let line = code
            .lines()
            .zip(golden.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "generated code differs from tests/golden/commands.rs from line {}:\n  now:    {:?}\n  golden: {:?}\n\
             (run UPDATE_GOLDEN=1 cargo test -p redtyped-codegen if the change is intended)",
            line + 1,
            code.lines().nth(line),
            golden.lines().nth(line)
        );
    }
}

#[test]
fn generating_twice_gives_the_same_bytes() {
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../commands.json"))
            .unwrap();
    let spec = Spec::from_json(&text).unwrap();
    let first = generate(&spec, &Options::default()).unwrap();
    let second = generate(&Spec::from_json(&text).unwrap(), &Options::default()).unwrap();
    assert_eq!(first, second);
    assert!(first.starts_with("// @generated"));
    // The spec survives a round trip through the model unchanged (refresh relies on it).
    assert_eq!(Spec::from_json(&spec.to_json()).unwrap(), spec);
}

fn one_command(command: &str) -> String {
    format!(r#"{{"commands":{{"CMD":{command}}}}}"#)
}

fn error_for(command: &str) -> String {
    generate_from_json(&one_command(command), &Options::default())
        .unwrap_err()
        .to_string()
}

#[test]
fn rejects_what_it_cannot_generate_with_a_reason() {
    let base = r#""group":"generic","since":"1.0.0","arity":-1"#;
    // Without a reply type a command is not generated (and `check` lists it).
    let skipped = generate_from_json(
        &one_command(&format!(r#"{{{base},"arguments":[]}}"#)),
        &Options::default(),
    )
    .unwrap();
    assert!(!skipped.contains("pub fn cmd"), "{skipped}");

    let e = error_for(&format!(
        r#"{{{base},"arguments":[],"x_reply":"arry<bulk>"}}"#
    ));
    assert!(e.contains("unknown reply type `arry`"), "{e}");

    let e = error_for(&format!(
        r#"{{{base},"arguments":[{{"name":"a","type":"pure-token","token":"A","optional":true}}],
            "x_reply":"int","x_reply_variants":[{{"when":"b","reply":"bool"}}]}}"#
    ));
    assert!(e.contains("`when: b` names no optional argument"), "{e}");

    let e = error_for(&format!(
        r#"{{{base},"arguments":[{{"name":"a","type":"pure-token","token":"NX","optional":true}},
            {{"name":"b","type":"pure-token","token":"NX","optional":true}}],"x_reply":"int"}}"#
    ));
    assert!(e.contains("two builder methods named `nx`"), "{e}");

    // x_name resolves that clash.
    let ok = one_command(&format!(
        r#"{{{base},"arguments":[{{"name":"a","type":"pure-token","token":"NX","optional":true}},
            {{"name":"b","type":"pure-token","token":"NX","optional":true,"x_name":"nx_again"}}],"x_reply":"int"}}"#
    ));
    assert!(
        generate_from_json(&ok, &Options::default())
            .unwrap()
            .contains("fn nx_again")
    );

    let e = generate_from_json(r#"{"commands":{"X":{"group":"g"}}}"#, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("invalid spec"), "{e}");
}

#[test]
fn reply_variants_by_token_shared_and_on_repeated_options() {
    let base = r#""group":"generic","since":"1.0.0","arity":-2"#;
    // Two siblings the server names alike (SORT's `BY pattern` and `GET pattern`):
    // `when` tells them apart by token, and a repeated option selects a variant too.
    let code = generate_from_json(
        &one_command(&format!(
            r#"{{{base},"arguments":[{{"name":"key","type":"key"}},
                {{"name":"pattern","type":"pattern","token":"BY","optional":true}},
                {{"name":"pattern","type":"pattern","token":"GET","optional":true,"multiple":true,"multiple_token":true}},
                {{"name":"destination","type":"key","token":"STORE","optional":true}}],
              "x_reply":"array<bulk>","x_reply_variants":[{{"when":"GET","reply":"array<bulk?>"}},
                {{"when":"destination","reply":"int"}}]}}"#
        )),
        &Options::default(),
    )
    .unwrap();
    // (Compared without whitespace: the formatter wraps long signatures.)
    let flat: String = code.split_whitespace().collect();
    assert!(
        flat.contains("pubfnby(self,pattern:impl::core::convert::Into<crate::Arg<'a>>)->Self"),
        "BY keeps the reply: {code}"
    );
    assert!(
        flat.contains("->Cmd<'a,crate::shape::Array<crate::shape::Nullable<crate::shape::Bulk<V>>>,IPatternNew,T"),
        "GET moves to the nullable reply: {code}"
    );
    assert!(code.contains("with `.get()`: `Vec<Option<V>>`"), "{code}");
    // STORE's reply has no values: its method is offered with `V` fixed, so
    // `cmd(k).store(d)` infers without naming `V`.
    assert!(
        flat.contains(
            "impl<'a,IPattern,T>Cmd<'a,crate::shape::Array<crate::shape::Bulk<()>>,IPattern,T>{"
        ),
        "{code}"
    );
    assert!(
        code.contains("Its reply holds no `V`, so it is offered with `V` fixed to `()`"),
        "{code}"
    );

    // Consecutive variants with one reply are one state any of them selects;
    // the same reply again after another is still a mistake.
    let tokens = r#"[{"name":"a","type":"pure-token","token":"A","optional":true},
        {"name":"b","type":"pure-token","token":"B","optional":true},
        {"name":"c","type":"pure-token","token":"C","optional":true}]"#;
    let code = generate_from_json(
        &one_command(&format!(
            r#"{{{base},"arguments":{tokens},"x_reply":"int",
              "x_reply_variants":[{{"when":"a","reply":"bool"}},{{"when":"B","reply":"bool"}},{{"when":"c","reply":"double"}}]}}"#
        )),
        &Options::default(),
    )
    .unwrap();
    assert!(
        code.contains("Reply: `i64`; with `.a()` or `.b()`: `bool`; with `.c()`: `f64`."),
        "{code}"
    );
    let e = error_for(&format!(
        r#"{{{base},"arguments":{tokens},"x_reply":"int",
          "x_reply_variants":[{{"when":"a","reply":"bool"}},{{"when":"b","reply":"double"}},{{"when":"c","reply":"bool"}}]}}"#
    ));
    assert!(
        e.contains("reply variant `c` repeats an earlier reply type"),
        "{e}"
    );
}
