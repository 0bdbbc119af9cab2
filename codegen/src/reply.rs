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
}

impl ReplyType {
    /// Parses a vocabulary string such as `array<bulk?>` or `pairs<bulk,double>`.
    pub fn parse(text: &str) -> Result<ReplyType, Error> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut parser = Parser {
            text: &compact,
            pos: 0,
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
            _ => false,
        }
    }

    /// The runtime shape type, naming generics in order of appearance (`V`, `V2`, … for
    /// `bulk`; `M`, `M2`, … for a map of user data). Returns the shape and its generics.
    pub fn shape(&self, root: &TokenStream) -> (TokenStream, Vec<Ident>) {
        let mut generics = Vec::new();
        let shape = self.shape_into(root, &mut generics);
        (shape, generics)
    }

    fn shape_into(&self, root: &TokenStream, generics: &mut Vec<Ident>) -> TokenStream {
        let shape = quote!(#root::shape);
        match self {
            ReplyType::Ok => quote!(#shape::Okay),
            ReplyType::Status => quote!(#shape::Status),
            ReplyType::Text => quote!(#shape::Text),
            ReplyType::Int => quote!(#shape::Int),
            ReplyType::Bool => quote!(#shape::Bool),
            ReplyType::Double => quote!(#shape::Double),
            ReplyType::Value => quote!(#shape::Any),
            ReplyType::Bulk => {
                let g = next_generic("V", generics);
                quote!(#shape::Bulk<#g>)
            }
            ReplyType::Optional(t) => {
                let inner = t.shape_into(root, generics);
                quote!(#shape::Nullable<#inner>)
            }
            ReplyType::Array(t) => {
                let inner = t.shape_into(root, generics);
                quote!(#shape::Array<#inner>)
            }
            ReplyType::Pairs(k, v) => {
                let k = k.shape_into(root, generics);
                let v = v.shape_into(root, generics);
                quote!(#shape::Pairs<#k, #v>)
            }
            ReplyType::Map(k, v) if k.has_user_data() || v.has_user_data() => {
                let g = next_generic("M", generics);
                quote!(#shape::UserMap<#g>)
            }
            ReplyType::Map(k, v) => {
                let k = k.shape_into(root, generics);
                let v = v.shape_into(root, generics);
                quote!(#shape::Map<#k, #v>)
            }
        }
    }

    /// How the reply reads to a user, for docs: `Option<V>`, `Vec<(V, f64)>`.
    pub fn rust_type(&self) -> String {
        let mut generics = Vec::new();
        self.rust_type_into(&mut generics)
    }

    fn rust_type_into(&self, generics: &mut Vec<Ident>) -> String {
        match self {
            ReplyType::Ok => "()".into(),
            ReplyType::Status | ReplyType::Text => "String".into(),
            ReplyType::Int => "i64".into(),
            ReplyType::Bool => "bool".into(),
            ReplyType::Double => "f64".into(),
            ReplyType::Value => "Value".into(),
            ReplyType::Bulk => next_generic("V", generics).to_string(),
            ReplyType::Optional(t) => format!("Option<{}>", t.rust_type_into(generics)),
            ReplyType::Array(t) => format!("Vec<{}>", t.rust_type_into(generics)),
            ReplyType::Pairs(k, v) => {
                let k = k.rust_type_into(generics);
                let v = v.rust_type_into(generics);
                format!("Vec<({k}, {v})>")
            }
            ReplyType::Map(k, v) if k.has_user_data() || v.has_user_data() => {
                next_generic("M", generics).to_string()
            }
            ReplyType::Map(k, v) => {
                let k = k.rust_type_into(generics);
                let v = v.rust_type_into(generics);
                format!("HashMap<{k}, {v}>")
            }
        }
    }
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
            _ => return Err(self.error(&format!("unknown reply type `{word}`"))),
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
