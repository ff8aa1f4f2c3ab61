//! Integration tests: each runs the real `firmdedup` binary on files in a temporary directory.

#[allow(dead_code)] // helpers are shared by test modules that use different subsets
mod workdir;

mod browser;
mod check;
mod classes;
mod dedup;
mod explain;
mod ingest;
mod inspect;
mod ownership;
mod plan;
mod report_html;
mod safety;
mod serve;
mod state;
