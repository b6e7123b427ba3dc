//! `acs-triage kql`: the analyses and rules as KQL queries for Log Analytics or Azure Data
//! Explorer, with a manifest of what each query feeds.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use acs_triage_core::dedup::TablesFile;
use acs_triage_core::kql::translate::{Refusal, translate};
use acs_triage_core::kql::{KqlQuery, TAG_COLUMN, Target, Window};
use clap::{Args, ValueEnum};
use miette::{IntoDiagnostic, WrapErr};
use serde::Serialize;

use crate::setup::{self, SetupArgs};
use crate::{CommandResult, Failure, Io, analyzers};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TargetArg {
    LogAnalytics,
    Adx,
}

#[derive(Debug, Args)]
pub struct KqlArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Where the queries run: a Log Analytics workspace or Azure Data Explorer (tables with the
    /// Log Analytics schema).
    #[arg(long, value_enum, default_value = "log-analytics")]
    pub target: TargetArg,
    /// Start of the time range (`2026-11-20`, `2026-11-20T15:00:00Z`); default one day ago.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// End of the time range; default now.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Write one .kql file per query and manifest.json into this folder (created if needed);
    /// without it, every query goes to standard output.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `manifest.json`: what each query feeds and returns.
#[derive(Serialize)]
struct Manifest<'a> {
    target: Target,
    since: Option<String>,
    until: Option<String>,
    tag_column: &'static str,
    queries: Vec<ManifestQuery<'a>>,
    refused: Vec<ManifestRefusal<'a>>,
}

#[derive(Serialize)]
struct ManifestQuery<'a> {
    file: String,
    #[serde(flatten)]
    query: &'a KqlQuery,
    bytes: usize,
}

#[derive(Serialize)]
struct ManifestRefusal<'a> {
    rule: &'a str,
    file: &'a str,
    line: usize,
    part: &'a str,
    at: &'a str,
    reason: &'a str,
}

pub fn run(args: KqlArgs, io: &mut Io<'_>) -> CommandResult {
    let setup = setup::load(&args.setup)?;
    let (since, until) =
        crate::commands::ids::parse_range(args.since.as_deref(), args.until.as_deref())?;
    let window = Window { since, until };
    let target = match args.target {
        TargetArg::LogAnalytics => Target::LogAnalytics,
        TargetArg::Adx => Target::Adx,
    };
    let mut queries: Vec<KqlQuery> = Vec::new();
    for analyzer in analyzers::registered() {
        if setup.disabled_analyzers.contains(analyzer.info().id) {
            continue;
        }
        queries.extend(
            analyzer
                .kql(&setup.context)
                .map_err(|e| Failure::from(miette::miette!("{e}")))?,
        );
    }
    let mut refusals: Vec<Refusal> = Vec::new();
    for rule in &setup.rules {
        match translate(rule, &setup.classifier, TablesFile::bundled()) {
            Ok(q) => queries.push(q),
            Err(r) => refusals.extend(r),
        }
    }
    let texts: Vec<String> = queries.iter().map(|q| q.text(&window, target)).collect();
    match &args.out {
        Some(dir) => write_folder(dir, &queries, &texts, &refusals, &window, target)?,
        None => {
            for text in &texts {
                writeln!(io.out, "{text}").into_diagnostic()?;
            }
        }
    }
    let summary = format!(
        "{} queries ({} from analyses, {} from rules){}",
        queries.len(),
        queries
            .iter()
            .filter(|q| !q.feeds.starts_with("rule/"))
            .count(),
        queries
            .iter()
            .filter(|q| q.feeds.starts_with("rule/"))
            .count(),
        args.out
            .as_ref()
            .map(|d| format!(" written to {}", d.display()))
            .unwrap_or_default()
    );
    let report: &mut dyn Write = if args.out.is_some() { io.out } else { io.err };
    writeln!(report, "{summary}").into_diagnostic()?;
    if refusals.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        report,
        "{} rule part{} with no KQL form (the rule is left out):",
        refusals.len(),
        if refusals.len() == 1 { "" } else { "s" }
    )
    .into_diagnostic()?;
    for r in &refusals {
        writeln!(report, "  {r}").into_diagnostic()?;
    }
    Ok(ExitCode::from(2))
}

fn write_folder(
    dir: &Path,
    queries: &[KqlQuery],
    texts: &[String],
    refusals: &[Refusal],
    window: &Window,
    target: Target,
) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let mut entries = Vec::new();
    for (q, text) in queries.iter().zip(texts) {
        let file = format!("{}.kql", q.name);
        let path = dir.join(&file);
        std::fs::write(&path, text)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
        entries.push(ManifestQuery {
            file,
            query: q,
            bytes: text.len(),
        });
    }
    let manifest = Manifest {
        target,
        since: window.since.map(|t| t.to_rfc3339()),
        until: window.until.map(|t| t.to_rfc3339()),
        tag_column: TAG_COLUMN,
        queries: entries,
        refused: refusals
            .iter()
            .map(|r| ManifestRefusal {
                rule: &r.rule,
                file: &r.file,
                line: r.line,
                part: r.part,
                at: &r.at,
                reason: &r.reason,
            })
            .collect(),
    };
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).into_diagnostic()?;
    std::fs::write(&path, text + "\n")
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
