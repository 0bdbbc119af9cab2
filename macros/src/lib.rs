//! Derive macros for [redtyped](https://docs.rs/redtyped): structs as Redis
//! hashes, enums as values. Use them through `redtyped` (feature `derive`,
//! on by default): `#[derive(redtyped::ToHash, redtyped::FromHash)]`.
//!
//! ```no_run
//! use redtyped::{Client, FromHash, ToHash, ValueEnum};
//!
//! #[derive(ValueEnum, Debug, PartialEq)]
//! #[redis(rename_all = "lowercase")]
//! enum Role { Admin, Member }                 // stored as "admin", "member"
//!
//! #[derive(ToHash, FromHash, Debug, PartialEq)]
//! struct User {
//!     name: String,
//!     age: u32,
//!     role: Role,
//!     #[redis(rename = "e")]
//!     email: Option<String>,                  // not written when None; None when missing
//!     #[redis(default)]
//!     visits: u64,                            // 0 when missing
//! }
//!
//! # async fn demo(client: Client) -> redtyped::Result<()> {
//! let user = User { name: "Ada".into(), age: 36, role: Role::Admin, email: None, visits: 0 };
//! client.hset("user:1", &user).await?;
//! let back: Option<User> = client.hgetall("user:1").await?;           // None: no such key
//! let same: User = client.send(redtyped::hash::hmget("user:1")).await?; // HMGET of its fields
//! # Ok(()) }
//! ```
//!
//! # What each derive implements
//!
//! - [`ToHash`](derive@ToHash): `redtyped::ToHash` (the fields as
//!   `(name, value)` argument pairs, borrowed from the value) and
//!   `IntoIterator for &T` over those pairs, which is what HSET's field/value
//!   argument takes: `hset(key, &value)` works wherever the generated
//!   commands do (a client, and the same `cmd::hset` value everywhere
//!   commands go).
//! - [`FromHash`](derive@FromHash): `redtyped::FromHash` (fields by name, in
//!   any order, unknown ones skipped) and `redtyped::FromMap`, so HGETALL
//!   decodes into `T` or `Option<T>` (`None` when the key does not exist).
//!   `redtyped::hash::hmget::<T or Option<T>>(key)` asks for exactly the
//!   struct's fields; `T::field_names()` lists them for the generated
//!   `hmget`.
//! - [`ValueEnum`](derive@ValueEnum): for an enum of unit variants,
//!   `Into<Arg>` (the variant's name) and `FromValue` (from the name), so it
//!   is a hash field type, a command argument and a reply value like any
//!   string.
//!
//! # Field types
//!
//! A field is written through `Into<redtyped::Arg>` of a reference to it and
//! read through `redtyped::FromValue`: the conversions every command uses.
//! That covers `String`, `&str` and `Cow<str>` (write; `Cow` reads too),
//! `Vec<u8>` and `Bytes`, every integer type up to 64 bits, `f32`/`f64`,
//! `bool` (written `1`/`0`), `ValueEnum` enums, and any type of yours with
//! those two impls. A field of another type is a compile error on the field.
//!
//! `Option<T>` (spelled `Option`, `std::option::Option` or
//! `core::option::Option`; an alias is taken as a plain value) holds a `T`:
//! it is not written when `None`, and is `None` when the hash lacks it.
//! Every other field is required when reading unless it has a `default`.
//!
//! # Attributes
//!
//! On the struct (or a `ValueEnum` enum):
//!
//! | attribute | effect |
//! |---|---|
//! | `rename_all = "…"` | field (variant) names under a rule: `lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `SCREAMING-KEBAB-CASE` |
//! | `crate = path` | the runtime's path when `redtyped` is renamed or re-exported (default `::redtyped`) |
//!
//! On a field:
//!
//! | attribute | effect |
//! |---|---|
//! | `rename = "name"` | the hash field's name (wins over `rename_all`) |
//! | `skip` | neither written nor read; read as its `default` (`Default::default()` unless `default = …` says otherwise) |
//! | `default` | when reading, a missing field is `Default::default()` |
//! | `default = path` | … or `path()` (also written `default = "path"`) |
//! | `json` | stored as JSON: `T: Serialize` to write, `DeserializeOwned` to read; needs redtyped's `json` feature |
//! | `with = module` | `module::encode(&T) -> impl Into<Arg>` writes it, `module::decode(&[u8]) -> Result<T, E: Display>` reads it |
//! | `flatten` | the fields of a nested `ToHash`/`FromHash` struct, in this hash |
//! | `prefix = "p"` | with `flatten`: the nested fields' names start with `p` |
//!
//! On a `ValueEnum` variant: `rename = "name"`.
//!
//! For `Option<T>` fields, `json` and `with` apply to the `T`.
//!
//! Unknown attributes, repeated attributes, attributes that conflict (`skip`
//! with anything but `default`; `flatten` with `rename`, `json`, `with` or
//! `default`; `json` with `with`; `prefix` without `flatten`) and two fields
//! with the same hash name are compile errors, each spanned to the attribute
//! at fault, all reported at once.
//!
//! # Decisions
//!
//! - **Writing borrows.** Field names are `'static` bytes, values borrow
//!   from the struct, numbers stay numbers until encoded: no allocation per
//!   field, except a flattened field's prefixed name and `json` values.
//! - **A `json` value that cannot be serialized panics** (naming the field)
//!   while the command is encoded: HSET's argument is an infallible
//!   iterator. The partly encoded command is discarded, nothing is sent.
//! - **Decode errors name the struct, the field and the raw value**:
//!   `User.age: expected an integer that fits u32, got bulk string "old"`;
//!   for a missing required field, `User.age: expected the hash field "age",
//!   got no such field`; inside a flattened struct, `Address.city in
//!   User.home: …`.
//! - **Option by spelling, not by trait**, as serde does for its own Option
//!   handling: a missing-or-`None` field must be known while expanding.
//! - **`skip` follows serde**: it reads as `Default::default()` (or the
//!   given function), and a type without `Default` is a compile error on the
//!   field.
//! - **`&T` becomes an `IntoIterator`** because HSET's generated signature
//!   takes one and the derive must not need a codegen special case. A type
//!   that already implements `IntoIterator for &T` cannot derive `ToHash`;
//!   `value.hash_fields()` is the same pairs as an iterator
//!   (`hset(key, value.hash_fields())`).
//! - **HMGET into a struct is its own command value**,
//!   `redtyped::hash::hmget::<T or Option<T>>(key)`: the generated `hmget`'s
//!   reply type is fixed to `Vec<Option<V>>`, and a command value goes
//!   wherever commands go (pipelines and transactions included, once they
//!   exist). `Option<T>` is `None` when no field is there.
//! - **An empty struct value** (every field `None`) writes no fields, and
//!   HSET without fields is an error from the server.
//! - **Duplicate names across a flatten** are not detected at compile time
//!   (the nested struct's names belong to its own derive).
//! - **Generics and lifetimes**: bounds are added only for fields whose type
//!   mentions a type parameter (`T: FromValue`, `for<'r> &'r T: Into<Arg<'r>>`,
//!   `T: Serialize`, `Nested<T>: FromHash`); a `Cow<'a, str>` field writes
//!   borrowed and reads owned.

mod case;
mod from_hash;
mod model;
mod to_hash;
mod value_enum;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

use model::Derive;

/// Writes a struct with named fields as the fields of a hash:
/// `client.hset(key, &value)`. See the [crate docs](crate) for attributes.
///
/// ```
/// #[derive(redtyped::ToHash)]
/// #[redis(rename_all = "camelCase")]
/// struct Session<'a> {
///     user_name: &'a str,
///     ttl_secs: u32,
///     #[redis(skip)]
///     cache: Vec<u8>,
/// }
///
/// use redtyped::ToHash;
/// let s = Session { user_name: "ada", ttl_secs: 60, cache: vec![] };
/// let names: Vec<_> = s.hash_fields().map(|(name, _)| name).collect();
/// assert_eq!(names, [redtyped::Arg::from("userName"), "ttlSecs".into()]);
/// ```
#[proc_macro_derive(ToHash, attributes(redis))]
pub fn derive_to_hash(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::parse_struct(&input, Derive::ToHash)
        .map(|s| to_hash::expand(&s))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Reads a struct with named fields from the fields of a hash:
/// `let u: Option<User> = client.hgetall(key).await?`. See the
/// [crate docs](crate) for attributes.
///
/// ```
/// #[derive(redtyped::FromHash)]
/// struct Counter {
///     #[redis(default)]
///     hits: u64,
///     #[redis(default = "one")]
///     step: i64,
///     label: Option<String>,
/// }
/// fn one() -> i64 { 1 }
///
/// use redtyped::FromHash;
/// assert_eq!(Counter::field_names().collect::<Vec<_>>(), ["hits", "step", "label"]);
/// ```
#[proc_macro_derive(FromHash, attributes(redis))]
pub fn derive_from_hash(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::parse_struct(&input, Derive::FromHash)
        .map(|s| from_hash::expand(&s))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Stores an enum of unit variants as its variant's name: `Into<Arg>` for
/// the enum and a reference to it, and `FromValue`. Takes `rename_all` on the
/// enum and `rename` on a variant.
///
/// ```
/// #[derive(redtyped::ValueEnum, Debug, PartialEq)]
/// #[redis(rename_all = "kebab-case")]
/// enum Plan { Free, ProMonthly, #[redis(rename = "ent")] Enterprise }
///
/// assert_eq!(redtyped::Arg::from(Plan::ProMonthly), redtyped::Arg::from("pro-monthly"));
/// assert_eq!(redtyped::Arg::from(&Plan::Enterprise), redtyped::Arg::from("ent"));
/// ```
#[proc_macro_derive(ValueEnum, attributes(redis))]
pub fn derive_value_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::parse_enum(&input)
        .map(|e| value_enum::expand(&e))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
