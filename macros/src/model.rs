//! Parse and validate: a derive's input becomes the small model below, or a
//! list of every error found, each spanned to the attribute or field at fault.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{
    Attribute, Data, DeriveInput, ExprPath, Fields, GenericArgument, Generics, Ident, LitStr, Path,
    PathArguments, Token, Type, Visibility,
};

use crate::case::RenameRule;

/// Errors collected while reading an input; all are reported together.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }
}

/// Which derive is reading the input, for its messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Derive {
    ToHash,
    FromHash,
}

impl Derive {
    fn name(self) -> &'static str {
        match self {
            Derive::ToHash => "ToHash",
            Derive::FromHash => "FromHash",
        }
    }
}

/// A struct with named fields, for `ToHash` and `FromHash`.
pub struct Struct {
    pub ident: Ident,
    pub vis: Visibility,
    pub generics: Generics,
    /// The path of the runtime crate (`::redtyped`, or `#[redis(crate = …)]`).
    pub krate: Path,
    pub fields: Vec<Field>,
}

pub struct Field {
    pub member: Ident,
    /// The Rust name, without `r#`, for messages.
    pub rust_name: String,
    pub ty: Type,
    pub kind: FieldKind,
}

// A few per struct, built once per expansion: size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum FieldKind {
    /// One hash field.
    Value {
        name: String,
        /// The name's span: the `rename` literal, or the field.
        name_span: Span,
        /// `Some(T)` for an `Option<T>` field: not written when `None`,
        /// `None` when the hash field is missing.
        option: Option<Type>,
        codec: Codec,
        default: Option<DefaultValue>,
    },
    /// `#[redis(flatten)]`: the fields of a nested struct, under a prefix.
    Flatten { prefix: String },
    /// `#[redis(skip)]`: not written, and filled from its default when read.
    Skip { default: DefaultValue },
}

/// How a field's value is written and read.
pub enum Codec {
    /// `Into<Arg>` and `FromValue`, as commands do.
    Plain,
    /// `#[redis(json)]`: serde_json.
    Json,
    /// `#[redis(with = module)]`: `module::encode` and `module::decode`.
    With(Path),
}

pub enum DefaultValue {
    /// `Default::default()`.
    Trait(Span),
    /// `default = "path"`: a function called with no arguments.
    Function(ExprPath),
}

/// An enum of unit variants, for `ValueEnum`.
pub struct Enum {
    pub ident: Ident,
    pub krate: Path,
    pub variants: Vec<Variant>,
}

pub struct Variant {
    pub ident: Ident,
    pub name: String,
}

/// The container attributes both kinds of input take.
struct ContainerAttrs {
    rename_all: Option<RenameRule>,
    krate: Option<Path>,
}

fn container_attrs(attrs: &[Attribute], errors: &mut Errors) -> ContainerAttrs {
    let mut rename_all: Option<(RenameRule, Span)> = None;
    let mut krate: Option<Path> = None;
    for_each_meta(attrs, errors, |meta, errors| {
        if meta.path.is_ident("rename_all") {
            let lit: LitStr = meta.value()?.parse()?;
            match RenameRule::from_name(&lit.value()) {
                Some(rule) => {
                    if rename_all.is_some() {
                        duplicate(errors, meta);
                    }
                    rename_all = Some((rule, lit.span()));
                }
                None => {
                    let names: Vec<_> = RenameRule::NAMES
                        .iter()
                        .map(|(n, _)| format!("\"{n}\""))
                        .collect();
                    errors.at(
                        lit.span(),
                        format_args!(
                            "unknown `rename_all` rule {:?}; expected one of {}",
                            lit.value(),
                            names.join(", ")
                        ),
                    );
                }
            }
        } else if meta.path.is_ident("crate") {
            let path = path_value(meta)?;
            if krate.is_some() {
                duplicate(errors, meta);
            }
            krate = Some(path);
        } else {
            unknown(errors, meta, "on a type", &["rename_all", "crate"])?;
        }
        Ok(())
    });
    ContainerAttrs {
        rename_all: rename_all.map(|(rule, _)| rule),
        krate,
    }
}

/// Runs `f` on every item of every `#[redis(...)]` attribute; a parse error
/// inside one attribute stops that attribute only.
fn for_each_meta(
    attrs: &[Attribute],
    errors: &mut Errors,
    mut f: impl FnMut(&ParseNestedMeta<'_>, &mut Errors) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("redis")) {
        let result = attr.parse_nested_meta(|meta| f(&meta, errors));
        if let Err(e) = result {
            errors.push(e);
        }
    }
}

fn key(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_else(|| meta.path.to_token_stream().to_string().replace(' ', ""))
}

fn duplicate(errors: &mut Errors, meta: &ParseNestedMeta<'_>) {
    errors.at(
        meta.path.span(),
        format_args!("duplicate `{}` attribute", key(meta)),
    );
}

/// Reports an unknown attribute and reads past its value, so the items after
/// it are still checked.
fn unknown(
    errors: &mut Errors,
    meta: &ParseNestedMeta<'_>,
    place: &str,
    known: &[&str],
) -> syn::Result<()> {
    let known: Vec<_> = known.iter().map(|k| format!("`{k}`")).collect();
    errors.at(
        meta.path.span(),
        format_args!(
            "unknown redis attribute `{}` {place}; expected {}",
            key(meta),
            known.join(", ")
        ),
    );
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// `key = path` or `key = "path"`.
fn path_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
    let input = meta.value()?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        lit.parse()
    } else {
        input.parse()
    }
}

/// Reads `#[derive(ToHash)]` / `#[derive(FromHash)]` input.
pub fn parse_struct(input: &DeriveInput, derive: Derive) -> syn::Result<Struct> {
    let mut errors = Errors::default();
    let container = container_attrs(&input.attrs, &mut errors);
    let krate = container
        .krate
        .unwrap_or_else(|| syn::parse_quote!(::redtyped));
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some(named),
            Fields::Unnamed(fields) => {
                errors.at(
                    fields.span(),
                    format_args!(
                        "{} needs a struct with named fields: each field is a hash field, named after it",
                        derive.name()
                    ),
                );
                None
            }
            Fields::Unit => {
                errors.at(
                    input.ident.span(),
                    format_args!(
                        "{} needs a struct with named fields; a unit struct has none",
                        derive.name()
                    ),
                );
                None
            }
        },
        Data::Enum(data) => {
            errors.at(
                data.enum_token.span(),
                format_args!(
                    "{} needs a struct with named fields; an enum of unit variants stored as one value derives `ValueEnum`",
                    derive.name()
                ),
            );
            None
        }
        Data::Union(data) => {
            errors.at(
                data.union_token.span(),
                format_args!(
                    "{} needs a struct with named fields, not a union",
                    derive.name()
                ),
            );
            None
        }
    };
    let mut fields = Vec::new();
    // Hash field name -> the Rust field that has it.
    let mut names: HashMap<String, String> = HashMap::new();
    for field in named.into_iter().flat_map(|n| &n.named) {
        let member = field.ident.clone().expect("named field");
        let rust_name = member.to_string().trim_start_matches("r#").to_owned();
        let attrs = field_attrs(&field.attrs, &mut errors);
        let kind = validate_field(
            attrs,
            &field.ty,
            &member,
            &rust_name,
            container.rename_all,
            &mut errors,
        );
        if let FieldKind::Value {
            name, name_span, ..
        } = &kind
        {
            if let Some(other) = names.get(name) {
                errors.at(
                    *name_span,
                    format_args!("hash field name {name:?} is already used by field `{other}`"),
                );
            } else {
                names.insert(name.clone(), rust_name.clone());
            }
        }
        fields.push(Field {
            member,
            rust_name,
            ty: field.ty.clone(),
            kind,
        });
    }
    errors.finish(Struct {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        generics: input.generics.clone(),
        krate,
        fields,
    })
}

/// A field's attributes as written, each with where it was written.
#[derive(Default)]
struct FieldAttrs {
    rename: Option<LitStr>,
    skip: Option<Span>,
    default: Option<(Span, Option<ExprPath>)>,
    json: Option<Span>,
    with: Option<(Span, Path)>,
    flatten: Option<Span>,
    prefix: Option<LitStr>,
}

const FIELD_ATTRS: &[&str] = &[
    "rename", "skip", "default", "json", "with", "flatten", "prefix",
];

fn field_attrs(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for_each_meta(attrs, errors, |meta, errors| {
        let span = meta.path.span();
        let seen = if meta.path.is_ident("rename") {
            out.rename.replace(meta.value()?.parse()?).is_some()
        } else if meta.path.is_ident("skip") {
            out.skip.replace(span).is_some()
        } else if meta.path.is_ident("default") {
            let function = if meta.input.peek(Token![=]) {
                let path = path_value(meta)?;
                Some(ExprPath {
                    attrs: Vec::new(),
                    qself: None,
                    path,
                })
            } else {
                None
            };
            out.default.replace((span, function)).is_some()
        } else if meta.path.is_ident("json") {
            if cfg!(not(feature = "json")) {
                errors.at(
                    span,
                    "`json` fields need the `json` feature of redtyped: redtyped = { version = \"…\", features = [\"json\"] }",
                );
            }
            out.json.replace(span).is_some()
        } else if meta.path.is_ident("with") {
            out.with.replace((span, path_value(meta)?)).is_some()
        } else if meta.path.is_ident("flatten") {
            out.flatten.replace(span).is_some()
        } else if meta.path.is_ident("prefix") {
            out.prefix.replace(meta.value()?.parse()?).is_some()
        } else {
            unknown(errors, meta, "on a field", FIELD_ATTRS)?;
            false
        };
        if seen {
            duplicate(errors, meta);
        }
        Ok(())
    });
    out
}

fn validate_field(
    attrs: FieldAttrs,
    ty: &Type,
    member: &Ident,
    rust_name: &str,
    rename_all: Option<RenameRule>,
    errors: &mut Errors,
) -> FieldKind {
    let default = attrs.default.map(|(span, function)| match function {
        Some(path) => DefaultValue::Function(path),
        None => DefaultValue::Trait(span),
    });
    if attrs.skip.is_some() {
        let others = [
            ("rename", attrs.rename.as_ref().map(|l| l.span())),
            ("json", attrs.json),
            ("with", attrs.with.as_ref().map(|w| w.0)),
            ("flatten", attrs.flatten),
            ("prefix", attrs.prefix.as_ref().map(|l| l.span())),
        ];
        for (name, span) in others {
            if let Some(span) = span {
                errors.at(span, format_args!("`{name}` conflicts with `skip`: a skipped field is neither written nor read"));
            }
        }
        let default = default.unwrap_or(DefaultValue::Trait(member.span()));
        return FieldKind::Skip { default };
    }
    if attrs.flatten.is_some() {
        let others = [
            ("rename", attrs.rename.as_ref().map(|l| l.span())),
            ("json", attrs.json),
            ("with", attrs.with.as_ref().map(|w| w.0)),
            ("default", default.as_ref().map(default_span)),
        ];
        for (name, span) in others {
            if let Some(span) = span {
                errors.at(
                    span,
                    format_args!("`{name}` conflicts with `flatten`: a flattened struct's fields keep their own names and attributes (use `prefix` to rename them all)"),
                );
            }
        }
        let prefix = attrs.prefix.map(|l| l.value()).unwrap_or_default();
        return FieldKind::Flatten { prefix };
    }
    if let Some(prefix) = &attrs.prefix {
        errors.at(prefix.span(), "`prefix` applies to a `flatten` field only");
    }
    let codec = match (attrs.json, attrs.with) {
        (Some(_), Some((with, _))) => {
            errors.at(
                with,
                "`with` conflicts with `json`: each says how the field is stored",
            );
            Codec::Json
        }
        (Some(_), None) => Codec::Json,
        (None, Some((_, path))) => Codec::With(path),
        (None, None) => Codec::Plain,
    };
    let (name, name_span) = match attrs.rename {
        Some(lit) => (lit.value(), lit.span()),
        None => (
            rename_all.map_or_else(
                || rust_name.to_owned(),
                |rule| rule.apply_to_field(rust_name),
            ),
            member.span(),
        ),
    };
    FieldKind::Value {
        name,
        name_span,
        option: option_inner(ty).cloned(),
        codec,
        default,
    }
}

fn default_span(default: &DefaultValue) -> Span {
    match default {
        DefaultValue::Trait(span) => *span,
        DefaultValue::Function(path) => path.span(),
    }
}

/// `T` when `ty` is spelled `Option<T>` (also `std::option::Option<T>`,
/// `core::option::Option<T>`). An alias of `Option` is a plain value.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segments: Vec<_> = path.path.segments.iter().collect();
    let prefix_ok = match segments.len() {
        1 => path.path.leading_colon.is_none(),
        3 => {
            (segments[0].ident == "std" || segments[0].ident == "core")
                && segments[1].ident == "option"
                && segments[..2].iter().all(|s| s.arguments.is_none())
        }
        _ => false,
    };
    let last = segments.last()?;
    if !prefix_ok || last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

/// `tokens` with every span set to `span`, so a path to the runtime inside
/// code spanned to a field keeps the compiler's messages on the field.
pub fn respan(tokens: impl ToTokens, span: Span) -> TokenStream {
    tokens
        .into_token_stream()
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// Whether `ty` mentions one of `params` (so its bounds go on the impl).
pub fn mentions(ty: &Type, params: &[Ident]) -> bool {
    fn walk(tokens: TokenStream, params: &[Ident]) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(i) => params.contains(&i),
            TokenTree::Group(g) => walk(g.stream(), params),
            _ => false,
        })
    }
    !params.is_empty() && walk(ty.to_token_stream(), params)
}

/// Reads `#[derive(ValueEnum)]` input.
pub fn parse_enum(input: &DeriveInput) -> syn::Result<Enum> {
    let mut errors = Errors::default();
    let container = container_attrs(&input.attrs, &mut errors);
    let krate = container
        .krate
        .unwrap_or_else(|| syn::parse_quote!(::redtyped));
    if !input.generics.params.is_empty() {
        errors.at(
            input.generics.span(),
            "ValueEnum takes no generic parameters: a unit variant cannot use them",
        );
    }
    let mut variants = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    match &input.data {
        Data::Enum(data) => {
            for variant in &data.variants {
                if !matches!(variant.fields, Fields::Unit) {
                    errors.at(
                        variant.fields.span(),
                        format_args!(
                            "ValueEnum needs unit variants, stored by name; `{}` holds data",
                            variant.ident
                        ),
                    );
                }
                let mut rename: Option<LitStr> = None;
                for_each_meta(&variant.attrs, &mut errors, |meta, errors| {
                    if meta.path.is_ident("rename") {
                        if rename.replace(meta.value()?.parse()?).is_some() {
                            duplicate(errors, meta);
                        }
                        Ok(())
                    } else {
                        unknown(errors, meta, "on a variant", &["rename"])
                    }
                });
                let rust_name = variant.ident.to_string().trim_start_matches("r#").to_owned();
                let (name, span) = match rename {
                    Some(lit) => (lit.value(), lit.span()),
                    None => (
                        container
                            .rename_all
                            .map_or_else(|| rust_name.clone(), |rule| rule.apply_to_variant(&rust_name)),
                        variant.ident.span(),
                    ),
                };
                if let Some(other) = names.get(&name) {
                    errors.at(span, format_args!("value {name:?} is already used by variant `{other}`"));
                } else {
                    names.insert(name.clone(), rust_name);
                }
                variants.push(Variant {
                    ident: variant.ident.clone(),
                    name,
                });
            }
        }
        Data::Struct(data) => errors.at(
            data.struct_token.span(),
            "ValueEnum needs an enum of unit variants; a struct with named fields derives `ToHash` and `FromHash`",
        ),
        Data::Union(data) => errors.at(data.union_token.span(), "ValueEnum needs an enum of unit variants, not a union"),
    }
    errors.finish(Enum {
        ident: input.ident.clone(),
        krate,
        variants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        syn::parse_str(s).unwrap()
    }

    #[test]
    fn option_is_recognised_by_its_spellings() {
        for s in [
            "Option<u8>",
            "std::option::Option<u8>",
            "core::option::Option<u8>",
        ] {
            assert_eq!(
                option_inner(&ty(s)).map(|t| t.to_token_stream().to_string()),
                Some("u8".into()),
                "{s}"
            );
        }
        for s in [
            "u8",
            "Vec<Option<u8>>",
            "my::Option<u8>",
            "Option",
            "<T as X>::Option<u8>",
        ] {
            assert!(option_inner(&ty(s)).is_none(), "{s}");
        }
    }

    #[test]
    fn mentions_finds_nested_params() {
        let params = [Ident::new("T", Span::call_site())];
        assert!(mentions(&ty("Vec<Option<T>>"), &params));
        assert!(mentions(&ty("[T; 2]"), &params));
        assert!(!mentions(&ty("Vec<Tee>"), &params));
        assert!(!mentions(&ty("T"), &[]));
    }

    #[test]
    fn all_errors_are_collected() {
        let input: DeriveInput = syn::parse_quote! {
            struct S {
                #[redis(bogus, rename = "a")]
                a: u8,
                #[redis(rename = "a", skip, with = m)]
                b: u8,
                #[redis(prefix = "p")]
                c: u8,
                #[redis(rename = "a")]
                d: u8,
                #[redis(rename = "x", rename = "y")]
                e: u8,
            }
        };
        let error = match parse_struct(&input, Derive::ToHash) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e,
        };
        let messages: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 6, "{messages:#?}");
        assert!(messages[0].starts_with("unknown redis attribute `bogus`"));
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("`rename` conflicts with `skip`"))
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("`with` conflicts with `skip`"))
        );
        assert!(messages.iter().any(|m| m.starts_with("`prefix` applies")));
        assert!(
            messages
                .iter()
                .any(|m| m == "hash field name \"a\" is already used by field `a`")
        );
        assert!(messages.iter().any(|m| m == "duplicate `rename` attribute"));
    }
}
