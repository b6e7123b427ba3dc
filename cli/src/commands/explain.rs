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
    /// Only this product's meaning of the code: calling, call-automation, chat, sms, identity
    /// or pstn (a code such as 401 means something in each).
    #[arg(long, value_enum)]
    pub product: Option<Product>,
    /// Also the pinned source document of each entry (repository, path and commit).
    #[arg(long)]
    pub verbose: bool,
}

/// The products codes belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Product {
    Calling,
    CallAutomation,
    Chat,
    Sms,
    Identity,
    Pstn,
}

impl Product {
    fn label(self) -> &'static str {
        match self {
            Product::Calling => "Calling",
            Product::CallAutomation => "Call Automation",
            Product::Chat => "Chat",
            Product::Sms => "SMS",
            Product::Identity => "Identity and tokens",
            Product::Pstn => "Phone network (SIP, Q.850)",
        }
    }

    /// The product a catalog's codes belong to, by its file.
    fn of(catalog: &Catalog) -> Product {
        let file = catalog.file;
        if file.starts_with("call_automation") {
            Product::CallAutomation
        } else if file.starts_with("chat") {
            Product::Chat
        } else if file.starts_with("sms") {
            Product::Sms
        } else if file.starts_with("identity") {
            Product::Identity
        } else if file.starts_with("sip") || file.starts_with("q850") {
            Product::Pstn
        } else {
            Product::Calling
        }
    }
}

/// A page a person can open for a pinned source (`repo:path@commit`, `owner/repo#N`, an RFC);
/// `None` when there is none (a standard behind a paywall, acs-triage's own judgement).
pub fn source_link(source: &str) -> Option<String> {
    let source = source.trim();
    if let Some(rest) = source.strip_prefix("IETF RFC ") {
        let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return (!number.is_empty()).then(|| format!("https://www.rfc-editor.org/rfc/rfc{number}"));
    }
    let (repo, rest) = source.split_once([':', '#'])?;
    if source.as_bytes().get(repo.len()) == Some(&b'#') {
        let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return (!number.is_empty()).then(|| format!("https://github.com/{repo}/issues/{number}"));
    }
    let path = rest.split(['@', ' ', '(']).next()?;
    let commit = rest
        .split_once('@')
        .map(|(_, c)| c.split([' ', ')']).next().unwrap_or(c));
    if matches!(
        repo,
        "MicrosoftDocs/azure-docs" | "MicrosoftDocs/azure-monitor-docs"
    ) && let Some(article) = path.strip_prefix("articles/")
    {
        // Code tables are included into one page per area.
        if article.contains("/includes/codes/") {
            return Some(
                "https://learn.microsoft.com/azure/communication-services/resources/troubleshooting/voice-video-calling/troubleshooting-codes".to_owned(),
            );
        }
        return Some(format!(
            "https://learn.microsoft.com/azure/{}",
            article.trim_end_matches(".md")
        ));
    }
    Some(match commit {
        Some(c) if !c.is_empty() => format!("https://github.com/{repo}/blob/{c}/{path}"),
        _ => format!("https://github.com/{repo}/blob/HEAD/{path}"),
    })
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
    let hits: Vec<_> = lookup(&catalogs, query)
        .into_iter()
        .filter(|(catalog, _, _)| args.product.is_none_or(|p| Product::of(catalog) == p))
        .collect();
    if hits.is_empty() {
        writeln!(
            out,
            "{} is in no {}catalog acs-triage knows (calling, Call Automation, chat, SMS, identity, phone network).",
            args.code.trim(),
            if args.product.is_some() { "such product's " } else { "" }
        )
        .into_diagnostic()?;
        return Ok(ExitCode::from(1));
    }
    let mut products: Vec<Product> = hits.iter().map(|(c, _, _)| Product::of(c)).collect();
    products.sort_unstable();
    products.dedup();
    let several = products.len() > 1;
    for (n, product) in products.into_iter().enumerate() {
        if several {
            if n > 0 {
                writeln!(out).into_diagnostic()?;
            }
            writeln!(out, "{BOLD}== {} =={BOLD:#}", product.label()).into_diagnostic()?;
        }
        for (i, (catalog, entry, matched)) in hits
            .iter()
            .filter(|(c, _, _)| Product::of(c) == product)
            .enumerate()
        {
            if i > 0 || several {
                writeln!(out).into_diagnostic()?;
            }
            explain_entry(&args, catalog, entry, *matched, out)?;
        }
    }
    if several {
        writeln!(
            out,
            "\n{DIM}The code means something in each product: --product calling|call-automation|chat|sms|identity|pstn shows one.{DIM:#}"
        )
        .into_diagnostic()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn explain_entry(
    args: &ExplainArgs,
    catalog: &Catalog,
    entry: &CodeEntry,
    matched: MatchKind,
    out: &mut dyn Write,
) -> Result<()> {
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
        writeln!(out, "  service result category: {}", entry.result_category).into_diagnostic()?;
    }
    if !entry.note.is_empty() {
        writeln!(out, "  note: {}", entry.note).into_diagnostic()?;
    }
    let mut links: Vec<String> = entry.source.split(" ; ").filter_map(source_link).collect();
    links.dedup();
    if !links.is_empty() {
        writeln!(out, "  {DIM}docs: {}{DIM:#}", links.join(" , ")).into_diagnostic()?;
    }
    if args.verbose && !entry.source.is_empty() {
        writeln!(out, "  {DIM}source: {}{DIM:#}", entry.source).into_diagnostic()?;
    }
    Ok(())
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

    #[test]
    fn sources_become_pages_a_person_can_open() {
        assert_eq!(
            source_link("MicrosoftDocs/azure-docs:articles/communication-services/concepts/service-limits.md@006552ff").as_deref(),
            Some("https://learn.microsoft.com/azure/communication-services/concepts/service-limits")
        );
        assert_eq!(
            source_link("MicrosoftDocs/azure-docs:articles/communication-services/resources/troubleshooting/voice-video-calling/includes/codes/call-end.md@03beba90").as_deref(),
            Some("https://learn.microsoft.com/azure/communication-services/resources/troubleshooting/voice-video-calling/troubleshooting-codes")
        );
        assert_eq!(
            source_link("Azure/Communication#292").as_deref(),
            Some("https://github.com/Azure/Communication/issues/292")
        );
        assert_eq!(
            source_link("IETF RFC 3261 section 21.4.24 (486 Busy Here)").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc3261")
        );
        assert_eq!(
            source_link("Azure/azure-sdk-for-net:sdk/communication/x.json@03e9826f").as_deref(),
            Some(
                "https://github.com/Azure/azure-sdk-for-net/blob/03e9826f/sdk/communication/x.json"
            )
        );
        assert_eq!(source_link("general HTTP semantics"), None);
    }
}
