//! `acs-triage analyze`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use acs_triage_core::classify::Classifier;
use acs_triage_core::engine::{self, RunOptions};
use acs_triage_core::rules::{RuleAnalyzer, RuleSet};
use acs_triage_core::{Analyzer, Severity};
use clap::{Args, ValueEnum};
use miette::miette;

use crate::render::{self, Report};
use crate::setup::{self, SetupArgs};
use crate::{CommandResult, analyzers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Readable report for a terminal (colour when it is one).
    Human,
    /// One JSON document (schema: docs/json-output.md).
    Json,
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
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Follow symbolic links inside folders (loops are detected and reported).
    #[arg(long)]
    pub follow_symlinks: bool,
    #[command(flatten)]
    pub setup: SetupArgs,
}

pub fn run(args: AnalyzeArgs, out: &mut dyn Write) -> CommandResult {
    if args.threads == Some(0) {
        return Err(miette!("--threads must be at least 1").into());
    }
    let setup = setup::load(&args.setup)?;
    let mut analyzers: Vec<&dyn Analyzer> = analyzers::registered()
        .into_iter()
        .filter(|a| !setup.disabled_analyzers.contains(a.info().id))
        .collect();
    let rule_analyzer = RuleAnalyzer::new(Arc::new(RuleSet::new(setup.rules.clone())));
    if !setup.rules.is_empty() {
        analyzers.push(&rule_analyzer);
    }
    let options = RunOptions {
        threads: args.threads,
        follow_symlinks: args.follow_symlinks,
        limits: setup.limits.clone(),
    };
    let mut analysis = engine::run(
        &args.paths,
        &analyzers,
        &setup.context,
        Classifier::bundled(),
        &options,
        None,
    )
    .map_err(|e| miette!("{e}"))?;
    setup.apply_overrides(&mut analysis);

    let report = Report::new(&analysis);
    let written = match args.format {
        OutputFormat::Human => render::human::render(&report, out),
        OutputFormat::Json => render::json::render(&report, out),
    };
    match written.and_then(|_| out.flush()) {
        Ok(()) => {}
        // A closed pipe (`| head`) is not an error of the analysis.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(miette!("cannot write the report: {e}").into()),
    }

    let threshold = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Error => Some(Severity::Error),
        FailOn::Never => None,
    };
    let failing = threshold.is_some_and(|t| analysis.findings.iter().any(|f| f.severity >= t));
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
