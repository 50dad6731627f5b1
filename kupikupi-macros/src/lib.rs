//! Implementation detail of the `kupikupi` crate: `#[derive(KupiKupiOrder)]`.
//!
//! Depend on `kupikupi` and use `kupikupi::KupiKupiOrder`; the attributes are
//! documented there. The generated code reaches `kupikupi` only through its
//! hidden `__private_v0_1` module, so this crate and `kupikupi` are released
//! with exactly matching versions.

mod ast;
mod attr;
mod errors;
mod expand;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Implements `kupikupi::KupiKupiOrder` for a struct with named fields.
#[proc_macro_derive(KupiKupiOrder, attributes(kupikupi))]
pub fn derive_kupikupi_order(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
