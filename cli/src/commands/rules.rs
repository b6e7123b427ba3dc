//! `acs-triage rules list | check | test | why`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use acs_triage_core::config::SetupErrors;
use acs_triage_core::ingest::record_from_json;
use acs_triage_core::rules::file::RuleKind;
use acs_triage_core::rules::vocab::nearest;
use acs_triage_core::rules::{self, Rule, Vocabulary, run_rule_tests};
use anstyle::{AnsiColor, Style};
use clap::{Args, Subcommand};
use miette::{IntoDiagnostic, miette};

use crate::setup::{self, SetupArgs};
use crate::{CommandResult, Failure, Io, analyzers};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const PASS: Style = AnsiColor::Green.on_default();
const FAIL: Style = AnsiColor::Red.on_default().bold();

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule (id, severity, kind, source) and every analyzer.
    List(ListArgs),
    /// Check rule files: exit 2 and show every problem if one is wrong.
    Check(CheckArgs),
    /// Run the tests embedded in rules (the bundled and configured ones, or the files given).
    Test(TestArgs),
    /// Show, step by step, why a rule does or does not match one record.
    Why(WhyArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Rule files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Rule files or folders; without any, the bundled rules and those of the configuration.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub setup: SetupArgs,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The rule's id.
    pub rule: String,
    /// The record, as JSON (`-` reads it from standard input, `@FILE` from a file).
    #[arg(long, value_name = "JSON")]
    pub record: String,
    #[command(flatten)]
    pub setup: SetupArgs,
}

pub fn run(cmd: RulesCommand, io: &mut Io<'_>) -> CommandResult {
    let out = &mut crate::render::styled(io.out, io.color_out);
    match cmd {
        RulesCommand::List(a) => list(a, out),
        RulesCommand::Check(a) => check(a, out),
        RulesCommand::Test(a) => test(a, out),
        RulesCommand::Why(a) => why(a, out),
    }
}

fn kind_name(rule: &Rule) -> String {
    match &rule.kind {
        RuleKind::Match if rule.group_by.is_empty() => "match".to_owned(),
        RuleKind::Match => "match, grouped".to_owned(),
        RuleKind::Threshold(t) => format!(
            "threshold count {} {}{}",
            t.op.text(),
            t.count,
            t.within.map_or(String::new(), |w| format!(
                " within {}",
                acs_triage_core::text::duration_literal(w)
            ))
        ),
        RuleKind::Absence(a) => format!("absence within {}", a.within_text),
    }
}

fn list(args: ListArgs, out: &mut dyn Write) -> CommandResult {
    let setup = setup::load(&args.setup)?;
    let width = setup
        .rules
        .iter()
        .chain(&setup.disabled_rules)
        .map(|r| r.id.len())
        .max()
        .unwrap_or(10);
    writeln!(out, "{BOLD}Rules{BOLD:#}").into_diagnostic()?;
    for rule in &setup.rules {
        writeln!(
            out,
            "  {:<width$}  {:<7}  {}  {DIM}({}, {}:{}){DIM:#}",
            rule.id,
            rule.severity.name(),
            rule.title,
            kind_name(rule),
            rule.file,
            rule.line
        )
        .into_diagnostic()?;
    }
    for rule in &setup.disabled_rules {
        writeln!(
            out,
            "  {:<width$}  {:<7}  {}  {DIM}(disabled by configuration, {}:{}){DIM:#}",
            rule.id, "-", rule.title, rule.file, rule.line
        )
        .into_diagnostic()?;
    }
    writeln!(out, "{BOLD}Analyzers{BOLD:#}").into_diagnostic()?;
    for a in analyzers::registered() {
        let info = a.info();
        let state = if setup.disabled_analyzers.contains(info.id) {
            " (disabled by configuration)"
        } else {
            ""
        };
        let tables = if info.tables.is_empty() {
            String::new()
        } else {
            let ids: Vec<&str> = info.tables.iter().map(|t| t.id).collect();
            format!("; tables (--table): {}", ids.join(", "))
        };
        writeln!(
            out,
            "  {:<width$}  {}{state}  {DIM}findings: {}{tables}{DIM:#}",
            info.id,
            info.title,
            info.findings
                .iter()
                .map(|f| f.id)
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into_diagnostic()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn load_files(paths: &[PathBuf]) -> Result<Vec<Rule>, Failure> {
    let vocab = Vocabulary::bundled();
    let rules = rules::load_paths(paths, &vocab).map_err(|rules| {
        Failure::Setup(SetupErrors {
            config: Vec::new(),
            rules,
        })
    })?;
    rules::check_unique(&rules).map_err(|rules| {
        Failure::Setup(SetupErrors {
            config: Vec::new(),
            rules,
        })
    })?;
    Ok(rules)
}

fn check(args: CheckArgs, out: &mut dyn Write) -> CommandResult {
    let rules = load_files(&args.paths)?;
    let mut files: Vec<(&str, usize)> = Vec::new();
    for r in &rules {
        match files.iter_mut().find(|(f, _)| *f == r.file) {
            Some((_, n)) => *n += 1,
            None => files.push((&r.file, 1)),
        }
    }
    for (file, n) in files {
        writeln!(out, "{file}: {n} rule{} OK", if n == 1 { "" } else { "s" }).into_diagnostic()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn test(args: TestArgs, out: &mut dyn Write) -> CommandResult {
    let setup = setup::load(&args.setup)?;
    let rules = if args.paths.is_empty() {
        setup.rules.clone()
    } else {
        load_files(&args.paths)?
    };
    let (mut passed, mut failed, mut untested) = (0u32, 0u32, Vec::new());
    for rule in &rules {
        if rule.tests.is_empty() {
            untested.push(rule.id.as_str());
        }
        for outcome in run_rule_tests(rule, &setup.context) {
            if outcome.passed {
                passed += 1;
            } else {
                failed += 1;
                writeln!(
                    out,
                    "{FAIL}FAIL{FAIL:#} {} ({}:{})",
                    outcome.rule, outcome.file, outcome.line
                )
                .into_diagnostic()?;
                for line in outcome.detail.lines() {
                    writeln!(out, "     {line}").into_diagnostic()?;
                }
            }
        }
    }
    if !untested.is_empty() {
        writeln!(
            out,
            "{DIM}rules without tests: {}{DIM:#}",
            untested.join(", ")
        )
        .into_diagnostic()?;
    }
    let style = if failed == 0 { PASS } else { FAIL };
    writeln!(
        out,
        "{style}{passed} passed, {failed} failed{style:#} ({} rules)",
        rules.len()
    )
    .into_diagnostic()?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_record(arg: &str) -> Result<String, Failure> {
    if arg == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).into_diagnostic()?;
        Ok(text)
    } else if let Some(path) = arg.strip_prefix('@') {
        Ok(std::fs::read_to_string(path).map_err(|e| miette!("cannot read {path}: {e}"))?)
    } else {
        Ok(arg.to_owned())
    }
}

fn why(args: WhyArgs, out: &mut dyn Write) -> CommandResult {
    let setup = setup::load(&args.setup)?;
    let all: Vec<&Rule> = setup.rules.iter().chain(&setup.disabled_rules).collect();
    let Some(rule) = all.iter().find(|r| r.id == args.rule) else {
        let help = nearest(&args.rule, all.iter().map(|r| r.id.as_str()))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| "`acs-triage rules list` shows every rule".to_owned());
        return Err(miette!(help = help, "no rule is called `{}`", args.rule).into());
    };
    let text = read_record(&args.record)?;
    let record = record_from_json(text.trim()).map_err(|e| {
        miette!(
            help = "pass one JSON object, as it appears in the logs",
            "{e}"
        )
    })?;
    writeln!(
        out,
        "{BOLD}{}{BOLD:#} ({}:{}) on a {} record, category {}",
        rule.id,
        rule.file,
        rule.line,
        record.format,
        record.category.as_deref().unwrap_or("unknown")
    )
    .into_diagnostic()?;
    let mut show =
        |label: &str, cond: &acs_triage_core::rules::eval::Condition| -> std::io::Result<bool> {
            writeln!(out, "{label} {}", cond.text())?;
            let (result, lines) = cond.trace(&record);
            for l in lines {
                let (mark, style) = if l.result {
                    ("true ", PASS)
                } else {
                    ("false", FAIL)
                };
                let detail = if l.detail.is_empty() {
                    String::new()
                } else {
                    format!("  {DIM}({}){DIM:#}", l.detail)
                };
                writeln!(
                    out,
                    "  {}{style}{mark}{style:#} {}{detail}",
                    "  ".repeat(l.depth),
                    l.text
                )?;
            }
            Ok(result)
        };
    let matched = show("when", &rule.when).into_diagnostic()?;
    if let RuleKind::Absence(a) = &rule.kind {
        show("followed_by", &a.followed_by).into_diagnostic()?;
    }
    let verdict = if matched {
        match &rule.kind {
            RuleKind::Match => "the record matches this rule".to_owned(),
            RuleKind::Threshold(t) => format!(
                "the record matches; the rule reports when count {} {} such records per group",
                t.op.text(),
                t.count
            ),
            RuleKind::Absence(a) => format!(
                "the record matches; the rule reports it unless a record matching followed_by with the same key comes within {}",
                a.within_text
            ),
        }
    } else {
        "the record does not match this rule".to_owned()
    };
    writeln!(out, "{BOLD}→ {verdict}{BOLD:#}").into_diagnostic()?;
    Ok(if matched {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
