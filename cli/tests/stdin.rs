//! `-` reads standard input: a log piped in (plain, gzip, or an archive) is analyzed like the
//! same file on disk, shown as `(stdin)`, and the spool file it went through is removed.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `analyze -` with `bytes` on standard input and a temporary folder of its own, which
/// must be empty again when the command ends (the spool file is removed).
fn analyze_stdin(bytes: &[u8], extra: &[&str]) -> (i32, serde_json::Value) {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_acs-triage"))
        .args(["analyze", "--format", "json"])
        .args(extra)
        .arg("-")
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "the spool file is removed: {left:?}");
    (out.status.code().unwrap_or(-1), doc)
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/logs")
            .join(name),
    )
    .unwrap()
}

#[test]
fn standard_input_is_read_like_a_file() {
    let (code, doc) = analyze_stdin(&example("log-analytics-callsummary.json"), &[]);
    assert_eq!(code, 1, "the sample has an error finding");
    assert_eq!(doc["inputs"][0]["path"], "(stdin)");
    assert_eq!(doc["inputs"][0]["records"], 2);
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"calling/end-reason"), "{ids:?}");
    assert_eq!(doc["findings"][0]["evidence"][0]["file"], "(stdin)");
}

#[test]
fn a_gzipped_or_empty_standard_input() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&example("log-analytics-callsummary.json"))
        .unwrap();
    let (_, doc) = analyze_stdin(&gz.finish().unwrap(), &[]);
    assert_eq!(doc["inputs"][0]["records"], 2);
    assert_eq!(doc["inputs"][0]["compression"], "gzip");
    // Nothing read is no verdict: exit 2, and the report says what was found.
    let (code, doc) = analyze_stdin(b"", &[]);
    assert_eq!(code, 2);
    assert_eq!(doc["inputs"][0]["status"], "empty");
}
