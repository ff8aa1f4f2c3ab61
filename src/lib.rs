//! firmdedup finds the real clients behind a messy Russian CRM client base.
//!
//! It reads a CRM export ([`ingest`]), turns every value into comparable keys ([`normalize`]), groups cards into
//! legal entities and legal entities into firms with the evidence for every link (`block`, `score`, `cluster`,
//! `firm`), decides who owns each firm (`ownership`), keeps firm ids stable between nightly runs in SQLite
//! (`state`), and answers a manager's "is this client already someone's?" from that state (`check`).
//! See ARCHITECTURE.md for the data flow.

pub mod card;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod csvio;
pub mod dict;
pub mod eval;
pub mod groups;
pub mod ingest;
pub mod matching;
pub mod normalize;
pub mod ownership;
pub mod pipeline;
pub mod progress;
pub mod quality;
pub mod report;
pub mod sanitize;
pub mod serve;
pub mod state;
pub mod synth;
pub mod timing;

pub use card::{Card, Field};
pub use dict::Dictionaries;
