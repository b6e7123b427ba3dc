//! `acs-triage explain CODE[/SUBCODE]`: what a code means and what to do, from the catalogs.

use std::io::Write;
use std::process::ExitCode;

use acs_triage_core::FindingKind;
use acs_triage_core::catalog::{Catalog, Catalogs, CodeEntry, MatchKind};
use acs_triage_core::rules::vocab::nearest;
use anstyle::{AnsiColor, Style};
use clap::Args;
use miette::{IntoDiagnostic, Result, miette};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const ACTION: Style = AnsiColor::Green.on_default();

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code: `410/3112`, `487`, `8522` (a Call Automation subcode), `4007` (SMS), `429`;
    /// or a finding ID (`calling/end-reason`) to learn what it checks.
    #[arg(value_name = "CODE[/SUBCODE] | FINDING")]
    pub code: String,
}

/// A parsed `CODE[/SUBCODE]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeQuery {
    pub code: i64,
    pub subcode: Option<i64>,
}

pub fn parse_code(text: &str) -> Option<CodeQuery> {
    let text = text.trim();
    let (code, sub) = match text.split_once(['/', '.', ':']) {
        Some((c, s)) => (c.trim(), Some(s.trim())),
        None => (text, None),
    };
    let code = code.parse().ok()?;
    let subcode = match sub {
        Some(s) => Some(s.parse().ok()?),
        None => None,
    };
    Some(CodeQuery { code, subcode })
}

/// Every catalog entry that explains the query, with the catalog it is from.
pub fn lookup(catalogs: &Catalogs, q: CodeQuery) -> Vec<(&'static Catalog, &CodeEntry, MatchKind)> {
    catalogs
        .code_tables()
        .flat_map(|(catalog, table)| {
            table
                .explain(catalog.lookup, q.code, q.subcode)
                .into_iter()
                .map(move |(entry, matched)| (catalog, entry, matched))
        })
        .collect()
}

/// The finding kind a topic names (`calling/end-reason`), if it names one.
fn finding_kind(topic: &str) -> Option<&'static FindingKind> {
    crate::analyzers::registered()
        .into_iter()
        .flat_map(|a| a.info().findings.iter().copied())
        .find(|k| k.id.eq_ignore_ascii_case(topic.trim()))
}

/// Every finding kind ID, for suggestions.
fn finding_ids() -> Vec<&'static str> {
    crate::analyzers::registered()
        .into_iter()
        .flat_map(|a| a.info().findings.iter().map(|k| k.id))
        .collect()
}

/// `explain calling/end-reason`: what a finding kind checks, why, what to do, and its sources.
fn explain_finding(kind: &FindingKind, out: &mut dyn Write) -> Result<ExitCode> {
    writeln!(
        out,
        "{BOLD}{}{BOLD:#} — {} (usually {})",
        kind.id, kind.title, kind.severity
    )
    .into_diagnostic()?;
    writeln!(out).into_diagnostic()?;
    for line in kind.doc.lines() {
        writeln!(
            out,
            "  {}",
            line.strip_prefix(' ').unwrap_or(line).trim_end()
        )
        .into_diagnostic()?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: ExplainArgs, out: &mut dyn Write) -> Result<ExitCode> {
    if let Some(kind) = finding_kind(&args.code) {
        return explain_finding(kind, out);
    }
    let query = parse_code(&args.code).ok_or_else(|| {
        let topic = args.code.trim();
        if topic.contains(|c: char| c.is_ascii_alphabetic()) {
            let ids = finding_ids();
            let help = match nearest(topic, ids.iter().copied()) {
                Some(id) => format!("did you mean `{id}`?"),
                None => {
                    "`acs-triage rules list` names every finding; docs/findings.md documents them"
                        .to_owned()
                }
            };
            miette!(help = help, "`{topic}` is neither a code nor a finding")
        } else {
            miette!(
                help = "write the code as a number, optionally with a subcode: 410/3112, 487, 4007",
                "`{}` is not a code",
                args.code
            )
        }
    })?;
    let catalogs = Catalogs::bundled().into_diagnostic()?;
    let hits = lookup(&catalogs, query);
    if hits.is_empty() {
        writeln!(
            out,
            "{} is in no catalog acs-triage knows (calling, Call Automation, chat, SMS, identity).",
            args.code.trim()
        )
        .into_diagnostic()?;
        return Ok(ExitCode::from(1));
    }
    for (i, (catalog, entry, matched)) in hits.iter().enumerate() {
        if i > 0 {
            writeln!(out).into_diagnostic()?;
        }
        let key = match (entry.code, entry.subcode, entry.http_status) {
            (Some(c), Some(s), _) => format!("{c}/{s}"),
            (Some(c), None, _) => c.to_string(),
            (None, Some(s), _) => format!("subcode {s}"),
            (None, None, Some(h)) => format!("HTTP {h}"),
            _ => args.code.clone(),
        };
        let how = match matched {
            MatchKind::Exact => "",
            MatchKind::CodeOnly => " (no row for this subcode: meaning of the code in general)",
            MatchKind::SubcodeOnly => " (generic subcode, whatever the code)",
        };
        writeln!(out, "{BOLD}{key}{BOLD:#} — {}{how}", catalog.label).into_diagnostic()?;
        let cause = if entry.cause.is_empty() {
            String::new()
        } else {
            format!(" ({})", entry.cause)
        };
        writeln!(out, "  severity: {}{cause}", entry.severity).into_diagnostic()?;
        writeln!(out, "  meaning:  {}", entry.meaning).into_diagnostic()?;
        writeln!(out, "  {ACTION}action:   {}{ACTION:#}", entry.action).into_diagnostic()?;
        if !entry.repeatability.is_empty() {
            writeln!(out, "  repeatability: {}", entry.repeatability).into_diagnostic()?;
        }
        if !entry.events.is_empty() {
            writeln!(out, "  callback events: {}", entry.events).into_diagnostic()?;
        }
        if !entry.result_category.is_empty() {
            writeln!(out, "  service result category: {}", entry.result_category)
                .into_diagnostic()?;
        }
        if !entry.note.is_empty() {
            writeln!(out, "  note: {}", entry.note).into_diagnostic()?;
        }
        if !entry.source.is_empty() {
            writeln!(out, "  {DIM}source: {}{DIM:#}", entry.source).into_diagnostic()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        assert_eq!(
            parse_code("410/3112"),
            Some(CodeQuery {
                code: 410,
                subcode: Some(3112)
            })
        );
        assert_eq!(
            parse_code(" 487 "),
            Some(CodeQuery {
                code: 487,
                subcode: None
            })
        );
        assert_eq!(parse_code("abc"), None);
        assert_eq!(parse_code("410/x"), None);
    }
}
