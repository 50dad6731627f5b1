//! Example programs; see the `examples/` folder.
