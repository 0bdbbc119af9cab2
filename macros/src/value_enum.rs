//! `#[derive(ValueEnum)]`: an enum of unit variants written as its
//! variant's name (`Into<Arg>`) and read back from it (`FromValue`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitByteStr;

use crate::model::Enum;

pub fn expand(e: &Enum) -> TokenStream {
    let krate = &e.krate;
    let ident = &e.ident;
    let enum_name = ident.to_string();
    let idents: Vec<_> = e.variants.iter().map(|v| &v.ident).collect();
    let names: Vec<_> = e.variants.iter().map(|v| v.name.as_str()).collect();
    let bytes: Vec<_> = e
        .variants
        .iter()
        .map(|v| LitByteStr::new(v.name.as_bytes(), v.ident.span()))
        .collect();
    let indices = 0..e.variants.len();
    let decode = if e.variants.is_empty() {
        quote! {
            match #krate::derive::variant(&item, &[], #enum_name) {
                ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
                ::core::result::Result::Ok(_) => ::core::unreachable!(),
            }
        }
    } else {
        quote! {
            const NAMES: &[&str] = &[#(#names),*];
            match #krate::derive::variant(&item, NAMES, #enum_name)? {
                #(#indices => ::core::result::Result::Ok(#ident::#idents),)*
                _ => ::core::unreachable!(),
            }
        }
    };
    quote! {
        #[automatically_derived]
        impl<'__a> ::core::convert::From<&#ident> for #krate::Arg<'__a> {
            fn from(value: &#ident) -> Self {
                #krate::Arg::Borrowed(match *value {
                    #(#ident::#idents => #bytes.as_slice(),)*
                })
            }
        }

        #[automatically_derived]
        impl<'__a> ::core::convert::From<#ident> for #krate::Arg<'__a> {
            fn from(value: #ident) -> Self {
                ::core::convert::From::from(&value)
            }
        }

        #[automatically_derived]
        impl #krate::FromValue for #ident {
            fn from_value<'__a>(
                item: #krate::resp::Item<'__a>,
                _: &mut #krate::resp::Reader<'__a>,
            ) -> ::core::result::Result<Self, #krate::DecodeError> {
                #decode
            }
        }
    }
}
