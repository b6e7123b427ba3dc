//! `acs-triage ids`: every ID Azure support may ask for, grouped by call, SMS message and chat
//! thread, with when and where each was seen.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use std::collections::BTreeSet;

use acs_triage_core::config::Setup;
use acs_triage_core::engine::{self, RunOptions};
use acs_triage_core::time::{format_timestamp, parse_timestamp};
use acs_triage_core::{Analyzer, IdKind, Severity};
use acs_triage_support::{IdCollector, IdFilter, Seen, SupportIds};
use anstyle::Style;
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use miette::miette;

use crate::CommandResult;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdsFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct IdsArgs {
    /// Log files or folders to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only this call (its participants, server call IDs, call connections).
    #[arg(long, value_name = "CALL_ID")]
    pub call: Option<String>,
    /// Only this SMS message.
    #[arg(long, value_name = "MESSAGE_ID")]
    pub message: Option<String>,
    /// Only records at or after this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records at or before this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    #[arg(long, value_enum, default_value_t = IdsFormat::Human)]
    pub format: IdsFormat,
    /// Worker threads (default: one per core; at most 256).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=acs_triage_core::engine::MAX_THREADS as i64))]
    pub threads: Option<u16>,
    /// Reads the inputs in an order shuffled by this seed (for tests that the output does not
    /// change).
    #[arg(long, value_name = "SEED", hide = true)]
    pub order_seed: Option<u64>,
    /// Only the calls, messages and threads that warning or error findings name (the
    /// analysis runs first, with the configuration's rules).
    #[arg(long)]
    pub failed: bool,
    /// Read this configuration file instead of ./acs-triage.toml (its `[classify]` and
    /// `[ingest]` settings apply).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The calls, SMS messages and chat threads that warnings and errors name (call IDs in lower
/// case, as [`IdFilter::only`] compares them).
pub fn named_by_failures(findings: &[Box<acs_triage_core::Finding>]) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for f in findings.iter().filter(|f| f.severity >= Severity::Warning) {
        for kind in [IdKind::CallId, IdKind::SmsMessageId, IdKind::ChatThreadId] {
            if let Some(v) = f.ids().get(&kind) {
                named.insert(if kind == IdKind::CallId {
                    v.to_ascii_lowercase()
                } else {
                    v.into_owned()
                });
            }
        }
    }
    named
}

/// A time argument: RFC 3339 (zone optional, UTC assumed) or a bare date (its midnight).
pub fn parse_time_arg(flag: &str, text: &str) -> Result<DateTime<Utc>, crate::Failure> {
    let t = text.trim();
    let parsed = if t.len() == 10 {
        parse_timestamp(&format!("{t}T00:00:00Z"))
    } else {
        parse_timestamp(t)
    };
    parsed.ok_or_else(|| {
        miette!(
            help = "write it as 2026-11-20, 2026-11-20T15:00:00Z or 2026-11-20T15:00",
            "{flag} {text}: not a time"
        )
        .into()
    })
}

/// A time range whose ends may be open.
pub type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The `--since` and `--until` arguments, each optional.
pub fn parse_range(since: Option<&str>, until: Option<&str>) -> Result<Range, crate::Failure> {
    Ok((
        since.map(|t| parse_time_arg("--since", t)).transpose()?,
        until.map(|t| parse_time_arg("--until", t)).transpose()?,
    ))
}

/// Gathers the IDs of `paths` that pass `filter`, read as `setup` says.
pub fn gather(
    paths: &[PathBuf],
    filter: IdFilter,
    setup: &Setup,
    options: &RunOptions,
) -> Result<SupportIds, crate::Failure> {
    let collector = IdCollector::new(filter);
    let analyzers: Vec<&dyn Analyzer> = vec![&collector];
    let analysis = engine::run(
        paths,
        &analyzers,
        &setup.context,
        &setup.classifier,
        options,
        None,
    )
    .map_err(|e| miette!("{e}"))?;
    Ok(collector.take(&analysis.paths))
}

pub fn run(args: IdsArgs, out: &mut dyn Write, color: bool) -> CommandResult {
    let (since, until) = parse_range(args.since.as_deref(), args.until.as_deref())?;
    let mut filter = IdFilter {
        call: args.call.as_deref().map(|c| c.trim().to_owned()),
        message: args.message.as_deref().map(|m| m.trim().to_owned()),
        since,
        until,
        only: None,
    };
    let setup = crate::setup::load(&crate::setup::SetupArgs {
        rules: Vec::new(),
        config: args.config.clone(),
    })?;
    let options = RunOptions {
        threads: crate::report_threads(args.threads),
        follow_symlinks: false,
        limits: setup.limits.clone(),
        order_seed: args.order_seed,
        ..RunOptions::default()
    };
    if args.failed {
        let bar = crate::progress::Bar::new(false);
        let analysis = crate::commands::analyze::run_analyzers(
            &args.paths,
            &setup,
            crate::commands::analyze::enabled_analyzers(&setup),
            &options,
            &bar,
        )?;
        filter.only = Some(named_by_failures(&analysis.findings));
    }
    let ids = gather(&args.paths, filter, &setup, &options)?;
    let written = match args.format {
        IdsFormat::Json => serde_json::to_writer_pretty(&mut *out, &ids)
            .map_err(io::Error::other)
            .and_then(|_| writeln!(out)),
        IdsFormat::Human => human(&ids, &mut crate::render::styled(out, color)),
    };
    match written.and_then(|_| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(miette!("cannot write the IDs: {e}").into()),
    }
    Ok(ExitCode::SUCCESS)
}

fn seen(s: &Seen) -> String {
    let when = match (&s.first, &s.last) {
        (Some(a), Some(b)) if a == b => format!("at {}", format_timestamp(a)),
        (Some(a), Some(b)) => format!("{} to {}", format_timestamp(a), format_timestamp(b)),
        _ => "no time in the records".to_owned(),
    };
    let files: Vec<String> = s
        .files
        .iter()
        .map(|f| crate::render::short_path(f))
        .collect();
    format!("{when}; in {}", files.join(", "))
}

/// The IDs as text, grouped by entity.
pub fn human(ids: &SupportIds, out: &mut dyn Write) -> io::Result<()> {
    if ids.is_empty() {
        return writeln!(
            out,
            "No call, SMS message or chat thread IDs in the records read."
        );
    }
    if !ids.calls.is_empty() {
        writeln!(out, "{BOLD}Calls ({}){BOLD:#}", ids.calls.len())?;
        for c in &ids.calls {
            writeln!(out, "  {BOLD}call {}{BOLD:#}", c.call_id)?;
            match (&c.started, &c.ended) {
                (Some(a), Some(b)) => writeln!(
                    out,
                    "    call from {} to {}",
                    format_timestamp(a),
                    format_timestamp(b)
                )?,
                (Some(a), None) => writeln!(out, "    call started {}", format_timestamp(a))?,
                _ => {}
            }
            writeln!(out, "    {DIM}records logged {}{DIM:#}", seen(&c.seen))?;
            for id in &c.server_call_ids {
                writeln!(out, "    server call {id}")?;
            }
            for id in &c.call_connection_ids {
                writeln!(out, "    call connection {id}")?;
            }
            for p in &c.participants {
                let mut parts = Vec::new();
                if let Some(v) = &p.participant_id {
                    parts.push(format!("participant {v}"));
                }
                if let Some(v) = &p.endpoint_id {
                    parts.push(format!("endpoint {v}"));
                }
                if let Some(v) = &p.user {
                    parts.push(format!("user {v}"));
                }
                if let Some(v) = &p.end_reason {
                    parts.push(format!("ended {v}"));
                }
                writeln!(out, "    {}", parts.join("  "))?;
            }
        }
    }
    if !ids.sms_messages.is_empty() {
        writeln!(
            out,
            "{BOLD}SMS messages ({}){BOLD:#}",
            ids.sms_messages.len()
        )?;
        for m in &ids.sms_messages {
            let mut head = format!("  {BOLD}message {}{BOLD:#}", m.message_id);
            if let Some(from) = &m.from {
                head.push_str(&format!("  from {from}"));
            }
            if let Some(to) = &m.to {
                head.push_str(&format!("  to {to}"));
            }
            writeln!(out, "{head}")?;
            writeln!(out, "    {DIM}{}{DIM:#}", seen(&m.seen))?;
            for s in &m.statuses {
                writeln!(out, "    status {s}")?;
            }
        }
    }
    if !ids.chat_threads.is_empty() {
        writeln!(
            out,
            "{BOLD}Chat threads ({}){BOLD:#}",
            ids.chat_threads.len()
        )?;
        for t in &ids.chat_threads {
            writeln!(out, "  {BOLD}thread {}{BOLD:#}", t.thread_id)?;
            writeln!(out, "    {DIM}{}{DIM:#}", seen(&t.seen))?;
            for u in &t.users {
                writeln!(out, "    user {u}")?;
            }
            for f in &t.failed_requests {
                let mut line = format!(
                    "    failed {} {}",
                    f.status,
                    f.operation.as_deref().unwrap_or("request")
                );
                if let Some(t) = &f.time {
                    line.push_str(&format!(" at {}", format_timestamp(t)));
                }
                if let Some(v) = &f.user {
                    line.push_str(&format!(" by {v}"));
                }
                if let Some(v) = &f.ms_cv {
                    line.push_str(&format!("  MS-CV {v}"));
                }
                if let Some(v) = &f.client_request_id {
                    line.push_str(&format!("  client request {v}"));
                }
                writeln!(out, "{line}")?;
            }
            if t.failed_not_listed > 0 {
                writeln!(
                    out,
                    "    ... and {} more failed requests",
                    t.failed_not_listed
                )?;
            }
        }
    }
    if !ids.resources.is_empty() {
        writeln!(out, "{BOLD}Resources{BOLD:#}")?;
        for r in &ids.resources {
            writeln!(out, "  {r}")?;
        }
    }
    Ok(())
}
