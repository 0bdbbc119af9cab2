//! `check`: how much of a live server's command set the spec covers and types,
//! and which server facts drifted.

use std::collections::BTreeMap;
use std::fmt;

use crate::facts;
use crate::reply::ReplyType;
use crate::spec::{Command, Spec};

/// Coverage of one group.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Row {
    /// Commands the server has.
    pub server: usize,
    /// Of those, commands in the spec.
    pub spec: usize,
    /// Of those, commands with a reply type.
    pub typed: usize,
    /// Of those, commands whose server facts differ from the spec's.
    pub drifted: usize,
}

/// The spec measured against a live server's commands.
///
/// ```
/// use redtyped_codegen::{Coverage, Spec};
/// let spec = Spec::from_json(r#"{"commands":{}}"#).unwrap();
/// let coverage = Coverage::of(&spec, &Default::default());
/// assert!(coverage.is_complete());
/// ```
#[derive(Debug, Default, Clone)]
pub struct Coverage {
    /// Per group.
    pub groups: BTreeMap<String, Row>,
    /// Server commands the spec lacks.
    pub missing: Vec<String>,
    /// Spec commands without `x_reply`.
    pub untyped: Vec<String>,
    /// Commands whose facts drifted, with what drifted.
    pub drifted: Vec<String>,
    /// Commands whose reply (or a variant) is the untyped `value`.
    pub values: Vec<String>,
    /// Spec commands this server does not have.
    pub extra: Vec<String>,
}

fn uses_value(text: &str, spec: &Spec) -> bool {
    fn walk(t: &ReplyType) -> bool {
        match t {
            ReplyType::Value => true,
            ReplyType::Optional(t) | ReplyType::Array(t) | ReplyType::Lines(t) => walk(t),
            ReplyType::Pairs(k, v) | ReplyType::Map(k, v) => walk(k) || walk(v),
            _ => false,
        }
    }
    let known = |n: &str| spec.x_records.contains_key(n).then_some(false);
    ReplyType::parse_with(text, &known)
        .map(|t| walk(&t))
        .unwrap_or(false)
}

impl Coverage {
    /// Compares `spec` with the commands a server serves (from [`facts::from_server`]).
    pub fn of(spec: &Spec, server: &BTreeMap<String, Command>) -> Coverage {
        let mut c = Coverage::default();
        for (name, live) in server {
            let row = c.groups.entry(live.group.clone()).or_default();
            row.server += 1;
            let Some(ours) = spec.commands.get(name) else {
                c.missing.push(name.clone());
                continue;
            };
            row.spec += 1;
            if ours.x_reply.is_some() {
                row.typed += 1;
            } else {
                c.untyped.push(name.clone());
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
                c.drifted.push(format!("{name} ({})", what.join(", ")));
            }
            let mut replies = ours
                .x_reply
                .iter()
                .chain(ours.x_reply_variants.iter().map(|v| &v.reply));
            if replies.any(|r| uses_value(r, spec)) {
                c.values.push(name.clone());
            }
        }
        c.extra = spec
            .commands
            .keys()
            .filter(|n| !server.contains_key(*n))
            .cloned()
            .collect();
        c
    }

    /// Nothing missing, untyped or drifted.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.untyped.is_empty() && self.drifted.is_empty()
    }

    /// The totals over all groups.
    pub fn total(&self) -> Row {
        self.groups.values().fold(Row::default(), |t, r| Row {
            server: t.server + r.server,
            spec: t.spec + r.spec,
            typed: t.typed + r.typed,
            drifted: t.drifted + r.drifted,
        })
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<16} {:>7} {:>6} {:>6} {:>8}",
            "group", "server", "spec", "typed", "drifted"
        )?;
        for (group, r) in &self.groups {
            writeln!(
                f,
                "{group:<16} {:>7} {:>6} {:>6} {:>8}",
                r.server, r.spec, r.typed, r.drifted
            )?;
        }
        let t = self.total();
        writeln!(
            f,
            "{:<16} {:>7} {:>6} {:>6} {:>8}",
            "total", t.server, t.spec, t.typed, t.drifted
        )?;
        for (title, names) in [
            ("missing from the spec", &self.missing),
            ("without a reply type", &self.untyped),
            ("drifted", &self.drifted),
            ("untyped `value` replies", &self.values),
            ("in the spec but not on this server", &self.extra),
        ] {
            if !names.is_empty() {
                writeln!(f, "{title} ({}): {}", names.len(), names.join(", "))?;
            }
        }
        Ok(())
    }
}
