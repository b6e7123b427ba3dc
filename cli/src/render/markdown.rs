//! Markdown: the report to paste into a support ticket, an issue or a chat, in the digest's
//! shape: the ranked problems as a table, the health overview, each problem with what happened,
//! the next step and its IDs (`--details` adds every finding with its evidence).

use std::io::{self, Write};

use super::{
    Detail, FindingOut, ProblemOut, Report, group_digits, header_line, health_notes,
    markdown_table, more_hint, nothing_read, place_short, plural, problem_scope,
};

/// Text inside Markdown: characters that would start formatting are escaped.
pub fn text(s: &str) -> String {
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
pub fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# acs-triage report")?;
    writeln!(out)?;
    writeln!(out, "{}", text(&header_line(report)))?;
    if let Some(nothing) = nothing_read(report) {
        writeln!(out)?;
        writeln!(out, "**{}**", text(&nothing))?;
    } else if report.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "No problems found in the records read.")?;
    } else {
        writeln!(out)?;
        writeln!(out, "## Problems, most impact first")?;
        writeln!(out)?;
        writeln!(out, "| # | severity | affected | problem |")?;
        writeln!(out, "|---|---|---|---|")?;
        for p in &report.problems {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                p.rank,
                p.severity.name(),
                problem_scope(p),
                text(&p.title)
            )?;
        }
    }
    let notes = health_notes(report);
    if !report.health.is_empty() || !notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Health")?;
        writeln!(out)?;
        for h in &report.health {
            writeln!(out, "- **{}**: {}", h.area, text(&h.text))?;
        }
        for (label, note) in notes {
            writeln!(out, "- **{label}**: {}", text(&note))?;
        }
    }
    if report.detail >= Detail::Digest {
        for p in &report.problems {
            render_problem(report, p, out)?;
        }
    }
    let inputs = report.inputs_shown();
    if !inputs.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "## {}",
            if report.detail >= Detail::All {
                "Inputs"
            } else {
                "Inputs that need attention"
            }
        )?;
        writeln!(out)?;
        for f in inputs {
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
    if let Some(hint) = more_hint(report) {
        writeln!(out)?;
        writeln!(out, "_{}_", text(&hint))?;
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

fn render_problem(report: &Report, p: &ProblemOut, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "### {}. {}: {}",
        p.rank,
        p.severity.name().to_uppercase(),
        text(&p.title)
    )?;
    writeln!(out)?;
    let mut facts = vec![p.affected.describe()];
    if let Some(s) = &p.share {
        facts.push(s.text.clone());
    }
    match (&p.first_seen, &p.last_seen) {
        (Some(a), Some(b)) if a != b => facts.push(format!("{a} to {b}")),
        (Some(a), _) => facts.push(format!("at {a}")),
        _ => {}
    }
    let kinds: Vec<String> = p
        .kinds
        .iter()
        .map(|(k, n)| {
            if *n > 1 {
                format!("{} ×{n}", code(k))
            } else {
                code(k)
            }
        })
        .collect();
    writeln!(out, "{} ({})", text(&facts.join(" · ")), kinds.join(", "))?;
    if let Some(lead) = p.findings.first().and_then(|&i| report.findings.get(i)) {
        writeln!(out)?;
        writeln!(out, "{}", text(&lead.message))?;
    }
    writeln!(out)?;
    writeln!(out, "**Next step:** {}", text(&p.action))?;
    if !p.examples.is_empty() {
        let ids: Vec<String> = p
            .examples
            .iter()
            .map(|e| format!("{} {}", e.kind.label(), code(&e.id)))
            .collect();
        writeln!(out)?;
        writeln!(out, "IDs: {}", ids.join(", "))?;
    }
    if report.detail >= Detail::Details {
        for &i in &p.findings {
            if let Some(f) = report.findings.get(i) {
                render_finding(f, out)?;
            }
        }
    }
    Ok(())
}

pub fn render_finding(f: &FindingOut, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "#### {}: {} ({})",
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
        for (kind, value) in f.ids.iter() {
            writeln!(out, "| {} | {} |", kind.label(), code(&value.text()))?;
        }
    }
    if !f.evidence.is_empty() {
        writeln!(out)?;
        writeln!(out, "Evidence:")?;
        for e in &f.evidence {
            let time = e.time.map(|t| format!(" {t}")).unwrap_or_default();
            writeln!(
                out,
                "- {}{time}: {}",
                code(&place_short(e)),
                code(&e.excerpt)
            )?;
        }
    }
    if let Some(docs) = &f.docs {
        writeln!(out)?;
        writeln!(out, "Docs: <{docs}>")?;
    }
    Ok(())
}
