//! `acs-triage explain CODE[/SUBCODE]`: what a code means and what to do, from the catalogs.

use std::io::Write;
use std::process::ExitCode;

use acs_triage_core::catalog::{CatalogKind, Catalogs, CodeEntry, MatchKind};
use anstyle::{AnsiColor, Style};
use clap::Args;
use miette::{IntoDiagnostic, Result, miette};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const ACTION: Style = AnsiColor::Green.on_default();

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code: `410/3112`, `487`, `8522` (a Call Automation subcode), `4007` (SMS), `429`.
    #[arg(value_name = "CODE[/SUBCODE]")]
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

fn table_label(kind: CatalogKind) -> &'static str {
    match kind {
        CatalogKind::CallingEndReasons => "calling end reason / Calling SDK error",
        CatalogKind::CallAutomation => "Call Automation result",
        CatalogKind::SmsDelivery => "SMS delivery status",
        CatalogKind::SmsSend => "SMS send response status",
        CatalogKind::Chat => "chat error",
        CatalogKind::IdentityAuth => "identity / token error",
    }
}

/// Every catalog entry that explains the query, with the table it is from.
pub fn lookup(catalogs: &Catalogs, q: CodeQuery) -> Vec<(CatalogKind, &CodeEntry, MatchKind)> {
    let mut hits = Vec::new();
    for kind in [CatalogKind::CallingEndReasons, CatalogKind::CallAutomation] {
        if let Some(d) = catalogs.table(kind).decode(q.code, q.subcode) {
            hits.push((kind, d.entry, d.matched));
        }
    }
    if q.subcode.is_none() {
        // A bare number may be a Call Automation subcode.
        if let Some(e) = catalogs
            .call_automation
            .entries
            .iter()
            .find(|e| e.code.is_none() && e.subcode == Some(q.code))
        {
            hits.push((CatalogKind::CallAutomation, e, MatchKind::SubcodeOnly));
        }
        for kind in [CatalogKind::Chat, CatalogKind::SmsDelivery] {
            if let Some(d) = catalogs.table(kind).decode(q.code, None) {
                hits.push((kind, d.entry, d.matched));
            }
        }
        for e in catalogs
            .sms_send
            .entries
            .iter()
            .filter(|e| e.http_status == Some(q.code))
        {
            hits.push((CatalogKind::SmsSend, e, MatchKind::Exact));
        }
    }
    for e in catalogs.identity.entries.iter().filter(|e| {
        e.code == Some(q.code) && (q.subcode.is_none() || e.subcode == q.subcode)
            || (q.subcode.is_none() && e.code.is_none() && e.subcode == Some(q.code))
    }) {
        hits.push((CatalogKind::IdentityAuth, e, MatchKind::Exact));
    }
    hits
}

pub fn run(args: ExplainArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let query = parse_code(&args.code).ok_or_else(|| {
        miette!(
            help = "write the code as a number, optionally with a subcode: 410/3112, 487, 4007",
            "`{}` is not a code",
            args.code
        )
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
    for (i, (kind, entry, matched)) in hits.iter().enumerate() {
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
        writeln!(out, "{BOLD}{key}{BOLD:#} — {}{how}", table_label(*kind)).into_diagnostic()?;
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
