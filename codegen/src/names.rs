//! Turning server names into Rust identifiers.

use proc_macro2::{Ident, Span};

/// Words Rust reserves; a name equal to one of them is written as a raw identifier.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield",
];

/// Names that cannot be raw identifiers either.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// `unix-time-seconds`, `CLIENT|SETNAME` or `id_or_auto` → `unix_time_seconds`, `client_setname`, `id_or_auto`.
pub fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `client setname` or `unix-time-seconds` → `ClientSetname`, `UnixTimeSeconds`.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in snake(name).split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert(0, 'N');
    }
    out
}

/// An identifier for a snake-case name, raw when it is a keyword (`type` → `r#type`).
pub fn ident(name: &str) -> Ident {
    if NOT_RAW.contains(&name) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// True when a token reads as a word (`WITHSCORES`, `EX`), so it can name a method.
pub fn is_word(token: &str) -> bool {
    token.starts_with(|c: char| c.is_ascii_alphabetic())
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("unix-time-seconds"), "unix_time_seconds");
        assert_eq!(snake("CLIENT SETNAME"), "client_setname");
        assert_eq!(camel("client setname"), "ClientSetname");
        assert_eq!(camel("id_or_auto"), "IdOrAuto");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        assert!(is_word("WITHSCORES"));
        assert!(!is_word("~"));
        assert!(!is_word("*"));
    }
}
