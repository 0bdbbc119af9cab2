//! The `redtyped-codegen` command line.
//!
//! ```text
//! redtyped-codegen emit [--spec commands.json] [--out FILE]   write the generated code (stdout without --out)
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("redtyped-codegen: {message}");
            ExitCode::from(2)
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("emit") => {
            let spec_path = flag(args, "--spec").unwrap_or("commands.json");
            let text =
                std::fs::read_to_string(spec_path).map_err(|e| format!("{spec_path}: {e}"))?;
            let code =
                redtyped_codegen::generate_from_json(&text, &redtyped_codegen::Options::default())
                    .map_err(|e| e.to_string())?;
            match flag(args, "--out") {
                Some(out) => std::fs::write(out, code).map_err(|e| format!("{out}: {e}")),
                None => {
                    print!("{code}");
                    Ok(())
                }
            }
        }
        _ => Err("usage: redtyped-codegen emit [--spec commands.json] [--out FILE]".into()),
    }
}
