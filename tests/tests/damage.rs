//! Files as users really have them: cut, bannered, padded, copied twice, merged from several
//! exports. Each case is one small file (or folder) built here; each must end with every good
//! record read, every bad line rejected with its line number, and nothing lost without a word.

use std::io::Write;
use std::path::Path;

use acs_triage_tests::{analyze_json, findings, input, run};

/// A storage-export CallSummary line; `n` tells records apart, `code` is the end reason.
fn summary(n: u32, code: &str) -> String {
    format!(
        r#"{{"time":"2026-11-20T10:00:{:02}Z","correlationId":"dada0000-0000-4000-8000-{n:012}","category":"CallSummary","operationName":"CallSummary","properties":{{"participantId":"p{n}","participantEndReason":"{code}","participantEndSubCode":"3112","endpointType":"VoIP"}}}}"#,
        n % 60
    )
}

fn lines(range: std::ops::Range<u32>) -> String {
    range.map(|n| summary(n, "410") + "\n").collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// (records, rejected, duplicates) of one input.
fn counts(doc: &serde_json::Value, path: &str) -> (u64, u64, u64) {
    let i = input(doc, path);
    (
        i["records"].as_u64().unwrap(),
        i["rejected"].as_u64().unwrap(),
        i["duplicates"].as_u64().unwrap_or(0),
    )
}

fn first_error_line(doc: &serde_json::Value, path: &str) -> u64 {
    input(doc, path)["errors"][0]["line"].as_u64().unwrap()
}

fn note(doc: &serde_json::Value, path: &str) -> String {
    input(doc, path)["note"].as_str().unwrap_or("").to_owned()
}

#[test]
fn damaged_starts_never_lose_the_rest_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let full = summary(0, "410");
    // A partial copy: the first record is cut in its middle.
    write(
        d,
        "cut-start.json",
        format!("{}\n{}", &full[40..], lines(1..6)),
    );
    // An export with a banner line.
    write(
        d,
        "banner.json",
        format!("Exported 2026-11-21 by ops\n{}", lines(10..15)),
    );
    // A first record that starts right but is broken.
    write(
        d,
        "broken-first.json",
        format!("{}\n{}", &full[..80], lines(20..25)),
    );
    // A first record longer than 64 KiB.
    let long = format!(
        r#"{{"time":"2026-11-20T10:00:00Z","category":"CallSummary","correlationId":"dada0000-0000-4000-8000-000000000099","properties":{{"pad":"{}","participantId":"p99","participantEndReason":"0"}}}}"#,
        "x".repeat(100_000)
    );
    write(d, "long-first.json", format!("{long}\n{}", lines(30..35)));
    // One NUL byte in one line.
    let mut nul = lines(40..42).into_bytes();
    nul.extend_from_slice(b"{\"category\":\"CallSummary\",\"x\":\"\0\"}\n");
    nul.extend_from_slice(lines(42..44).as_bytes());
    write(d, "nul-byte.json", nul);
    // More than 64 KiB of blank lines first.
    write(
        d,
        "blank-start.json",
        format!("{}{}", "\n".repeat(70_000), lines(50..52)),
    );
    // A bundler's line before a web SDK console log.
    write(
        d,
        "vite.log",
        "[vite] connecting...\nazure:ACS-calling:info 2026-11-20T10:00:00.000Z CallClient created\nazure:ACS-calling:info 2026-11-20T10:00:01.000Z CallAgent created\n",
    );
    let (_, doc) = analyze_json(&[d.to_str().unwrap()]);
    assert_eq!(counts(&doc, "cut-start.json"), (5, 1, 0));
    assert_eq!(first_error_line(&doc, "cut-start.json"), 1);
    assert_eq!(counts(&doc, "banner.json"), (5, 1, 0));
    assert_eq!(counts(&doc, "broken-first.json"), (5, 1, 0));
    assert_eq!(counts(&doc, "long-first.json"), (6, 0, 0));
    assert_eq!(counts(&doc, "nul-byte.json"), (4, 1, 0));
    assert_eq!(first_error_line(&doc, "nul-byte.json"), 3);
    assert_eq!(counts(&doc, "blank-start.json"), (2, 0, 0));
    assert_eq!(input(&doc, "vite.log")["format"], "web-sdk-log");
    assert_eq!(counts(&doc, "vite.log"), (2, 1, 0));
    // Evidence lines count the skipped blank lines.
    let blank = findings(&doc)
        .iter()
        .find(|f| f["ids"]["participantId"] == "p50")
        .unwrap();
    assert_eq!(blank["evidence"][0]["line"], 70_001);
}

#[test]
fn damaged_gzip_is_read_to_its_last_good_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Different records in each, so that none is a copy of another.
    let gz = |range| gzip(lines(range).as_bytes());
    write(
        d,
        "trailing.json.gz",
        [gz(0..4), b"garbage after".to_vec()].concat(),
    );
    write(d, "padded.json.gz", [gz(20..24), vec![0; 4096]].concat());
    let cut = gz(30..34);
    write(d, "cut.json.gz", &cut[..cut.len() - 12]);
    write(d, "nested.json.gz", gzip(&gzip(lines(10..13).as_bytes())));
    let (_, doc) = analyze_json(&[d.to_str().unwrap()]);
    assert_eq!(counts(&doc, "trailing.json.gz"), (4, 0, 0));
    assert!(note(&doc, "trailing.json.gz").contains("trailing garbage"));
    assert_eq!(counts(&doc, "padded.json.gz"), (4, 0, 0));
    assert!(note(&doc, "padded.json.gz").contains("zero padding"));
    let (records, rejected, _) = counts(&doc, "cut.json.gz");
    assert!(records >= 3, "the records before the cut are read");
    assert!(rejected >= 1, "the cut is reported");
    assert_eq!(counts(&doc, "nested.json.gz"), (3, 0, 0));
    assert_eq!(input(&doc, "nested.json.gz")["compression"], "gzip, gzip");
}

#[test]
fn nothing_read_is_silently_lost() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let record = summary(1, "410");
    let encoded = serde_json::to_string(&record).unwrap();
    write(
        d,
        "double-encoded.json",
        format!("{encoded}\n{}\n", summary(2, "410")),
    );
    write(
        d,
        "joined.json",
        format!("{}{}\n", summary(3, "410"), summary(4, "410")),
    );
    write(
        d,
        "stray.json",
        format!(
            "{}\n\"just text\"\n,\n[]\n{}\n",
            summary(5, "410"),
            summary(6, "410")
        ),
    );
    write(d, "empty-array.json", "[]\n");
    write(
        d,
        "commas.json",
        "{\n\"category\":\"CallSummary\",\"correlationId\":\"dada0000-0000-4000-8000-000000000007\",\"properties\":{\"participantId\":\"p7\",\"participantEndReason\":\"0\"}\n},\n{\n\"category\":\"CallSummary\",\"correlationId\":\"dada0000-0000-4000-8000-000000000008\",\"properties\":{\"participantId\":\"p8\",\"participantEndReason\":\"0\"}\n}\n",
    );
    // Several problems on one line count as one rejected line.
    write(
        d,
        "two-problems.json",
        "{\n  \"a\": 1\n}\n} x ]\n{\n  \"b\": 2\n}\n",
    );
    let (_, doc) = analyze_json(&[d.to_str().unwrap()]);
    assert_eq!(counts(&doc, "double-encoded.json"), (2, 0, 0));
    assert!(note(&doc, "double-encoded.json").contains("encoded twice"));
    assert_eq!(counts(&doc, "joined.json"), (2, 0, 0));
    let stray = input(&doc, "stray.json");
    assert_eq!(counts(&doc, "stray.json"), (2, 3, 0), "{stray:#}");
    let lines: Vec<u64> = stray["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4]);
    assert_eq!(counts(&doc, "empty-array.json"), (0, 0, 0));
    assert!(note(&doc, "empty-array.json").contains("empty JSON array"));
    assert_eq!(counts(&doc, "commas.json"), (2, 0, 0));
    assert!(note(&doc, "commas.json").contains("separated by commas"));
    assert_eq!(counts(&doc, "two-problems.json"), (2, 1, 0));
    assert_eq!(first_error_line(&doc, "two-problems.json"), 4);
}

#[test]
fn the_same_records_count_once_however_they_were_copied() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let export = lines(0..6);
    write(d, "copy-a/PT1H.json", &export);
    write(d, "copy-b/PT1H.json", &export);
    // A partial copy of the same blob, downloaded earlier.
    write(d, "copy-c/PT1H.json", lines(0..3));
    // The same rows exported from Log Analytics.
    let la: Vec<serde_json::Value> = (0..6u32)
        .map(|n| {
            serde_json::json!({
                "TenantId": "t", "Type": "ACSCallSummary",
                "TimeGenerated": format!("2026-11-20T10:00:{:02}.000Z", n % 60),
                "CorrelationId": format!("dada0000-0000-4000-8000-{n:012}"),
                "OperationName": "CallSummary",
                "ParticipantId": format!("p{n}"), "ParticipantEndReason": "410",
                "ParticipantEndSubCode": 3112, "EndpointType": "VoIP",
                "_ResourceId": "/subscriptions/x/resourcegroups/rg"
            })
        })
        .collect();
    write(
        d,
        "la-export.json",
        serde_json::to_string_pretty(&la).unwrap(),
    );
    let folder = d.to_str().unwrap();
    let file = d.join("copy-a/PT1H.json");
    // The folder, a file in it, and the folder again.
    let (_, doc) = analyze_json(&[folder, file.to_str().unwrap(), folder]);
    let summary = &doc["summary"];
    assert_eq!(summary["records"], 6, "{summary:#}");
    assert_eq!(summary["duplicates"], 6 + 3 + 6, "{summary:#}");
    let failing: Vec<&serde_json::Value> = findings(&doc)
        .iter()
        .filter(|f| f["code"] == "410/3112")
        .collect();
    assert_eq!(failing.len(), 6);
    assert!(
        failing.iter().all(|f| f["count"] == 1),
        "each end counted once"
    );
    // The first copy in name order is the one read; the others say how many they repeated.
    let read: u64 = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["records"].as_u64().unwrap())
        .sum();
    assert_eq!(read, 6);
    assert_eq!(counts(&doc, &format!("{folder}/copy-a/PT1H.json")).0, 6);
    assert_eq!(counts(&doc, &format!("{folder}/la-export.json")).2, 6);
    // Files read twice are read once.
    let named: Vec<&str> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    let mut unique = named.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(named.len(), unique.len(), "{named:#?}");
    // Human output says how many duplicates were dropped.
    let human = run(&["analyze", folder]);
    assert!(human.stdout.contains("duplicate"), "{}", human.stdout);
}

#[test]
fn client_logs_repeat_lines_but_copies_dedup() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The same line twice in one log is two events; a copy of the log adds nothing.
    let log = "azure:ACS-calling:warning Call ended [callId=dada0000-0000-4000-8000-0000000000aa, reason={\"code\":410,\"subCode\":3112}]\n".repeat(2);
    write(d, "a/console.log", &log);
    write(d, "b/console.log", &log);
    let (_, doc) = analyze_json(&[d.to_str().unwrap()]);
    assert_eq!(counts(&doc, "a/console.log"), (2, 0, 0));
    assert_eq!(counts(&doc, "b/console.log"), (0, 0, 2));
}

#[test]
fn smaller_defects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A subcode no integer can hold is shown, not dropped.
    write(
        d,
        "huge-subcode.json",
        r#"{"time":"2026-11-20T10:00:00Z","correlationId":"dada0000-0000-4000-8000-0000000000b1","category":"CallSummary","properties":{"participantId":"pb1","participantEndReason":"0","participantEndSubCode":"12345678901234567890123456789"}}"#,
    );
    // A lone surrogate costs one character.
    write(
        d,
        "surrogate.json",
        r#"{"time":"2026-11-20T10:00:00Z","correlationId":"dada0000-0000-4000-8000-0000000000b2","category":"CallSummary","properties":{"participantId":"pb2\ud800","participantEndReason":"410","participantEndSubCode":"3112"}}"#,
    );
    // A call ID in braces is a call ID.
    write(
        d,
        "braced.json",
        r#"{"time":"2026-11-20T10:00:00Z","correlationId":"{dada0000-0000-4000-8000-0000000000b3}","category":"CallSummary","properties":{"participantId":"pb3","participantEndReason":"410","participantEndSubCode":"3112"}}"#,
    );
    // Day-first and month-first dates in one portal CSV: decided once for the file.
    write(
        d,
        "portal.csv",
        "TimeGenerated [UTC],CorrelationId,ParticipantId,ParticipantEndReason,ParticipantEndSubCode,Type\n\"05/11/2026, 10:00:00.000\",dada0000-0000-4000-8000-0000000000b4,pb4,0,0,ACSCallSummary\n\"13/11/2026, 10:00:00.000\",dada0000-0000-4000-8000-0000000000b5,pb5,0,0,ACSCallSummary\n",
    );
    let (_, doc) = analyze_json(&[d.to_str().unwrap()]);
    let huge = findings(&doc)
        .iter()
        .find(|f| f["ids"]["participantId"] == "pb1")
        .expect("the unreadable subcode is reported");
    assert!(
        huge["message"]
            .as_str()
            .unwrap()
            .contains("0/12345678901234567890123456789"),
        "{huge:#}"
    );
    assert_eq!(counts(&doc, "surrogate.json"), (1, 0, 0));
    assert!(
        findings(&doc)
            .iter()
            .any(|f| f["ids"]["callId"] == "dada0000-0000-4000-8000-0000000000b3")
    );
    assert_eq!(counts(&doc, "portal.csv"), (2, 0, 0));
    assert_eq!(doc["summary"]["first_record"], "2026-11-05T10:00:00.000Z");
    // --threads has a ceiling.
    assert_eq!(
        run(&["analyze", "--threads", "100000", d.to_str().unwrap()]).code,
        2
    );
}

#[cfg(unix)]
#[test]
fn file_names_cannot_drive_the_terminal() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let name = std::ffi::OsStr::from_bytes(b"evil\x1b[2J\nname\xff.json");
    std::fs::write(d.join(name), summary(9, "410")).unwrap();
    for format in ["human", "markdown"] {
        let digest = run(&["analyze", "--format", format, d.to_str().unwrap()]);
        assert!(
            !digest.stdout.contains('\x1b'),
            "{format}: {}",
            digest.stdout
        );
        // The evidence names the file.
        let out = run(&[
            "analyze",
            "--details",
            "--format",
            format,
            d.to_str().unwrap(),
        ]);
        assert!(!out.stdout.contains('\x1b'), "{format}: {}", out.stdout);
        assert!(
            out.stdout.contains("evil\\u{1b}[2J\\nname\\xFF.json"),
            "{format}: {}",
            out.stdout
        );
    }
}
