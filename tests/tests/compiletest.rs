//! Compile tests of `#[derive(KupiKupiOrder)]`: every case in `ui/pass`
//! must compile, and every case in `ui/fail` must fail with exactly the
//! errors in its `.stderr` file.
//!
//! The `.stderr` snapshots were written by rustc 1.95.0; another compiler
//! version may word or place its own diagnostics differently. Regenerate
//! them with `TRYBUILD=overwrite cargo test -p kupikupi-tests --test compiletest`
//! and review every changed caret and message.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
