//! Output formats. Each renderer takes the same [`Report`] and writes one format.

pub mod human;
pub mod json;
pub mod story;

use std::collections::BTreeMap;

use acs_triage_core::engine::{Analysis, Summary};
use acs_triage_core::finding::{Evidence, Finding, IdKind};
use acs_triage_core::ingest::FileReport;
use acs_triage_core::time::format_timestamp;
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
}

fn evidence_out(analysis: &Analysis, e: &Evidence) -> EvidenceOut {
    EvidenceOut {
        file: analysis.path(e.origin.file).to_owned(),
        line: (e.origin.line > 0).then_some(e.origin.line),
        index: e.origin.index,
        time: e.time.as_ref().map(format_timestamp),
        excerpt: e.excerpt.clone(),
    }
}

pub fn finding_out(analysis: &Analysis, f: &Finding) -> FindingOut {
    FindingOut {
        id: f.id.clone(),
        severity: f.severity,
        title: f.title.clone(),
        message: f.message.clone(),
        action: f.action.clone(),
        code: f.code.clone(),
        docs: f.docs.clone(),
        source: f.source.clone(),
        ids: f.ids.clone(),
        count: f.occurrences.count.max(1),
        first_seen: f.occurrences.first.as_ref().map(format_timestamp),
        last_seen: f.occurrences.last.as_ref().map(format_timestamp),
        evidence: f
            .occurrences
            .evidence
            .iter()
            .map(|e| evidence_out(analysis, e))
            .collect(),
    }
}

impl Report {
    pub fn new(analysis: &Analysis) -> Report {
        Report {
            tool: TOOL,
            summary: analysis.summary.clone(),
            inputs: analysis.files.clone(),
            findings: analysis
                .findings
                .iter()
                .map(|f| finding_out(analysis, f))
                .collect(),
        }
    }
}
