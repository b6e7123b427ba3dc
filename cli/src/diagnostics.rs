//! Turning the core's located errors (rule files, configuration) into miette reports: file,
//! line and column, the source line, a label under the fault, and the suggestion.

use std::fmt::Write as _;

use acs_triage_core::config::{ConfigError, SetupErrors};
use acs_triage_core::rules::{RuleFileError, RuleLoadError};
use miette::{Diagnostic, NamedSource, SourceSpan};

/// One located problem.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct Located {
    message: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
    #[help]
    help: Option<String>,
}

/// All problems of one file, reported together.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{title}")]
pub struct FileProblems {
    title: String,
    #[related]
    problems: Vec<Located>,
}

/// A problem without a location.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct Plain {
    message: String,
    #[help]
    help: Option<String>,
}

fn located(
    path: &str,
    text: &str,
    span: std::ops::Range<usize>,
    message: &str,
    help: Option<String>,
) -> Located {
    let start = span.start.min(text.len());
    let len = span.end.saturating_sub(span.start).min(text.len() - start);
    Located {
        message: message.to_owned(),
        source_code: NamedSource::new(path, text.to_owned()),
        span: (start, len).into(),
        label: "here".to_owned(),
        help,
    }
}

/// A report for one rule file's problems.
pub fn rule_file(e: &RuleFileError) -> miette::Report {
    let n = e.problems.len();
    // The title names the file only; each snippet below gives its full path, line and column.
    let name = std::path::Path::new(&e.path)
        .file_name()
        .map_or(e.path.clone(), |n| n.to_string_lossy().into_owned());
    miette::Report::new(FileProblems {
        title: format!(
            "{n} problem{} in rule file {name}; no rule from it was loaded",
            if n == 1 { "" } else { "s" }
        ),
        problems: e
            .problems
            .iter()
            .map(|p| located(&e.path, &e.text, p.span.clone(), &p.message, p.help.clone()))
            .collect(),
    })
}

pub fn config(e: &ConfigError) -> miette::Report {
    match (&e.text, &e.span) {
        (Some(text), Some(span)) => miette::Report::new(FileProblems {
            title: format!("{}: configuration error", e.path),
            problems: vec![located(
                &e.path,
                text,
                span.clone(),
                &e.message,
                e.help.clone(),
            )],
        }),
        _ => miette::Report::new(Plain {
            message: format!("{}: {}", e.path, e.message),
            help: e.help.clone(),
        }),
    }
}

pub fn rule_load(e: &RuleLoadError) -> miette::Report {
    match e {
        RuleLoadError::File(f) => rule_file(f),
        other => miette::Report::new(Plain {
            message: other.to_string(),
            help: match other {
                RuleLoadError::Duplicate { .. } => {
                    Some("rule ids must be unique across all rule files".to_owned())
                }
                _ => None,
            },
        }),
    }
}

/// Renders every setup error, one report after another.
pub fn render_setup(errors: &SetupErrors, color: bool) -> String {
    let mut out = String::new();
    for e in &errors.config {
        let _ = write!(out, "{}", crate::render_error(&config(e), color));
    }
    for e in &errors.rules {
        let _ = write!(out, "{}", crate::render_error(&rule_load(e), color));
    }
    out
}
