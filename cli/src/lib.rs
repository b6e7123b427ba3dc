//! `acs-triage`: reads a folder of Azure Communication Services logs and says what went wrong,
//! why, what to do next, and which IDs to hand Azure support.
//!
//! The binary is a thin wrapper around [`run`], which end-to-end tests call in-process with
//! their own output buffers.

pub mod analyzers;
pub mod commands;
pub mod diagnostics;
pub mod docs;
pub mod progress;
pub mod render;
pub mod setup;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use acs_triage_core::redact::RedactingWriter;
use clap::{Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above --fail-on (default: error)
  1  findings at or above --fail-on
  2  usage, input or configuration error";

#[derive(Debug, Parser)]
#[command(
    name = "acs-triage",
    version,
    about = "Triage Azure Communication Services logs: calling, chat and SMS",
    long_about = "Reads a folder of Azure Communication Services logs (storage exports, Event Hubs captures, \
Log Analytics JSON/CSV exports, Event Grid payloads, Call Automation callbacks, SMS send responses, \
web SDK and .NET SDK console logs) and tells you what went wrong, why, what to do next and which IDs \
to give Azure support.",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print secrets and phone numbers as they are in the logs (for local use only: by default
    /// every output masks phone numbers and replaces keys, tokens, signatures and Authorization
    /// values with [REDACTED]).
    #[arg(long, global = true)]
    no_redact: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyze log files and folders and report findings.
    #[command(after_help = EXIT_CODES)]
    Analyze(commands::analyze::AnalyzeArgs),
    /// Explain a calling, Call Automation, chat, SMS or identity code: CODE or CODE/SUBCODE.
    Explain(commands::explain::ExplainArgs),
    /// List the IDs Azure support asks for, by call, SMS message and chat thread.
    Ids(commands::ids::IdsArgs),
    /// Write a support bundle (zip or folder): findings, IDs, manifest with hashes, native
    /// SDK logs; everything redacted.
    Bundle(commands::bundle::BundleArgs),
    /// List, check and test rules, and see why a rule matches a record.
    #[command(subcommand)]
    Rules(commands::rules::RulesCommand),
    /// Write the analyses and rules as KQL queries for Log Analytics or Azure Data Explorer.
    Kql(commands::kql::KqlArgs),
}

/// Why a command could not do its job (exit code 2).
#[derive(Debug)]
pub enum Failure {
    /// One error.
    Report(miette::Report),
    /// Configuration and rule problems, all of them.
    Setup(acs_triage_core::config::SetupErrors),
}

impl From<miette::Report> for Failure {
    fn from(r: miette::Report) -> Self {
        Failure::Report(r)
    }
}

/// What a command returns.
pub type CommandResult = Result<ExitCode, Failure>;

/// Where a run writes.
pub struct Io<'a> {
    /// Standard output, raw: human output is styled only when `color_out` is set, JSON never.
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Whether error reports on `err` may use colour.
    pub color: bool,
    /// Whether human output on `out` may use colour.
    pub color_out: bool,
    /// Whether standard error is a terminal (a progress bar may be drawn there).
    pub err_is_terminal: bool,
}

/// Set when the process ends as soon as the command returns (the binary, not tests).
static PROCESS_ENDS_AFTER_COMMAND: AtomicBool = AtomicBool::new(false);

/// Says that the process ends once [`run`] returns: the largest results (a report of a hundred
/// thousand findings) are then left for the system to reclaim at exit instead of being freed
/// one allocation at a time on one thread, which took about 0.2 s at 500,000 calls.
pub fn process_ends_after_command() {
    PROCESS_ENDS_AFTER_COMMAND.store(true, Ordering::Relaxed);
}

/// Drops `value`, or leaves it to the end of the process when that comes next (see
/// [`process_ends_after_command`]). Tests, which run many commands in one process, free it.
pub(crate) fn release<T>(value: T) {
    if PROCESS_ENDS_AFTER_COMMAND.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

/// Runs the command line `args` (including the program name) and returns the exit code.
pub fn run<I, T>(args: I, io: &mut Io<'_>) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let code = run_redacted(args, io);
    // `-` (standard input) was spooled to a temporary file for this command.
    acs_triage_core::ingest::stdin::remove_spool();
    code
}

/// Sizes rayon's global pool, on which the report is built, redacted and written, to
/// `--threads` (at most [`MAX_THREADS`]), as the analysis's own pool is; returns the count for
/// [`RunOptions::threads`]. The analysis keeps a pool of its own, whose threads end (and give
/// their memory back) before the report. The global pool is sized once per process; a later
/// command in the same process (tests run many) writes its report on the threads it has.
///
/// [`MAX_THREADS`]: acs_triage_core::engine::MAX_THREADS
/// [`RunOptions::threads`]: acs_triage_core::engine::RunOptions::threads
pub(crate) fn report_threads(threads: Option<u16>) -> Option<usize> {
    let threads = threads.map(|n| usize::from(n).min(acs_triage_core::engine::MAX_THREADS))?;
    // An error means the pool exists already (an earlier command, or parallel work before this).
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    Some(threads)
}

fn run_redacted(args: Vec<OsString>, io: &mut Io<'_>) -> ExitCode {
    // Known before parsing, so that even usage errors (which echo arguments) are redacted.
    let no_redact = args.iter().any(|a| a == "--no-redact");
    if no_redact {
        return run_parsed(args, io);
    }
    let mut out = RedactingWriter::holding(&mut *io.out);
    let mut err = RedactingWriter::new(&mut *io.err);
    let code = run_parsed(
        args,
        &mut Io {
            out: &mut out,
            err: &mut err,
            color: io.color,
            color_out: io.color_out,
            err_is_terminal: io.err_is_terminal,
        },
    );
    let _ = out.flush();
    let _ = err.flush();
    code
}

/// What [`run_captured`] returns: the exit code's value and everything written.
#[derive(Debug)]
pub struct Captured {
    pub code: u8,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `acs-triage <args>` in this process, without colour or terminal, and keeps what it
/// wrote: for tests and fuzzing, which need the exit code as a number (`ExitCode` hides it).
pub fn run_captured(args: &[&str]) -> Captured {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let argv = std::iter::once("acs-triage").chain(args.iter().copied());
    let code = run(
        argv,
        &mut Io {
            out: &mut stdout,
            err: &mut stderr,
            color: false,
            color_out: false,
            err_is_terminal: false,
        },
    );
    let code = (0..=u8::MAX)
        .find(|v| ExitCode::from(*v) == code)
        .unwrap_or(u8::MAX);
    Captured {
        code,
        stdout,
        stderr,
    }
}

fn run_parsed(args: Vec<OsString>, io: &mut Io<'_>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = if io.color {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            let target: &mut dyn Write = if e.use_stderr() {
                &mut *io.err
            } else {
                &mut *io.out
            };
            let _ = write!(target, "{text}");
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let result = match cli.command {
        Command::Analyze(args) => commands::analyze::run(
            args,
            io.out,
            io.color_out,
            !cli.no_redact,
            io.err_is_terminal,
        ),
        Command::Explain(args) => {
            commands::explain::run(args, &mut render::styled(io.out, io.color_out))
                .map_err(Failure::from)
        }
        Command::Rules(cmd) => commands::rules::run(cmd, io),
        Command::Kql(args) => commands::kql::run(args, io),
        Command::Ids(args) => commands::ids::run(args, io.out, io.color_out),
        Command::Bundle(args) => {
            commands::bundle::run(args, io.out, io.err_is_terminal, cli.no_redact)
        }
    };
    match result {
        Ok(code) => code,
        Err(Failure::Report(report)) => {
            let _ = write!(io.err, "{}", render_error(&report, io.color));
            ExitCode::from(2)
        }
        Err(Failure::Setup(errors)) => {
            let _ = write!(io.err, "{}", diagnostics::render_setup(&errors, io.color));
            ExitCode::from(2)
        }
    }
}

/// Renders an error report as miette's graphical diagnostic.
pub fn render_error(report: &miette::Report, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut text = String::new();
    if handler.render_report(&mut text, report.as_ref()).is_err() {
        text = format!("error: {report}\n");
    }
    text
}
