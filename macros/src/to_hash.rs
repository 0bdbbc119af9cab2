//! `#[derive(ToHash)]`: the `ToHash` impl (one slot per field) and
//! `IntoIterator for &T`, which is what HSET takes.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitByteStr};

use crate::model::{Codec, FieldKind, Struct, mentions, respan};

pub fn expand(s: &Struct) -> TokenStream {
    let krate = &s.krate;
    let ident = &s.ident;
    let owner = ident.to_string();
    let params: Vec<Ident> = s.generics.type_params().map(|p| p.ident.clone()).collect();
    let mut generics = s.generics.clone();
    let mut slots = Vec::new();
    let mut arms = Vec::new();
    for field in &s.fields {
        let member = &field.member;
        let ty = &field.ty;
        // Runtime paths spanned to the field, so errors point at it.
        let at_ty = respan(krate, ty.span());
        match &field.kind {
            FieldKind::Skip { .. } => {}
            FieldKind::Flatten { prefix } => {
                let slots_of =
                    quote_spanned!(ty.span()=> <#ty as #at_ty::hash::ToHash>::FIELD_SLOTS);
                let name = if prefix.is_empty() {
                    quote!(name)
                } else {
                    quote!(#krate::derive::prefixed(#prefix, name))
                };
                arms.push(quote! {
                    if slot < #slots_of {
                        return #krate::hash::ToHash::hash_field(&self.#member, slot)
                            .map(|(name, value)| (#name, value));
                    }
                    slot -= #slots_of;
                });
                slots.push(slots_of);
                if mentions(ty, &params) {
                    generics
                        .make_where_clause()
                        .predicates
                        .push(syn::parse_quote_spanned!(ty.span()=> #ty: #at_ty::hash::ToHash));
                }
            }
            FieldKind::Value {
                name,
                option,
                codec,
                ..
            } => {
                let value_ty = option.as_ref().unwrap_or(ty);
                let at_value = respan(krate, value_ty.span());
                let name = LitByteStr::new(name.as_bytes(), member.span());
                let rust_name = &field.rust_name;
                let encode = |value: TokenStream| match codec {
                    Codec::Plain => {
                        // The value spanned to the field too: a type without
                        // the conversion is reported there, not on the derive.
                        let value = respan(value, value_ty.span());
                        quote_spanned! {value_ty.span()=>
                            ::core::convert::Into::<#at_value::Arg<'_>>::into(#value)
                        }
                    }
                    Codec::Json => quote_spanned! {value_ty.span()=>
                        #at_value::derive::json_encode(#value, #owner, #rust_name)
                    },
                    Codec::With(module) => {
                        let at_module = respan(krate, module.span());
                        quote_spanned! {module.span()=>
                            ::core::convert::Into::<#at_module::Arg<'_>>::into(#module::encode(#value))
                        }
                    }
                };
                let pair = |value| {
                    let value = encode(value);
                    quote!((#krate::Arg::Borrowed(#name), #value))
                };
                let write = match option {
                    None => {
                        let pair = pair(quote!(&self.#member));
                        quote!(::core::option::Option::Some(#pair))
                    }
                    Some(_) => {
                        let pair = pair(quote!(value));
                        quote! {
                            match &self.#member {
                                ::core::option::Option::Some(value) => ::core::option::Option::Some(#pair),
                                ::core::option::Option::None => ::core::option::Option::None,
                            }
                        }
                    }
                };
                arms.push(quote! {
                    if slot == 0 {
                        return #write;
                    }
                    slot -= 1;
                });
                slots.push(quote!(1));
                if mentions(value_ty, &params) {
                    let bound: Option<syn::WherePredicate> = match codec {
                        Codec::Plain => Some(syn::parse_quote_spanned! {value_ty.span()=>
                            for<'__r> &'__r #value_ty: ::core::convert::Into<#at_value::Arg<'__r>>
                        }),
                        Codec::Json => Some(syn::parse_quote_spanned! {value_ty.span()=>
                            #value_ty: #at_value::derive::serde::Serialize
                        }),
                        // The module's own signature bounds it.
                        Codec::With(_) => None,
                    };
                    generics.make_where_clause().predicates.extend(bound);
                }
            }
        }
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let (_, plain_ty_generics, _) = s.generics.split_for_impl();
    let mut iter_generics = s.generics.clone();
    iter_generics.params.insert(0, syn::parse_quote!('__r));
    iter_generics
        .make_where_clause()
        .predicates
        .push(syn::parse_quote!(#ident #plain_ty_generics: #krate::hash::ToHash));
    let (iter_impl_generics, _, iter_where_clause) = iter_generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::hash::ToHash for #ident #ty_generics #where_clause {
            const FIELD_SLOTS: usize = 0 #(+ #slots)*;

            #[allow(unused_mut, unused_variables, clippy::all)]
            fn hash_field(&self, slot: usize)
                -> ::core::option::Option<(#krate::Arg<'_>, #krate::Arg<'_>)>
            {
                let mut slot = slot;
                #(#arms)*
                ::core::option::Option::None
            }
        }

        #[automatically_derived]
        impl #iter_impl_generics ::core::iter::IntoIterator for &'__r #ident #plain_ty_generics
            #iter_where_clause
        {
            type Item = (#krate::Arg<'__r>, #krate::Arg<'__r>);
            type IntoIter = #krate::hash::HashFields<'__r, #ident #plain_ty_generics>;

            fn into_iter(self) -> Self::IntoIter {
                #krate::hash::ToHash::hash_fields(self)
            }
        }
    }
}
