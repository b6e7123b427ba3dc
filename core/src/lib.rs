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
pub mod settings;
pub mod time;
pub mod value;
pub mod walk;

pub use analyzer::{Analyzer, AnalyzerInfo, Context, EntityAnalysis, EntityPass, Pass};
pub use finding::{Evidence, Finding, IdKind, Occurrences, Severity};
pub use record::{Family, FileId, Format, Origin, Record};
pub use value::Value;

#[doc(hidden)]
pub use inventory;
