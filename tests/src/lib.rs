//! Helpers for the end-to-end tests: run the CLI in-process and capture what it prints.

use std::path::{Path, PathBuf};

/// What one run of the CLI produced.
#[derive(Debug)]
pub struct Run {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `acs-triage <args>` in-process, colour off, and captures its output.
pub fn run(args: &[&str]) -> Run {
    let r = acs_triage::run_captured(args);
    Run {
        code: r.code,
        stdout: String::from_utf8(r.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(r.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `analyze --format json` and parses the document.
pub fn analyze_json(args: &[&str]) -> (u8, serde_json::Value) {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    let run = run(&all);
    assert!(
        run.stderr.is_empty(),
        "analyze wrote to stderr: {}",
        run.stderr
    );
    let doc = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    (run.code, doc)
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A path under the repository root, as a string.
pub fn repo_path(relative: &str) -> String {
    repo_root().join(relative).to_string_lossy().into_owned()
}

/// The documentation log samples (`tests/domain/samples`).
pub fn samples_dir() -> PathBuf {
    repo_root().join("tests/domain/samples")
}

/// Findings of a JSON report.
pub fn findings(doc: &serde_json::Value) -> &Vec<serde_json::Value> {
    doc["findings"].as_array().expect("findings array")
}

/// The input entry for `path` in a JSON report.
pub fn input<'a>(doc: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    doc["inputs"]
        .as_array()
        .expect("inputs array")
        .iter()
        .find(|i| i["path"] == path)
        .unwrap_or_else(|| panic!("no input {path} in {:#}", doc["inputs"]))
}
