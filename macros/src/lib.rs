//! Derive macros for [redtyped](https://docs.rs/redtyped).
//!
//! The hash-mapping derives (`ToHash`, `FromHash`) arrive with the derive issue;
//! this crate exists now so the workspace has its final shape and the
//! `redtyped` crate can already depend on it.
