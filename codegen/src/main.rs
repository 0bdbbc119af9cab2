//! The `redtyped-codegen` command line.
//!
//! ```text
//! redtyped-codegen emit    [--spec commands.json] [--out FILE]      write the generated code (stdout without --out)
//! redtyped-codegen refresh --from URL [--spec commands.json] [--add-missing]
//!                          re-derive every server fact from a live server, keeping every x_ annotation
//! redtyped-codegen check   --against URL [--spec commands.json]
//!                          coverage and drift per group; exits 1 on anything missing, untyped or drifted
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use redtyped_codegen::{Coverage, Options, Spec, facts, live::Live};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
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

fn read_spec(path: &str) -> Result<Spec, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Spec::from_json(&text).map_err(|e| format!("{path}: {e}"))
}

fn server_commands(url: &str) -> Result<BTreeMap<String, redtyped_codegen::Command>, String> {
    let mut live = Live::connect(url)?;
    let docs = live.call(&["COMMAND", "DOCS"])?;
    let info = live.call(&["COMMAND", "INFO"])?;
    facts::from_server(&docs, &info)
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let spec_path = flag(args, "--spec").unwrap_or("commands.json");
    match args.first().map(String::as_str) {
        Some("emit") => {
            let text =
                std::fs::read_to_string(spec_path).map_err(|e| format!("{spec_path}: {e}"))?;
            let code = redtyped_codegen::generate_from_json(&text, &Options::default())
                .map_err(|e| e.to_string())?;
            match flag(args, "--out") {
                Some(out) => std::fs::write(out, code).map_err(|e| format!("{out}: {e}"))?,
                None => print!("{code}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some("refresh") => {
            let url = flag(args, "--from").ok_or("refresh needs --from redis://host:port")?;
            let mut spec = read_spec(spec_path)?;
            let (added, gone) = facts::refresh(
                &mut spec,
                server_commands(url)?,
                args.iter().any(|a| a == "--add-missing"),
            );
            std::fs::write(spec_path, spec.to_json()).map_err(|e| format!("{spec_path}: {e}"))?;
            println!("refreshed {} commands from {url}", spec.commands.len());
            if !added.is_empty() {
                println!(
                    "added (annotate x_reply before building): {}",
                    added.join(", ")
                );
            }
            if !gone.is_empty() {
                println!("not on this server (kept): {}", gone.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some("check") => {
            let url = flag(args, "--against").ok_or("check needs --against redis://host:port")?;
            let coverage = Coverage::of(&read_spec(spec_path)?, &server_commands(url)?);
            print!("{coverage}");
            Ok(if coverage.is_complete() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        _ => {
            Err("usage: redtyped-codegen emit|refresh|check (see --help in the crate docs)".into())
        }
    }
}
