//! The expand stage: models to tokens.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::docs;
use crate::model::{CommandModel, IterMethod, Method, Scalar};
use crate::{ConnectionUse, Error, Options};

/// Flags the runtime knows by name; others stay in the spec only.
const KNOWN_FLAGS: &[(&str, &str)] = &[
    ("readonly", "READONLY"),
    ("write", "WRITE"),
    ("denyoom", "DENYOOM"),
    ("admin", "ADMIN"),
    ("pubsub", "PUBSUB"),
    ("noscript", "NOSCRIPT"),
    ("blocking", "BLOCKING"),
    ("loading", "LOADING"),
    ("stale", "STALE"),
    ("skip_monitor", "SKIP_MONITOR"),
    ("skip_slowlog", "SKIP_SLOWLOG"),
    ("fast", "FAST"),
    ("no_auth", "NO_AUTH"),
    ("may_replicate", "MAY_REPLICATE"),
    ("no_mandatory_keys", "NO_MANDATORY_KEYS"),
    ("no_multi", "NO_MULTI"),
    ("movablekeys", "MOVABLE_KEYS"),
    ("allow_busy", "ALLOW_BUSY"),
];

fn doc_attrs(lines: &[String]) -> TokenStream {
    lines
        .iter()
        .map(|l| {
            let l = if l.is_empty() {
                String::new()
            } else {
                format!(" {l}")
            };
            quote!(#[doc = #l])
        })
        .collect()
}

/// The whole generated file.
pub fn file(models: &[CommandModel], options: &Options) -> Result<TokenStream, Error> {
    let root: TokenStream = options.runtime_path.parse().map_err(|_| Error::Command {
        command: "<options>".into(),
        reason: format!("runtime path `{}` is not a path", options.runtime_path),
    })?;
    let mut out = TokenStream::new();
    let mut client_methods = TokenStream::new();
    let mut pipeline_methods = TokenStream::new();
    for model in models {
        let (items, method, pipeline_method) = command(model, &root);
        out.extend(items);
        client_methods.extend(method);
        pipeline_methods.extend(pipeline_method);
    }
    if options.client_methods {
        out.extend(quote! {
            /// Every command of the spec as a method on the client: build it with its
            /// options, then `.await` it.
            impl #root::Client { #client_methods }

            /// Every command of the spec as a method on the cluster client, routed
            /// by its keys and the spec's tips.
            impl #root::ClusterClient { #client_methods }

            /// Every command of the spec as a method of a pipeline or transaction,
            /// also callable right after another command's options
            /// (`client.pipeline().set(k, v).nx().incr(n)`). Bring it into scope
            /// with `use redtyped::prelude::*`.
            pub trait PipelineCommands<'c>: Sized {
                /// The reply shapes queued so far, this command's included.
                type List;

                /// Finishes the command being built and returns the pipeline (needed
                /// only before a command whose name is also an option of this one,
                /// like SET's `.get()` and the GET command).
                fn queue(self) -> #root::Pipeline<'c, Self::List>;

                /// Adds a command value (`redtyped::cmd::*`, a `Raw` command).
                fn push<C: #root::Command>(self, command: C) -> #root::Pipeline<'c, (Self::List, C::Shape)> {
                    self.queue().push(command)
                }

                /// Sends every command; their replies as a tuple, or the first error.
                fn execute(self) -> #root::Execute<Self::List>
                where
                    Self::List: #root::ShapeList,
                {
                    self.queue().execute()
                }

                /// Sends every command; each reply or its error in place.
                fn execute_each(self) -> #root::ExecuteEach<Self::List>
                where
                    Self::List: #root::ShapeList,
                {
                    self.queue().execute_each()
                }

                #pipeline_methods
            }

            impl<'c, L> PipelineCommands<'c> for #root::Pipeline<'c, L> {
                type List = L;
                fn queue(self) -> Self {
                    self
                }
            }
        });
    }
    Ok(out)
}

fn command(model: &CommandModel, root: &TokenStream) -> (TokenStream, TokenStream, TokenStream) {
    let ty = &model.type_ident;
    let func = &model.fn_ident;
    let doc = doc_attrs(&docs::command(model));
    let iters: Vec<&Ident> = model.iters.iter().map(|i| &i.ident).collect();
    let elements: Vec<Ident> = model
        .iters
        .iter()
        .flat_map(|i| i.repeated.elements(&i.ident))
        .collect();
    let bounds: Vec<TokenStream> = model
        .iters
        .iter()
        .flat_map(|i| i.repeated.bounds(&i.ident, root))
        .collect();
    // The constructor takes the required repeated arguments; optional ones start empty.
    let required = || model.iters.iter().filter(|i| !i.optional);
    let ctor_iters: Vec<&Ident> = required().map(|i| &i.ident).collect();
    let ctor_elements: Vec<Ident> = required()
        .flat_map(|i| i.repeated.elements(&i.ident))
        .collect();
    let ctor_bounds: Vec<TokenStream> = required()
        .flat_map(|i| i.repeated.bounds(&i.ident, root))
        .collect();
    let ctor_args: Vec<TokenStream> = model
        .iters
        .iter()
        .map(|i| {
            let id = &i.ident;
            if i.optional {
                i.repeated.empty(root)
            } else {
                quote!(#id)
            }
        })
        .collect();
    let field_idents: Vec<&Ident> = model.fields.iter().map(|f| &f.ident).collect();
    let field_types: Vec<&TokenStream> = model.fields.iter().map(|f| &f.ty).collect();
    let field_inits: Vec<&TokenStream> = model.fields.iter().map(|f| &f.init).collect();
    let param_idents: Vec<&Ident> = model.params.iter().map(|p| &p.ident).collect();
    let param_types: Vec<&TokenStream> = model.params.iter().map(|p| &p.ty).collect();
    let base = &model.states[0];
    let base_shape = &base.shape;
    let base_generics = &base.generics;
    let name = &model.name;
    let mut flags: Vec<Ident> = KNOWN_FLAGS
        .iter()
        .filter(|(f, _)| model.spec.has_flag(f))
        .map(|(_, c)| format_ident!("{}", c))
        .collect();
    if model.spec.is_cacheable(&model.name) {
        flags.push(format_ident!("CACHEABLE"));
    }
    let arity = model.spec.arity;
    let key_specs = model.spec.key_specs.iter().map(|k| key_spec(k, root));
    let (request_policy, response_policy) = policies(&model.spec);
    let encode = &model.encode;
    let placement = model.spec.placement();
    let dedicated = placement == ConnectionUse::Dedicated;
    let checks = &model.blocking_checks;
    let placement_fn = match placement {
        ConnectionUse::Dedicated => quote!(
            fn placement(&self) -> #root::Placement {
                #root::Placement::Dedicated
            }
        ),
        ConnectionUse::Pooled => quote!(
            fn placement(&self) -> #root::Placement {
                #root::Placement::Pooled
            }
        ),
        ConnectionUse::Shared if !checks.is_empty() => quote!(
            fn placement(&self) -> #root::Placement {
                if #(#checks)||* { #root::Placement::Pooled } else { #root::Placement::Shared }
            }
        ),
        ConnectionUse::Shared => quote!(),
    };

    let mut items = TokenStream::new();
    for def in &model.enums {
        let e = &def.ident;
        let lt = if def.has_lifetime {
            quote!(<'a>)
        } else {
            quote!()
        };
        let variants = def.variants.iter().map(|v| {
            let vi = &v.ident;
            let vdoc = format!(" {}", v.doc);
            if v.fields.is_empty() {
                quote!(#[doc = #vdoc] #vi,)
            } else {
                let f = v.fields.iter().map(|p| p.ty(root));
                quote!(#[doc = #vdoc] #vi(#(#f),*),)
            }
        });
        let edoc = format!(" One of {} for [`{}`].", def.doc, ty);
        items.extend(quote! {
            #[doc = #edoc]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #e #lt { #(#variants)* }
        });
        if let Some((variant, scalar)) = &def.from_value {
            items.extend(match scalar {
                Scalar::Arg => quote!(#root::__impl_from_arg!(#e, #variant);),
                Scalar::Int => quote! {
                    impl #lt ::core::convert::From<i64> for #e #lt {
                        fn from(value: i64) -> Self { #e::#variant(value) }
                    }
                },
                Scalar::Double => quote! {
                    impl #lt ::core::convert::From<f64> for #e #lt {
                        fn from(value: f64) -> Self { #e::#variant(value) }
                    }
                },
            });
        }
    }

    let must_use = format!("a {name} command does nothing until it is awaited, sent or queued");
    items.extend(quote! {
        #doc
        #[must_use = #must_use]
        pub struct #ty<'a, S, #(#iters,)* T = ()> {
            __target: T,
            #(#field_idents: #field_types,)*
            __shape: ::core::marker::PhantomData<(fn() -> S, &'a ())>,
        }

        impl<'a, S, #(#iters,)* T> #ty<'a, S, #(#iters,)* T> {
            fn __reshape<S2>(self) -> #ty<'a, S2, #(#iters,)* T> {
                #ty { __target: self.__target, #(#field_idents: self.#field_idents,)* __shape: ::core::marker::PhantomData }
            }

            /// Binds this command to a target (a client, a pipeline) that runs it.
            #[doc(hidden)]
            pub fn __retarget<T2>(self, target: T2) -> #ty<'a, S, #(#iters,)* T2> {
                #ty { __target: target, #(#field_idents: self.#field_idents,)* __shape: ::core::marker::PhantomData }
            }

            /// Separates the command from its target.
            #[doc(hidden)]
            pub fn __detach(self) -> (#ty<'a, S, #(#iters,)* ()>, T) {
                (
                    #ty { __target: (), #(#field_idents: self.#field_idents,)* __shape: ::core::marker::PhantomData },
                    self.__target,
                )
            }
        }
    });

    // Methods that set an optional repeated argument replace its type parameter;
    // one that selects a reply variant also moves to that state, as below.
    for m in &model.iter_methods {
        match model.selected_state(&m.triggers) {
            None => items.extend(iter_method(model, m, root, None)),
            Some(k) => {
                for i in 0..model.states.len() {
                    items.extend(iter_method(model, m, root, Some((i, i.max(k)))));
                }
            }
        }
    }

    // Methods that keep the reply type.
    let plain: Vec<TokenStream> = model
        .methods
        .iter()
        .filter(|m| model.method_state(m).is_none())
        .map(|m| method(m, quote!(Self), &[], quote!(self), ""))
        .collect();
    if !plain.is_empty() {
        items.extend(quote! {
            impl<'a, S, #(#iters,)* T> #ty<'a, S, #(#iters,)* T> { #(#plain)* }
        });
    }
    // Methods that change it: one impl per state, each method moving to the
    // highest-precedence state among the current one and its own. A method whose
    // target state drops a generic of this one (SORT … STORE replies with a count,
    // not values) goes in an impl with that generic fixed to `()`: nothing else
    // would ever name it, and `client.sort(k).store(d)` must still infer.
    for (i, state) in model.states.iter().enumerate() {
        let mut impls: Vec<(Vec<Ident>, Vec<TokenStream>)> = Vec::new();
        for m in model.methods.iter() {
            let Some(k) = model.method_state(m) else {
                continue;
            };
            if !model.offered_in(m, i) {
                continue;
            }
            let j = i.max(k);
            let step = Step::new(model, i, j);
            let tokens = if j == i {
                method(m, quote!(Self), &[], quote!(self), "")
            } else {
                let shape = &model.states[j].shape;
                method(
                    m,
                    quote!(#ty<'a, #shape, #(#iters,)* T>),
                    &step.fresh,
                    quote!(self.__reshape()),
                    &step.note(),
                )
            };
            match impls.iter_mut().find(|(d, _)| *d == step.dropped) {
                Some((_, methods)) => methods.push(tokens),
                None => impls.push((step.dropped, vec![tokens])),
            }
        }
        for (dropped, methods) in impls {
            let generics = state.generics.iter().filter(|g| !dropped.contains(g));
            let shape = fix_generics(state.shape.clone(), &dropped);
            items.extend(quote! {
                impl<'a, #(#generics,)* #(#iters,)* T> #ty<'a, #shape, #(#iters,)* T> { #(#methods)* }
            });
        }
    }

    items.extend(quote! {
        impl<'a, S: #root::shape::Shape, #(#iters,)* #(#elements,)* T> #root::Command for #ty<'a, S, #(#iters,)* T>
        where #(#bounds,)*
        {
            type Shape = S;
            const META: &'static #root::CommandMeta = &#root::CommandMeta {
                name: #name,
                arity: #arity,
                flags: #root::CommandFlags::NONE #(.with(#root::CommandFlags::#flags))*,
                key_specs: &[#(#key_specs),*],
                request_policy: #root::RequestPolicy::#request_policy,
                response_policy: #root::ResponsePolicy::#response_policy,
            };
            fn write_args(self, w: &mut #root::resp::ArgWriter<'_>) { #encode }
            #placement_fn
        }

        #doc
        pub fn #func<'a, #(#base_generics,)* #(#ctor_iters,)* #(#ctor_elements,)*>(#(#param_idents: #param_types),*) -> #ty<'a, #base_shape, #(#ctor_args,)*>
        where #(#ctor_bounds,)*
        {
            #ty {
                __target: (),
                #(#field_idents: #field_inits,)*
                __shape: ::core::marker::PhantomData,
            }
        }
    });

    if dedicated {
        return (items, TokenStream::new(), TokenStream::new());
    }
    items.extend(quote! {
        impl<'c, 'a, S: #root::shape::Shape, #(#iters,)* #(#elements,)* __X: #root::Target> ::core::future::IntoFuture
            for #ty<'a, S, #(#iters,)* &'c __X>
        where #(#bounds,)*
        {
            type Output = #root::Result<<S as #root::shape::Shape>::Output>;
            type IntoFuture = #root::Response<S>;
            fn into_future(self) -> Self::IntoFuture {
                let target = self.__target;
                #root::Target::send(target, self)
            }
        }
    });
    let client_method = quote! {
        #doc
        pub fn #func<'a, #(#base_generics,)* #(#ctor_iters,)* #(#ctor_elements,)*>(&self, #(#param_idents: #param_types),*) -> #ty<'a, #base_shape, #(#ctor_args,)* &Self>
        where #(#ctor_bounds,)*
        {
            #func(#(#param_idents),*).__retarget(self)
        }
    };
    if placement == ConnectionUse::Pooled {
        // A command that blocks cannot share a pipeline's connection.
        return (items, client_method, TokenStream::new());
    }
    items.extend(quote! {
        impl<'c, 'a, S: #root::shape::Shape, #(#iters,)* #(#elements,)* L> PipelineCommands<'c>
            for #ty<'a, S, #(#iters,)* #root::Pipeline<'c, L>>
        where #(#bounds,)*
        {
            type List = (L, S);
            fn queue(self) -> #root::Pipeline<'c, (L, S)> {
                let (command, pipeline) = self.__detach();
                pipeline.push(command)
            }
        }
    });
    let pipeline_method = quote! {
        #doc
        fn #func<'a, #(#base_generics,)* #(#ctor_iters,)* #(#ctor_elements,)*>(self, #(#param_idents: #param_types),*) -> #ty<'a, #base_shape, #(#ctor_args,)* #root::Pipeline<'c, Self::List>>
        where #(#ctor_bounds,)*
        {
            #func(#(#param_idents),*).__retarget(self.queue())
        }
    };
    (items, client_method, pipeline_method)
}

/// A method setting an optional repeated argument: an impl over any shape
/// (`states` none), or over state `from`'s shape moving to state `to`'s.
fn iter_method(
    model: &CommandModel,
    m: &IterMethod,
    root: &TokenStream,
    states: Option<(usize, usize)>,
) -> TokenStream {
    let ty = &model.type_ident;
    let iters: Vec<&Ident> = model.iters.iter().map(|i| &i.ident).collect();
    let param = &model.iters[m.iter];
    let fresh = format_ident!("{}New", param.ident);
    let fresh_elements = param.repeated.elements(&fresh);
    let fresh_bounds = param.repeated.bounds(&fresh, root);
    let out_iters: Vec<&Ident> = model
        .iters
        .iter()
        .enumerate()
        .map(|(i, p)| if i == m.iter { &fresh } else { &p.ident })
        .collect();
    let ident = &m.ident;
    let arg = &m.param;
    let field = &m.field;
    let others: Vec<&Ident> = model
        .fields
        .iter()
        .map(|f| &f.ident)
        .filter(|f| *f != field)
        .collect();
    let mdoc = format!(" {}", m.doc);
    let (impl_generics, shape, out_shape, shape_generics, mdoc) = match states {
        None => (
            vec![format_ident!("S")],
            quote!(S),
            quote!(S),
            Vec::new(),
            mdoc,
        ),
        Some((from, to)) => {
            let step = Step::new(model, from, to);
            let from = &model.states[from];
            let kept: Vec<Ident> = from
                .generics
                .iter()
                .filter(|g| !step.dropped.contains(g))
                .cloned()
                .collect();
            (
                kept,
                fix_generics(from.shape.clone(), &step.dropped),
                model.states[to].shape.clone(),
                step.fresh.clone(),
                format!("{mdoc}{}", step.note()),
            )
        }
    };
    quote! {
        impl<'a, #(#impl_generics,)* #(#iters,)* T> #ty<'a, #shape, #(#iters,)* T> {
            #[doc = #mdoc]
            pub fn #ident<#(#shape_generics,)* #fresh, #(#fresh_elements,)*>(self, #arg: #fresh) -> #ty<'a, #out_shape, #(#out_iters,)* T>
            where #(#fresh_bounds,)*
            {
                #ty {
                    __target: self.__target,
                    #field: ::core::option::Option::Some(#arg),
                    #(#others: self.#others,)*
                    __shape: ::core::marker::PhantomData,
                }
            }
        }
    }
}

/// A move from one reply state to another: the generics the target adds
/// (parameters of the method) and those it drops (fixed to `()`).
struct Step {
    fresh: Vec<Ident>,
    dropped: Vec<Ident>,
}

impl Step {
    fn new(model: &CommandModel, from: usize, to: usize) -> Step {
        let (from, to) = (&model.states[from].generics, &model.states[to].generics);
        Step {
            fresh: to.iter().filter(|g| !from.contains(g)).cloned().collect(),
            dropped: from.iter().filter(|g| !to.contains(g)).cloned().collect(),
        }
    }

    /// What the docs of a method that drops generics say about it.
    fn note(&self) -> String {
        if self.dropped.is_empty() {
            return String::new();
        }
        let names: Vec<String> = self.dropped.iter().map(|g| format!("`{g}`")).collect();
        format!(
            " Its reply holds no {0}, so it is offered with {0} fixed to `()`: leave {0} out.",
            names.join(" or ")
        )
    }
}

/// `tokens` with each of the `dropped` generic parameters replaced by `()`.
fn fix_generics(tokens: TokenStream, dropped: &[Ident]) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(i) if dropped.contains(&i) => TokenTree::Group(Group::new(
                proc_macro2::Delimiter::Parenthesis,
                TokenStream::new(),
            )),
            TokenTree::Group(g) => {
                TokenTree::Group(Group::new(g.delimiter(), fix_generics(g.stream(), dropped)))
            }
            other => other,
        })
        .collect()
}

fn method(
    m: &Method,
    ret: TokenStream,
    generics: &[Ident],
    start: TokenStream,
    note: &str,
) -> TokenStream {
    let bound = if m.blocking {
        quote!(where T: crate::BlockingTarget)
    } else {
        quote!()
    };
    // (`crate` is right: blocking methods exist only in redtyped's own generated code.)
    let ident = &m.ident;
    let doc = format!(" {}{note}", m.doc);
    let params = m.params.iter().map(|(p, t)| quote!(#p: #t));
    let body = &m.body;
    let generics = if generics.is_empty() {
        quote!()
    } else {
        quote!(<#(#generics),*>)
    };
    quote! {
        #[doc = #doc]
        pub fn #ident #generics (self, #(#params),*) -> #ret #bound {
            let mut this = #start;
            #body
            this
        }
    }
}

/// A key spec as the runtime's `KeySpec` (unknown parts stay `Unknown`).
fn key_spec(spec: &crate::KeySpec, root: &TokenStream) -> TokenStream {
    let int = |search: &crate::spec::Search, name: &str| -> i32 {
        search
            .spec
            .get(name)
            .and_then(|v| v.as_i64())
            .and_then(|v| i32::try_from(v).ok())
            .unwrap_or(0)
    };
    let b = &spec.begin_search;
    let begin = match b.kind.as_str() {
        "index" => {
            let i = int(b, "index");
            quote!(#root::BeginSearch::Index(#i))
        }
        "keyword" => {
            let keyword = b.spec.get("keyword").and_then(|v| v.as_str()).unwrap_or("");
            let start = int(b, "startfrom");
            quote!(#root::BeginSearch::Keyword { keyword: #keyword, start_from: #start })
        }
        _ => quote!(#root::BeginSearch::Unknown),
    };
    let f = &spec.find_keys;
    let find = match f.kind.as_str() {
        "range" => {
            let (last, step, limit) = (int(f, "lastkey"), int(f, "keystep"), int(f, "limit"));
            quote!(#root::FindKeys::Range { last_key: #last, key_step: #step, limit: #limit })
        }
        "keynum" => {
            let (idx, first, step) = (int(f, "keynumidx"), int(f, "firstkey"), int(f, "keystep"));
            quote!(#root::FindKeys::Keynum { keynum_index: #idx, first_key: #first, key_step: #step })
        }
        _ => quote!(#root::FindKeys::Unknown),
    };
    quote!(#root::KeySpec { begin: #begin, find: #find })
}

/// The `request_policy` and `response_policy` tips as variant names.
fn policies(spec: &crate::Command) -> (Ident, Ident) {
    let tip = |prefix: &str| {
        spec.tips
            .iter()
            .find_map(|t| t.strip_prefix(prefix))
            .map(|v| {
                v.split('_')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                            .unwrap_or_default()
                    })
                    .collect::<String>()
            })
            .unwrap_or_else(|| "Default".to_string())
    };
    (
        format_ident!("{}", tip("request_policy:")),
        format_ident!("{}", tip("response_policy:")),
    )
}
