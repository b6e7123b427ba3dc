//! acs-triage core: the record model, ingestion of every ACS log shape, code catalogs, settings,
//! the analyzer interface and the parallel engine. See ARCHITECTURE.md for the map.

pub mod analyzer;
pub mod catalog;
pub mod classify;
pub mod config;
pub mod engine;
pub mod finding;
pub mod ingest;
pub mod record;
pub mod redact;
pub mod rules;
pub mod secrets;
pub mod settings;
pub mod table;
pub mod time;
pub mod value;
pub mod walk;
pub mod window;

pub use analyzer::{Analyzer, AnalyzerInfo, Context, EntityAnalysis, EntityPass, Output, Pass};
pub use finding::{Evidence, Finding, IdKind, Occurrences, Severity};
pub use record::{Family, FileId, Format, Origin, Record};
pub use table::Table;
pub use value::Value;

#[doc(hidden)]
pub use inventory;

/// Hash maps and sets keyed by IDs built from log data. Analyzers keep one entry per call or
/// message over millions of records, so they use a fast non-cryptographic hasher; the inputs are
/// the user's own logs, not untrusted network traffic.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;
/// See [`FastMap`].
pub type FastSet<T> = rustc_hash::FxHashSet<T>;
