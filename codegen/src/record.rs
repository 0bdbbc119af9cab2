//! Named record types: checking the spec's `x_records` and writing their
//! structs and decoders (`redtyped::reply::*`).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::Error;
use crate::names::ident;
use crate::reply::ReplyType;
use crate::spec::{Record, RecordForm, Spec};

fn error(record: &str, reason: impl Into<String>) -> Error {
    Error::Command {
        command: format!("record {record}"),
        reason: reason.into(),
    }
}

/// Which names are records, and whether each holds user data.
pub struct RecordIndex {
    user_data: BTreeMap<String, bool>,
}

impl RecordIndex {
    /// Checks every record and works out which hold user data.
    pub fn build(spec: &Spec) -> Result<RecordIndex, Error> {
        let command_types: BTreeSet<String> = spec
            .commands
            .keys()
            .map(|n| crate::names::camel(n))
            .collect();
        for name in spec.x_records.keys() {
            let ok = name.starts_with(|c: char| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric());
            if !ok {
                return Err(error(name, "record names are CamelCase words"));
            }
            if command_types.contains(name) {
                // Records live in their own module, but one name for two things reads badly.
                return Err(error(name, "a command type has the same name"));
            }
        }
        // A record holds user data when a field does, directly or through another record.
        let mut user_data: BTreeMap<String, bool> = BTreeMap::new();
        for _ in 0..=spec.x_records.len() {
            let mut changed = false;
            for (name, record) in &spec.x_records {
                let known = |n: &str| {
                    spec.x_records
                        .contains_key(n)
                        .then(|| user_data.get(n).copied().unwrap_or(false))
                };
                let mut has = false;
                for field in &record.fields {
                    has |= ReplyType::parse_with(&field.reply, &known)
                        .map_err(|e| error(name, format!("field `{}`: {e}", field.name)))?
                        .has_user_data();
                }
                if user_data.insert(name.clone(), has) != Some(has) {
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let index = RecordIndex { user_data };
        for (name, record) in &spec.x_records {
            index.check(name, record)?;
        }
        Ok(index)
    }

    /// `Some(user_data)` when `name` is a record.
    pub fn lookup(&self, name: &str) -> Option<bool> {
        self.user_data.get(name).copied()
    }

    fn parse(&self, reply: &str) -> Result<ReplyType, Error> {
        ReplyType::parse_with(reply, &|n| self.lookup(n))
    }

    fn check(&self, name: &str, record: &Record) -> Result<(), Error> {
        let mut seen = BTreeSet::new();
        for (i, field) in record.fields.iter().enumerate() {
            if !seen.insert(&field.name) {
                return Err(error(name, format!("two fields named `{}`", field.name)));
            }
            let ty = self.parse(&field.reply)?;
            let text_form = matches!(record.form, RecordForm::Kv | RecordForm::Words);
            let scalar = |t: &ReplyType| {
                matches!(
                    t,
                    ReplyType::Int
                        | ReplyType::Double
                        | ReplyType::Bool
                        | ReplyType::Text
                        | ReplyType::Status
                        | ReplyType::Bulk
                )
            };
            if text_form {
                let ok = match &ty {
                    ReplyType::Array(inner) if field.rest => scalar(inner),
                    ReplyType::Optional(inner) => scalar(inner),
                    t => scalar(t),
                };
                if !ok {
                    return Err(error(
                        name,
                        format!(
                            "field `{}`: text records hold only plain values",
                            field.name
                        ),
                    ));
                }
            }
            let rest_ok = matches!(record.form, RecordForm::Words | RecordForm::Array)
                && i + 1 == record.fields.len()
                && matches!(ty, ReplyType::Array(_));
            if field.rest && !rest_ok {
                return Err(error(
                    name,
                    format!(
                        "field `{}`: only the last field of a words or array record, an array<…>, takes the rest",
                        field.name
                    ),
                ));
            }
            if matches!(ty, ReplyType::Map(ref k, ref v) if k.has_user_data() || v.has_user_data())
            {
                return Err(error(
                    name,
                    format!(
                        "field `{}`: use pairs<…> for user data inside a record",
                        field.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The `reply` module: every record's struct and decoder.
    pub fn emit(&self, spec: &Spec, root: &TokenStream) -> Result<TokenStream, Error> {
        let mut items = TokenStream::new();
        for (name, record) in &spec.x_records {
            items.extend(self.emit_one(name, record, root)?);
        }
        Ok(quote! {
            /// Records that replies decode into, generated from the spec's `x_records`.
            pub mod reply { #items }
        })
    }

    fn emit_one(
        &self,
        name: &str,
        record: &Record,
        root: &TokenStream,
    ) -> Result<TokenStream, Error> {
        let ty = Ident::new(name, Span::call_site());
        let user_data = self.lookup(name).unwrap_or(false);
        let (generics, bounds) = if user_data {
            (quote!(<V>), quote!(<V: #root::FromValue>))
        } else {
            (quote!(), quote!())
        };
        let doc = format!(" {}", record.doc);
        let mut fields = Vec::new();
        let mut decls = Vec::new();
        let mut reads = Vec::new();
        let mut arms = Vec::new();
        let mut finishes = Vec::new();
        let record_name = Literal::string(name);
        let min_items = record
            .fields
            .iter()
            .filter(|f| !f.optional && !f.rest)
            .count();
        for field in &record.fields {
            let reply = self.parse(&field.reply)?;
            let member = ident(&field.name);
            // Locals carry a prefix so a field named like a decoder variable
            // (`entries`, `key`, `text`) cannot shadow it.
            let f = format_ident!("field_{}", crate::names::snake(&field.name));
            let mut t = reply.record_rust_tokens(root);
            if field.optional {
                t = quote!(::core::option::Option<#t>);
            }
            let fdoc = format!(
                " `{}`{}",
                field.reply,
                if field.optional { ", when present" } else { "" }
            );
            decls.push(quote!(#[doc = #fdoc] pub #member: #t,));
            fields.push((member, f.clone()));
            let shape = reply.record_shape(root);
            let kind = format_ident!("{}", reply.item_kind());
            let key = Literal::byte_string(field.key.as_deref().unwrap_or(&field.name).as_bytes());
            let field_name = Literal::string(&field.name);
            reads.push(match record.form {
                RecordForm::Array if field.rest => {
                    let ReplyType::Array(inner) = &reply else { unreachable!("checked") };
                    let inner_shape = inner.record_shape(root);
                    quote! {
                        let #f = #root::record::rest::<#inner_shape>(reader, &mut left)?;
                    }
                }
                RecordForm::Array if field.optional => quote! {
                    let #f = #root::record::optional::<#shape>(reader, &mut left, #root::record::Kind::#kind)?;
                },
                RecordForm::Array => quote! {
                    let #f = #root::record::required::<#shape>(reader, &mut left)?;
                },
                RecordForm::Map | RecordForm::Kv => {
                    let read = if record.form == RecordForm::Map {
                        quote!(entries.read::<#shape>()?)
                    } else {
                        quote!(#root::record::text_field::<#shape>(value, #root::record::Kind::#kind, reader)?)
                    };
                    let finish = if field.optional {
                        quote!(#f)
                    } else {
                        quote!(#root::record::present(#f, #record_name, #field_name)?)
                    };
                    arms.push(quote!(#key => #f = ::core::option::Option::Some(#read),));
                    finishes.push(finish);
                    TokenStream::new()
                }
                RecordForm::Words if field.rest => {
                    let ReplyType::Array(inner) = &reply else { unreachable!("checked") };
                    let inner_shape = inner.record_shape(root);
                    let inner_kind = format_ident!("{}", inner.item_kind());
                    quote! {
                        let #f = words
                            .by_ref()
                            .map(|w| #root::record::text_field::<#inner_shape>(w, #root::record::Kind::#inner_kind, reader))
                            .collect::<::core::result::Result<::std::vec::Vec<_>, _>>()?;
                    }
                }
                RecordForm::Words if field.optional => quote! {
                    let #f = match words.next() {
                        ::core::option::Option::Some(w) => ::core::option::Option::Some(#root::record::text_field::<#shape>(w, #root::record::Kind::#kind, reader)?),
                        ::core::option::Option::None => ::core::option::Option::None,
                    };
                },
                RecordForm::Words => quote! {
                    let #f = #root::record::text_field::<#shape>(
                        #root::record::next_word(&mut words, #record_name, #field_name)?,
                        #root::record::Kind::#kind,
                        reader,
                    )?;
                },
            });
        }
        let members: Vec<&Ident> = fields.iter().map(|(m, _)| m).collect();
        let locals: Vec<&Ident> = fields.iter().map(|(_, f)| f).collect();
        let body = match record.form {
            RecordForm::Array => quote! {
                let mut left = #root::record::array_len(&item, #record_name, #min_items)?;
                #(#reads)*
                #root::record::skip(reader, left)?;
            },
            RecordForm::Map | RecordForm::Kv => {
                let loop_ = if record.form == RecordForm::Map {
                    quote! {
                        let mut entries = #root::MapEntries::open(item, reader)?;
                        while let ::core::option::Option::Some(key) = entries.next_key() {
                            match key? {
                                #(#arms)*
                                _ => entries.skip_value()?,
                            }
                        }
                    }
                } else {
                    quote! {
                        let text = #root::record::text(&item, #record_name)?;
                        for (key, value) in #root::record::kv_words(text) {
                            match key {
                                #(#arms)*
                                _ => {}
                            }
                        }
                    }
                };
                let inits = locals
                    .iter()
                    .map(|f| quote!(let mut #f = ::core::option::Option::None;));
                let finishes = locals
                    .iter()
                    .zip(finishes)
                    .map(|(f, fin)| quote!(let #f = #fin;));
                quote! {
                    #(#inits)*
                    #loop_
                    #(#finishes)*
                }
            }
            RecordForm::Words => quote! {
                let text = #root::record::text(&item, #record_name)?;
                let mut words = #root::record::words(text);
                #(#reads)*
            },
        };
        Ok(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq)]
            #[non_exhaustive]
            pub struct #ty #generics { #(#decls)* }

            impl #bounds #root::record::FromRecord for #ty #generics {
                #[allow(unused_variables, unused_mut)]
                fn decode<'a>(item: #root::resp::Item<'a>, reader: &mut #root::resp::Reader<'a>)
                    -> ::core::result::Result<Self, #root::DecodeError>
                {
                    #body
                    ::core::result::Result::Ok(#ty { #(#members: #locals),* })
                }
            }
        })
    }
}
