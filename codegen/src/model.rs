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
    /// Enums for `oneof` arguments.
    pub enums: Vec<EnumDef>,
    /// Builder methods for optional arguments.
    pub methods: Vec<Method>,
    /// The body of `write_args` (uses `self` and `w`).
    pub encode: TokenStream,
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

/// A type parameter for a `multiple` argument, with its bounds.
pub struct IterParam {
    pub ident: Ident,
    /// Extra type parameters for tuple elements (`(f64, EMember)`).
    pub elements: Vec<Ident>,
    /// Where-clause predicates.
    pub bounds: Vec<TokenStream>,
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
    pub fields: Vec<TokenStream>,
    pub doc: String,
}

/// A builder method.
pub struct Method {
    pub ident: Ident,
    pub params: Vec<(Ident, TokenStream)>,
    /// Statements applied to `this`.
    pub body: TokenStream,
    /// Names of the arguments this method gives (for reply variants).
    pub triggers: Vec<String>,
    pub doc: String,
}

/// One reply state.
pub struct State {
    pub reply: ReplyType,
    pub shape: TokenStream,
    pub generics: Vec<Ident>,
    /// The argument that selects this state (none for the base state).
    pub when: Option<String>,
}

/// Argument kinds that carry one value.
#[derive(Clone, Copy, PartialEq, Eq)]
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

/// The name of a parameter for an argument: `x_name`, else its name.
fn param_name(arg: &Argument) -> String {
    arg.x_name.clone().unwrap_or_else(|| snake(&arg.name))
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
    enums: Vec<EnumDef>,
    methods: Vec<Method>,
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

    fn required_multiple(&mut self, arg: &Argument) -> Result<TokenStream, Error> {
        let root = self.root.clone();
        // A repeated block of one plain value (CONFIG GET's `parameter`) is a plain
        // repeated value: `config_get(["maxmemory"])`, not a list of 1-tuples.
        if let [only] = arg.arguments.as_slice() {
            if arg.kind == ArgKind::Block
                && Scalar::of(only.kind).is_some()
                && only.token.is_none()
                && !only.optional
                && !only.multiple
            {
                let mut flat = arg.clone();
                flat.kind = only.kind;
                flat.arguments.clear();
                return self.required_multiple(&flat);
            }
        }
        let iter = format_ident!("I{}", camel(&arg.name));
        let mut elements = Vec::new();
        let mut bounds = Vec::new();
        let item_write;
        match arg.kind {
            ArgKind::Block => {
                let mut pattern = Vec::new();
                let mut types = Vec::new();
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
                        self.error(format!("argument `{}`: only plain values are supported inside a multiple block", child.name))
                    })?;
                    let var = format_ident!("{}", snake(&child.name));
                    writes.extend(maybe_token(child));
                    match scalar {
                        Scalar::Arg => {
                            let el = format_ident!("E{}", camel(&child.name));
                            bounds.push(quote!(#el: ::core::convert::Into<#root::Arg<'a>>));
                            types.push(quote!(#el));
                            elements.push(el.clone());
                            writes.extend(quote!(#root::Arg::write(&::core::convert::Into::<#root::Arg<'a>>::into(#var), w);));
                        }
                        other => {
                            types.push(other.stored(&root));
                            writes.extend(other.write(&root, quote!(#var)));
                        }
                    }
                    pattern.push(var);
                }
                bounds.insert(
                    0,
                    quote!(#iter: ::core::iter::IntoIterator<Item = (#(#types,)*)>),
                );
                item_write = quote!(let (#(#pattern,)*) = item; #writes);
            }
            ArgKind::Oneof => {
                let def = self.oneof_enum(arg)?;
                let enum_ident = def.ident.clone();
                let lt = if def.has_lifetime {
                    quote!(<'a>)
                } else {
                    quote!()
                };
                item_write = self.match_oneof(arg, &def, quote!(item))?;
                self.enums.push(def);
                bounds.push(quote!(#iter: ::core::iter::IntoIterator<Item = #enum_ident #lt>));
            }
            ArgKind::PureToken => {
                return Err(self.error(format!("argument `{}`: repeated pure token", arg.name)));
            }
            kind => {
                let scalar = Scalar::of(kind).expect("scalar kinds");
                match scalar {
                    Scalar::Arg => {
                        bounds.push(quote!(#iter: ::core::iter::IntoIterator));
                        bounds.push(quote!(<#iter as ::core::iter::IntoIterator>::Item: ::core::convert::Into<#root::Arg<'a>>));
                        item_write = quote!(#root::Arg::write(&::core::convert::Into::<#root::Arg<'a>>::into(item), w););
                    }
                    other => {
                        let stored = other.stored(&root);
                        bounds.push(quote!(#iter: ::core::iter::IntoIterator<Item = #stored>));
                        item_write = other.write(&root, quote!(item));
                    }
                }
            }
        }
        let field = self.field_ident(&arg.name);
        let p = self.add_param(arg, quote!(#iter))?;
        self.fields.push(Field {
            ident: field.clone(),
            ty: quote!(#iter),
            init: quote!(#p),
        });
        self.iters.push(IterParam {
            ident: iter,
            elements,
            bounds,
        });
        let (once, each) = match (&arg.token, arg.multiple_token) {
            (Some(t), true) => (TokenStream::new(), token_write(t)),
            (Some(t), false) => (token_write(t), TokenStream::new()),
            (None, _) => (TokenStream::new(), TokenStream::new()),
        };
        Ok(quote! {
            #once
            for item in self.#field { #each #item_write }
        })
    }

    /// An enum for a `oneof`, one variant per member.
    fn oneof_enum(&mut self, arg: &Argument) -> Result<EnumDef, Error> {
        let root = self.root.clone();
        let ident = format_ident!("{}{}", self.type_name, camel(&arg.name));
        let mut variants = Vec::new();
        let mut has_lifetime = false;
        let mut value_members = Vec::new();
        for member in &arg.arguments {
            let v_ident = format_ident!("{}", camel(&method_name(member)));
            let mut fields = Vec::new();
            match member.kind {
                ArgKind::PureToken => {}
                ArgKind::Block => {
                    for child in &member.arguments {
                        if child.optional || child.multiple {
                            return Err(self.error(format!(
                                "argument `{}`: optional or multiple arguments inside a oneof's block are not supported",
                                child.name
                            )));
                        }
                        match Scalar::of(child.kind) {
                            Some(s) => {
                                has_lifetime |= s == Scalar::Arg;
                                fields.push(s.stored(&root));
                            }
                            None if child.kind == ArgKind::PureToken => {}
                            None => {
                                return Err(self.error(format!(
                                    "argument `{}`: nested oneof/block in a oneof's block",
                                    child.name
                                )));
                            }
                        }
                    }
                }
                ArgKind::Oneof => {
                    return Err(self.error(format!(
                        "argument `{}`: a oneof directly inside a oneof",
                        member.name
                    )));
                }
                kind => {
                    let s = Scalar::of(kind).expect("scalar kinds");
                    has_lifetime |= s == Scalar::Arg;
                    fields.push(s.stored(&root));
                    if !member.multiple {
                        value_members.push((v_ident.clone(), s));
                    }
                }
            }
            if member.multiple {
                return Err(self.error(format!(
                    "argument `{}`: multiple member of a oneof",
                    member.name
                )));
            }
            variants.push(Variant {
                ident: v_ident,
                fields,
                doc: format!("`{}`", syntax(member)),
            });
        }
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

    /// Statements writing a oneof value held in `value`.
    fn match_oneof(
        &self,
        arg: &Argument,
        def: &EnumDef,
        value: TokenStream,
    ) -> Result<TokenStream, Error> {
        let root = &self.root;
        let enum_ident = &def.ident;
        let mut arms = Vec::new();
        for (member, variant) in arg.arguments.iter().zip(&def.variants) {
            let v = &variant.ident;
            let token = maybe_token(member);
            let arm = match member.kind {
                ArgKind::PureToken => quote!(#enum_ident::#v => { #token }),
                ArgKind::Block => {
                    let mut vars = Vec::new();
                    let mut writes = TokenStream::new();
                    for child in &member.arguments {
                        writes.extend(maybe_token(child));
                        if let Some(s) = Scalar::of(child.kind) {
                            let var = format_ident!("{}", snake(&child.name));
                            writes.extend(s.write(root, quote!(#var)));
                            vars.push(var);
                        }
                    }
                    quote!(#enum_ident::#v(#(#vars),*) => { #token #writes })
                }
                kind => {
                    let s = Scalar::of(kind).expect("scalar kinds");
                    let write = s.write(root, quote!(x));
                    quote!(#enum_ident::#v(x) => { #token #write })
                }
            };
            arms.push(arm);
        }
        let token = maybe_token(arg);
        Ok(quote!(#token match #value { #(#arms)* }))
    }

    /// An optional argument: a field, builder methods, and a guarded write.
    /// `triggers` are names of enclosing arguments that these methods also give.
    fn optional(&mut self, arg: &Argument, triggers: &[String]) -> Result<TokenStream, Error> {
        let root = self.root.clone();
        if arg.multiple {
            return Err(self.error(format!(
                "argument `{}`: optional multiple arguments are not supported yet",
                arg.name
            )));
        }
        let mut own_triggers = triggers.to_vec();
        own_triggers.push(arg.name.clone());
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
                    doc: format!("Adds `{}`.", syntax(arg).trim_matches(['[', ']'])),
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
                    let members: Vec<&Argument> = match member.kind {
                        ArgKind::Block => member.arguments.iter().collect(),
                        _ => vec![member],
                    };
                    for m in members {
                        if let Some(s) = Scalar::of(m.kind) {
                            let p = ident(&param_name(m));
                            let (ty, init) = s.param(&root, &p);
                            params.push((p, ty));
                            values.push(init);
                        }
                    }
                    let value = if values.is_empty() {
                        quote!(#enum_ident::#v)
                    } else {
                        quote!(#enum_ident::#v(#(#values),*))
                    };
                    let mut t = own_triggers.clone();
                    t.push(member.name.clone());
                    self.add_method(Method {
                        ident: ident(&method_name(member)),
                        params,
                        body: quote!(this.#field = ::core::option::Option::Some(#value);),
                        triggers: t,
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
                    doc: format!("Adds `{}`.", syntax(arg).trim_matches(['[', ']'])),
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
            t.push(oneof.name.clone());
            for (member, variant) in oneof.arguments.iter().zip(&def.variants) {
                let v = &variant.ident;
                let enum_ident = &def.ident;
                let mut mt = t.clone();
                mt.push(member.name.clone());
                self.add_method(Method {
                    ident: ident(&method_name(member)),
                    params: params.clone(),
                    body: quote!(this.#field = ::core::option::Option::Some((#enum_ident::#v, #(#values,)*));),
                    triggers: mt,
                    doc: format!("Adds `{}`.", syntax(arg).trim_matches(['[', ']'])),
                })?;
            }
        } else {
            self.add_method(Method {
                ident: ident(&method_name(arg)),
                params,
                body: quote!(this.#field = ::core::option::Option::Some((#(#values,)*));),
                triggers: t.clone(),
                doc: format!("Adds `{}`.", syntax(arg).trim_matches(['[', ']'])),
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
    pub fn build(name: &str, spec: &Command) -> Result<CommandModel, Error> {
        let root = quote!(crate);
        let type_name = camel(name);
        let mut b = Builder {
            command: name,
            type_name: type_name.clone(),
            root,
            params: Vec::new(),
            fields: Vec::new(),
            iters: Vec::new(),
            enums: Vec::new(),
            methods: Vec::new(),
            field_names: ["__target", "__shape"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        let mut encode = TokenStream::new();
        for word in name.split(' ') {
            encode.extend(token_write(word));
        }
        for arg in &spec.arguments {
            encode.extend(if arg.optional {
                b.optional(arg, &[])?
            } else {
                b.required(arg)?
            });
        }

        let base = spec
            .x_reply
            .as_deref()
            .ok_or_else(|| b.error("no x_reply annotation"))?;
        let mut states = Vec::new();
        let base = ReplyType::parse(base)?;
        let (shape, generics) = base.shape(&quote!(crate));
        states.push(State {
            reply: base,
            shape,
            generics,
            when: None,
        });
        for variant in &spec.x_reply_variants {
            if !b.methods.iter().any(|m| m.triggers.contains(&variant.when)) {
                return Err(b.error(format!(
                    "reply variant `when: {}` names no optional argument",
                    variant.when
                )));
            }
            let reply = ReplyType::parse(&variant.reply)?;
            let (shape, generics) = reply.shape(&quote!(crate));
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
                when: Some(variant.when.clone()),
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
            enums: b.enums,
            methods: b.methods,
            encode,
            states,
        })
    }

    /// The highest-precedence state a method selects, if it selects one.
    pub fn method_state(&self, method: &Method) -> Option<usize> {
        self.states
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, s)| s.when.as_ref().is_some_and(|w| method.triggers.contains(w)))
            .map(|(i, _)| i)
            .max()
    }

    /// The command's syntax line: `SET key value [NX | XX] …`.
    pub fn syntax(&self) -> String {
        let mut parts = vec![self.name.clone()];
        parts.extend(self.spec.arguments.iter().map(syntax));
        parts.join(" ")
    }
}
