//! The rule language: rule files (TOML) whose conditions are written in acs-triage's own
//! expression language, bundled rules, user rules, and their embedded tests.
//!
//! - [`syntax`]: grammar and recovering parser (nom);
//! - [`eval`]: what a condition means on a record;
//! - [`file`]: loading a rule file with located, collected problems;
//! - [`run`]: running rules (plain, grouped thresholds, absence) and their tests;
//! - [`vocab`]: the known field names typos are checked against.

pub mod eval;
pub mod file;
pub mod run;
pub mod syntax;
pub mod vocab;

use std::path::{Path, PathBuf};

pub use file::{Rule, RuleFileError, RuleKind, load_rule_file};
pub use run::{RuleAnalyzer, RuleSet, TestOutcome, run_rule_tests};
pub use vocab::Vocabulary;

/// The bundled rule files, embedded at build time. A test checks that every file under
/// `rules/bundled/` is listed here.
pub const BUNDLED: [(&str, &str); 1] = [(
    "rules/bundled/auth.toml",
    include_str!("../../../rules/bundled/auth.toml"),
)];

/// Something that kept rules from loading.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuleLoadError {
    #[error(transparent)]
    File(#[from] RuleFileError),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("rule id `{id}` is defined twice: {first} and {second}")]
    Duplicate {
        id: String,
        first: String,
        second: String,
    },
}

/// Loads the bundled rules.
pub fn load_bundled(vocab: &Vocabulary) -> Result<Vec<Rule>, Vec<RuleLoadError>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (path, text) in BUNDLED {
        match load_rule_file(path, text, vocab) {
            Ok(r) => rules.extend(r),
            Err(e) => errors.push(e.into()),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// The rule files a path names: the file itself, or every `*.toml` below a folder, sorted.
pub fn rule_files(path: &Path) -> Result<Vec<PathBuf>, RuleLoadError> {
    let io = |message: String| RuleLoadError::Io {
        path: path.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| io(e.to_string()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        let entry = entry.map_err(|e| io(e.to_string()))?;
        if entry.file_type().is_file()
            && entry
                .path()
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            files.push(entry.path().to_path_buf());
        }
    }
    if files.is_empty() {
        return Err(io("no rule files (*.toml) in this folder".to_owned()));
    }
    Ok(files)
}

/// Loads user rule files and folders; every problem of every file is returned together.
pub fn load_paths(paths: &[PathBuf], vocab: &Vocabulary) -> Result<Vec<Rule>, Vec<RuleLoadError>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let files = match rule_files(path) {
            Ok(f) => f,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for file in files {
            let shown = file.display().to_string();
            match std::fs::read_to_string(&file) {
                Ok(text) => match load_rule_file(&shown, &text, vocab) {
                    Ok(r) => rules.extend(r),
                    Err(e) => errors.push(e.into()),
                },
                Err(e) => errors.push(RuleLoadError::Io {
                    path: shown,
                    message: e.to_string(),
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// Fails when two rules share an ID (across files).
pub fn check_unique(rules: &[Rule]) -> Result<(), Vec<RuleLoadError>> {
    let mut errors = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if let Some(first) = rules[..i].iter().find(|r| r.id == rule.id) {
            errors.push(RuleLoadError::Duplicate {
                id: rule.id.clone(),
                first: format!("{}:{}", first.file, first.line),
                second: format!("{}:{}", rule.file, rule.line),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::Context;
    use crate::catalog::Catalogs;
    use crate::settings::Settings;

    #[test]
    fn every_bundled_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/bundled");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| format!("rules/bundled/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUNDLED.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn bundled_rules_load_and_their_tests_pass() {
        let rules = load_bundled(&Vocabulary::bundled()).unwrap_or_else(|e| panic!("{e:#?}"));
        check_unique(&rules).unwrap();
        let ctx = Context::new(Catalogs::bundled().unwrap(), Settings::bundled().unwrap());
        for rule in &rules {
            let kinds: Vec<_> = rule.tests.iter().map(|t| t.expect).collect();
            assert!(
                kinds
                    .iter()
                    .any(|k| matches!(k, file::Expect::Match | file::Expect::Finding)),
                "{} needs a test that matches",
                rule.id
            );
            assert!(
                kinds
                    .iter()
                    .any(|k| matches!(k, file::Expect::NoMatch | file::Expect::NoFinding)),
                "{} needs a test that must not match",
                rule.id
            );
            for outcome in run_rule_tests(rule, &ctx) {
                assert!(
                    outcome.passed,
                    "{}:{} {}",
                    outcome.file, outcome.line, outcome.detail
                );
            }
        }
    }
}
