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

use redtyped_codegen::{Options, ReplyType, Spec, facts, live::Live};

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
            check(&read_spec(spec_path)?, &server_commands(url)?)
        }
        _ => {
            Err("usage: redtyped-codegen emit|refresh|check (see --help in the crate docs)".into())
        }
    }
}

#[derive(Default)]
struct Row {
    server: usize,
    spec: usize,
    typed: usize,
    drifted: usize,
}

fn uses_value(text: &str) -> bool {
    let known = |_: &str| Some(false);
    ReplyType::parse_with(text, &known)
        .map(|t| format!("{t:?}").contains("Value"))
        .unwrap_or(false)
}

fn check(
    spec: &Spec,
    server: &BTreeMap<String, redtyped_codegen::Command>,
) -> Result<ExitCode, String> {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let (mut missing, mut untyped, mut drifted, mut values) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (name, live) in server {
        let row = rows.entry(live.group.clone()).or_default();
        row.server += 1;
        let Some(ours) = spec.commands.get(name) else {
            missing.push(name.clone());
            continue;
        };
        row.spec += 1;
        if ours.x_reply.is_some() {
            row.typed += 1;
        } else {
            untyped.push(name.clone());
        }
        let ours_facts = facts::facts_only(ours);
        if &ours_facts != live {
            row.drifted += 1;
            let mut what = Vec::new();
            if ours_facts.flags != live.flags {
                what.push("flags");
            }
            if ours_facts.arguments != live.arguments {
                what.push("arguments");
            }
            if ours_facts.key_specs != live.key_specs {
                what.push("key specs");
            }
            if ours_facts.arity != live.arity {
                what.push("arity");
            }
            if what.is_empty() {
                what.push("other facts");
            }
            drifted.push(format!("{name} ({})", what.join(", ")));
        }
        let replies = ours
            .x_reply
            .iter()
            .chain(ours.x_reply_variants.iter().map(|v| &v.reply));
        if replies.into_iter().any(|r| uses_value(r)) {
            values.push(name.clone());
        }
    }
    let extra: Vec<&String> = spec
        .commands
        .keys()
        .filter(|n| !server.contains_key(*n))
        .collect();
    println!(
        "{:<16} {:>7} {:>6} {:>6} {:>8}",
        "group", "server", "spec", "typed", "drifted"
    );
    let mut total = Row::default();
    for (group, row) in &rows {
        println!(
            "{group:<16} {:>7} {:>6} {:>6} {:>8}",
            row.server, row.spec, row.typed, row.drifted
        );
        total.server += row.server;
        total.spec += row.spec;
        total.typed += row.typed;
        total.drifted += row.drifted;
    }
    println!(
        "{:<16} {:>7} {:>6} {:>6} {:>8}",
        "total", total.server, total.spec, total.typed, total.drifted
    );
    let list = |title: &str, names: &[String]| {
        if !names.is_empty() {
            println!("{title} ({}): {}", names.len(), names.join(", "));
        }
    };
    list("missing from the spec", &missing);
    list("without a reply type", &untyped);
    list("drifted", &drifted);
    list("untyped `value` replies", &values);
    if !extra.is_empty() {
        println!(
            "in the spec but not on this server ({}): {}",
            extra.len(),
            extra
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(
        if missing.is_empty() && untyped.is_empty() && drifted.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}
