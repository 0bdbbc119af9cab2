//! Doc comments for generated items, built from the spec's structure (syntax,
//! group, since, complexity, ACL categories, link), never from server prose.

use crate::ConnectionUse;
use crate::model::CommandModel;

/// The link to a command's page on redis.io.
pub fn link(name: &str) -> String {
    format!(
        "https://redis.io/commands/{}/",
        name.to_ascii_lowercase().replace(' ', "-")
    )
}

/// What the reply is, with the options that change it.
pub fn reply_line(model: &CommandModel) -> String {
    let mut line = format!("Reply: `{}`", model.states[0].reply.rust_type());
    for (i, state) in model.states.iter().enumerate().skip(1) {
        line.push_str(&format!(
            "; with {}: `{}`",
            model.selecting_methods(i).join(" or "),
            state.reply.rust_type()
        ));
    }
    line.push('.');
    line
}

/// The facts line: group, since, complexity, ACL categories.
pub fn facts(model: &CommandModel) -> String {
    let spec = &model.spec;
    let mut parts = vec![
        format!("Group: {}", spec.group),
        format!("since: {}", spec.since),
    ];
    if let Some(c) = &spec.complexity {
        parts.push(format!("complexity: {c}"));
    }
    if !spec.acl_categories.is_empty() {
        let acl: Vec<String> = spec
            .acl_categories
            .iter()
            .map(|c| format!("@{c}"))
            .collect();
        parts.push(format!("ACL: {}", acl.join(" ")));
    }
    let mut line = parts.join(" · ");
    line.push('.');
    if let Some(since) = &spec.deprecated_since {
        line.push_str(&format!(" Deprecated since {since}"));
        if let Some(by) = &spec.replaced_by {
            line.push_str(&format!(", replaced by {by}"));
        }
        line.push('.');
    }
    line
}

/// The full doc block of a command's struct, constructor and client method.
pub fn command(model: &CommandModel) -> Vec<String> {
    let mut lines = vec![
        format!("`{}`", model.syntax()),
        String::new(),
        facts(model),
        String::new(),
        reply_line(model),
    ];
    match model.spec.placement() {
        ConnectionUse::Dedicated => {
            let why = model.spec.x_connection_note.as_deref().unwrap_or("");
            lines.push(String::new());
            lines.push(format!(
                "Not a method of the shared `Client`: this command needs a connection of its own ({why})."
            ));
        }
        ConnectionUse::Pooled => {
            let why = model
                .spec
                .x_connection_note
                .as_deref()
                .unwrap_or("it blocks its connection, so the client lends it a pooled connection of its own for that time");
            lines.push(String::new());
            lines.push(format!(
                "Runs on a pooled connection, not the shared one: {why}. Not available in pipelines."
            ));
        }
        ConnectionUse::Shared => {}
    }
    let methods: Vec<String> = model
        .methods
        .iter()
        .map(|m| &m.ident)
        .chain(model.iter_methods.iter().map(|m| &m.ident))
        .map(|ident| format!("`.{}()`", ident.to_string().trim_start_matches("r#")))
        .collect();
    if !methods.is_empty() {
        lines.push(String::new());
        lines.push(format!("Options: {}.", methods.join(", ")));
    }
    lines.push(String::new());
    lines.push(format!("[Redis documentation]({})", link(&model.name)));
    lines
}
