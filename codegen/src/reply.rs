//! The reply-type vocabulary: parsing `x_reply` strings and turning them into
//! the runtime's shape types.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::Error;

/// A parsed reply type (see the README's vocabulary table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyType {
    /// `ok`: the status OK.
    Ok,
    /// `status`: a simple string.
    Status,
    /// `string`: server-made text.
    Text,
    /// `int`
    Int,
    /// `bool`
    Bool,
    /// `double`
    Double,
    /// `bulk`: user data, generic.
    Bulk,
    /// `value`: anything.
    Value,
    /// `T?`
    Optional(Box<ReplyType>),
    /// `array<T>` and `set<T>`
    Array(Box<ReplyType>),
    /// `pairs<K,V>`
    Pairs(Box<ReplyType>, Box<ReplyType>),
    /// `map<K,V>`
    Map(Box<ReplyType>, Box<ReplyType>),
    /// A named record from the spec's `x_records`; `user_data` when it holds `bulk`.
    Record { name: String, user_data: bool },
    /// `lines<R>`: text whose lines are each a text record `R`.
    Lines(Box<ReplyType>),
    /// `info`: `INFO`-style `key:value` lines, as a map.
    Info,
}

/// How generic parameters are named while walking a reply type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Generics {
    /// A command's reply: each user-data position is a new parameter (`V`, `V2`, …).
    Numbered,
    /// A record's field: every user-data position is the record's one `V`.
    Single,
}

impl ReplyType {
    /// Parses a vocabulary string such as `array<bulk?>` or `pairs<bulk,double>`.
    pub fn parse(text: &str) -> Result<ReplyType, Error> {
        ReplyType::parse_with(text, &|_| None)
    }

    /// Parses a reply type that may name records; `record` tells whether a
    /// name is a record and whether it holds user data.
    pub fn parse_with(
        text: &str,
        record: &dyn Fn(&str) -> Option<bool>,
    ) -> Result<ReplyType, Error> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut parser = Parser {
            text: &compact,
            pos: 0,
            record,
        };
        let ty = parser.ty()?;
        if parser.pos != compact.len() {
            return Err(parser.error("trailing characters"));
        }
        Ok(ty)
    }

    /// True when some position holds user data (a generic parameter).
    pub fn has_user_data(&self) -> bool {
        match self {
            ReplyType::Bulk => true,
            ReplyType::Optional(t) | ReplyType::Array(t) => t.has_user_data(),
            ReplyType::Pairs(k, v) | ReplyType::Map(k, v) => k.has_user_data() || v.has_user_data(),
            ReplyType::Record { user_data, .. } => *user_data,
            ReplyType::Lines(r) => r.has_user_data(),
            _ => false,
        }
    }

    /// The runtime shape type, naming generics in order of appearance (`V`, `V2`, … for
    /// `bulk`; `M`, `M2`, … for a map of user data). Returns the shape and its generics.
    pub fn shape(&self, root: &TokenStream) -> (TokenStream, Vec<Ident>) {
        let mut generics = Vec::new();
        let shape = self.shape_into(root, &mut generics, Generics::Numbered);
        (shape, generics)
    }

    /// The shape inside a record, where every user-data position is the record's `V`.
    pub fn record_shape(&self, root: &TokenStream) -> TokenStream {
        self.shape_into(root, &mut Vec::new(), Generics::Single)
    }

    fn shape_into(
        &self,
        root: &TokenStream,
        generics: &mut Vec<Ident>,
        mode: Generics,
    ) -> TokenStream {
        let shape = quote!(#root::shape);
        match self {
            ReplyType::Ok => quote!(#shape::Okay),
            ReplyType::Status => quote!(#shape::Status),
            ReplyType::Text => quote!(#shape::Text),
            ReplyType::Int => quote!(#shape::Int),
            ReplyType::Bool => quote!(#shape::Bool),
            ReplyType::Double => quote!(#shape::Double),
            ReplyType::Value => quote!(#shape::Any),
            ReplyType::Info => quote!(#shape::Info),
            ReplyType::Bulk => {
                let g = generic("V", generics, mode);
                quote!(#shape::Bulk<#g>)
            }
            ReplyType::Record { name, user_data } => {
                let n = Ident::new(name, Span::call_site());
                if *user_data {
                    let g = generic("V", generics, mode);
                    quote!(#shape::Record<#root::reply::#n<#g>>)
                } else {
                    quote!(#shape::Record<#root::reply::#n>)
                }
            }
            ReplyType::Lines(t) => {
                let inner = t.shape_into(root, generics, mode);
                quote!(#shape::Lines<#inner>)
            }
            ReplyType::Optional(t) => {
                let inner = t.shape_into(root, generics, mode);
                quote!(#shape::Nullable<#inner>)
            }
            ReplyType::Array(t) => {
                let inner = t.shape_into(root, generics, mode);
                quote!(#shape::Array<#inner>)
            }
            ReplyType::Pairs(k, v) => {
                let k = k.shape_into(root, generics, mode);
                let v = v.shape_into(root, generics, mode);
                quote!(#shape::Pairs<#k, #v>)
            }
            ReplyType::Map(k, v)
                if mode == Generics::Numbered && (k.has_user_data() || v.has_user_data()) =>
            {
                let g = generic("M", generics, mode);
                quote!(#shape::UserMap<#g>)
            }
            ReplyType::Map(k, v) => {
                let k = k.shape_into(root, generics, mode);
                let v = v.shape_into(root, generics, mode);
                quote!(#shape::Map<#k, #v>)
            }
        }
    }

    /// The Rust type inside a record as tokens with absolute paths (every user-data position is `V`).
    pub fn record_rust_tokens(&self, root: &TokenStream) -> TokenStream {
        let v = quote!(V);
        match self {
            ReplyType::Ok => quote!(()),
            ReplyType::Status | ReplyType::Text => quote!(::std::string::String),
            ReplyType::Int => quote!(i64),
            ReplyType::Bool => quote!(bool),
            ReplyType::Double => quote!(f64),
            ReplyType::Value => quote!(#root::Value),
            ReplyType::Info => {
                quote!(::std::collections::HashMap<::std::string::String, ::std::string::String>)
            }
            ReplyType::Bulk => v,
            ReplyType::Record { name, user_data } => {
                let n = Ident::new(name, Span::call_site());
                if *user_data {
                    quote!(#root::reply::#n<V>)
                } else {
                    quote!(#root::reply::#n)
                }
            }
            ReplyType::Lines(t) | ReplyType::Array(t) => {
                let t = t.record_rust_tokens(root);
                quote!(::std::vec::Vec<#t>)
            }
            ReplyType::Optional(t) => {
                let t = t.record_rust_tokens(root);
                quote!(::core::option::Option<#t>)
            }
            ReplyType::Pairs(k, v) => {
                let k = k.record_rust_tokens(root);
                let v = v.record_rust_tokens(root);
                quote!(::std::vec::Vec<(#k, #v)>)
            }
            ReplyType::Map(k, v) => {
                let k = k.record_rust_tokens(root);
                let v = v.record_rust_tokens(root);
                quote!(::std::collections::HashMap<#k, #v>)
            }
        }
    }

    /// What kind of reply item this type starts with, for telling optional
    /// array-record fields apart: `Text`, `Integer`, `Double`, `Aggregate` or `Any`.
    pub fn item_kind(&self) -> &'static str {
        match self {
            ReplyType::Int => "Integer",
            ReplyType::Double => "Double",
            ReplyType::Status
            | ReplyType::Text
            | ReplyType::Bulk
            | ReplyType::Info
            | ReplyType::Lines(_) => "Text",
            ReplyType::Array(_) | ReplyType::Pairs(..) | ReplyType::Map(..) => "Aggregate",
            ReplyType::Record { .. } | ReplyType::Value | ReplyType::Ok | ReplyType::Bool => "Any",
            ReplyType::Optional(t) => t.item_kind(),
        }
    }

    /// The Rust type inside a record (every user-data position is `V`).
    pub fn record_rust_type(&self) -> String {
        self.rust_type_into(&mut Vec::new(), Generics::Single)
    }

    /// How the reply reads to a user, for docs: `Option<V>`, `Vec<(V, f64)>`.
    pub fn rust_type(&self) -> String {
        self.rust_type_into(&mut Vec::new(), Generics::Numbered)
    }

    fn rust_type_into(&self, generics: &mut Vec<Ident>, mode: Generics) -> String {
        match self {
            ReplyType::Info => "HashMap<String, String>".into(),
            ReplyType::Record {
                name,
                user_data: true,
            } => format!("{name}<{}>", generic("V", generics, mode)),
            ReplyType::Record { name, .. } => name.clone(),
            ReplyType::Lines(t) => format!("Vec<{}>", t.rust_type_into(generics, mode)),
            ReplyType::Ok => "()".into(),
            ReplyType::Status | ReplyType::Text => "String".into(),
            ReplyType::Int => "i64".into(),
            ReplyType::Bool => "bool".into(),
            ReplyType::Double => "f64".into(),
            ReplyType::Value => "Value".into(),
            ReplyType::Bulk => generic("V", generics, mode).to_string(),
            ReplyType::Optional(t) => format!("Option<{}>", t.rust_type_into(generics, mode)),
            ReplyType::Array(t) => format!("Vec<{}>", t.rust_type_into(generics, mode)),
            ReplyType::Pairs(k, v) => {
                let k = k.rust_type_into(generics, mode);
                let v = v.rust_type_into(generics, mode);
                format!("Vec<({k}, {v})>")
            }
            ReplyType::Map(k, v)
                if mode == Generics::Numbered && (k.has_user_data() || v.has_user_data()) =>
            {
                generic("M", generics, mode).to_string()
            }
            ReplyType::Map(k, v) => {
                let k = k.rust_type_into(generics, mode);
                let v = v.rust_type_into(generics, mode);
                format!("HashMap<{k}, {v}>")
            }
        }
    }
}

fn generic(base: &str, generics: &mut Vec<Ident>, mode: Generics) -> Ident {
    if mode == Generics::Single {
        return Ident::new(base, Span::call_site());
    }
    next_generic(base, generics)
}

fn next_generic(base: &str, generics: &mut Vec<Ident>) -> Ident {
    let n = generics
        .iter()
        .filter(|g| g.to_string().starts_with(base))
        .count();
    let name = if n == 0 {
        base.to_string()
    } else {
        format!("{base}{}", n + 1)
    };
    let ident = Ident::new(&name, Span::call_site());
    generics.push(ident.clone());
    ident
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
    record: &'t dyn Fn(&str) -> Option<bool>,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> Error {
        Error::Reply {
            text: self.text.to_string(),
            reason: format!("{what} at {}", self.pos),
        }
    }

    fn ty(&mut self) -> Result<ReplyType, Error> {
        let word_len = self.text[self.pos..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(self.text.len() - self.pos);
        let word = &self.text[self.pos..self.pos + word_len];
        self.pos += word_len;
        let ty = match word {
            "ok" => ReplyType::Ok,
            "status" => ReplyType::Status,
            "string" => ReplyType::Text,
            "int" => ReplyType::Int,
            "bool" => ReplyType::Bool,
            "double" => ReplyType::Double,
            "bulk" => ReplyType::Bulk,
            "value" => ReplyType::Value,
            "info" => ReplyType::Info,
            "lines" => {
                self.expect('<')?;
                let inner = self.ty()?;
                self.expect('>')?;
                if !matches!(inner, ReplyType::Record { .. }) {
                    return Err(self.error("lines<…> takes a record"));
                }
                ReplyType::Lines(Box::new(inner))
            }
            "array" | "set" => {
                self.expect('<')?;
                let inner = self.ty()?;
                self.expect('>')?;
                ReplyType::Array(Box::new(inner))
            }
            "pairs" | "map" => {
                self.expect('<')?;
                let k = self.ty()?;
                self.expect(',')?;
                let v = self.ty()?;
                self.expect('>')?;
                if word == "map" {
                    ReplyType::Map(Box::new(k), Box::new(v))
                } else {
                    ReplyType::Pairs(Box::new(k), Box::new(v))
                }
            }
            _ => match (self.record)(word) {
                Some(user_data) => ReplyType::Record {
                    name: word.to_string(),
                    user_data,
                },
                None => return Err(self.error(&format!("unknown reply type `{word}`"))),
            },
        };
        if self.text[self.pos..].starts_with('?') {
            self.pos += 1;
            return Ok(ReplyType::Optional(Box::new(ty)));
        }
        Ok(ty)
    }

    fn expect(&mut self, c: char) -> Result<(), Error> {
        if self.text[self.pos..].starts_with(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{c}`")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_vocabulary() {
        assert_eq!(
            ReplyType::parse("array<bulk?>").unwrap(),
            ReplyType::Array(Box::new(ReplyType::Optional(Box::new(ReplyType::Bulk))))
        );
        assert_eq!(
            ReplyType::parse("pairs<bulk, double>").unwrap().rust_type(),
            "Vec<(V, f64)>"
        );
        assert_eq!(ReplyType::parse("map<bulk,bulk>").unwrap().rust_type(), "M");
        assert_eq!(
            ReplyType::parse("map<string,string>").unwrap().rust_type(),
            "HashMap<String, String>"
        );
        assert_eq!(
            ReplyType::parse("array<bulk>?").unwrap().rust_type(),
            "Option<Vec<V>>"
        );
        assert!(ReplyType::parse("arrray<bulk>").is_err());
        assert!(ReplyType::parse("array<bulk").is_err());
        assert!(ReplyType::parse("bulk??").is_err());
    }

    #[test]
    fn generics_are_numbered() {
        let (_, generics) = ReplyType::parse("pairs<bulk,bulk>")
            .unwrap()
            .shape(&quote!(crate));
        let names: Vec<String> = generics.iter().map(|g| g.to_string()).collect();
        assert_eq!(names, ["V", "V2"]);
    }
}
