//! Human output: a digest. One header line; the problems ranked by impact, one line each, so a
//! first screen names them all; the health overview; each problem in a few lines with its action
//! and example IDs; the inputs that need attention. `--details` adds every finding with its
//! evidence under its problem, `--all` every input too. Colour comes from `anstream`, which
//! drops it when the output is not a terminal or `NO_COLOR` is set.

use std::io::{self, Write};

use acs_triage_core::Severity;
use acs_triage_core::ingest::{FileReport, FileStatus};
use acs_triage_core::table::Table;
use anstyle::{AnsiColor, Style};

use super::{
    Detail, FindingOut, ProblemOut, Report, group_digits, header_line, health_notes,
    markdown_table, more_hint, nothing_read, place_short, plural, problem_scope, problem_where,
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
    writeln!(out, "{BOLD}{}{BOLD:#}", header_line(report))?;
    if let Some(nothing) = nothing_read(report) {
        writeln!(out)?;
        writeln!(out, "{WARNING}{nothing}{WARNING:#}")?;
    } else if report.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "No problems found in the records read.")?;
    } else {
        writeln!(out)?;
        writeln!(out, "{BOLD}Problems, most impact first{BOLD:#}")?;
        for p in &report.problems {
            problem_line(p, out)?;
        }
    }
    let notes = health_notes(report);
    if !report.health.is_empty() || !notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "{BOLD}Health{BOLD:#}")?;
        let width = report
            .health
            .iter()
            .map(|h| h.area.len())
            .chain(notes.iter().map(|(label, _)| label.len()))
            .max()
            .unwrap_or(0);
        for h in &report.health {
            writeln!(out, "  {:<width$}  {}", h.area, h.text)?;
        }
        for (label, note) in notes {
            writeln!(out, "  {label:<width$}  {DIM}{note}{DIM:#}")?;
        }
    }
    if report.detail >= Detail::Digest && !report.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "{BOLD}Problems{BOLD:#}")?;
        for p in &report.problems {
            render_problem(report, p, out)?;
        }
    }
    let inputs = report.inputs_shown();
    if !inputs.is_empty() {
        writeln!(out)?;
        let heading = if report.detail >= Detail::All {
            "Inputs"
        } else {
            "Inputs that need attention"
        };
        writeln!(out, "{BOLD}{heading}{BOLD:#}")?;
        for f in inputs {
            render_input(f, report.detail, out)?;
        }
    }
    if let Some(hint) = more_hint(report) {
        writeln!(out)?;
        writeln!(out, "{DIM}{hint}{DIM:#}")?;
    }
    for table in &report.tables {
        render_table(table, out)?;
    }
    Ok(())
}

/// `  3  ERROR    2 calls   Call ended with 410/3112: media path blocked   call c0ffee01…`
fn problem_line(p: &ProblemOut, out: &mut dyn Write) -> io::Result<()> {
    let style = severity_style(p.severity);
    let sev = p.severity.name().to_uppercase();
    let place = problem_where(p)
        .map(|w| format!("  {DIM}{w}{DIM:#}"))
        .unwrap_or_default();
    writeln!(
        out,
        "  {:>3}  {style}{sev:<7}{style:#}  {:<16}  {}{place}",
        p.rank,
        problem_scope(p),
        p.title
    )
}

fn render_problem(report: &Report, p: &ProblemOut, out: &mut dyn Write) -> io::Result<()> {
    let style = severity_style(p.severity);
    let kinds: Vec<String> = p
        .kinds
        .iter()
        .map(|(k, n)| {
            if *n > 1 {
                format!("{k} ×{n}")
            } else {
                k.clone()
            }
        })
        .collect();
    writeln!(out)?;
    writeln!(
        out,
        "  {BOLD}{}.{BOLD:#} {style}{}{style:#} {BOLD}{}{BOLD:#} {DIM}[{}]{DIM:#}",
        p.rank,
        p.severity.name().to_uppercase(),
        p.title,
        kinds.join(", ")
    )?;
    let mut facts = vec![p.affected.describe()];
    if let Some(s) = &p.share {
        facts.push(s.text.clone());
    }
    match (&p.first_seen, &p.last_seen) {
        (Some(a), Some(b)) if a != b => facts.push(format!("{a} to {b}")),
        (Some(a), _) => facts.push(format!("at {a}")),
        _ => {}
    }
    writeln!(out, "     {}", facts.join(" · "))?;
    if let Some(lead) = p.findings.first().and_then(|&i| report.findings.get(i)) {
        writeln!(out, "     {}", lead.message)?;
    }
    writeln!(out, "     {ACTION}→ {}{ACTION:#}", p.action)?;
    if !p.examples.is_empty() {
        let ids: Vec<String> = p
            .examples
            .iter()
            .map(|e| format!("{}={}", e.kind.name(), e.id))
            .collect();
        writeln!(out, "     {DIM}e.g.{DIM:#} {}", ids.join("  "))?;
    }
    if report.detail >= Detail::Details {
        for &i in &p.findings {
            if let Some(f) = report.findings.get(i) {
                render_finding(f, 7, out)?;
            }
        }
    }
    Ok(())
}

fn render_input(f: &FileReport, detail: Detail, out: &mut dyn Write) -> io::Result<()> {
    let status = match f.status {
        FileStatus::Parsed if f.rejected == 0 => plural(f.records, "record", "records"),
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
    let listed = if detail >= Detail::Details {
        f.errors.len()
    } else {
        f.errors.len().min(5)
    };
    for e in &f.errors[..listed] {
        match e.line {
            Some(l) => writeln!(out, "      {DIM}line {l}:{DIM:#} {}", e.message)?,
            None => writeln!(out, "      {}", e.message)?,
        }
    }
    let more = f.errors_not_listed + (f.errors.len() - listed) as u64;
    if more > 0 {
        writeln!(out, "      {DIM}... and {} more{DIM:#}", group_digits(more))?;
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

/// One finding with everything it carries, its first line indented by `indent` spaces (under
/// its problem with `--details`, in a call's story).
pub fn render_finding(f: &FindingOut, indent: usize, out: &mut dyn Write) -> io::Result<()> {
    let style = severity_style(f.severity);
    let pad = " ".repeat(indent);
    let body = " ".repeat(indent + 2);
    writeln!(
        out,
        "{pad}{style}{}{style:#} {} {DIM}[{}]{DIM:#}",
        f.severity.name().to_uppercase(),
        f.title,
        f.id
    )?;
    writeln!(out, "{body}{}", f.message)?;
    writeln!(out, "{body}{ACTION}→ {}{ACTION:#}", f.action)?;
    if f.count > 1 {
        let span = match (&f.first_seen, &f.last_seen) {
            (Some(a), Some(b)) if a != b => format!(", {a} to {b}"),
            (Some(a), _) => format!(", at {a}"),
            _ => String::new(),
        };
        writeln!(out, "{body}seen {} times{span}", group_digits(f.count))?;
    }
    if !f.ids.is_empty() {
        let ids: Vec<String> = f
            .ids
            .iter()
            .map(|(k, v)| format!("{}={v}", k.name()))
            .collect();
        writeln!(out, "{body}{DIM}ids:{DIM:#} {}", ids.join(" "))?;
    }
    for e in &f.evidence {
        let time = e.time.map(|t| format!(" {t}")).unwrap_or_default();
        writeln!(
            out,
            "{body}{DIM}at {}{time}{DIM:#}  {}",
            place_short(e),
            e.excerpt
        )?;
    }
    if let Some(docs) = &f.docs {
        writeln!(out, "{body}{DIM}docs: {docs}{DIM:#}")?;
    }
    Ok(())
}
