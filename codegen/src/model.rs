//! The validate stage: one command's spec turned into the parts of its Rust
//! form (parameters, fields, builder methods, enums, encoding, reply states),
//! with every rule from the README applied and every conflict reported.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::Error;
use crate::names::{camel, ident, is_word, snake};
use crate::reply::ReplyType;
use crate::spec::{ArgKind, Argument, Command};

/// A command ready to be written out.
pub struct CommandModel {
    /// Full name, `CLIENT SETNAME`.
    pub name: String,
    /// The spec entry, for docs and metadata.
    pub spec: Command,
    /// `client_setname`
    pub fn_ident: Ident,
    /// `ClientSetname`
    pub type_ident: Ident,
    /// Constructor parameters, in spec order.
    pub params: Vec<Param>,
    /// Struct fields (besides the target and the shape marker).
    pub fields: Vec<Field>,
    /// Type parameters holding `multiple` arguments.
    pub iters: Vec<IterParam>,
    /// Methods setting optional `multiple` arguments.
    pub iter_methods: Vec<IterMethod>,
    /// Enums for `oneof` arguments.
    pub enums: Vec<EnumDef>,
    /// Builder methods for optional arguments.
    pub methods: Vec<Method>,
    /// The body of `write_args` (uses `self` and `w`).
    pub encode: TokenStream,
    /// Expressions over `self` that are true when a blocking argument was given.
    pub blocking_checks: Vec<TokenStream>,
    /// Reply states: the base reply first, then each variant in precedence order.
    pub states: Vec<State>,
}

/// A constructor parameter.
pub struct Param {
    pub ident: Ident,
    pub ty: TokenStream,
}

/// A struct field and how the constructor fills it.
pub struct Field {
    pub ident: Ident,
    pub ty: TokenStream,
    pub init: TokenStream,
}

/// A type parameter for a `multiple` argument.
pub struct IterParam {
    pub ident: Ident,
    pub repeated: Repeated,
    /// Optional: starts as an empty iterator, set by a method.
    pub optional: bool,
}

/// The item type of a repeated argument.
pub enum Repeated {
    /// Anything convertible to `Arg`.
    Arg,
    /// A fixed type (`i64`, `f64`, a generated enum).
    Stored(TokenStream),
    /// A tuple per repeated block.
    Tuple(Vec<Element>),
}

/// One element of a repeated block's tuple.
pub enum Element {
    /// Anything convertible to `Arg`; its type parameter is named after the child.
    Arg(String),
    /// A fixed type.
    Stored(TokenStream),
}

impl Repeated {
    /// The element type parameters for an iterator parameter named `iter`.
    pub fn elements(&self, iter: &Ident) -> Vec<Ident> {
        match self {
            Repeated::Tuple(elements) => elements
                .iter()
                .filter_map(|e| match e {
                    Element::Arg(name) => Some(format_ident!("{}{}", iter, name)),
                    Element::Stored(_) => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Where-clause predicates making `iter` an iterator of these items.
    pub fn bounds(&self, iter: &Ident, root: &TokenStream) -> Vec<TokenStream> {
        match self {
            Repeated::Arg => vec![
                quote!(#iter: ::core::iter::IntoIterator),
                quote!(<#iter as ::core::iter::IntoIterator>::Item: ::core::convert::Into<#root::Arg<'a>>),
            ],
            Repeated::Stored(ty) => vec![quote!(#iter: ::core::iter::IntoIterator<Item = #ty>)],
            Repeated::Tuple(elements) => {
                let mut names = self.elements(iter).into_iter();
                let mut bounds = Vec::new();
                let types: Vec<TokenStream> = elements
                    .iter()
                    .map(|e| match e {
                        Element::Arg(_) => {
                            let el = names.next().expect("one name per Arg element");
                            bounds.push(quote!(#el: ::core::convert::Into<#root::Arg<'a>>));
                            quote!(#el)
                        }
                        Element::Stored(ty) => ty.clone(),
                    })
                    .collect();
                bounds.insert(
                    0,
                    quote!(#iter: ::core::iter::IntoIterator<Item = (#(#types,)*)>),
                );
                bounds
            }
        }
    }

    /// The type of an empty iterator of these items (the unset optional argument).
    pub fn empty(&self, root: &TokenStream) -> TokenStream {
        let item = match self {
            Repeated::Arg => quote!(#root::Arg<'a>),
            Repeated::Stored(ty) => ty.clone(),
            Repeated::Tuple(elements) => {
                let types = elements.iter().map(|e| match e {
                    Element::Arg(_) => quote!(#root::Arg<'a>),
                    Element::Stored(ty) => ty.clone(),
                });
                quote!((#(#types,)*))
            }
        };
        quote!(::core::iter::Empty<#item>)
    }
}

/// A method that sets an optional repeated argument, changing its type parameter.
pub struct IterMethod {
    pub ident: Ident,
    pub param: Ident,
    pub field: Ident,
    /// Index into the command's iterator parameters.
    pub iter: usize,
    /// Names and tokens of the argument this method gives (for reply variants).
    pub triggers: Vec<String>,
    pub doc: String,
}

/// An enum for a `oneof`.
pub struct EnumDef {
    pub ident: Ident,
    pub has_lifetime: bool,
    pub variants: Vec<Variant>,
    pub doc: String,
    /// The variant that plain values convert into, when there is exactly one.
    pub from_value: Option<(Ident, Scalar)>,
}

/// One enum variant.
pub struct Variant {
    pub ident: Ident,
    pub fields: Vec<Payload>,
    /// Parameter names for the fields, for builder methods.
    pub names: Vec<String>,
    pub doc: String,
}

/// How a value is held inside a generated enum variant.
#[derive(Clone)]
pub enum Payload {
    /// A fixed token: nothing to hold.
    None,
    /// One value.
    Scalar(Scalar),
    /// A nested `oneof`.
    Enum { ident: Ident, lifetime: bool },
    /// A block's valued children.
    Tuple(Vec<Payload>),
    /// An optional child (`bool` for an optional token).
    Optional(Box<Payload>),
    /// A repeated child.
    Vec(Box<Payload>),
}

impl Payload {
    pub fn has_lifetime(&self) -> bool {
        match self {
            Payload::None => false,
            Payload::Scalar(s) => *s == Scalar::Arg,
            Payload::Enum { lifetime, .. } => *lifetime,
            Payload::Tuple(parts) => parts.iter().any(Payload::has_lifetime),
            Payload::Optional(p) | Payload::Vec(p) => p.has_lifetime(),
        }
    }

    /// The Rust type holding this payload.
    pub fn ty(&self, root: &TokenStream) -> TokenStream {
        match self {
            Payload::None => quote!(()),
            Payload::Scalar(s) => s.stored(root),
            Payload::Enum {
                ident,
                lifetime: true,
            } => quote!(#ident<'a>),
            Payload::Enum {
                ident,
                lifetime: false,
            } => quote!(#ident),
            Payload::Tuple(parts) => {
                let types = parts.iter().map(|p| p.ty(root));
                quote!((#(#types,)*))
            }
            Payload::Optional(inner) if matches!(**inner, Payload::None) => quote!(bool),
            Payload::Optional(inner) => {
                let t = inner.ty(root);
                quote!(::core::option::Option<#t>)
            }
            Payload::Vec(inner) => {
                let t = inner.ty(root);
                quote!(::std::vec::Vec<#t>)
            }
        }
    }

    /// A builder-method parameter for this payload: its type and how it becomes the held value.
    pub fn param(&self, root: &TokenStream, name: &Ident) -> (TokenStream, TokenStream) {
        match self {
            Payload::Scalar(s) => s.param(root, name),
            Payload::Enum { .. } => {
                let t = self.ty(root);
                (
                    quote!(impl ::core::convert::Into<#t>),
                    quote!(::core::convert::Into::into(#name)),
                )
            }
            other => (other.ty(root), quote!(#name)),
        }
    }
}

/// A builder method.
pub struct Method {
    pub ident: Ident,
    pub params: Vec<(Ident, TokenStream)>,
    /// Statements applied to `this`.
    pub body: TokenStream,
    /// Names and tokens of the arguments this method gives (for reply variants).
    pub triggers: Vec<String>,
    pub doc: String,
    /// Giving this argument makes the command block (`x_blocking`).
    pub blocking: bool,
    /// For an option inside an optional block: the block's name (its option
    /// is written only with the block).
    pub requires: Option<String>,
}

/// One reply state.
pub struct State {
    pub reply: ReplyType,
    pub shape: TokenStream,
    pub generics: Vec<Ident>,
    /// The arguments (names or tokens) any of which selects this state; empty for the base state.
    pub when: Vec<String>,
}

/// Argument kinds that carry one value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scalar {
    /// key, string, pattern: anything convertible to `Arg`.
    Arg,
    /// integer, unix-time
    Int,
    /// double
    Double,
}

impl Scalar {
    fn of(kind: ArgKind) -> Option<Scalar> {
        match kind {
            ArgKind::Key | ArgKind::String | ArgKind::Pattern => Some(Scalar::Arg),
            ArgKind::Integer | ArgKind::UnixTime => Some(Scalar::Int),
            ArgKind::Double => Some(Scalar::Double),
            _ => None,
        }
    }

    /// The type a value of this kind is stored as.
    fn stored(self, root: &TokenStream) -> TokenStream {
        match self {
            Scalar::Arg => quote!(#root::Arg<'a>),
            Scalar::Int => quote!(i64),
            Scalar::Double => quote!(f64),
        }
    }

    /// The type a parameter of this kind takes, and how it becomes the stored value.
    fn param(self, root: &TokenStream, name: &Ident) -> (TokenStream, TokenStream) {
        match self {
            Scalar::Arg => (
                quote!(impl ::core::convert::Into<#root::Arg<'a>>),
                quote!(::core::convert::Into::into(#name)),
            ),
            other => (other.stored(root), quote!(#name)),
        }
    }

    /// Statements that write a stored value.
    fn write(self, root: &TokenStream, value: TokenStream) -> TokenStream {
        match self {
            Scalar::Arg => quote!(#root::Arg::write(&#value, w);),
            Scalar::Int => quote!(w.int(#value);),
            Scalar::Double => quote!(w.float(#value);),
        }
    }
}

fn token_write(token: &str) -> TokenStream {
    let lit = Literal::byte_string(token.as_bytes());
    quote!(w.arg(#lit);)
}

fn maybe_token(arg: &Argument) -> TokenStream {
    arg.token.as_deref().map(token_write).unwrap_or_default()
}

/// The name of a method for an argument: `x_name`, else its token when it reads as a word, else its name.
fn method_name(arg: &Argument) -> String {
    if let Some(name) = &arg.x_name {
        return name.clone();
    }
    match &arg.token {
        Some(token) if is_word(token) => snake(token),
        _ => snake(&arg.name),
    }
}

/// What a reply variant's `when` may call an argument: its name, and its token
/// when it has one (siblings the server names alike, such as SORT's `BY pattern`
/// and `GET pattern`, differ by token).
fn identities(arg: &Argument) -> impl Iterator<Item = String> + '_ {
    std::iter::once(arg.name.clone()).chain(arg.token.clone().filter(|t| !t.is_empty()))
}

/// The name of a parameter for an argument: `x_name`, else its name.
fn param_name(arg: &Argument) -> String {
    arg.x_name.clone().unwrap_or_else(|| snake(&arg.name))
}

/// Syntax of an optional argument as it is written when given: without the
/// brackets that mark it optional (`GET pattern [GET pattern ...]`).
fn given_syntax(arg: &Argument) -> String {
    let text = syntax(arg);
    match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(inner) if arg.optional => inner.to_string(),
        _ => text,
    }
}

/// Syntax of one argument as Redis documents it, for docs.
pub fn syntax(arg: &Argument) -> String {
    let inner = match arg.kind {
        ArgKind::PureToken => arg.token.clone().unwrap_or_else(|| arg.name.clone()),
        ArgKind::Oneof => {
            let members: Vec<String> = arg.arguments.iter().map(syntax).collect();
            let body = members.join(" | ");
            match &arg.token {
                Some(t) => format!("{t} <{body}>"),
                None if arg.optional => body,
                None => format!("<{body}>"),
            }
        }
        ArgKind::Block => {
            let members: Vec<String> = arg.arguments.iter().map(syntax).collect();
            match &arg.token {
                Some(t) => format!("{t} {}", members.join(" ")),
                None => members.join(" "),
            }
        }
        _ => match &arg.token {
            Some(t) => format!("{t} {}", arg.name),
            None => arg.name.clone(),
        },
    };
    let repeated = if arg.multiple {
        let again = if arg.multiple_token {
            inner.clone()
        } else {
            match (&arg.token, arg.kind) {
                (Some(t), k) if k != ArgKind::PureToken => inner
                    .strip_prefix(&format!("{t} "))
                    .unwrap_or(&inner)
                    .to_string(),
                _ => inner.clone(),
            }
        };
        format!("{inner} [{again} ...]")
    } else {
        inner
    };
    if arg.optional {
        format!("[{repeated}]")
    } else {
        repeated
    }
}

struct Builder<'s> {
    command: &'s str,
    type_name: String,
    root: TokenStream,
    params: Vec<Param>,
    fields: Vec<Field>,
    iters: Vec<IterParam>,
    iter_methods: Vec<IterMethod>,
    enums: Vec<EnumDef>,
    methods: Vec<Method>,
    blocking_checks: Vec<TokenStream>,
    field_names: BTreeSet<String>,
}

impl Builder<'_> {
    fn error(&self, reason: impl Into<String>) -> Error {
        Error::Command {
            command: self.command.to_string(),
            reason: reason.into(),
        }
    }

    fn field_ident(&mut self, base: &str) -> Ident {
        let mut name = snake(base);
        let mut n = 2;
        while !self.field_names.insert(name.clone()) {
            name = format!("{}_{n}", snake(base));
            n += 1;
        }
        ident(&name)
    }

    fn add_param(&mut self, arg: &Argument, ty: TokenStream) -> Result<Ident, Error> {
        let name = param_name(arg);
        let id = ident(&name);
        if self.params.iter().any(|p| p.ident == id) {
            return Err(self.error(format!("two parameters named `{name}`: add x_name to one")));
        }
        self.params.push(Param {
            ident: id.clone(),
            ty,
        });
        Ok(id)
    }

    fn add_method(&mut self, method: Method) -> Result<(), Error> {
        if self.methods.iter().any(|m| m.ident == method.ident) {
            return Err(self.error(format!(
                "two builder methods named `{}`: add x_name to one of the arguments",
                method.ident
            )));
        }
        self.methods.push(method);
        Ok(())
    }

    /// A required argument: a parameter (or a fixed token), written every time.
    fn required(&mut self, arg: &Argument) -> Result<TokenStream, Error> {
        let root = self.root.clone();
        if arg.multiple {
            return self.required_multiple(arg);
        }
        match arg.kind {
            ArgKind::PureToken => Ok(maybe_token(arg)),
            ArgKind::Oneof => {
                let def = self.oneof_enum(arg)?;
                let enum_ident = def.ident.clone();
                let lt = if def.has_lifetime {
                    quote!(<'a>)
                } else {
                    quote!()
                };
                let write = self.match_oneof(arg, &def, quote!(v))?;
                self.enums.push(def);
                let field = self.field_ident(&arg.name);
                let p = self.add_param(arg, quote!(impl ::core::convert::Into<#enum_ident #lt>))?;
                self.fields.push(Field {
                    ident: field.clone(),
                    ty: quote!(#enum_ident #lt),
                    init: quote!(::core::convert::Into::into(#p)),
                });
                let token = maybe_token(arg);
                Ok(quote!(#token let v = self.#field; #write))
            }
            ArgKind::Block => {
                let mut out = maybe_token(arg);
                for child in &arg.arguments {
                    out.extend(if child.optional {
                        self.optional(child, &[])?
                    } else {
                        self.required(child)?
                    });
                }
                Ok(out)
            }
            kind => {
                let scalar = Scalar::of(kind).expect("scalar kinds");
                let field = self.field_ident(&arg.name);
                let id = ident(&param_name(arg));
                let (ty, init) = scalar.param(&root, &id);
                self.add_param(arg, ty)?;
                self.fields.push(Field {
                    ident: field.clone(),
                    ty: scalar.stored(&root),
                    init,
                });
                let token = maybe_token(arg);
                let write = scalar.write(&root, quote!(self.#field));
                Ok(quote!(#token #write))
            }
        }
    }

    /// A repeated argument's item: its type (for bounds) and how one item is written
    /// (as statements over `item`).
    fn repeated(&mut self, arg: &Argument) -> Result<(Repeated, TokenStream), Error> {
        let root = self.root.clone();
        match arg.kind {
            ArgKind::Block => {
                let mut pattern = Vec::new();
                let mut elements = Vec::new();
                let mut writes = TokenStream::new();
                for child in &arg.arguments {
                    if child.optional || child.multiple {
                        return Err(self.error(format!(
                            "argument `{}`: optional or multiple arguments inside a multiple block are not supported",
                            child.name
                        )));
                    }
                    if child.kind == ArgKind::PureToken {
                        writes.extend(maybe_token(child));
                        continue;
                    }
                    let scalar = Scalar::of(child.kind).ok_or_else(|| {
                        self.error(format!(
                            "argument `{}`: only plain values are supported inside a multiple block",
                            child.name
                        ))
                    })?;
                    let var = format_ident!("{}", snake(&child.name));
                    writes.extend(maybe_token(child));
                    match scalar {
                        Scalar::Arg => {
                            elements.push(Element::Arg(camel(&child.name)));
                            writes.extend(quote!(#root::Arg::write(&::core::convert::Into::<#root::Arg<'a>>::into(#var), w);));
                        }
                        other => {
                            elements.push(Element::Stored(other.stored(&root)));
                            writes.extend(other.write(&root, quote!(#var)));
                        }
                    }
                    pattern.push(var);
                }
                Ok((
                    Repeated::Tuple(elements),
                    quote!(let (#(#pattern,)*) = item; #writes),
                ))
            }
            ArgKind::Oneof => {
                let def = self.oneof_enum(arg)?;
                let enum_ident = def.ident.clone();
                let lt = if def.has_lifetime {
                    quote!(<'a>)
                } else {
                    quote!()
                };
                let write = self.match_oneof(arg, &def, quote!(item))?;
                self.enums.push(def);
                Ok((Repeated::Stored(quote!(#enum_ident #lt)), write))
            }
            ArgKind::PureToken => {
                Err(self.error(format!("argument `{}`: repeated pure token", arg.name)))
            }
            kind => match Scalar::of(kind).expect("scalar kinds") {
                Scalar::Arg => Ok((
                    Repeated::Arg,
                    quote!(#root::Arg::write(&::core::convert::Into::<#root::Arg<'a>>::into(item), w);),
                )),
                other => Ok((
                    Repeated::Stored(other.stored(&root)),
                    other.write(&root, quote!(item)),
                )),
            },
        }
    }

    /// A repeated block of one plain value (CONFIG GET's `parameter`) is a plain
    /// repeated value: `config_get(["maxmemory"])`, not a list of 1-tuples.
    fn flatten_single(arg: &Argument) -> Option<Argument> {
        match arg.arguments.as_slice() {
            [only]
                if arg.kind == ArgKind::Block
                    && Scalar::of(only.kind).is_some()
                    && only.token.is_none()
                    && !only.optional
                    && !only.multiple =>
            {
                let mut flat = arg.clone();
                flat.kind = only.kind;
                flat.arguments.clear();
                Some(flat)
            }
            _ => None,
        }
    }

    fn repeat_writes(
        arg: &Argument,
        field: &Ident,
        item_write: TokenStream,
        items: TokenStream,
    ) -> TokenStream {
        let (once, each) = match (&arg.token, arg.multiple_token) {
            (Some(t), true) => (TokenStream::new(), token_write(t)),
            (Some(t), false) => (token_write(t), TokenStream::new()),
            (None, _) => (TokenStream::new(), TokenStream::new()),
        };
        let _ = field;
        quote! {
            #once
            for item in #items { #each #item_write }
        }
    }

    fn required_multiple(&mut self, arg: &Argument) -> Result<TokenStream, Error> {
        if let Some(flat) = Self::flatten_single(arg) {
            return self.required_multiple(&flat);
        }
        let iter = format_ident!("I{}", camel(&arg.name));
        let (repeated, item_write) = self.repeated(arg)?;
        let field = self.field_ident(&arg.name);
        let p = self.add_param(arg, quote!(#iter))?;
        self.fields.push(Field {
            ident: field.clone(),
            ty: quote!(#iter),
            init: quote!(#p),
        });
        self.iters.push(IterParam {
            ident: iter,
            repeated,
            optional: false,
        });
        Ok(Self::repeat_writes(
            arg,
            &field,
            item_write,
            quote!(self.#field),
        ))
    }

    /// An optional repeated argument: a type parameter that starts as an empty
    /// iterator and is replaced by the caller's iterator when the method is called.
    fn optional_multiple(
        &mut self,
        arg: &Argument,
        triggers: &[String],
    ) -> Result<TokenStream, Error> {
        if let Some(flat) = Self::flatten_single(arg) {
            return self.optional_multiple(&flat, triggers);
        }
        if !triggers.is_empty() {
            return Err(self.error(format!(
                "argument `{}`: a repeated argument inside an optional group",
                arg.name
            )));
        }
        let iter = format_ident!("I{}", camel(&arg.name));
        let (repeated, item_write) = self.repeated(arg)?;
        let field = self.field_ident(&arg.name);
        self.fields.push(Field {
            ident: field.clone(),
            ty: quote!(::core::option::Option<#iter>),
            init: quote!(::core::option::Option::None),
        });
        self.iter_methods.push(IterMethod {
            ident: ident(&method_name(arg)),
            param: ident(&param_name(arg)),
            field: field.clone(),
            iter: self.iters.len(),
            triggers: identities(arg).collect(),
            doc: format!("Adds `{}`.", given_syntax(arg)),
        });
        self.iters.push(IterParam {
            ident: iter,
            repeated,
            optional: true,
        });
        let writes = Self::repeat_writes(arg, &field, item_write, quote!(items));
        Ok(quote!(if let ::core::option::Option::Some(items) = self.#field { #writes }))
    }

    /// How a node's value is held inside an enum variant (see [`Payload`]),
    /// making the enums of nested `oneof`s on the way. `path` names the enum.
    fn payload(&mut self, arg: &Argument, path: &str, in_oneof: bool) -> Result<Payload, Error> {
        let root = self.root.clone();
        let single = match arg.kind {
            ArgKind::PureToken => Payload::None,
            ArgKind::Oneof => {
                let def = self.enum_def(arg, path)?;
                let p = Payload::Enum {
                    ident: def.ident.clone(),
                    lifetime: def.has_lifetime,
                };
                self.enums.push(def);
                p
            }
            ArgKind::Block => {
                let mut parts = Vec::new();
                for child in &arg.arguments {
                    let child_path = format!("{path}{}", camel(&child.name));
                    let p = self.payload(child, &child_path, false)?;
                    if !matches!(p, Payload::None) {
                        parts.push(p);
                    }
                }
                Payload::Tuple(parts)
            }
            kind => Payload::Scalar(Scalar::of(kind).expect("scalar kinds")),
        };
        let _ = root;
        let repeated = if arg.multiple {
            Payload::Vec(Box::new(single))
        } else {
            single
        };
        // A oneof's members are alternatives: the server's `optional` flag on them means nothing.
        Ok(if arg.optional && !in_oneof {
            Payload::Optional(Box::new(repeated))
        } else {
            repeated
        })
    }

    /// An enum for a `oneof`, one variant per member; nested `oneof`s get enums of their own.
    fn enum_def(&mut self, arg: &Argument, path: &str) -> Result<EnumDef, Error> {
        let ident = format_ident!("{}", path);
        let mut variants: Vec<Variant> = Vec::new();
        let mut value_members = Vec::new();
        for member in &arg.arguments {
            let mut name = camel(&method_name(member));
            let mut n = 2;
            while variants.iter().any(|v| v.ident == name) {
                name = format!("{}{n}", camel(&method_name(member)));
                n += 1;
            }
            let v_ident = format_ident!("{}", name);
            let payload = self.payload(member, &format!("{path}{name}"), true)?;
            let fields = match payload {
                Payload::None => Vec::new(),
                Payload::Tuple(parts) => parts,
                other => vec![other],
            };
            if let [Payload::Scalar(s)] = fields.as_slice() {
                if member.kind != ArgKind::Block {
                    value_members.push((v_ident.clone(), *s));
                }
            }
            let names: Vec<String> = match member.kind {
                ArgKind::Block => member
                    .arguments
                    .iter()
                    .filter(|c| !(c.kind == ArgKind::PureToken && !c.optional && !c.multiple))
                    .map(param_name)
                    .collect(),
                _ => vec![param_name(member)],
            };
            variants.push(Variant {
                ident: v_ident,
                fields,
                names,
                doc: format!("`{}`", syntax(member)),
            });
        }
        let has_lifetime = variants
            .iter()
            .flat_map(|v| &v.fields)
            .any(Payload::has_lifetime);
        let from_value = if value_members.len() == 1 {
            value_members.pop()
        } else {
            None
        };
        Ok(EnumDef {
            ident,
            has_lifetime,
            variants,
            doc: format!("`{}`", syntax(arg)),
            from_value,
        })
    }

    /// An enum for a `oneof` of this command, named after the command and the argument.
    fn oneof_enum(&mut self, arg: &Argument) -> Result<EnumDef, Error> {
        let path = format!("{}{}", self.type_name, camel(&arg.name));
        self.enum_def(arg, &path)
    }

    /// Statements writing `value`, held as `payload`, for `arg` (its token included).
    fn write_payload(
        &self,
        arg: &Argument,
        payload: &Payload,
        value: TokenStream,
        depth: usize,
    ) -> TokenStream {
        let root = &self.root;
        let token = maybe_token(arg);
        match payload {
            Payload::Optional(inner) => {
                if matches!(**inner, Payload::None) {
                    quote!(if #value { #token })
                } else {
                    let v = format_ident!("o{}", depth);
                    let write = self.write_payload(arg, inner, quote!(#v), depth + 1);
                    quote!(if let ::core::option::Option::Some(#v) = #value { #write })
                }
            }
            Payload::Vec(inner) => {
                let v = format_ident!("e{}", depth);
                let (once, each) = if arg.multiple_token {
                    (quote!(), token)
                } else {
                    (token, quote!())
                };
                let mut single = arg.clone();
                single.token = None;
                let write = self.write_payload(&single, inner, quote!(#v), depth + 1);
                quote!(#once for #v in #value { #each #write })
            }
            Payload::None => token,
            Payload::Scalar(s) => {
                let write = s.write(root, value);
                quote!(#token #write)
            }
            Payload::Enum {
                ident: enum_ident, ..
            } => {
                let def = self
                    .enums
                    .iter()
                    .find(|e| &e.ident == enum_ident)
                    .expect("enum made with its payload");
                self.write_enum(arg, def, value, depth)
            }
            Payload::Tuple(parts) => {
                let vars: Vec<Ident> = (0..parts.len())
                    .map(|i| format_ident!("t{}_{}", depth, i))
                    .collect();
                let body = self.write_fields(arg, parts, &vars, depth + 1);
                quote!(let (#(#vars,)*) = #value; #body)
            }
        }
    }

    /// Statements writing a value of the enum `def` made for `arg`.
    fn write_enum(
        &self,
        arg: &Argument,
        def: &EnumDef,
        value: TokenStream,
        depth: usize,
    ) -> TokenStream {
        let enum_ident = &def.ident;
        let token = maybe_token(arg);
        let arms = arg
            .arguments
            .iter()
            .zip(&def.variants)
            .map(|(member, variant)| {
                let v = &variant.ident;
                let vars: Vec<Ident> = (0..variant.fields.len())
                    .map(|i| format_ident!("f{}_{}", depth, i))
                    .collect();
                let body = self.write_fields(member, &variant.fields, &vars, depth + 1);
                if vars.is_empty() {
                    quote!(#enum_ident::#v => { #body })
                } else {
                    quote!(#enum_ident::#v(#(#vars),*) => { #body })
                }
            });
        quote!(#token match #value { #(#arms)* })
    }

    /// Statements writing a member held as separate fields `vars` (an enum variant's):
    /// a block's children in order, or the member itself.
    fn write_fields(
        &self,
        member: &Argument,
        fields: &[Payload],
        vars: &[Ident],
        depth: usize,
    ) -> TokenStream {
        if member.kind != ArgKind::Block || member.multiple {
            return match (fields, vars) {
                ([], _) => maybe_token(member),
                ([p], [v]) => {
                    let mut m = member.clone();
                    m.optional = false;
                    self.write_payload(&m, p, quote!(#v), depth)
                }
                _ => unreachable!("a non-block member has at most one field"),
            };
        }
        let mut out = maybe_token(member);
        let mut next = fields.iter().zip(vars);
        for child in &member.arguments {
            if child.kind == ArgKind::PureToken && !child.optional && !child.multiple {
                out.extend(maybe_token(child));
                continue;
            }
            let (p, v) = next.next().expect("one field per valued child");
            out.extend(self.write_payload(child, p, quote!(#v), depth));
        }
        out
    }

    /// Statements writing a oneof value held in `value`.
    fn match_oneof(
        &self,
        arg: &Argument,
        def: &EnumDef,
        value: TokenStream,
    ) -> Result<TokenStream, Error> {
        Ok(self.write_enum(arg, def, value, 0))
    }

    /// An optional argument: a field, builder methods, and a guarded write.
    /// `triggers` are names of enclosing arguments that these methods also give.
    fn optional(&mut self, arg: &Argument, triggers: &[String]) -> Result<TokenStream, Error> {
        let methods_before = self.methods.len();
        let fields_before = self.fields.len();
        let write = self.optional_inner(arg, triggers)?;
        if arg.x_blocking {
            for m in &mut self.methods[methods_before..] {
                m.blocking = true;
                m.doc
                    .push_str(" Blocks the connection: not offered on the shared client.");
            }
            let field = &self.fields[fields_before];
            let f = &field.ident;
            self.blocking_checks
                .push(if field.ty.to_string() == "bool" {
                    quote!(self.#f)
                } else {
                    quote!(self.#f.is_some())
                });
        }
        Ok(write)
    }

    fn optional_inner(
        &mut self,
        arg: &Argument,
        triggers: &[String],
    ) -> Result<TokenStream, Error> {
        let root = self.root.clone();
        if arg.multiple {
            return self.optional_multiple(arg, triggers);
        }
        // `[ID client-id [client-id ...]]`: a token before one repeated value is an
        // optional repeated value with that token.
        if let [only] = arg.arguments.as_slice() {
            if arg.kind == ArgKind::Block
                && only.multiple
                && !only.optional
                && only.token.is_none()
                && Scalar::of(only.kind).is_some()
            {
                let mut flat = only.clone();
                flat.name = arg.name.clone();
                flat.token = arg.token.clone();
                flat.x_name = arg.x_name.clone().or_else(|| only.x_name.clone());
                flat.optional = true;
                return self.optional_multiple(&flat, triggers);
            }
        }
        let mut own_triggers = triggers.to_vec();
        own_triggers.extend(identities(arg));
        let field = self.field_ident(&arg.name);
        let token = maybe_token(arg);
        match arg.kind {
            ArgKind::PureToken => {
                self.fields.push(Field {
                    ident: field.clone(),
                    ty: quote!(bool),
                    init: quote!(false),
                });
                self.add_method(Method {
                    ident: ident(&method_name(arg)),
                    params: vec![],
                    body: quote!(this.#field = true;),
                    triggers: own_triggers,
                    blocking: false,
                    requires: None,
                    doc: format!("Adds `{}`.", given_syntax(arg)),
                })?;
                Ok(quote!(if self.#field { #token }))
            }
            ArgKind::Oneof => {
                let def = self.oneof_enum(arg)?;
                let enum_ident = def.ident.clone();
                let lt = if def.has_lifetime {
                    quote!(<'a>)
                } else {
                    quote!()
                };
                for (member, variant) in arg.arguments.iter().zip(&def.variants) {
                    let v = &variant.ident;
                    let mut params = Vec::new();
                    let mut values = Vec::new();
                    for (payload, name) in variant.fields.iter().zip(&variant.names) {
                        let p = ident(&snake(name));
                        let (ty, init) = payload.param(&root, &p);
                        params.push((p, ty));
                        values.push(init);
                    }
                    let value = if values.is_empty() {
                        quote!(#enum_ident::#v)
                    } else {
                        quote!(#enum_ident::#v(#(#values),*))
                    };
                    let mut t = own_triggers.clone();
                    t.extend(identities(member));
                    self.add_method(Method {
                        ident: ident(&method_name(member)),
                        params,
                        body: quote!(this.#field = ::core::option::Option::Some(#value);),
                        triggers: t,
                        blocking: false,
                        requires: None,
                        doc: format!("Adds `{}`.", syntax(member)),
                    })?;
                }
                let write = self.match_oneof(arg, &def, quote!(v))?;
                self.enums.push(def);
                self.fields.push(Field {
                    ident: field.clone(),
                    ty: quote!(::core::option::Option<#enum_ident #lt>),
                    init: quote!(::core::option::Option::None),
                });
                Ok(quote!(if let ::core::option::Option::Some(v) = self.#field { #write }))
            }
            ArgKind::Block => self.optional_block(arg, field, &own_triggers),
            kind => {
                let s = Scalar::of(kind).expect("scalar kinds");
                let p = ident(&param_name(arg));
                let (ty, init) = s.param(&root, &p);
                let stored = s.stored(&root);
                self.fields.push(Field {
                    ident: field.clone(),
                    ty: quote!(::core::option::Option<#stored>),
                    init: quote!(::core::option::Option::None),
                });
                self.add_method(Method {
                    ident: ident(&method_name(arg)),
                    params: vec![(p, ty)],
                    body: quote!(this.#field = ::core::option::Option::Some(#init);),
                    triggers: own_triggers,
                    blocking: false,
                    requires: None,
                    doc: format!("Adds `{}`.", given_syntax(arg)),
                })?;
                let write = s.write(&root, quote!(v));
                Ok(quote!(if let ::core::option::Option::Some(v) = self.#field { #token #write }))
            }
        }
    }

    /// An optional block: its required children are stored together and set
    /// by one method (or one per token when it starts with a oneof of tokens);
    /// its optional children are fields of their own, written only with the block.
    fn optional_block(
        &mut self,
        arg: &Argument,
        field: Ident,
        triggers: &[String],
    ) -> Result<TokenStream, Error> {
        let root = self.root.clone();
        let required: Vec<&Argument> = arg.arguments.iter().filter(|c| !c.optional).collect();
        let leading_tokens = match required.first() {
            Some(first) if first.kind == ArgKind::Oneof && !first.multiple => {
                first.arguments.iter().all(|m| m.kind == ArgKind::PureToken)
            }
            _ => false,
        };
        // Stored tuple: one slot per required child that carries a value.
        let mut slot_types = Vec::new();
        let mut leading_enum = None;
        for (i, child) in required.iter().enumerate() {
            if child.multiple {
                return Err(self.error(format!(
                    "argument `{}`: multiple argument inside an optional block",
                    child.name
                )));
            }
            match child.kind {
                ArgKind::PureToken => {}
                ArgKind::Oneof => {
                    let def = self.oneof_enum(child)?;
                    let id = def.ident.clone();
                    let lt = if def.has_lifetime {
                        quote!(<'a>)
                    } else {
                        quote!()
                    };
                    slot_types.push(quote!(#id #lt));
                    if i == 0 && leading_tokens {
                        leading_enum = Some(def);
                    } else {
                        self.enums.push(def);
                    }
                }
                ArgKind::Block => {
                    return Err(self.error(format!(
                        "argument `{}`: block inside an optional block",
                        child.name
                    )));
                }
                kind => slot_types.push(Scalar::of(kind).expect("scalar kinds").stored(&root)),
            }
        }
        // Parameters and stored values for the required children (after the leading oneof, if any).
        let skip = usize::from(leading_tokens);
        let mut params = Vec::new();
        let mut values = Vec::new();
        for child in required.iter().skip(skip) {
            match child.kind {
                ArgKind::PureToken => {}
                ArgKind::Oneof => {
                    let p = ident(&param_name(child));
                    let def_ident = format_ident!("{}{}", self.type_name, camel(&child.name));
                    let def = self
                        .enums
                        .iter()
                        .find(|e| e.ident == def_ident)
                        .expect("enum just made");
                    let lt = if def.has_lifetime {
                        quote!(<'a>)
                    } else {
                        quote!()
                    };
                    params.push((
                        p.clone(),
                        quote!(impl ::core::convert::Into<#def_ident #lt>),
                    ));
                    values.push(quote!(::core::convert::Into::into(#p)));
                }
                kind => {
                    let s = Scalar::of(kind).expect("scalar kinds");
                    let p = ident(&param_name(child));
                    let (ty, init) = s.param(&root, &p);
                    params.push((p, ty));
                    values.push(init);
                }
            }
        }
        let mut t = triggers.to_vec();
        let first_method = self.methods.len();
        if let Some(def) = &leading_enum {
            let oneof = required[0];
            t.extend(identities(oneof));
            for (member, variant) in oneof.arguments.iter().zip(&def.variants) {
                let v = &variant.ident;
                let enum_ident = &def.ident;
                let mut mt = t.clone();
                mt.extend(identities(member));
                self.add_method(Method {
                    ident: ident(&method_name(member)),
                    params: params.clone(),
                    body: quote!(this.#field = ::core::option::Option::Some((#enum_ident::#v, #(#values,)*));),
                    triggers: mt,
                    blocking: false,
                requires: None,
                doc: format!("Adds `{}`.", given_syntax(arg)),
                })?;
            }
        } else {
            self.add_method(Method {
                ident: ident(&method_name(arg)),
                params,
                body: quote!(this.#field = ::core::option::Option::Some((#(#values,)*));),
                triggers: t.clone(),
                blocking: false,
                requires: None,
                doc: format!("Adds `{}`.", given_syntax(arg)),
            })?;
        }
        // The write, in spec order: required children from the tuple, optional ones from their fields.
        let block_methods: Vec<String> = self.methods[first_method..]
            .iter()
            .map(|m| format!("`.{}()`", m.ident.to_string().trim_start_matches("r#")))
            .collect();
        let mut writes = maybe_token(arg);
        let mut slot = 0usize;
        let mut vars = Vec::new();
        for child in &arg.arguments {
            if child.optional {
                let before = self.methods.len();
                writes.extend(self.optional(child, &[])?);
                for m in &mut self.methods[before..] {
                    m.doc.push_str(&format!(
                        " Written only together with {}.",
                        block_methods.join(" or ")
                    ));
                }
                continue;
            }
            match child.kind {
                ArgKind::PureToken => writes.extend(maybe_token(child)),
                ArgKind::Oneof => {
                    let var = format_ident!("slot{}", slot);
                    slot += 1;
                    let def = match &leading_enum {
                        Some(d) if vars.is_empty() => d,
                        _ => {
                            let def_ident =
                                format_ident!("{}{}", self.type_name, camel(&child.name));
                            self.enums
                                .iter()
                                .find(|e| e.ident == def_ident)
                                .expect("enum made above")
                        }
                    };
                    writes.extend(self.match_oneof(child, def, quote!(#var))?);
                    vars.push(var);
                }
                kind => {
                    let var = format_ident!("slot{}", slot);
                    slot += 1;
                    writes.extend(maybe_token(child));
                    writes.extend(
                        Scalar::of(kind)
                            .expect("scalar kinds")
                            .write(&root, quote!(#var)),
                    );
                    vars.push(var);
                }
            }
        }
        if let Some(def) = leading_enum {
            self.enums.push(def);
        }
        self.fields.push(Field {
            ident: field.clone(),
            ty: quote!(::core::option::Option<(#(#slot_types,)*)>),
            init: quote!(::core::option::Option::None),
        });
        Ok(quote!(if let ::core::option::Option::Some((#(#vars,)*)) = self.#field { #writes }))
    }
}

impl CommandModel {
    /// Builds the model for one command, checking every rule.
    pub fn build(
        name: &str,
        spec: &Command,
        records: &crate::record::RecordIndex,
    ) -> Result<CommandModel, Error> {
        let known = |n: &str| records.lookup(n);
        let root = quote!(crate);
        let type_name = camel(name);
        let mut b = Builder {
            command: name,
            type_name: type_name.clone(),
            root,
            params: Vec::new(),
            fields: Vec::new(),
            iters: Vec::new(),
            iter_methods: Vec::new(),
            enums: Vec::new(),
            blocking_checks: Vec::new(),
            methods: Vec::new(),
            field_names: ["__target", "__shape"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        // `x_type` overrides the server's kind for the Rust parameter.
        fn retype(args: &mut [Argument]) {
            for a in args {
                if let Some(kind) = a.x_type {
                    a.kind = kind;
                }
                retype(&mut a.arguments);
            }
        }
        let mut arguments = spec.all_arguments();
        retype(&mut arguments);
        let mut encode = TokenStream::new();
        for word in name.split(' ') {
            encode.extend(token_write(word));
        }
        for arg in &arguments {
            encode.extend(if arg.optional {
                b.optional(arg, &[])?
            } else {
                b.required(arg)?
            });
        }

        let mut method_names = BTreeSet::new();
        for name in b
            .methods
            .iter()
            .map(|m| &m.ident)
            .chain(b.iter_methods.iter().map(|m| &m.ident))
        {
            if !method_names.insert(name.to_string()) {
                return Err(b.error(format!(
                    "two builder methods named `{name}`: add x_name to one of the arguments"
                )));
            }
        }
        let base = spec
            .x_reply
            .as_deref()
            .ok_or_else(|| b.error("no x_reply annotation"))?;
        let mut states = Vec::new();
        let base = ReplyType::parse_with(base, &known)?;
        let (shape, generics) = base.shape(&quote!(crate));
        states.push(State {
            reply: base,
            shape,
            generics,
            when: Vec::new(),
        });
        for variant in &spec.x_reply_variants {
            let given = |triggers: &[String]| triggers.contains(&variant.when);
            if !b.methods.iter().any(|m| given(&m.triggers))
                && !b.iter_methods.iter().any(|m| given(&m.triggers))
            {
                return Err(b.error(format!(
                    "reply variant `when: {}` names no optional argument",
                    variant.when
                )));
            }
            let reply = ReplyType::parse_with(&variant.reply, &known)?;
            let (shape, generics) = reply.shape(&quote!(crate));
            // Consecutive variants with one reply are one state that any of
            // their arguments selects (GEOSEARCH's WITHCOORD, WITHDIST, WITHHASH).
            if let [_, .., last] = states.as_mut_slice() {
                if last.shape.to_string() == shape.to_string() {
                    last.when.push(variant.when.clone());
                    continue;
                }
            }
            if states
                .iter()
                .any(|s| s.shape.to_string() == shape.to_string())
            {
                return Err(b.error(format!(
                    "reply variant `{}` repeats an earlier reply type",
                    variant.when
                )));
            }
            states.push(State {
                reply,
                shape,
                generics,
                when: vec![variant.when.clone()],
            });
        }

        Ok(CommandModel {
            name: name.to_string(),
            spec: spec.clone(),
            fn_ident: ident(&snake(name)),
            type_ident: Ident::new(&type_name, Span::call_site()),
            params: b.params,
            fields: b.fields,
            iters: b.iters,
            iter_methods: b.iter_methods,
            enums: b.enums,
            methods: b.methods,
            encode,
            blocking_checks: b.blocking_checks,
            states,
        })
    }

    /// True when method `m` may be called in state `state`: an option inside an
    /// optional block that selects its own reply is offered only once the block
    /// was given (HRANDFIELD's WITHVALUES needs COUNT), when the block selects a
    /// reply of its own.
    pub fn offered_in(&self, m: &Method, state: usize) -> bool {
        let Some(block) = &m.requires else {
            return true;
        };
        if !self
            .states
            .iter()
            .any(|s| s.when.iter().any(|w| w == block))
        {
            return true;
        }
        self.states[state]
            .when
            .iter()
            .any(|w| w == block || m.triggers.contains(w))
    }

    /// The highest-precedence state that giving an argument with these
    /// triggers selects, if it selects one.
    pub fn selected_state(&self, triggers: &[String]) -> Option<usize> {
        self.states
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, s)| s.when.iter().any(|w| triggers.contains(w)))
            .map(|(i, _)| i)
            .max()
    }

    /// The state a builder method selects, if it selects one.
    pub fn method_state(&self, method: &Method) -> Option<usize> {
        self.selected_state(&method.triggers)
    }

    /// The names (`.withscores()`) of the builder methods that select a state.
    pub fn selecting_methods(&self, state: usize) -> Vec<String> {
        let methods = self.methods.iter().map(|m| (&m.ident, &m.triggers));
        let iter_methods = self.iter_methods.iter().map(|m| (&m.ident, &m.triggers));
        methods
            .chain(iter_methods)
            .filter(|(_, triggers)| self.selected_state(triggers) == Some(state))
            .map(|(ident, _)| format!("`.{}()`", ident.to_string().trim_start_matches("r#")))
            .collect()
    }

    /// The command's syntax line: `SET key value [NX | XX] …`.
    pub fn syntax(&self) -> String {
        let mut parts = vec![self.name.clone()];
        parts.extend(self.spec.all_arguments().iter().map(syntax));
        parts.join(" ")
    }
}
