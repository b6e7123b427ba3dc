//! The reference documentation generated from the declarations is the one in the repository,
//! and every finding kind is documented, tested and reachable.
//!
//! `ACS_TRIAGE_UPDATE_DOCS=1 cargo test -p acs-triage-tests --test docs` rewrites
//! docs/findings.md after a declaration changed (then read the diff).

use std::collections::BTreeSet;

use acs_triage_tests::{analyze_json, repo_root};

#[test]
fn findings_reference_is_current() {
    let generated = acs_triage::docs::findings_markdown();
    let path = repo_root().join("docs/findings.md");
    if std::env::var_os("ACS_TRIAGE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/findings.md is out of date: run ACS_TRIAGE_UPDATE_DOCS=1 cargo test -p acs-triage-tests --test docs"
    );
}

/// Every declared kind.
fn declared() -> Vec<&'static acs_triage_core::FindingKind> {
    acs_triage::analyzers::registered()
        .into_iter()
        .flat_map(|a| a.info().findings.iter().copied())
        .collect()
}

#[test]
fn every_kind_is_declared_once_and_documented() {
    let kinds = declared();
    let mut ids = BTreeSet::new();
    for kind in &kinds {
        assert!(ids.insert(kind.id), "{} is declared twice", kind.id);
        assert!(
            kind.id.contains('/') && kind.id == kind.id.to_ascii_lowercase(),
            "{} is not `area/check` in kebab case",
            kind.id
        );
        let summary = kind.summary();
        assert!(
            summary.len() > 40 && summary.ends_with('.'),
            "{}: the doc comment must open with a sentence saying what it finds",
            kind.id
        );
    }
}

/// The fixture roots: each folder holding files under them is one scenario, and together the
/// scenarios must trigger every declared kind (a kind no fixture triggers is untested).
const FIXTURES: &[&str] = &["examples/logs", "tests/corpus"];

/// The folders under `dir` that hold files (one scenario each).
fn scenarios(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    if entries.iter().any(|p| p.is_file()) {
        out.push(dir.to_path_buf());
    }
    for sub in entries.iter().filter(|p| p.is_dir()) {
        scenarios(sub, out);
    }
}

#[test]
fn every_kind_has_a_fixture_and_every_finding_a_kind() {
    let declared: BTreeSet<&str> = declared().iter().map(|k| k.id).collect();
    let mut seen = BTreeSet::new();
    let mut folders = Vec::new();
    for root in FIXTURES {
        scenarios(&repo_root().join(root), &mut folders);
    }
    for path in folders {
        let (_, doc) = analyze_json(&[path.to_str().unwrap()]);
        for f in doc["findings"].as_array().unwrap() {
            let id = f["id"].as_str().unwrap().to_owned();
            if id.contains('/') {
                assert!(
                    declared.contains(id.as_str()),
                    "{id} is reported but not declared"
                );
            }
            seen.insert(id);
        }
    }
    let untested: Vec<&&str> = declared
        .iter()
        .filter(|id| !seen.contains(**id) && !id.starts_with("example/"))
        .collect();
    assert!(untested.is_empty(), "no fixture triggers {untested:?}");
}

#[test]
fn explain_answers_for_every_kind() {
    for kind in declared() {
        let out = acs_triage_tests::run(&["explain", kind.id]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains(kind.title), "{}", out.stdout);
    }
    let typo = acs_triage_tests::run(&["explain", "calling/end-reasn"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("calling/end-reason"),
        "{}",
        typo.stderr
    );
}
