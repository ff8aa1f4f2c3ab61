//! Integration tests: each runs the real `firmdedup` binary on files in a temporary directory.

#[allow(dead_code)] // helpers are shared by test modules that use different subsets
mod workdir;

mod check;
mod dedup;
mod inspect;
mod ownership;
mod state;
