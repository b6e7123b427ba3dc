//! `acs-triage analyze`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use acs_triage_core::analyzer::RecordCollector;

use acs_triage_core::engine::{self, RunOptions};
use acs_triage_core::rules::vocab::nearest;
use acs_triage_core::rules::{RuleAnalyzer, RuleSet};
use acs_triage_core::{Analyzer, IdKind, Severity};
use clap::{Args, ValueEnum};
use miette::miette;

use crate::render::{self, Detail, Report};
use crate::setup::{self, SetupArgs};
use acs_triage_core::config::Setup;

use crate::progress::Bar;
use crate::{CommandResult, analyzers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Readable report for a terminal (colour when it is one).
    Human,
    /// One JSON document (schema: docs/json-output.md).
    Json,
    /// One JSON finding per line, for piping.
    Jsonl,
    /// Markdown, to paste into a ticket or an issue.
    Markdown,
    /// One self-contained HTML page with charts and call timelines.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    Info,
    Warning,
    Error,
}

impl MinSeverity {
    fn severity(self) -> Severity {
        match self {
            MinSeverity::Info => Severity::Info,
            MinSeverity::Warning => Severity::Warning,
            MinSeverity::Error => Severity::Error,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
    /// Always exit 0 when the analysis ran.
    Never,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Log files or folders to read (folders are read recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Exit with 1 when there is a finding at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Worker threads (default: one per core; at most 256).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=engine::MAX_THREADS as i64))]
    pub threads: Option<u16>,
    /// Reads the inputs in an order shuffled by this seed; the output must not change (for
    /// tests of that promise).
    #[arg(long, value_name = "SEED", hide = true)]
    pub order_seed: Option<u64>,
    /// Follow symbolic links inside folders (loops are detected and reported).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Tell one call's story instead: participants, timeline, streams, end reasons, findings
    /// and the IDs to give Azure support.
    #[arg(long, value_name = "CALL_ID")]
    pub call: Option<String>,
    /// Also print a table an analyzer keeps (repeatable), e.g. `sms/messages`: one row per SMS
    /// message with its outcome, `calling/health`: participants by endpoint type, SDK, OS and
    /// app version. `acs-triage rules list` names every table.
    #[arg(long = "table", value_name = "ID")]
    pub tables: Vec<String>,
    /// Print only the tables asked for with --table, not the report.
    #[arg(long, requires = "tables")]
    pub tables_only: bool,
    /// Only the ranked problems, the health overview and the inputs that need attention.
    #[arg(long, conflicts_with_all = ["details", "all"])]
    pub summary: bool,
    /// Also every finding of each problem, with its evidence.
    #[arg(long)]
    pub details: bool,
    /// Everything: every finding with its evidence, and every input.
    #[arg(long)]
    pub all: bool,
    /// Only records at or after this time (`2026-11-20`, `2026-11-20T15:00:00Z`); records
    /// without a time are left out too, and counted.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records at or before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only findings at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<MinSeverity>,
    /// Only these finding kinds (repeatable): an ID (`calling/end-reason`) or an area
    /// (`sms/`, `sms/*`).
    #[arg(long = "only", value_name = "KIND")]
    pub only: Vec<String>,
    /// Leave these finding kinds out (repeatable), written as for --only.
    #[arg(long = "exclude", value_name = "KIND")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub setup: SetupArgs,
}

/// Records of one call kept for its story (a call has a few hundred at most).
const STORY_RECORD_LIMIT: usize = 200_000;

pub fn run(
    args: AnalyzeArgs,
    out: &mut dyn Write,
    color: bool,
    redact: bool,
    err_is_terminal: bool,
) -> CommandResult {
    let mut setup = setup::load(&args.setup)?;
    let mut analyzers: Vec<&dyn Analyzer> = enabled_analyzers(&setup);
    setup.context.tables = wanted_tables(&args.tables, &analyzers)?;
    if args.format == OutputFormat::Html {
        let known: Vec<&str> = analyzers
            .iter()
            .flat_map(|a| a.info().tables.iter().map(|t| t.id))
            .collect();
        for table in render::html::CHART_TABLES {
            if known.contains(&table.id) {
                setup.context.tables.insert(table.id.to_owned());
            }
        }
    }
    let wanted = args.call.clone().map(|c| c.trim().to_owned());
    if wanted.is_some()
        && !matches!(
            args.format,
            OutputFormat::Human | OutputFormat::Json | OutputFormat::Markdown
        )
    {
        return Err(miette!(
            help = "leave --call out to get the whole analysis in that format",
            "--call tells one call's story as human text, Markdown or JSON"
        )
        .into());
    }
    // A call ID as people paste it may be cut short (`e46c72cd`): its start is enough when only
    // one call has it.
    let collector = wanted.clone().map(|id| {
        RecordCollector::new(
            move |r: &acs_triage_core::Record<'_>| {
                r.call_id().is_some_and(|c| {
                    c.len() >= id.len()
                        && c.as_bytes()[..id.len()].eq_ignore_ascii_case(id.as_bytes())
                })
            },
            STORY_RECORD_LIMIT,
        )
    });
    if let Some((c, _)) = &collector {
        analyzers.push(c);
    }
    let kinds = FindingKinds::new(&args.only, &args.exclude, &analyzers, &setup)?;
    let (since, until) =
        crate::commands::ids::parse_range(args.since.as_deref(), args.until.as_deref())?;
    let options = RunOptions {
        threads: crate::report_threads(args.threads),
        follow_symlinks: args.follow_symlinks,
        limits: setup.limits.clone(),
        order_seed: args.order_seed,
        since,
        until,
    };
    let machine = matches!(args.format, OutputFormat::Json | OutputFormat::Jsonl);
    let bar = Bar::new(err_is_terminal && !machine);
    let mut analysis = run_analyzers(&args.paths, &setup, analyzers, &options, &bar)?;
    drop(bar);
    let before = analysis.findings.len();
    let min = args.min_severity.map(MinSeverity::severity);
    analysis
        .findings
        .retain(|f| min.is_none_or(|m| f.severity >= m) && kinds.admits(&f.id));
    analysis.summary.filtered = (before - analysis.findings.len()) as u64;
    analysis.summary.findings.clear();
    for f in &analysis.findings {
        *analysis.summary.findings.entry(f.severity).or_default() += 1;
    }

    if let (Some(call_id), Some((_, collected))) = (wanted, &collector) {
        let records = collected.take();
        let mut ids: Vec<String> = records
            .iter()
            .filter_map(|r| r.call_id().map(|c| c.to_ascii_lowercase()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > 1 {
            let shown: Vec<&str> = ids.iter().take(10).map(String::as_str).collect();
            return Err(miette!(
                help = format!("give more of the ID; the calls are: {}", shown.join(", ")),
                "{} calls have IDs starting with `{call_id}`",
                ids.len()
            )
            .into());
        }
        let call_id = ids.pop().unwrap_or(call_id);
        return story(&call_id, records, &analysis, &setup, &args, out, color);
    }

    // Nothing read is no verdict: say what was found instead of "no problems", and exit 2.
    let nothing_read = analysis.summary.records == 0;
    let code = if nothing_read {
        ExitCode::from(2)
    } else {
        exit_code(args.fail_on, analysis.findings.iter().map(|f| f.severity))
    };
    let mut report = Report::new(analysis);
    report.detail = if args.all {
        Detail::All
    } else if args.details {
        Detail::Details
    } else if args.summary {
        Detail::Summary
    } else {
        Detail::Digest
    };
    if redact {
        report.redact();
    }
    if !matches!(args.format, OutputFormat::Json | OutputFormat::Jsonl) {
        report.neutralize_controls();
    }
    report.asked_tables = args.tables.iter().map(|t| t.trim().to_owned()).collect();
    let written = if args.tables_only {
        render::write_tables(&report, args.format, out)
    } else {
        match args.format {
            OutputFormat::Human => render::human::render(&report, &mut render::styled(out, color)),
            OutputFormat::Json => render::json::render(&mut report, out),
            OutputFormat::Jsonl => render::jsonl::render(&report, out),
            OutputFormat::Markdown => render::markdown::render(&report, out),
            OutputFormat::Html => render::html::render(&report, out),
        }
    };
    crate::release(report);
    match written.and_then(|_| out.flush()) {
        Ok(()) => {}
        // A closed pipe (`| head`) is not an error of the analysis.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(miette!("cannot write the report: {e}").into()),
    }

    Ok(code)
}

/// The analyzers the setup enables (registered ones not disabled by the configuration).
pub fn enabled_analyzers(setup: &Setup) -> Vec<&'static dyn Analyzer> {
    analyzers::registered()
        .into_iter()
        .filter(|a| !setup.disabled_analyzers.contains(a.info().id))
        .collect()
}

/// Runs `analyzers` and the configured rules over `paths`, then applies the configuration's
/// overrides (disabled findings, severities) to the result.
pub fn run_analyzers(
    paths: &[PathBuf],
    setup: &Setup,
    analyzers: Vec<&dyn Analyzer>,
    options: &RunOptions,
    bar: &Bar,
) -> Result<engine::Analysis, crate::Failure> {
    let update = |done: u64, total: u64| bar.update(done, total);
    let rule_analyzer = RuleAnalyzer::new(Arc::new(RuleSet::new(setup.rules.clone())));
    let mut analyzers = analyzers;
    if !setup.rules.is_empty() {
        analyzers.push(&rule_analyzer);
    }
    let mut analysis = engine::run(
        paths,
        &analyzers,
        &setup.context,
        &setup.classifier,
        options,
        bar.is_shown()
            .then_some(&update as &(dyn Fn(u64, u64) + Sync)),
    )
    .map_err(|e| miette!("{e}"))?;
    setup.apply_overrides(&mut analysis);
    Ok(analysis)
}

/// Checks `--table` IDs against the tables the enabled analyzers can produce.
fn wanted_tables(
    ids: &[String],
    analyzers: &[&dyn Analyzer],
) -> Result<std::collections::BTreeSet<String>, crate::Failure> {
    let known: Vec<&str> = analyzers
        .iter()
        .flat_map(|a| a.info().tables.iter().map(|t| t.id))
        .collect();
    let mut wanted = std::collections::BTreeSet::new();
    for id in ids {
        let id = id.trim();
        if !known.contains(&id) {
            let help = match nearest(id, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the tables are: {}", known.join(", ")),
            };
            return Err(miette!(help = help, "no analyzer keeps a table called `{id}`").into());
        }
        wanted.insert(id.to_owned());
    }
    Ok(wanted)
}

fn exit_code(fail_on: FailOn, severities: impl IntoIterator<Item = Severity>) -> ExitCode {
    let threshold = match fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Error => Some(Severity::Error),
        FailOn::Never => None,
    };
    let mut severities = severities.into_iter();
    if threshold.is_some_and(|t| severities.any(|s| s >= t)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--call`: the story of one call and its findings.
fn story(
    call_id: &str,
    records: Vec<acs_triage_core::Record<'static>>,
    analysis: &engine::Analysis,
    setup: &acs_triage_core::config::Setup,
    args: &AnalyzeArgs,
    out: &mut dyn Write,
    color: bool,
) -> CommandResult {
    if records.is_empty() {
        return Err(miette!(
            help = "check the ID (a call ID is the correlationId of CallSummary records); `acs-triage analyze` lists calls with problems",
            "no record in the inputs mentions call {call_id}"
        )
        .into());
    }
    let story =
        acs_triage_calling::story::build(&setup.context, call_id, &records, &analysis.paths);
    let linked = |kind: &str, v: &str| {
        story
            .support_ids
            .get(kind)
            .is_some_and(|list| list.iter().any(|x| x == v))
    };
    let paths: Vec<std::sync::Arc<str>> =
        analysis.paths.iter().map(|p| p.as_str().into()).collect();
    let findings: Vec<render::FindingOut> = analysis
        .findings
        .iter()
        .filter(|f| {
            f.ids().iter().any(|(k, v)| match k {
                IdKind::CallId => v.text().eq_ignore_ascii_case(call_id),
                IdKind::ServerCallId => linked("serverCallId", &v.text()),
                IdKind::CallConnectionId => linked("callConnectionId", &v.text()),
                _ => false,
            })
        })
        .map(|f| render::finding_out(&paths, (**f).clone()))
        .collect();
    let written = match args.format {
        OutputFormat::Human => {
            render::story::human(&story, &findings, &mut render::styled(out, color))
        }
        OutputFormat::Json => render::story::json(&story, &findings, out),
        OutputFormat::Markdown => render::story::markdown(&story, &findings, out),
        other => unreachable!("--call with {other:?} is refused before the run"),
    };
    match written.and_then(|_| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(miette!("cannot write the report: {e}").into()),
    }
    Ok(exit_code(args.fail_on, findings.iter().map(|f| f.severity)))
}

/// `--only` / `--exclude`: finding kinds by ID or by area (`sms/`, `sms/*`), checked against
/// the kinds the enabled analyzers and rules can report.
struct FindingKinds {
    only: Vec<String>,
    exclude: Vec<String>,
}

impl FindingKinds {
    fn new(
        only: &[String],
        exclude: &[String],
        analyzers: &[&dyn Analyzer],
        setup: &Setup,
    ) -> Result<FindingKinds, crate::Failure> {
        let known: Vec<String> = analyzers
            .iter()
            .flat_map(|a| a.info().findings.iter().map(|k| k.id.to_owned()))
            .chain(setup.rules.iter().map(|r| r.id.clone()))
            .collect();
        let check = |flag: &str, list: &[String]| -> Result<Vec<String>, crate::Failure> {
            let mut out = Vec::new();
            for raw in list {
                let pattern = raw.trim().trim_end_matches('*').to_owned();
                let matches = known.iter().any(|k| kind_matches(k, &pattern));
                if !matches {
                    let help = match nearest(&pattern, known.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "`acs-triage rules list` names every finding".to_owned(),
                    };
                    return Err(miette!(
                        help = help,
                        "{flag} {raw}: no finding kind is called that"
                    )
                    .into());
                }
                out.push(pattern);
            }
            Ok(out)
        };
        Ok(FindingKinds {
            only: check("--only", only)?,
            exclude: check("--exclude", exclude)?,
        })
    }

    fn admits(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| kind_matches(id, p)))
            && !self.exclude.iter().any(|p| kind_matches(id, p))
    }
}

/// `sms/` (an area) matches every `sms/...` kind; anything else matches itself, ignoring case.
fn kind_matches(id: &str, pattern: &str) -> bool {
    if pattern.ends_with('/') {
        id.len() > pattern.len() && id[..pattern.len()].eq_ignore_ascii_case(pattern)
    } else {
        id.eq_ignore_ascii_case(pattern)
    }
}
