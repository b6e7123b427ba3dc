//! What the fuzz targets check, as plain functions: each takes the fuzzer's bytes and panics
//! when a promise breaks. The targets in `fuzz/` call them under libFuzzer; the test
//! `tests/tests/fuzz_regressions.rs` replays every input that ever broke one.
//!
//! The promises are the README's, not just "no panic": every line of a JSON-lines file ends as
//! a record or a rejection at that line; every reader says something about non-blank input;
//! the output is the same for 1 and 2 threads and for files read in another order; no planted
//! secret or phone number reaches any output format.

use std::collections::BTreeSet;
use std::path::Path;

use acs_triage_core::classify::Classifier;
use acs_triage_core::ingest::shapes::Shape;
use acs_triage_core::ingest::{FileReport, FileStatus, Limits, ReadSetup};
use acs_triage_core::record::{FileId, Format, Record};

/// Limits with every problem listed, so line-by-line checks can see them all.
fn limits() -> Limits {
    Limits {
        max_issues_per_file: usize::MAX,
        ..Limits::default()
    }
}

fn setup(limits: &Limits) -> ReadSetup<'_> {
    ReadSetup {
        file: FileId(0),
        classifier: Classifier::bundled(),
        limits,
        dedup: None,
    }
}

/// Reads `data` with one reader, returning the report and the lines records started at.
fn read_as(data: &[u8], shape: Shape) -> (FileReport, BTreeSet<u64>) {
    let limits = limits();
    let mut lines = BTreeSet::new();
    let report =
        acs_triage_core::ingest::read_bytes_as(data, shape, setup(&limits), &mut |r: &Record<
            '_,
        >| {
            // Every record can be looked at like an analyzer would.
            let _ = (
                r.call_id(),
                r.sms_message_id(),
                r.chat_thread_id(),
                r.ms_cv(),
            );
            let _ = r.excerpt(&["message", "code", "status"]);
            lines.insert(r.origin.line);
        });
    (report, lines)
}

fn non_blank_lines(data: &[u8]) -> Vec<u64> {
    data.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.trim_ascii().is_empty())
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

/// True when the reader said something about the input: a record, a rejection or a note.
fn accounted(report: &FileReport) -> bool {
    report.records > 0 || report.rejected > 0 || report.note.is_some()
}

fn error_lines(report: &FileReport) -> BTreeSet<u64> {
    report.errors.iter().filter_map(|e| e.line).collect()
}

/// JSON lines: every non-blank line is the start of a record or a rejection at that line (a
/// file that is one empty array says so in its note).
pub fn json_lines(data: &[u8]) {
    let (report, lines) = read_as(data, Shape::JsonLines);
    let rejected = error_lines(&report);
    let whole_file_note = report
        .note
        .as_deref()
        .is_some_and(|n| n.contains("empty JSON array"));
    for line in non_blank_lines(data) {
        assert!(
            lines.contains(&line) || rejected.contains(&line) || whole_file_note,
            "line {line} ended as neither a record nor a rejection: {report:#?}"
        );
    }
    assert_eq!(report.errors_not_listed, 0);
}

/// Any reader: non-blank input is never met with silence.
fn reader_speaks(data: &[u8], shape: Shape) {
    let (report, _) = read_as(data, shape);
    if !data.trim_ascii().is_empty() {
        assert!(
            accounted(&report),
            "{shape:?} said nothing about {} bytes: {report:#?}",
            data.len()
        );
    }
}

pub fn json_document(data: &[u8]) {
    reader_speaks(data, Shape::JsonDocument);
}

pub fn csv(data: &[u8]) {
    reader_speaks(data, Shape::Csv);
}

pub fn web_sdk(data: &[u8]) {
    reader_speaks(data, Shape::Sdk(Format::WebSdkLog));
}

pub fn dotnet(data: &[u8]) {
    reader_speaks(data, Shape::Sdk(Format::DotnetLog));
}

/// Whole inputs (gzip layers, byte-order marks, UTF-16, sniffing, then a reader): never silent
/// about content, never a panic.
pub fn whole_file(data: &[u8]) {
    let limits = limits();
    let report =
        acs_triage_core::ingest::ingest_bytes(data, setup(&limits), &mut |_: &Record<'_>| {});
    match report.status {
        FileStatus::Parsed if !data.trim_ascii().is_empty() => {
            assert!(
                accounted(&report),
                "nothing said about a parsed input: {report:#?}"
            )
        }
        FileStatus::Parsed | FileStatus::Empty => {}
        _ => assert!(report.note.is_some(), "{:?} without a note", report.status),
    }
}

/// Rule files: any text loads or fails with located problems; loaded rules run on the sample
/// logs and pass `rules check`.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let vocab = acs_triage_core::rules::Vocabulary::bundled();
    match acs_triage_core::rules::load_rule_file("fuzz.toml", text, &vocab) {
        Ok(rules) if !rules.is_empty() => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let path = dir.path().join("fuzz.toml");
            std::fs::write(&path, text).expect("write the rule file");
            let path = path.to_string_lossy().into_owned();
            let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/logs");
            let logs = logs.to_string_lossy().into_owned();
            // Exit 2 is allowed: the rules may clash with the bundled ones (a located error).
            let run = cli(&["analyze", "--format", "json", "--rules", &path, &logs]);
            assert!(
                run.0 <= 2,
                "analyze with loaded rules: exit {}: {}",
                run.0,
                run.2
            );
            let _ = cli(&["rules", "test", &path]);
        }
        Ok(_) => {}
        Err(e) => {
            for p in e.problems {
                assert!(
                    p.span.start <= p.span.end && p.span.end <= text.len(),
                    "{p:?}"
                );
                assert!(
                    text.is_char_boundary(p.span.start) && text.is_char_boundary(p.span.end),
                    "{p:?}"
                );
            }
        }
    }
}

/// A secret and a phone number planted in every `analyze` input: neither may ever be printed.
pub const PLANTED_KEY: &str = "UGxhbnRlZEZ1enpLZXlGb3JUZXN0aW5nT25seQ";
pub const PLANTED_PHONE: &str = "14255550142";

/// Runs the CLI in-process; (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (u8, String, String) {
    let r = acs_triage::run_captured(args);
    (
        r.code,
        String::from_utf8_lossy(&r.stdout).into_owned(),
        String::from_utf8_lossy(&r.stderr).into_owned(),
    )
}

/// The whole tool on a folder built from the input (split into up to four files at `\n---\n`,
/// a planted record with a key and a phone number added): the same report with 1 and 2
/// threads and with the files read in another order; no format shows the planted values; no
/// text output carries a raw control character.
pub fn analyze(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    while parts.len() < 3 {
        match find(rest, b"\n---\n") {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + 5..];
            }
            None => break,
        }
    }
    parts.push(rest);
    for (i, part) in parts.iter().enumerate() {
        std::fs::write(dir.path().join(format!("input-{i}.log")), part).expect("write an input");
    }
    let planted = format!(
        "{{\"time\":\"2026-11-20T10:00:00Z\",\"category\":\"ChatOperational\",\"resultSignature\":\"401\",\"properties\":{{\"ChatThreadId\":\"19:fuzz@thread.v2\",\"note\":\"endpoint=https://x.communication.azure.com/;accesskey={PLANTED_KEY}== to +{PLANTED_PHONE}\"}}}}\n"
    );
    std::fs::write(dir.path().join("planted.json"), planted).expect("write the planted input");
    let path = dir.path().to_string_lossy().into_owned();
    let one = cli(&["analyze", "--format", "json", "--threads", "1", &path]);
    assert!(one.0 <= 2, "exit {}: {}", one.0, one.2);
    let two = cli(&[
        "analyze",
        "--format",
        "json",
        "--threads",
        "2",
        "--order-seed",
        "7",
        &path,
    ]);
    assert_eq!(one.1, two.1, "the report depends on threads or file order");
    for format in ["json", "human", "markdown", "jsonl", "html"] {
        let run = cli(&["analyze", "--format", format, "--threads", "1", &path]);
        for text in [&run.1, &run.2] {
            assert!(
                !text.contains(PLANTED_KEY),
                "{format} shows the planted key"
            );
            assert!(
                !text.contains(PLANTED_PHONE),
                "{format} shows the planted phone number"
            );
        }
        if matches!(format, "human" | "markdown") {
            assert!(
                !run.1.chars().any(|c| c.is_control() && c != '\n'),
                "{format} output carries a raw control character"
            );
        }
    }
}

/// The input as a file of a folder (archives are recognized by content, so a zip, a tar or a
/// tar.gz among the inputs is read for its members): the tool never fails on it, reads the
/// same with 1 and 2 threads, and gives every member a report or a reason.
pub fn archive(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("download"), data).expect("write the input");
    let path = dir.path().to_string_lossy().into_owned();
    let one = cli(&["analyze", "--format", "json", "--threads", "1", &path]);
    assert!(one.0 <= 2, "exit {}: {}", one.0, one.2);
    let two = cli(&["analyze", "--format", "json", "--threads", "2", &path]);
    assert_eq!(one.1, two.1, "the report depends on the number of threads");
    if one.0 < 2 {
        let doc: serde_json::Value = serde_json::from_str(&one.1).expect("a JSON report");
        for input in doc["inputs"].as_array().into_iter().flatten() {
            let accounted = input["records"].as_u64().unwrap_or(0) > 0
                || input["rejected"].as_u64().unwrap_or(0) > 0
                || input["note"].is_string()
                || input["status"] != "parsed"
                || input["bytes"].as_u64() == Some(0);
            assert!(accounted, "an input is silent: {input}");
        }
    }
}

/// A file read in pieces gives the report a whole read gives: the input (after its first
/// byte) is one file, read with `[ingest] split_bytes = 0` and with pieces of 1 to 64 bytes (the
/// first byte decides), so nearly every line break is a cut.
pub fn pieces(data: &[u8]) {
    let Some((&size, body)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("a folder");
    std::fs::write(logs.join("PT1H.json"), body).expect("write the input");
    let config = |name: &str, bytes: u64| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("[ingest]\nsplit_bytes = {bytes}\n")).expect("config");
        path.to_string_lossy().into_owned()
    };
    let (whole, cut) = (
        config("whole.toml", 0),
        config("cut.toml", 1 + u64::from(size % 64)),
    );
    let path = logs.to_string_lossy().into_owned();
    let read = |config: &str| {
        cli(&[
            "analyze",
            "--format",
            "json",
            "--threads",
            "2",
            "--config",
            config,
            &path,
        ])
    };
    let (a, b) = (read(&whole), read(&cut));
    assert_eq!(a.0, b.0, "exit codes differ: {} / {}", a.2, b.2);
    assert_eq!(
        a.1, b.1,
        "the report of the pieces differs from the whole read"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Output redaction: lines redacted together (only those a first search over the whole text
/// points to) come out as when every line is redacted alone; so do the bytes themselves
/// written through the redacting writers (holding and not) in writes of several sizes, a line
/// that is not UTF-8 going through untouched.
pub fn redaction(data: &[u8]) {
    use acs_triage_core::redact::{RedactingWriter, redact, redact_lines};
    use std::io::Write;
    let text = String::from_utf8_lossy(data);
    let alone: String = text.split_inclusive('\n').map(redact).collect();
    assert_eq!(redact_lines(&text), alone, "{text:?}");

    let expected: Vec<u8> = data
        .split_inclusive(|&b| b == b'\n')
        .flat_map(|line| match std::str::from_utf8(line) {
            Ok(l) => redact(l).into_owned().into_bytes(),
            Err(_) => line.to_vec(),
        })
        .collect();
    const SIZES: [usize; 5] = [1, 3, 17, 64, 1000];
    let first = data.first().map_or(0, |&b| usize::from(b));
    for holding in [false, true] {
        let mut out = Vec::new();
        {
            let mut w = if holding {
                RedactingWriter::holding(&mut out)
            } else {
                RedactingWriter::new(&mut out)
            };
            let (mut rest, mut turn) = (data, first);
            while !rest.is_empty() {
                let (piece, more) = rest.split_at(SIZES[turn % SIZES.len()].min(rest.len()));
                w.write_all(piece).unwrap();
                rest = more;
                turn += 1;
            }
            w.flush().unwrap();
        }
        assert!(out == expected, "holding: {holding}, {data:?}");
    }
}

/// A target's checks.
pub type Check = fn(&[u8]);

/// The plain JSON reader (the fast path for plain log lines) gives exactly the fields the
/// general path gives, whenever it takes a text: every line of the input, and the input whole.
pub fn flatten(data: &[u8]) {
    for text in data.split(|&b| b == b'\n').chain([data]) {
        let (plain, general) = acs_triage_core::ingest::both_readings(text);
        if let Some(plain) = plain {
            let general = general.unwrap_or_else(|e| {
                panic!(
                    "the plain reader took what the general path refuses ({e}): {:?}",
                    String::from_utf8_lossy(text)
                )
            });
            assert_eq!(
                plain,
                general,
                "the two paths disagree on {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }
}

/// Every target, by name (the regression test replays each saved input through its target).
pub const TARGETS: &[(&str, Check)] = &[
    ("json_lines", json_lines),
    ("json_document", json_document),
    ("csv", csv),
    ("web_sdk", web_sdk),
    ("dotnet", dotnet),
    ("whole_file", whole_file),
    ("rules", rules),
    ("analyze", analyze),
    ("archive", archive),
    ("pieces", pieces),
    ("redaction", redaction),
    ("flatten", flatten),
];
