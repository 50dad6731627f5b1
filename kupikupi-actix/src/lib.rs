//! actix-web integration for KupiKupi payments.

#![forbid(unsafe_code)]

#[cfg(feature = "sandbox")]
pub mod sandbox;
