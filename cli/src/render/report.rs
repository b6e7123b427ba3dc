//! The report every output format renders, and the JSON output's types: this module *is* the
//! JSON contract documented in docs/json-output.md (a test checks the two agree field by
//! field). Fields are only ever added.

use std::collections::BTreeMap;

use acs_triage_core::digest::{Affected, Problem};
use acs_triage_core::engine::Summary;
use acs_triage_core::health::{HealthLine, Unit};
use acs_triage_core::ingest::FileReport;
use acs_triage_core::time::format_timestamp;
use acs_triage_core::{Evidence, Finding, IdKind, SharedText, Table};
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
    /// The file's display path, shared by every evidence from the file (a large report has
    /// hundreds of thousands of them).
    pub file: SharedText,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Stamp>,
    pub excerpt: Box<str>,
}

/// A time as reports write it (`2026-11-20T15:12:40.512Z`), written out only when the report
/// is: a large report holds a few hundred thousand of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(pub chrono::DateTime<chrono::Utc>);

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_timestamp(&self.0))
    }
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_timestamp(&self.0))
    }
}

/// A finding as serialized.
#[derive(Debug, Clone, Serialize)]
pub struct FindingOut {
    pub id: SharedText,
    pub severity: acs_triage_core::Severity,
    pub title: SharedText,
    pub message: Box<str>,
    pub action: SharedText,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<SharedText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SharedText>,
    pub ids: acs_triage_core::finding::Ids,
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Stamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Stamp>,
    pub evidence: Vec<EvidenceOut>,
}

/// A problem as serialized: one cause over one scope, ranked by impact (see
/// `acs_triage_core::digest`).
#[derive(Debug, Clone, Serialize)]
pub struct ProblemOut {
    /// 1 for the problem with the most impact.
    pub rank: usize,
    pub key: String,
    pub kind: String,
    pub severity: acs_triage_core::Severity,
    pub title: String,
    pub action: String,
    /// Indexes into `findings`, the leading finding first.
    pub findings: Vec<usize>,
    /// Finding kinds it holds, with how many findings of each.
    pub kinds: BTreeMap<String, u64>,
    pub affected: Affected,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// Up to three IDs to start from.
    pub examples: Vec<ExampleOut>,
}

/// A problem's share of what the logs hold.
#[derive(Debug, Clone, Serialize)]
pub struct ShareOut {
    pub count: u64,
    pub total: u64,
    pub unit: Unit,
    /// `4 of 1,150 calls, 0.35 %`.
    pub text: String,
}

/// An ID to start a problem's investigation from.
#[derive(Debug, Clone, Serialize)]
pub struct ExampleOut {
    pub kind: IdKind,
    pub id: String,
}

/// How much a human or Markdown report shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Detail {
    /// The problems ranked, the health overview, inputs that need attention: no per-problem
    /// detail.
    Summary,
    /// The digest: the ranked problems, the health overview, each problem in a few lines.
    #[default]
    Digest,
    /// Also every finding of each problem with its evidence.
    Details,
    /// Also every input, read or not.
    All,
}

/// Everything a renderer needs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: ToolInfo,
    pub summary: Summary,
    pub inputs: Vec<FileReport>,
    /// The findings grouped into problems, most impact first.
    pub problems: Vec<ProblemOut>,
    /// What the logs hold in all, by area (calls, media, Call Automation, SMS, chat, identity).
    pub health: Vec<HealthLine>,
    /// Boxed, each in the allocator's size class its finding had: a finding converted for the
    /// report takes the place the previous one left, where a list of the converted findings
    /// side by side was fresh memory (at 10x, 30 MiB at once on top of all the findings).
    pub findings: Vec<Box<FindingOut>>,
    /// The tables asked for with `--table` (and, for HTML, those its charts draw).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
    /// IDs of the tables the user asked for with `--table` (shown as tables, not only charts).
    #[serde(skip)]
    pub asked_tables: Vec<String>,
    /// How much the human and Markdown reports show.
    #[serde(skip)]
    pub detail: Detail,
}

/// A problem as serialized.
pub fn problem_out(rank: usize, p: Problem) -> ProblemOut {
    ProblemOut {
        rank,
        share: p.share.map(|s| ShareOut {
            text: s.describe(),
            count: s.count,
            total: s.total,
            unit: s.unit,
        }),
        first_seen: p.first_seen.as_ref().map(format_timestamp),
        last_seen: p.last_seen.as_ref().map(format_timestamp),
        examples: p
            .examples
            .into_iter()
            .map(|(kind, id)| ExampleOut { kind, id })
            .collect(),
        key: p.key,
        kind: p.kind,
        severity: p.severity,
        title: p.title,
        action: p.action,
        findings: p.findings,
        kinds: p.kinds,
        affected: p.affected,
    }
}

fn evidence_out(paths: &[std::sync::Arc<str>], e: Evidence) -> EvidenceOut {
    EvidenceOut {
        file: paths
            .get(e.origin.file.0 as usize)
            .map_or(SharedText::Static("?"), SharedText::from),
        line: (e.origin.line > 0).then_some(e.origin.line),
        index: e.origin.index,
        time: e.time.map(Stamp),
        excerpt: e.excerpt,
    }
}

/// A finding as serialized; takes the finding by value so big reports are not held twice.
pub fn finding_out(paths: &[std::sync::Arc<str>], mut f: Finding) -> FindingOut {
    let message = f.take_message();
    let ids = f.take_ids();
    FindingOut {
        count: f.occurrences.count.max(1),
        first_seen: f.occurrences.first.map(Stamp),
        last_seen: f.occurrences.last.map(Stamp),
        evidence: f
            .occurrences
            .evidence
            .into_iter()
            .map(|e| evidence_out(paths, e))
            .collect(),
        id: f.id,
        severity: f.severity,
        title: f.title,
        message,
        action: f.action,
        code: f.code,
        docs: f.docs,
        source: f.source,
        ids,
    }
}
