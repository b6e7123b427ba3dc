//! Output formats. Each renderer takes the same [`Report`] and writes one format.

pub mod html;
pub mod human;
pub mod json;
pub mod jsonl;
pub mod markdown;
mod report;
pub mod story;
pub mod svg;

use acs_triage_core::engine::{Analysis, Summary};
use acs_triage_core::finding::SharedText;
use acs_triage_core::{FastMap, Severity};

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

/// `acs-triage 0.1.0 · 14 input files, 28.3 KiB read, 44 records · 2026-11-20 15:12 to 16:20 UTC ·
/// 9 problems: 3 errors, 4 warnings, 2 info`.
pub fn header_line(report: &Report) -> String {
    let s = &report.summary;
    let mut parts = vec![
        format!("{} {}", report.tool.name, report.tool.version),
        inputs_line(s),
    ];
    if let (Some(a), Some(b)) = (&s.first_record, &s.last_record) {
        let from = a.format("%Y-%m-%d %H:%M").to_string();
        let to = if a.date_naive() == b.date_naive() {
            b.format("%H:%M").to_string()
        } else {
            b.format("%Y-%m-%d %H:%M").to_string()
        };
        parts.push(if from.ends_with(&to) {
            format!("{from} UTC")
        } else {
            format!("{from} to {to} UTC")
        });
    }
    let count = |sev: Severity| report.problems.iter().filter(|p| p.severity == sev).count() as u64;
    if !report.problems.is_empty() {
        parts.push(format!(
            "{}: {}, {}, {}",
            plural(report.problems.len() as u64, "problem", "problems"),
            plural(count(Severity::Error), "error", "errors"),
            plural(count(Severity::Warning), "warning", "warnings"),
            count(Severity::Info).to_string() + " info",
        ));
    }
    parts.join(" · ")
}

/// `Unanalyzed: 13 records of no kind acs-triage analyzes (browser-console.log 9, x.json 4)`:
/// where the records the summary counts as unknown came from.
pub fn unknown_line(report: &Report) -> Option<String> {
    let mut files: Vec<(&str, u64)> = report
        .inputs
        .iter()
        .filter(|f| f.unknown > 0)
        .map(|f| (f.path.as_str(), f.unknown))
        .collect();
    let total: u64 = files.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = files
        .iter()
        .take(3)
        .map(|(p, n)| format!("{} {}", short_path(p), group_digits(*n)))
        .collect();
    let more = if files.len() > 3 {
        format!(", {} more files", files.len() - 3)
    } else {
        String::new()
    };
    Some(format!(
        "{} of no kind acs-triage analyzes (other loggers' lines, unknown categories): {}{more}",
        plural(total, "record", "records"),
        shown.join(", ")
    ))
}

/// `Late records: 3 calls received records after they had been judged ...`: entities judged
/// early ([`acs_triage_core::analyzer::Analysis::close`]) that more records came for.
pub fn late_line(report: &Report) -> Option<String> {
    let late = &report.summary.late;
    if late.is_empty() {
        return None;
    }
    let what: Vec<String> = late
        .iter()
        .map(|(noun, n)| format!("{} {noun}", group_digits(*n)))
        .collect();
    Some(format!(
        "{} received records after they had been judged (more than `[ingest] close_after` after their other records), so were judged without them; set `close_after = \"48h\"` under `[ingest]` in acs-triage.toml and run again",
        what.join(", ")
    ))
}

/// The notes under the health overview: (label, text).
pub fn health_notes(report: &Report) -> Vec<(&'static str, String)> {
    let mut notes = Vec::new();
    if let Some(u) = unknown_line(report) {
        notes.push(("Unanalyzed", u));
    }
    if let Some(l) = late_line(report) {
        notes.push(("Late records", l));
    }
    if report.summary.query_rows > 0 {
        notes.push((
            "Query results",
            format!(
                "{} rows are results of `acs-triage kql` queries: only the rows problems come from came back, so the counts and shares above cover those rows, not all traffic, and nothing is said about data missing",
                group_digits(report.summary.query_rows)
            ),
        ));
    }
    notes
}

/// What a report says instead of "no problems" when no record was read.
pub fn nothing_read(report: &Report) -> Option<String> {
    (report.summary.records == 0).then(|| {
        format!(
            "No record was read from {}: there is nothing to judge, so this is no verdict. {}",
            plural(report.summary.files, "input", "inputs"),
            if report.inputs.is_empty() {
                "The paths hold no file.".to_owned()
            } else {
                "What was found is listed below.".to_owned()
            }
        )
    })
}

/// Writes only the tables (`--tables-only`): as Markdown tables for people, as JSON (one
/// document `{"tables": [...]}`, or one table per line) for machines.
pub fn write_tables(
    report: &Report,
    format: crate::commands::analyze::OutputFormat,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use crate::commands::analyze::OutputFormat;
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(
                &mut *out,
                &serde_json::json!({ "tables": report.tables }),
            )
            .map_err(std::io::Error::other)?;
            writeln!(out)
        }
        OutputFormat::Jsonl => {
            for t in &report.tables {
                serde_json::to_writer(&mut *out, t).map_err(std::io::Error::other)?;
                writeln!(out)?;
            }
            Ok(())
        }
        _ => {
            for (i, t) in report.tables.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "{} [{}]", t.title, t.id)?;
                writeln!(out, "{}", markdown_table(t))?;
            }
            Ok(())
        }
    }
}

/// What the digest leaves out and how to see it.
pub fn more_hint(report: &Report) -> Option<String> {
    match report.detail {
        Detail::Summary => Some(
            "Each problem in a few lines: leave --summary out; every finding with its evidence: --details."
                .to_owned(),
        ),
        Detail::Digest if !report.findings.is_empty() => Some(format!(
            "{} behind these problems, with their evidence: --details; every input too: --all; one call's story: --call <ID>.",
            plural(report.findings.len() as u64, "finding", "findings")
        )),
        _ => None,
    }
}

/// How many a problem touches, in a few characters: `2 calls`, `15 SMS messages`, `1 file`.
pub fn problem_scope(p: &ProblemOut) -> String {
    let a = &p.affected;
    let candidates = [
        (a.calls, "call", "calls"),
        (a.messages, "SMS message", "SMS messages"),
        (a.threads, "chat thread", "chat threads"),
        (a.users, "user", "users"),
        (a.numbers, "number", "numbers"),
        (a.participants, "participant", "participants"),
        (a.files, "file", "files"),
    ];
    match candidates.iter().find(|(n, _, _)| *n > 0) {
        Some((n, one, many)) => plural(*n, one, many),
        None => format!("{}×", group_digits(a.occurrences)),
    }
}

/// Where to look first for a problem: its first example ID, shortened for a one-line list.
pub fn problem_where(p: &ProblemOut) -> Option<String> {
    let e = p.examples.first()?;
    let id: String = if e.id.chars().count() > 14 {
        e.id.chars().take(13).collect::<String>() + "…"
    } else {
        e.id.clone()
    };
    Some(format!("{} {id}", e.kind.label()))
}

/// A storage-export path shortened to what tells such files apart, its category and hour:
/// `insights-logs-callsummary/resourceId=/.../y=2026/m=11/d=20/h=15/m=00/PT1H.json` →
/// `callsummary 2026-11-20T15 PT1H.json`. Other paths are returned as they are.
pub fn short_path(path: &str) -> String {
    let Some(at) = path.find("insights-logs-") else {
        return path.to_owned();
    };
    let (before, rest) = path.split_at(at);
    let category = rest["insights-logs-".len()..]
        .split('/')
        .next()
        .unwrap_or_default();
    let part = |key: &str| {
        rest.split('/')
            .find_map(|seg| seg.strip_prefix(key))
            .map(str::to_owned)
    };
    let (Some(y), Some(m), Some(d), Some(h)) = (part("y="), part("m="), part("d="), part("h="))
    else {
        return path.to_owned();
    };
    let file = rest.rsplit('/').next().unwrap_or_default();
    format!("{before}{category} {y}-{m}-{d}T{h} {file}")
}

/// `file:line[index]` of a piece of evidence, the file shortened by [`short_path`].
pub fn place_short(e: &EvidenceOut) -> String {
    let mut place = short_path(&e.file);
    if let Some(l) = e.line {
        place.push_str(&format!(":{l}"));
    }
    if let Some(i) = e.index {
        place.push_str(&format!("[{i}]"));
    }
    place
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
    let mut place = e.file.to_string();
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

    /// The inputs the text reports list: all of them with `--all`, else those needing
    /// attention.
    pub fn inputs_shown(&self) -> Vec<&FileReport> {
        if self.detail >= Detail::All {
            self.inputs.iter().collect()
        } else {
            self.inputs_needing_attention()
        }
    }

    /// The findings of one severity, in report order.
    pub fn findings_of(&self, severity: Severity) -> Vec<&FindingOut> {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| &**f)
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

    /// Applies `r` to every text of the report. Findings and table rows, nearly all of a large
    /// report, are done in parallel.
    fn for_each_text(&mut self, r: impl Fn(&mut String) + Sync) {
        use rayon::prelude::*;
        for p in &mut self.problems {
            r(&mut p.title);
            r(&mut p.action);
            r(&mut p.key);
            for e in &mut p.examples {
                r(&mut e.id);
            }
        }
        for h in &mut self.health {
            r(&mut h.text);
        }
        // Titles, actions and file paths are shared by many findings: each is edited once.
        let mut shared: FastMap<(usize, usize), SharedText> = FastMap::default();
        for f in &self.findings {
            let texts = [&f.title, &f.action].into_iter();
            for text in texts.chain(f.evidence.iter().map(|e| &e.file)) {
                shared.entry(identity(text)).or_insert_with(|| {
                    let mut edited = text.clone();
                    edited.edit(&r);
                    edited
                });
            }
        }
        let edited = |text: &mut SharedText| *text = shared[&identity(text)].clone();
        self.findings.par_iter_mut().for_each(|f| {
            edited(&mut f.title);
            edit_boxed(&mut f.message, &r);
            edited(&mut f.action);
            f.ids.edit_values(&r);
            for e in &mut f.evidence {
                edit_boxed(&mut e.excerpt, &r);
                edited(&mut e.file);
            }
        });
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
            t.rows.par_iter_mut().for_each(|row| {
                for cell in row {
                    r(cell);
                }
            });
        }
    }

    /// The report of a run (consumes it: findings are moved, not copied), its findings grouped
    /// into ranked problems.
    pub fn new(analysis: Analysis) -> Report {
        let Analysis {
            files,
            findings,
            tables,
            summary,
            paths,
            health,
        } = analysis;
        let paths: Vec<std::sync::Arc<str>> = paths.iter().map(|p| p.as_str().into()).collect();
        let problems = acs_triage_core::digest::problems(&findings, &health)
            .into_iter()
            .enumerate()
            .map(|(i, p)| problem_out(i + 1, p))
            .collect();
        Report {
            tool: TOOL,
            summary,
            inputs: files,
            problems,
            health,
            findings: {
                use rayon::prelude::*;
                findings
                    .into_par_iter()
                    .map(|f| Box::new(finding_out(&paths, *f)))
                    .collect()
            },
            tables,
            asked_tables: Vec::new(),
            detail: Detail::default(),
        }
    }
}

/// Which copy of a text a [`SharedText`] points to: equal for the findings that share it.
fn identity(text: &SharedText) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

/// Applies `edit` to a boxed text (findings keep their texts boxed to stay small).
fn edit_boxed(text: &mut Box<str>, edit: &impl Fn(&mut String)) {
    let mut owned = std::mem::take(text).into_string();
    edit(&mut owned);
    *text = owned.into_boxed_str();
}
