//! Server facts: turning a live server's `COMMAND DOCS` and `COMMAND INFO`
//! into spec entries (`refresh`), and comparing them with the spec (`check`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::spec::{ArgKind, Argument, Command, KeySpec, Search, Spec};

/// Every command the server serves, as spec entries without annotations.
pub fn from_server(docs: &Value, info: &Value) -> Result<BTreeMap<String, Command>, String> {
    let docs = docs.as_object().ok_or("COMMAND DOCS is not a map")?;
    let mut info_by_name = BTreeMap::new();
    fn collect<'v>(entries: &'v Value, out: &mut BTreeMap<String, &'v Value>) {
        for entry in entries.as_array().into_iter().flatten() {
            if let Some(name) = entry.get(0).and_then(Value::as_str) {
                out.insert(name.to_string(), entry);
                if let Some(subs) = entry.get(9) {
                    collect(subs, out);
                }
            }
        }
    }
    collect(info, &mut info_by_name);

    let mut out = BTreeMap::new();
    for (name, doc) in docs {
        match doc.get("subcommands").and_then(Value::as_object) {
            Some(subs) if !subs.is_empty() => {
                for (sub, sub_doc) in subs {
                    let full = sub.replace('|', " ").to_uppercase();
                    let info = info_by_name
                        .get(sub)
                        .ok_or_else(|| format!("no COMMAND INFO for {sub}"))?;
                    out.insert(full, command(sub_doc, info, Some(name.to_uppercase()))?);
                }
            }
            _ => {
                let info = info_by_name
                    .get(name)
                    .ok_or_else(|| format!("no COMMAND INFO for {name}"))?;
                out.insert(name.to_uppercase(), command(doc, info, None)?);
            }
        }
    }
    Ok(out)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn command(doc: &Value, info: &Value, container: Option<String>) -> Result<Command, String> {
    let key_specs = info
        .get(8)
        .and_then(Value::as_array)
        .map(|specs| specs.iter().map(key_spec).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    let arguments = doc
        .get("arguments")
        .and_then(Value::as_array)
        .map(|args| args.iter().map(argument).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    Ok(Command {
        container,
        group: text(doc, "group").unwrap_or_default(),
        since: text(doc, "since").unwrap_or_default(),
        complexity: text(doc, "complexity"),
        doc_flags: strings(doc.get("doc_flags")),
        deprecated_since: text(doc, "deprecated_since"),
        replaced_by: text(doc, "replaced_by"),
        arity: info
            .get(1)
            .and_then(Value::as_i64)
            .ok_or("COMMAND INFO without arity")?,
        flags: strings(info.get(2)),
        acl_categories: strings(info.get(6))
            .into_iter()
            .map(|c| c.trim_start_matches('@').to_string())
            .collect(),
        tips: strings(info.get(7)),
        key_specs,
        arguments,
        x_arguments: Vec::new(),
        x_reply: None,
        x_reply_variants: Vec::new(),
        x_connection: None,
        x_connection_note: None,
    })
}

fn search(v: Option<&Value>) -> Result<Search, String> {
    let v = v.ok_or("key spec without a search clause")?;
    Ok(Search {
        kind: text(v, "type").ok_or("search clause without a type")?,
        spec: v
            .get("spec")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    })
}

fn key_spec(v: &Value) -> Result<KeySpec, String> {
    Ok(KeySpec {
        flags: strings(v.get("flags")),
        begin_search: search(v.get("begin_search"))?,
        find_keys: search(v.get("find_keys"))?,
    })
}

fn argument(v: &Value) -> Result<Argument, String> {
    let kind: ArgKind = serde_json::from_value(v.get("type").cloned().unwrap_or_default())
        .map_err(|e| format!("argument type: {e}"))?;
    let flags = strings(v.get("flags"));
    Ok(Argument {
        name: text(v, "name").ok_or("argument without a name")?,
        kind,
        token: text(v, "token"),
        key_spec_index: v
            .get("key_spec_index")
            .and_then(Value::as_u64)
            .map(|i| i as u32),
        since: text(v, "since"),
        deprecated_since: text(v, "deprecated_since"),
        optional: flags.iter().any(|f| f == "optional"),
        multiple: flags.iter().any(|f| f == "multiple"),
        multiple_token: flags.iter().any(|f| f == "multiple_token"),
        arguments: v
            .get("arguments")
            .and_then(Value::as_array)
            .map(|args| args.iter().map(argument).collect::<Result<Vec<_>, _>>())
            .transpose()?
            .unwrap_or_default(),
        x_name: None,
        x_type: None,
        x_blocking: false,
    })
}

/// Copies our annotations from `old` onto fresh server facts.
pub fn keep_annotations(fresh: &mut Command, old: &Command) {
    fresh.x_arguments = old.x_arguments.clone();
    fresh.x_reply = old.x_reply.clone();
    fresh.x_reply_variants = old.x_reply_variants.clone();
    fresh.x_connection = old.x_connection;
    fresh.x_connection_note = old.x_connection_note.clone();
    carry_names(&mut fresh.arguments, &old.arguments);
}

fn carry_names(fresh: &mut [Argument], old: &[Argument]) {
    for (i, arg) in fresh.iter_mut().enumerate() {
        // Match by name; the position breaks ties between siblings the server names alike.
        let same = old
            .iter()
            .enumerate()
            .filter(|(_, o)| o.name == arg.name)
            .min_by_key(|(j, _)| j.abs_diff(i));
        if let Some((_, o)) = same {
            arg.x_name = o.x_name.clone();
            arg.x_blocking = o.x_blocking;
            arg.x_type = o.x_type;
            carry_names(&mut arg.arguments, &o.arguments);
        }
    }
}

/// The spec entry without our annotations, for comparing server facts.
pub fn facts_only(command: &Command) -> Command {
    let mut c = command.clone();
    c.x_arguments.clear();
    c.x_reply = None;
    c.x_reply_variants.clear();
    c.x_connection = None;
    c.x_connection_note = None;
    fn strip(args: &mut [Argument]) {
        for a in args {
            a.x_name = None;
            a.x_blocking = false;
            a.x_type = None;
            strip(&mut a.arguments);
        }
    }
    strip(&mut c.arguments);
    c
}

/// Refreshes `spec` from the server's commands: every existing entry gets fresh
/// facts with its annotations kept; with `add_missing`, commands the spec lacks
/// are added (without a reply type). Returns the names added and the names the
/// server no longer has (kept as they are).
pub fn refresh(
    spec: &mut Spec,
    server: BTreeMap<String, Command>,
    add_missing: bool,
) -> (Vec<String>, Vec<String>) {
    let mut added = Vec::new();
    let gone: Vec<String> = spec
        .commands
        .keys()
        .filter(|n| !server.contains_key(*n))
        .cloned()
        .collect();
    for (name, mut fresh) in server {
        match spec.commands.get(&name) {
            Some(old) => {
                keep_annotations(&mut fresh, old);
                spec.commands.insert(name, fresh);
            }
            None if add_missing => {
                added.push(name.clone());
                spec.commands.insert(name, fresh);
            }
            None => {}
        }
    }
    (added, gone)
}
