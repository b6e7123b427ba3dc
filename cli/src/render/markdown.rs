//! Markdown: the report to paste into a support ticket, an issue or a chat. Findings come grouped
//! by severity, each with what happened, the next step, the IDs and the evidence.

use std::io::{self, Write};

use acs_triage_core::Severity;

use super::{
    FindingOut, Report, SEVERITY_GROUPS, group_digits, inputs_line, markdown_table, place, plural,
    time_range_line,
};

/// Text inside Markdown: characters that would start formatting are escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A value in a code span (backticks inside are replaced, a code span cannot escape them).
fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(out, "# acs-triage report")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} {}: {}.",
        report.tool.name,
        report.tool.version,
        inputs_line(s)
    )?;
    if let Some(range) = time_range_line(s) {
        writeln!(out, "{range}.")?;
    }
    writeln!(out)?;
    writeln!(out, "| severity | findings |")?;
    writeln!(out, "|---|---|")?;
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        writeln!(
            out,
            "| {} | {} |",
            sev.name(),
            s.findings.get(&sev).copied().unwrap_or(0)
        )?;
    }

    let attention = report.inputs_needing_attention();
    if !attention.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Inputs that need attention")?;
        writeln!(out)?;
        for f in attention {
            let what = match &f.note {
                Some(note) => text(note),
                None => format!(
                    "{} read, {} rejected",
                    plural(f.records, "record", "records"),
                    group_digits(f.rejected)
                ),
            };
            writeln!(out, "- {}: {what}", code(&f.path))?;
            for e in f.errors.iter().take(5) {
                match e.line {
                    Some(l) => writeln!(out, "  - line {l}: {}", text(&e.message))?,
                    None => writeln!(out, "  - {}", text(&e.message))?,
                }
            }
        }
    }

    for (severity, heading) in SEVERITY_GROUPS {
        let findings = report.findings_of(severity);
        if findings.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "## {heading} ({})", findings.len())?;
        for f in findings {
            render_finding(f, out)?;
        }
    }
    if report.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "No problems found in the records read.")?;
    }
    for table in &report.tables {
        writeln!(out)?;
        writeln!(out, "## {} ({})", text(&table.title), code(&table.id))?;
        writeln!(out)?;
        if table.rows.is_empty() {
            writeln!(out, "(nothing to list)")?;
        } else {
            writeln!(out, "{}", markdown_table(table))?;
        }
    }
    Ok(())
}

fn render_finding(f: &FindingOut, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "### {}: {} ({})",
        f.severity.name().to_uppercase(),
        text(&f.title),
        code(&f.id)
    )?;
    writeln!(out)?;
    writeln!(out, "{}", text(&f.message))?;
    writeln!(out)?;
    writeln!(out, "**Next step:** {}", text(&f.action))?;
    if f.count > 1 {
        let span = match (&f.first_seen, &f.last_seen) {
            (Some(a), Some(b)) if a != b => format!(", {a} to {b}"),
            (Some(a), _) => format!(", at {a}"),
            _ => String::new(),
        };
        writeln!(out)?;
        writeln!(out, "Seen {} times{span}.", group_digits(f.count))?;
    }
    if !f.ids.is_empty() {
        writeln!(out)?;
        writeln!(out, "| ID | value |")?;
        writeln!(out, "|---|---|")?;
        for (kind, value) in &f.ids {
            writeln!(out, "| {} | {} |", kind.label(), code(value))?;
        }
    }
    if !f.evidence.is_empty() {
        writeln!(out)?;
        writeln!(out, "Evidence:")?;
        for e in &f.evidence {
            let time = e
                .time
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            writeln!(out, "- {}{time}: {}", code(&place(e)), code(&e.excerpt))?;
        }
    }
    if let Some(docs) = &f.docs {
        writeln!(out)?;
        writeln!(out, "Docs: <{docs}>")?;
    }
    Ok(())
}
