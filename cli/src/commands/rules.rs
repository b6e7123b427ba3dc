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
    /// List the fields rules can name, the categories they can compare with, and the operators.
    Fields(FieldsArgs),
}

#[derive(Debug, Args)]
pub struct FieldsArgs {}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Rule files or folders; without any, the bundled rules and those of the configuration.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub setup: SetupArgs,
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
        RulesCommand::Fields(_) => fields(out),
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
    let rules = if args.paths.is_empty() {
        let setup = setup::load(&args.setup)?;
        setup
            .rules
            .into_iter()
            .chain(setup.disabled_rules)
            .collect()
    } else {
        load_files(&args.paths)?
    };
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
        let mut files: Vec<&str> = all.iter().map(|r| r.file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        let looked = if files.is_empty() {
            "no rule file".to_owned()
        } else {
            files.join(", ")
        };
        let help = match nearest(&args.rule, all.iter().map(|r| r.id.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None if args.setup.rules.is_empty() => format!(
                "a rule of your own files needs them named: `acs-triage rules why {} --rules my-rules/ --record ...` (or `[rules] paths` in acs-triage.toml)",
                args.rule
            ),
            None => "`acs-triage rules list --rules ...` shows every rule".to_owned(),
        };
        return Err(miette!(
            help = help,
            "no rule is called `{}` (looked in: {looked})",
            args.rule
        )
        .into());
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

/// `rules fields`: what a condition can name and compare.
fn fields(out: &mut dyn Write) -> CommandResult {
    writeln!(out, "{BOLD}Operators{BOLD:#}").into_diagnostic()?;
    for (op, meaning) in [
        (
            "==  !=",
            "equal, not equal (text ignores case; numbers written as text compare as numbers)",
        ),
        ("<  <=  >  >=", "compare numbers (and times)"),
        ("in [a, b]  not in [a, b]", "one of a list"),
        (
            "contains  startswith  endswith",
            "text tests, ignoring case",
        ),
        ("matches \"regex\"", "a regular expression"),
        ("exists(field)", "the record has the field"),
        ("and  or  not  ( )", "combine"),
    ] {
        writeln!(out, "  {op:<34} {meaning}").into_diagnostic()?;
    }
    writeln!(
        out,
        "  thresholds: count == / != / < / <= / > / >= N [within 10m]"
    )
    .into_diagnostic()?;
    writeln!(out).into_diagnostic()?;
    writeln!(
        out,
        "{BOLD}Fields{BOLD:#} (names ignore case; `properties.` is optional)"
    )
    .into_diagnostic()?;
    for (group, names) in acs_triage_core::rules::vocab::groups() {
        writeln!(out, "  {group}:").into_diagnostic()?;
        for line in wrap(&names.join(", "), 92) {
            writeln!(out, "    {line}").into_diagnostic()?;
        }
    }
    writeln!(out).into_diagnostic()?;
    writeln!(
        out,
        "{BOLD}Categories{BOLD:#} (compare with `category == \"...\"`; the family a rule may name with `family == \"...\"`)"
    )
    .into_diagnostic()?;
    let classifier = acs_triage_core::classify::Classifier::bundled();
    for (name, table, family) in classifier.category_names() {
        let table = if table.is_empty() {
            String::new()
        } else {
            format!(" (Log Analytics table {table})")
        };
        writeln!(out, "  {name:<52} {family}{DIM}{table}{DIM:#}").into_diagnostic()?;
    }
    writeln!(out).into_diagnostic()?;
    writeln!(
        out,
        "{BOLD}Event types{BOLD:#} (Event Grid `eventType`, CloudEvents `type`; a record's category is its event type)"
    )
    .into_diagnostic()?;
    for (name, family) in classifier.event_names() {
        writeln!(out, "  {name:<52} {family}").into_diagnostic()?;
    }
    // Call Automation callbacks carry `type = Microsoft.Communication.<event>`: the events the
    // result code table names.
    let catalogs = acs_triage_core::catalog::Catalogs::bundled().into_diagnostic()?;
    let mut events: Vec<String> = catalogs
        .get::<acs_triage_core::catalog::CodeTable>(&acs_triage_calling::CALL_AUTOMATION_CODES)
        .entries
        .iter()
        .flat_map(|e| e.events.split(';').map(|x| x.trim().to_owned()))
        .filter(|e| !e.is_empty())
        .collect();
    events.sort();
    events.dedup();
    writeln!(out, "  Call Automation callbacks (call-automation):").into_diagnostic()?;
    let names: Vec<String> = events
        .iter()
        .map(|e| format!("Microsoft.Communication.{e}"))
        .collect();
    for line in wrap(&names.join(", "), 92) {
        writeln!(out, "    {line}").into_diagnostic()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Splits a comma-separated list into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}
