//! The report every output format renders, and the JSON output's types: this module *is* the
//! JSON contract documented in docs/json-output.md (a test checks the two agree field by
//! field). Fields are only ever added.

use std::collections::BTreeMap;

use acs_triage_core::engine::Summary;
use acs_triage_core::ingest::FileReport;
use acs_triage_core::time::format_timestamp;
use acs_triage_core::{Evidence, Finding, IdKind, Table};
use serde::Serialize;

/// The tool's name and version, as every output states them.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

pub const TOOL: ToolInfo = ToolInfo {
    name: "acs-triage",
    version: env!("CARGO_PKG_VERSION"),
};

/// One piece of evidence with its file resolved.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceOut {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub excerpt: String,
}

/// A finding as serialized.
#[derive(Debug, Clone, Serialize)]
pub struct FindingOut {
    pub id: String,
    pub severity: acs_triage_core::Severity,
    pub title: String,
    pub message: String,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub ids: BTreeMap<IdKind, String>,
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    pub evidence: Vec<EvidenceOut>,
}

/// Everything a renderer needs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: ToolInfo,
    pub summary: Summary,
    pub inputs: Vec<FileReport>,
    pub findings: Vec<FindingOut>,
    /// The tables asked for with `--table` (and, for HTML, those its charts draw).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
    /// IDs of the tables the user asked for with `--table` (shown as tables, not only charts).
    #[serde(skip)]
    pub asked_tables: Vec<String>,
}

fn evidence_out(paths: &[String], e: Evidence) -> EvidenceOut {
    EvidenceOut {
        file: paths
            .get(e.origin.file.0 as usize)
            .cloned()
            .unwrap_or_else(|| "?".to_owned()),
        line: (e.origin.line > 0).then_some(e.origin.line),
        index: e.origin.index,
        time: e.time.as_ref().map(format_timestamp),
        excerpt: e.excerpt,
    }
}

/// A finding as serialized; takes the finding by value so big reports are not held twice.
pub fn finding_out(paths: &[String], f: Finding) -> FindingOut {
    FindingOut {
        count: f.occurrences.count.max(1),
        first_seen: f.occurrences.first.as_ref().map(format_timestamp),
        last_seen: f.occurrences.last.as_ref().map(format_timestamp),
        evidence: f
            .occurrences
            .evidence
            .into_iter()
            .map(|e| evidence_out(paths, e))
            .collect(),
        id: f.id,
        severity: f.severity,
        title: f.title,
        message: f.message,
        action: f.action,
        code: f.code,
        docs: f.docs,
        source: f.source,
        ids: f.ids,
    }
}
