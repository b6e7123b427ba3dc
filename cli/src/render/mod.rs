//! Output formats. Each renderer takes the same [`Report`] and writes one format.

pub mod human;
pub mod json;
pub mod story;

use std::collections::BTreeMap;

use acs_triage_core::engine::{Analysis, Summary};
use acs_triage_core::finding::{Evidence, Finding, IdKind};
use acs_triage_core::ingest::FileReport;
use acs_triage_core::table::Table;
use acs_triage_core::time::format_timestamp;
use serde::Serialize;

/// A writer for human output: styles pass through when colour is on and are stripped otherwise.
pub fn styled<'a>(
    out: &'a mut (dyn std::io::Write + 'a),
    color: bool,
) -> Box<dyn std::io::Write + 'a> {
    if color {
        Box::new(out)
    } else {
        Box::new(Strip {
            out,
            state: anstream::adapter::StripBytes::new(),
        })
    }
}

/// Drops ANSI escape sequences on the way through.
struct Strip<'a> {
    out: &'a mut (dyn std::io::Write + 'a),
    state: anstream::adapter::StripBytes,
}

impl std::io::Write for Strip<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for printable in self.state.strip_next(buf) {
            self.out.write_all(printable)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

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
    /// The tables asked for with `--table`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
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

impl Report {
    /// The report of a run (consumes it: findings are moved, not copied).
    pub fn new(analysis: Analysis) -> Report {
        let Analysis {
            files,
            findings,
            tables,
            summary,
            paths,
        } = analysis;
        Report {
            tool: TOOL,
            summary,
            inputs: files,
            findings: findings
                .into_iter()
                .map(|f| finding_out(&paths, f))
                .collect(),
            tables,
        }
    }
}
