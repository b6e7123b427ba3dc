//! Human output: a summary, the inputs that need attention, then the findings grouped by severity
//! and by the entity they are about. Colour comes from `anstream`, which drops it when the output
//! is not a terminal or `NO_COLOR` is set.

use std::io::{self, Write};

use acs_triage_core::Severity;
use acs_triage_core::ingest::FileStatus;
use acs_triage_core::table::Table;
use anstyle::{AnsiColor, Style};

use super::{
    FindingOut, Report, SEVERITY_GROUPS, entity_of, group_digits, inputs_line, markdown_table,
    place, plural, time_range_line,
};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const INFO: Style = AnsiColor::Cyan.on_default().bold();
const ACTION: Style = AnsiColor::Green.on_default();

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => ERROR,
        Severity::Warning => WARNING,
        Severity::Info => INFO,
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(
        out,
        "{BOLD}{} {}{BOLD:#}: {}",
        report.tool.name,
        report.tool.version,
        inputs_line(s)
    )?;
    if let Some(range) = time_range_line(s) {
        writeln!(out, "{range}")?;
    }
    if !s.families.is_empty() {
        let families: Vec<String> = s
            .families
            .iter()
            .map(|(f, n)| format!("{f} {}", group_digits(*n)))
            .collect();
        writeln!(out, "By family: {}", families.join(", "))?;
    }
    let count = |sev| s.findings.get(&sev).copied().unwrap_or(0);
    writeln!(
        out,
        "Findings: {ERROR}{}{ERROR:#}, {WARNING}{}{WARNING:#}, {INFO}{}{INFO:#}",
        plural(count(Severity::Error), "error", "errors"),
        plural(count(Severity::Warning), "warning", "warnings"),
        plural(count(Severity::Info), "info", "info"),
    )?;

    let attention = report.inputs_needing_attention();
    if !attention.is_empty() {
        writeln!(out)?;
        writeln!(out, "{BOLD}Inputs that need attention{BOLD:#}")?;
        for f in attention {
            let status = match f.status {
                FileStatus::Parsed => format!(
                    "{}, {} rejected",
                    plural(f.records, "record", "records"),
                    group_digits(f.rejected)
                ),
                FileStatus::Empty => "empty".to_owned(),
                FileStatus::Unrecognized => "not recognized".to_owned(),
                FileStatus::NativeSdkLog => "native SDK log".to_owned(),
                FileStatus::Skipped => "skipped".to_owned(),
                FileStatus::Unreadable => "unreadable".to_owned(),
            };
            let format = f.format.as_deref().unwrap_or("-");
            writeln!(out, "  {BOLD}{}{BOLD:#} [{format}] {status}", f.path)?;
            if let Some(note) = &f.note {
                writeln!(out, "      {note}")?;
            }
            for e in &f.errors {
                match e.line {
                    Some(l) => writeln!(out, "      {DIM}line {l}:{DIM:#} {}", e.message)?,
                    None => writeln!(out, "      {}", e.message)?,
                }
            }
            if f.errors_not_listed > 0 {
                writeln!(
                    out,
                    "      {DIM}... and {} more{DIM:#}",
                    group_digits(f.errors_not_listed)
                )?;
            }
        }
    }

    for (severity, heading) in SEVERITY_GROUPS {
        let findings = report.findings_of(severity);
        if findings.is_empty() {
            continue;
        }
        let style = severity_style(severity);
        writeln!(out)?;
        writeln!(out, "{style}{heading} ({}){style:#}", findings.len())?;
        // Entities in order of their first finding; one pass, so large reports stay fast.
        let mut order: Vec<String> = Vec::new();
        let mut groups: std::collections::HashMap<String, Vec<&FindingOut>> =
            std::collections::HashMap::new();
        for f in &findings {
            let e = entity_of(f);
            match groups.get_mut(&e) {
                Some(list) => list.push(f),
                None => {
                    order.push(e.clone());
                    groups.insert(e, vec![f]);
                }
            }
        }
        for entity in order {
            writeln!(out, "{BOLD}  {entity}{BOLD:#}")?;
            for f in groups.remove(&entity).unwrap_or_default() {
                render_finding(f, out)?;
            }
        }
    }
    if report.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "No problems found in the records read.")?;
    }
    for table in &report.tables {
        render_table(table, out)?;
    }
    Ok(())
}

/// A table as Markdown, so it pastes into a support ticket as it is.
fn render_table(table: &Table, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{BOLD}{} ({}){BOLD:#} [{}]",
        table.title,
        plural(table.rows.len() as u64, "row", "rows"),
        table.id
    )?;
    if table.rows.is_empty() {
        return writeln!(out, "  (nothing to list)");
    }
    writeln!(out, "{}", markdown_table(table))
}

pub fn render_finding(f: &FindingOut, out: &mut dyn Write) -> io::Result<()> {
    let style = severity_style(f.severity);
    writeln!(
        out,
        "    {style}{}{style:#} {} {DIM}[{}]{DIM:#}",
        f.severity.name().to_uppercase(),
        f.title,
        f.id
    )?;
    writeln!(out, "      {}", f.message)?;
    writeln!(out, "      {ACTION}→ {}{ACTION:#}", f.action)?;
    if f.count > 1 {
        let span = match (&f.first_seen, &f.last_seen) {
            (Some(a), Some(b)) if a != b => format!(", {a} to {b}"),
            (Some(a), _) => format!(", at {a}"),
            _ => String::new(),
        };
        writeln!(out, "      seen {} times{span}", group_digits(f.count))?;
    }
    if !f.ids.is_empty() {
        let ids: Vec<String> = f
            .ids
            .iter()
            .map(|(k, v)| format!("{}={v}", k.name()))
            .collect();
        writeln!(out, "      {DIM}ids:{DIM:#} {}", ids.join(" "))?;
    }
    for e in &f.evidence {
        let place = place(e);
        let time = e
            .time
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        writeln!(out, "      {DIM}at {place}{time}{DIM:#}  {}", e.excerpt)?;
    }
    if let Some(docs) = &f.docs {
        writeln!(out, "      {DIM}docs: {docs}{DIM:#}")?;
    }
    Ok(())
}
