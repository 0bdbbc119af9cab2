//! `#[derive(FromHash)]`: a hidden `Partial` struct (one slot per field),
//! the `FromHash` impl that fills and finishes it, and `FromMap`, which is
//! what HGETALL decodes into.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{GenericParam, Ident, LitByteStr};

use crate::model::{Codec, DefaultValue, FieldKind, Struct, mentions, respan};

pub fn expand(s: &Struct) -> TokenStream {
    let krate = &s.krate;
    let ident = &s.ident;
    let vis = &s.vis;
    let owner = ident.to_string();
    let partial = format_ident!("__{}RedisPartial", ident);
    let params: Vec<Ident> = s.generics.type_params().map(|p| p.ident.clone()).collect();
    // Bounds the impl needs for generic fields; the partial struct needs the
    // flattened ones too (its fields name their `Partial` types).
    let mut generics = s.generics.clone();
    let mut partial_generics = s.generics.clone();

    let mut slots = Vec::new(); // the partial struct's fields
    let mut inits = Vec::new(); // their empty values
    let mut counts = Vec::new(); // FIELD_COUNT terms
    let mut names = Vec::new(); // field_name steps
    let mut matches = Vec::new(); // decode_field arms, own fields
    let mut flattened = Vec::new(); // decode_field steps, flattened structs
    let mut finish = Vec::new(); // the struct's fields, from the partial

    for field in &s.fields {
        let member = &field.member;
        let rust_name = &field.rust_name;
        let ty = &field.ty;
        // Runtime paths spanned to the field, so errors point at it.
        let at_ty = respan(krate, ty.span());
        match &field.kind {
            FieldKind::Skip { default } => {
                let value = default_value(default, ty);
                finish.push(quote!(#member: #value));
                if let DefaultValue::Trait(_) = default {
                    if mentions(ty, &params) {
                        generics.make_where_clause().predicates.push(
                            syn::parse_quote_spanned!(ty.span()=> #ty: ::core::default::Default),
                        );
                    }
                }
            }
            FieldKind::Flatten { prefix } => {
                let from_hash = quote_spanned!(ty.span()=> <#ty as #at_ty::hash::FromHash>);
                slots.push(quote!(#member: #from_hash::Partial));
                inits.push(quote!(#member: ::core::default::Default::default()));
                counts.push(quote!(#from_hash::FIELD_COUNT));
                let name = if prefix.is_empty() {
                    quote!(name)
                } else {
                    quote!(#krate::derive::prefixed_name(#prefix, name))
                };
                names.push(quote! {
                    if index < #from_hash::FIELD_COUNT {
                        return #from_hash::field_name(index).map(|name| #name);
                    }
                    index -= #from_hash::FIELD_COUNT;
                });
                let prefix = LitByteStr::new(prefix.as_bytes(), member.span());
                flattened.push(quote! {
                    if let ::core::option::Option::Some(rest) = name.strip_prefix(#prefix.as_slice()) {
                        if #from_hash::decode_field(&mut partial.#member, rest, value)
                            .map_err(|e| e.in_field(#owner, #rust_name))?
                        {
                            return ::core::result::Result::Ok(true);
                        }
                    }
                });
                finish.push(quote! {
                    #member: #from_hash::finish(partial.#member)
                        .map_err(|e| e.in_field(#owner, #rust_name))?
                });
                if mentions(ty, &params) {
                    let bound: syn::WherePredicate =
                        syn::parse_quote_spanned!(ty.span()=> #ty: #at_ty::hash::FromHash);
                    generics.make_where_clause().predicates.push(bound.clone());
                    partial_generics.make_where_clause().predicates.push(bound);
                }
            }
            FieldKind::Value {
                name,
                option,
                codec,
                default,
                ..
            } => {
                let value_ty = option.as_ref().unwrap_or(ty);
                let at_value = respan(krate, value_ty.span());
                slots.push(quote!(#member: ::core::option::Option<#value_ty>));
                inits.push(quote!(#member: ::core::option::Option::None));
                counts.push(quote!(1));
                names.push(quote! {
                    if index == 0 {
                        return ::core::option::Option::Some(::std::borrow::Cow::Borrowed(#name));
                    }
                    index -= 1;
                });
                let decode = match codec {
                    Codec::Plain => quote_spanned! {value_ty.span()=>
                        value.decode::<#value_ty>()
                    },
                    Codec::Json => quote_spanned! {value_ty.span()=>
                        #at_value::derive::json_decode::<#value_ty>(value)
                    },
                    Codec::With(module) => {
                        let expected = format!(
                            "a value `{}::decode` accepts",
                            quote!(#module).to_string().replace(' ', "")
                        );
                        quote_spanned! {module.span()=>
                            value.parse(#expected, |bytes| #module::decode(bytes))
                        }
                    }
                };
                let pattern = LitByteStr::new(name.as_bytes(), member.span());
                matches.push(quote! {
                    #pattern => {
                        partial.#member = ::core::option::Option::Some(
                            #decode.map_err(|e| e.in_field(#owner, #rust_name))?,
                        );
                        return ::core::result::Result::Ok(true);
                    }
                });
                let missing = match (default, option) {
                    (Some(default), _) => {
                        let value = default_value(default, ty);
                        quote!(::core::option::Option::None => #value)
                    }
                    (None, Some(_)) => {
                        quote!(::core::option::Option::None => ::core::option::Option::None)
                    }
                    (None, None) => quote! {
                        ::core::option::Option::None => return ::core::result::Result::Err(
                            #krate::DecodeError::missing_field(#owner, #rust_name, #name),
                        )
                    },
                };
                let present = if option.is_some() {
                    quote!(::core::option::Option::Some(value) => ::core::option::Option::Some(value))
                } else {
                    quote!(::core::option::Option::Some(value) => value)
                };
                finish.push(quote! {
                    #member: match partial.#member {
                        #present,
                        #missing,
                    }
                });
                if mentions(value_ty, &params) {
                    let bound: Option<syn::WherePredicate> = match codec {
                        Codec::Plain => Some(syn::parse_quote_spanned! {value_ty.span()=>
                            #value_ty: #at_value::FromValue
                        }),
                        Codec::Json => Some(syn::parse_quote_spanned! {value_ty.span()=>
                            #value_ty: #at_value::derive::serde::de::DeserializeOwned
                        }),
                        Codec::With(_) => None,
                    };
                    generics.make_where_clause().predicates.extend(bound);
                }
                if let Some(DefaultValue::Trait(_)) = default {
                    if mentions(ty, &params) {
                        generics.make_where_clause().predicates.push(
                            syn::parse_quote_spanned!(ty.span()=> #ty: ::core::default::Default),
                        );
                    }
                }
            }
        }
    }

    // Every parameter is used, whatever fields are skipped.
    let markers: Vec<TokenStream> = s
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Lifetime(l) => {
                let l = &l.lifetime;
                Some(quote!(&#l ()))
            }
            GenericParam::Type(t) => {
                let t = &t.ident;
                Some(quote!(#t))
            }
            GenericParam::Const(_) => None,
        })
        .collect();

    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let (partial_impl_generics, partial_ty_generics, partial_where) =
        partial_generics.split_for_impl();
    let (_, plain_ty_generics, _) = s.generics.split_for_impl();
    let mut map_generics = s.generics.clone();
    map_generics
        .make_where_clause()
        .predicates
        .push(syn::parse_quote!(#ident #plain_ty_generics: #krate::hash::FromHash));
    let (map_impl_generics, _, map_where) = map_generics.split_for_impl();
    // Type parameters keep their declared bounds on the partial struct (it
    // copies the generics); its declaration takes no defaults from them.
    let mut declared = partial_generics.clone();
    for param in &mut declared.params {
        if let GenericParam::Type(t) = param {
            t.default = None;
            t.eq_token = None;
        }
        if let GenericParam::Const(c) = param {
            c.default = None;
            c.eq_token = None;
        }
    }
    let declared_where = &declared.where_clause;

    quote! {
        const _: () = {
        #[doc(hidden)]
        #[allow(non_camel_case_types, private_bounds)]
        #vis struct #partial #declared #declared_where {
            #(#slots,)*
            __redtyped_marker: ::core::marker::PhantomData<fn() -> (#(#markers,)*)>,
        }

        #[automatically_derived]
        impl #partial_impl_generics ::core::default::Default for #partial #partial_ty_generics #partial_where {
            fn default() -> Self {
                #partial {
                    #(#inits,)*
                    __redtyped_marker: ::core::marker::PhantomData,
                }
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::hash::FromHash for #ident #ty_generics #where_clause {
            type Partial = #partial #partial_ty_generics;

            const FIELD_COUNT: usize = 0 #(+ #counts)*;

            #[allow(unused_mut, clippy::all)]
            fn field_name(index: usize) -> ::core::option::Option<::std::borrow::Cow<'static, str>> {
                let mut index = index;
                #(#names)*
                ::core::option::Option::None
            }

            #[allow(unused_variables, clippy::all)]
            fn decode_field(
                partial: &mut Self::Partial,
                name: &[u8],
                value: &mut #krate::hash::FieldValue<'_, '_>,
            ) -> ::core::result::Result<bool, #krate::DecodeError> {
                match name {
                    #(#matches)*
                    _ => {}
                }
                #(#flattened)*
                ::core::result::Result::Ok(false)
            }

            #[allow(unused_variables, clippy::all)]
            fn finish(partial: Self::Partial) -> ::core::result::Result<Self, #krate::DecodeError> {
                ::core::result::Result::Ok(#ident {
                    #(#finish,)*
                })
            }
        }

        #[automatically_derived]
        impl #map_impl_generics #krate::FromMap for #ident #plain_ty_generics #map_where {
            fn from_map(
                entries: #krate::MapEntries<'_, '_>,
            ) -> ::core::result::Result<Self, #krate::DecodeError> {
                #krate::hash::from_map(entries)
            }
        }
        };
    }
}

fn default_value(default: &DefaultValue, ty: &syn::Type) -> TokenStream {
    match default {
        DefaultValue::Trait(_) => {
            quote_spanned!(ty.span()=> <#ty as ::core::default::Default>::default())
        }
        DefaultValue::Function(path) => quote_spanned!(path.span()=> #path()),
    }
}
