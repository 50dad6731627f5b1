//! Implementation detail of the `kupikupi` crate. Use `kupikupi::KupiKupiOrder`.
