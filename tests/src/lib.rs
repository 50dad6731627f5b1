//! Compile tests and end-to-end tests of the workspace.
