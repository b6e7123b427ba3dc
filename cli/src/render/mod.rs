//! Output formats. Each renderer takes the same [`Report`] and writes one format.

pub mod html;
pub mod human;
pub mod json;
pub mod jsonl;
pub mod markdown;
mod report;
pub mod story;
pub mod svg;

use acs_triage_core::Severity;
use acs_triage_core::engine::{Analysis, Summary};
use acs_triage_core::finding::IdKind;

use acs_triage_core::ingest::FileReport;
use acs_triage_core::table::Table;

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

pub use acs_triage_core::text::{bytes as human_bytes, group_digits, plural};

/// The entity a finding is mainly about, for grouping.
pub fn entity_of(f: &FindingOut) -> String {
    for kind in [
        IdKind::CallId,
        IdKind::ServerCallId,
        IdKind::CallConnectionId,
        IdKind::SmsMessageId,
        IdKind::ChatThreadId,
        IdKind::UserId,
        IdKind::PhoneNumber,
    ] {
        if let Some(v) = f.ids.get(&kind) {
            return format!("{} {v}", kind.label());
        }
    }
    // Findings about an input itself (a secret written in it) group under that file.
    match f.evidence.first() {
        Some(e) if f.evidence.iter().all(|x| x.file == e.file) => format!("file {}", e.file),
        _ => "other".to_owned(),
    }
}

/// `12 input files, 28.3 KiB read, 44 records (1 rejected, 6 duplicates counted once)`.
pub fn inputs_line(s: &Summary) -> String {
    let mut notes = Vec::new();
    if s.rejected > 0 {
        notes.push(format!("{} rejected", group_digits(s.rejected)));
    }
    if s.duplicates > 0 {
        notes.push(format!(
            "{} counted once",
            plural(s.duplicates, "duplicate", "duplicates")
        ));
    }
    format!(
        "{}, {} read, {}{}",
        plural(s.files, "input file", "input files"),
        human_bytes(s.bytes),
        plural(s.records, "record", "records"),
        if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        }
    )
}

/// `Records from 2026-11-20 15:12:40 to 2026-11-20 16:20:30 UTC`, when records have times.
pub fn time_range_line(s: &Summary) -> Option<String> {
    let (first, last) = (s.first_record.as_ref()?, s.last_record.as_ref()?);
    Some(format!(
        "Records from {} to {} UTC",
        first.format("%Y-%m-%d %H:%M:%S"),
        last.format("%Y-%m-%d %H:%M:%S")
    ))
}

/// `file:line[index]` of a piece of evidence.
pub fn place(e: &EvidenceOut) -> String {
    let mut place = e.file.clone();
    if let Some(l) = e.line {
        place.push_str(&format!(":{l}"));
    }
    if let Some(i) = e.index {
        place.push_str(&format!("[{i}]"));
    }
    place
}

/// A table as Markdown, so it pastes into a support ticket or issue as it is.
pub fn markdown_table(table: &Table) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(&table.columns);
    for row in &table.rows {
        t.add_row(row);
    }
    t.to_string()
}

pub use report::*;

/// Severities in report order, with the heading each group gets.
pub const SEVERITY_GROUPS: [(Severity, &str); 3] = [
    (Severity::Error, "Errors"),
    (Severity::Warning, "Warnings"),
    (Severity::Info, "Info"),
];

impl Report {
    /// The inputs a report lists first (not read whole, records lost, or a remark).
    pub fn inputs_needing_attention(&self) -> Vec<&FileReport> {
        self.inputs.iter().filter(|f| f.needs_attention()).collect()
    }

    /// The findings of one severity, in report order.
    pub fn findings_of(&self, severity: Severity) -> Vec<&FindingOut> {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect()
    }

    /// Redacts every text of the report before it is rendered, so that no output format's
    /// escaping (JSON, HTML) can hide a secret from the output-level redaction that follows.
    pub fn redact(&mut self) {
        use acs_triage_core::redact::redact;
        self.for_each_text(|s: &mut String| {
            if let std::borrow::Cow::Owned(new) = redact(s) {
                *s = new;
            }
        });
    }

    /// Writes control characters that came from the logs (an escape sequence would drive the
    /// reader's terminal; a line break would break a table or list) as visible escapes. For
    /// the text formats; JSON escapes them itself.
    pub fn neutralize_controls(&mut self) {
        self.for_each_text(|s: &mut String| {
            if s.chars().any(char::is_control) {
                *s = s
                    .chars()
                    .flat_map(|c| {
                        let escaped: Vec<char> = if c.is_control() {
                            c.escape_default().collect()
                        } else {
                            vec![c]
                        };
                        escaped
                    })
                    .collect();
            }
        });
    }

    fn for_each_text(&mut self, mut r: impl FnMut(&mut String)) {
        for f in &mut self.findings {
            r(&mut f.title);
            r(&mut f.message);
            r(&mut f.action);
            for v in f.ids.values_mut() {
                r(v);
            }
            for e in &mut f.evidence {
                r(&mut e.excerpt);
                r(&mut e.file);
            }
        }
        for i in &mut self.inputs {
            r(&mut i.path);
            if let Some(n) = &mut i.note {
                r(n);
            }
            for e in &mut i.errors {
                r(&mut e.message);
            }
        }
        for t in &mut self.tables {
            for row in &mut t.rows {
                for cell in row {
                    r(cell);
                }
            }
        }
    }

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
            asked_tables: Vec::new(),
        }
    }
}
