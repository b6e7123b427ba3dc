//! `acs-triage analyze`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use acs_triage_core::analyzer::Context;
use acs_triage_core::catalog::Catalogs;
use acs_triage_core::classify::Classifier;
use acs_triage_core::engine::{self, RunOptions};
use acs_triage_core::settings::Settings;
use acs_triage_core::{Analyzer, Severity};
use clap::{Args, ValueEnum};
use miette::{IntoDiagnostic, Result, miette};

use crate::analyzers;
use crate::render::{self, Report};

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
}

/// Builds the analysis context from the bundled data.
pub fn bundled_context() -> Result<Context> {
    let catalogs = Catalogs::bundled().into_diagnostic()?;
    let settings = Settings::bundled().into_diagnostic()?;
    Ok(Context { catalogs, settings })
}

pub fn run(args: AnalyzeArgs, out: &mut dyn Write) -> Result<ExitCode> {
    if args.threads == Some(0) {
        return Err(miette!("--threads must be at least 1"));
    }
    let ctx = bundled_context()?;
    let analyzers: Vec<&dyn Analyzer> = analyzers::registered();
    let options = RunOptions {
        threads: args.threads,
        follow_symlinks: args.follow_symlinks,
        ..RunOptions::default()
    };
    let analysis = engine::run(
        &args.paths,
        &analyzers,
        &ctx,
        Classifier::bundled(),
        &options,
        None,
    )
    .map_err(|e| miette!("{e}"))?;

    let report = Report::new(&analysis);
    let written = match args.format {
        OutputFormat::Human => render::human::render(&report, out),
        OutputFormat::Json => render::json::render(&report, out),
    };
    match written.and_then(|_| out.flush()) {
        Ok(()) => {}
        // A closed pipe (`| head`) is not an error of the analysis.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(miette!("cannot write the report: {e}")),
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
