//! The output never depends on how the work was split: 1, 2 or 4 threads, and the inputs read
//! in shuffled orders, give byte-identical reports. The corpora are built to expose order
//! dependence: every fixture folder at once, and the same records exploded into one file per
//! record, so that the pieces of each call, message and thread land on different workers in a
//! different order on every run.

use std::path::Path;

use acs_triage_tests::{repo_root, run};

/// Every fixture folder with logs in it.
const FOLDERS: &[&str] = &[
    "examples/logs",
    "tests/corpus/calling",
    "tests/corpus/chat",
    "tests/corpus/sms",
    "tests/corpus/sms-absence",
    "tests/corpus/shapes",
    "tests/corpus/secrets",
    "tests/corpus/clean",
];

fn copy_tree(from: &Path, to: &Path, explode: bool) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&path, &target, explode);
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let one_record_per_line = bytes.starts_with(b"{\"")
            && bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .all(|l| l.trim_ascii().starts_with(b"{") && l.trim_ascii().ends_with(b"}"));
        if explode && one_record_per_line {
            for (i, line) in bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .enumerate()
            {
                let name = format!("{}-{i:03}.json", entry.file_name().to_string_lossy());
                std::fs::write(to.join(name), line).unwrap();
            }
        } else {
            std::fs::write(&target, bytes).unwrap();
        }
    }
}

fn corpus(explode: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in FOLDERS {
        let to = dir.path().join(folder.replace('/', "_"));
        std::fs::create_dir_all(&to).unwrap();
        copy_tree(&repo_root().join(folder), &to, explode);
    }
    // A sender logged once without its number type and many times with it, in separate files.
    let sms = dir.path().join("sms-number-type");
    std::fs::create_dir_all(&sms).unwrap();
    for i in 0..12 {
        let declared = if i == 5 {
            String::new()
        } else {
            r#","NumberType":"TollFreeNumber""#.to_owned()
        };
        let status = if i % 3 == 0 { 429 } else { 202 };
        std::fs::write(
            sms.join(format!("send-{i:02}.json")),
            format!(
                r#"{{"time":"2026-11-20T16:00:{i:02}Z","category":"SMSOperational","operationName":"SMSMessagesSent","resultSignature":{status},"properties":{{"MessageId":"Outgoing_nt{i}","PhoneNumber":"+14255550100"{declared}}}}}"#
            ),
        )
        .unwrap();
    }
    dir
}

/// Entities whose pieces are spread so that folding them depends on order unless it is done
/// right: one participant named by different ID pairs in three sources, one call's ID in two
/// spellings, two client logs ending the same call, a thread with 25 failures and 14 distinct
/// operations over five files, SMS numbers written two ways.
fn tricky(dir: &Path) {
    let call = "cafe0001-0000-4000-8000-000000000001";
    let upper = call.to_ascii_uppercase();
    let p = "11111111-aaaa-4bbb-8ccc-000000000001";
    let e = "22222222-aaaa-4bbb-8ccc-000000000002";
    let files: Vec<(String, String)> = vec![
        (
            "a-client-ops.json".into(),
            format!(
                r#"{{"time":"2026-11-20T10:00:01Z","category":"CallClientOperations","correlationId":"{call}","properties":{{"CallId":"{call}","ParticipantId":"{p}","OperationName":"Join","ResultType":"Succeeded"}}}}"#
            ),
        ),
        (
            "b-diagnostics.json".into(),
            format!(
                r#"{{"time":"2026-11-20T10:05:00Z","category":"CallDiagnostics","correlationId":"{call}","properties":{{"endpointId":"{e}","mediaType":"Audio","streamId":"1","endpointType":"VoIP","packetLossRateAvg":"0.4","roundTripTimeAvg":"900"}}}}"#
            ),
        ),
        (
            "c-summary.json".into(),
            format!(
                r#"{{"time":"2026-11-20T10:06:00Z","category":"CallSummary","correlationId":"{call}","properties":{{"participantId":"{p}","endpointId":"{e}","identifier":"acs:user-1","participantStartTime":"2026-11-20T10:00:00Z","participantDuration":300,"participantEndReason":"410","participantEndSubCode":"3112","endpointType":"VoIP","sdkVersion":"1.31.2.1","osVersion":"Windows 10"}}}}"#
            ),
        ),
        (
            "d-eventgrid.json".into(),
            format!(
                r#"[{{"id":"ev1","topic":"/subscriptions/x","subject":"call/{upper}/startedBy/8:acs:1","eventType":"Microsoft.Communication.CallEnded","eventTime":"2026-11-20T10:06:01Z","data":{{"correlationId":"{upper}","callDurationInSeconds":300}},"dataVersion":"1.0"}}]"#
            ),
        ),
        (
            "e-client-one.log".into(),
            format!(
                "azure:ACS-calling:info 2026-11-20T10:05:59.000Z Call ended [callId={call}, participantId={p}, reason={{\"code\":410,\"subCode\":3112}}]\n"
            ),
        ),
        (
            "f-client-two.log".into(),
            format!(
                "azure:ACS-calling:info 2026-11-20T10:05:59.500Z Call ended [callId={call}, participantId=33333333-aaaa-4bbb-8ccc-000000000003, reason={{\"code\":410,\"subCode\":3112}}]\n"
            ),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    for f in 0..5 {
        let mut lines = String::new();
        for i in 0..5 {
            let n = f * 5 + i;
            lines.push_str(&format!(
                r#"{{"time":"2026-11-20T11:00:{n:02}Z","category":"ChatOperational","operationName":"Op{:02}","resultSignature":"403","resultType":"Failed","correlationId":"cv{n}","properties":{{"ChatThreadId":"19:tricky@thread.v2","UserId":"8:acs:u1"}}}}"#,
                n % 14
            ));
            lines.push('\n');
        }
        std::fs::write(dir.join(format!("g-chat-{f}.json")), lines).unwrap();
    }
    std::fs::write(
        dir.join("h-sms-send.json"),
        r#"{"time":"2026-11-20T12:00:00Z","category":"SMSOperational","operationName":"SMSMessagesSent","resultSignature":202,"properties":{"MessageId":"Outgoing_tricky","PhoneNumber":"+18005550100","To":"+14255550199"}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("i-sms-report.json"),
        r#"[{"id":"r1","topic":"/subscriptions/x","subject":"/phonenumber/18005550100","eventType":"Microsoft.Communication.SMSDeliveryReportReceived","eventTime":"2026-11-20T12:00:05Z","data":{"messageId":"Outgoing_tricky","from":"18005550100","to":"14255550199","deliveryStatus":"Failed","deliveryStatusDetails":"No route"},"dataVersion":"1.0"}]"#,
    )
    .unwrap();
}

#[test]
fn tricky_entities_any_order() {
    let dir = tempfile::tempdir().unwrap();
    tricky(dir.path());
    let path = dir.path().to_str().unwrap();
    let ids = |seed: &str| {
        let out = run(&[
            "ids",
            "--format",
            "json",
            "--threads",
            "1",
            "--order-seed",
            seed,
            path,
        ]);
        assert!(out.stderr.is_empty(), "{}", out.stderr);
        out.stdout
    };
    let baseline_ids = ids("0");
    let baseline = report(dir.path(), "1", Some("0"));
    for seed in 1..24 {
        let seed = seed.to_string();
        assert_eq!(
            report(dir.path(), "1", Some(&seed)),
            baseline,
            "seed {seed}"
        );
        assert_eq!(ids(&seed), baseline_ids, "ids, seed {seed}");
    }
    // The participant named three ways is one participant.
    let doc: serde_json::Value = serde_json::from_str(&baseline_ids).unwrap();
    let call = &doc["calls"][0];
    assert_eq!(
        call["participants"].as_array().unwrap().len(),
        2,
        "{call:#}"
    );
}

fn report(dir: &Path, threads: &str, seed: Option<&str>) -> String {
    let path = dir.to_str().unwrap();
    let mut args = vec!["analyze", "--format", "json", "--threads", threads, path];
    if let Some(seed) = seed {
        args.extend(["--order-seed", seed]);
    }
    let out = run(&args);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.stdout
}

/// Where two reports part, with a few lines of each around it.
fn first_difference(baseline: &str, baseline_name: &str, other: &str) -> String {
    let line = baseline
        .lines()
        .zip(other.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(0);
    let show = |text: &str| {
        text.lines()
            .skip(line.saturating_sub(3))
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "output differs at line {line}\n--- {baseline_name}:\n{}\n--- this run:\n{}",
        show(baseline),
        show(other)
    )
}

fn assert_same_for_any_split(dir: &Path) {
    let baseline = report(dir, "1", None);
    assert!(baseline.contains("\"findings\""));
    for threads in ["1", "2", "4"] {
        for seed in [None, Some("1"), Some("2"), Some("3"), Some("4")] {
            let other = report(dir, threads, seed);
            if other != baseline {
                panic!(
                    "threads {threads}, seed {seed:?}: {}",
                    first_difference(&baseline, "1 thread, file order", &other)
                );
            }
        }
    }
}

#[test]
fn every_fixture_at_once_any_thread_count_any_order() {
    let dir = corpus(false);
    assert_same_for_any_split(dir.path());
}

#[test]
fn one_file_per_record_any_thread_count_any_order() {
    let dir = corpus(true);
    let files = walk_count(dir.path());
    assert!(files > 150, "the exploded corpus has {files} files");
    assert_same_for_any_split(dir.path());
}

#[test]
fn a_declared_number_type_wins_whatever_the_order() {
    let dir = corpus(false);
    let sms = dir.path().join("sms-number-type");
    for seed in 0..24 {
        let seed = seed.to_string();
        let doc: serde_json::Value =
            serde_json::from_str(&report(&sms, "1", Some(&seed))).expect("JSON");
        let throttled: Vec<&serde_json::Value> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "sms/throttled")
            .collect();
        assert!(!throttled.is_empty());
        for f in throttled {
            let message = f["message"].as_str().unwrap();
            assert!(message.contains("toll-free"), "seed {seed}: {message}");
        }
    }
}

fn walk_count(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        n += if path.is_dir() { walk_count(&path) } else { 1 };
    }
    n
}

/// Every fixture that is one JSON record on one line, in a stable order.
fn one_line_records() -> Vec<Vec<u8>> {
    let exploded = corpus(true);
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut stack = vec![exploded.path().to_path_buf()];
    let mut files = Vec::new();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            files.push(path);
        }
    }
    files.sort();
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let single = bytes.starts_with(b"{\"") && !bytes.trim_ascii().contains(&b'\n');
        if single {
            lines.push(bytes.trim_ascii().to_vec());
        }
    }
    assert!(lines.len() > 150, "{} lines", lines.len());
    lines.insert(90, b"{\"vendor\": \"other\", \"level\": 3}".to_vec());
    lines.insert(120, b"{\"vendor\": \"other\", \"level\": 4}".to_vec());
    lines
}

/// A large JSON-lines file is read in pieces by several threads ([ingest] split_bytes); the
/// report is the one reading it whole gives: the same findings with the same lines, the same
/// counts, rejections, secrets and notes. Every one-record-per-line fixture, one broken line
/// and records of no known kind go into one file, cut into pieces of a few hundred bytes.
#[test]
fn a_file_read_in_pieces_reports_what_reading_it_whole_does() {
    let mut lines = one_line_records();
    lines.insert(
        40,
        b"{\"category\": \"CallSummary\", \"properties\": {".to_vec(),
    );
    assert_pieces_report_as_whole(&lines.join(&b'\n'));
}

/// The same for a JSON document (an array of records over many lines, as Event Grid captures
/// and Log Analytics exports are): cut between records, read from the scanner's state at each
/// cut. A record broken by a line break inside a text value costs that record only.
#[test]
fn a_document_read_in_pieces_reports_what_reading_it_whole_does() {
    let mut lines = one_line_records();
    lines.insert(
        40,
        b"{\"category\": \"CallSummary\", \"properties\": {\"x\": \"open".to_vec(),
    );
    let mut document = b"[\n".to_vec();
    document.extend(lines.join(&b",\n"[..]));
    document.extend(b"\n]\n");
    assert_pieces_report_as_whole(&document);
}

/// The JSON report on `logs` with the configuration file `config`, and `more` arguments.
fn report_with_config(logs: &Path, config: &Path, threads: &str, more: &[&str]) -> String {
    let mut args = vec![
        "analyze",
        "--format",
        "json",
        "--threads",
        threads,
        "--config",
        config.to_str().unwrap(),
        logs.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    let out = run(&args);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.stdout
}

/// Reads `bytes` as one file whole and in pieces of 700 bytes with one and two threads, and
/// checks the reports are the same (and that the file holds what the comparison needs).
fn assert_pieces_report_as_whole(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("PT1H.json"), bytes).unwrap();

    let config = |name: &str, split: u64| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("[ingest]\nsplit_bytes = {split}\n")).unwrap();
        path
    };
    let whole = config("whole.toml", 0);
    let pieces = config("pieces.toml", 700);
    let read = |config: &Path, threads: &str| report_with_config(&logs, config, threads, &[]);
    let baseline = read(&whole, "1");
    let doc: serde_json::Value = serde_json::from_str(&baseline).unwrap();
    let input = &doc["inputs"][0];
    assert!(input["rejected"].as_u64().unwrap() >= 1, "{input:#}");
    assert!(
        input["note"].as_str().unwrap_or("").contains("of no kind"),
        "{input:#}"
    );
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.len() > 20, "the file holds problems");
    assert!(
        findings
            .iter()
            .any(|f| f["id"] == "security/secret-in-logs"),
        "the file holds a secret"
    );
    for threads in ["1", "2"] {
        let split = read(&pieces, threads);
        if split != baseline {
            panic!(
                "{threads} threads, in pieces: {}",
                first_difference(&baseline, "read whole", &split)
            );
        }
    }
}

const RESOURCE: &str = "/SUBSCRIPTIONS/6F2A1C3E-0000-4000-8000-00000000AB01/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMMUNICATION/COMMUNICATIONSERVICES/ACS";

/// Where a storage export keeps the blob of `hour` (from 2026-11-01 00:00) in `folder`
/// (`insights-logs-callsummary`).
fn blob_path(dir: &Path, folder: &str, hour: u32) -> std::path::PathBuf {
    dir.join(format!(
        "{folder}/resourceId={RESOURCE}/y=2026/m=11/d={:02}/h={:02}/m=00/PT1H.json",
        1 + hour / 24,
        hour % 24
    ))
}

/// The JSON report on `logs` with calls closed 4 hours after their last record and hours
/// batched by `batch_bytes` (the configuration is written into `dir`).
fn report_batched(
    dir: &Path,
    logs: &Path,
    batch_bytes: u64,
    threads: &str,
    more: &[&str],
) -> String {
    let config = dir.join(format!("batch-{batch_bytes}.toml"));
    std::fs::write(
        &config,
        format!("[ingest]\nclose_after = \"4h\"\nbatch_bytes = {batch_bytes}\n"),
    )
    .unwrap();
    report_with_config(logs, &config, threads, more)
}

/// Checks that `logs` batched by each of `batch_sizes` and read by each of `threads` gives
/// `baseline` (the report with one batch per `close_after / 2`, one thread).
fn assert_batched_alike(
    dir: &Path,
    logs: &Path,
    baseline: &str,
    batch_sizes: &[u64],
    threads: &[&str],
    more: &[&str],
) {
    for &batch_bytes in batch_sizes {
        for &threads in threads {
            let other = report_batched(dir, logs, batch_bytes, threads, more);
            if other != baseline {
                panic!(
                    "batch_bytes {batch_bytes}, {threads} threads: {}",
                    first_difference(baseline, "one batch per close_after / 2", &other)
                );
            }
        }
    }
}

/// Thirty hours of storage exports: calls of two participants each, a few ending badly, some
/// whose records reach the next hour's blob, and poor streams.
fn hourly_exports(dir: &Path) {
    let blob = |category: &str, hour: u32| {
        blob_path(
            dir,
            &format!("insights-logs-{}", category.to_ascii_lowercase()),
            hour,
        )
    };
    let mut files: std::collections::BTreeMap<std::path::PathBuf, String> = Default::default();
    for hour in 0..30u32 {
        for n in 0..8u32 {
            let call = format!("{hour:08x}-0000-4000-8000-{n:012x}");
            let time = format!(
                "2026-11-{:02}T{:02}:{:02}:00Z",
                1 + hour / 24,
                hour % 24,
                10 + n
            );
            // Every third call's summary lands in the next hour's blob, as late rows do.
            let summary_hour = if n % 3 == 0 { hour + 1 } else { hour };
            for p in 0..2u32 {
                let (reason, sub) = match (n, p) {
                    (1, 0) => (410, 3112),
                    (4, 1) if hour % 2 == 0 => (500, 4521),
                    _ => (0, 0),
                };
                files.entry(blob("CallSummary", summary_hour)).or_default().push_str(&format!(
                    r#"{{"time":"{time}","resourceId":"{RESOURCE}","correlationId":"{call}","operationName":"CallSummary","category":"CallSummary","properties":{{"identifier":"acs:user-{p}-{}","participantId":"{call}-p{p}","endpointId":"{call}-e{p}","endpointType":"VoIP","participantEndReason":"{reason}","participantEndSubCode":{sub},"participantStartTime":"{time}","participantDuration":{},"sdkVersion":"1.2{p}.0","osVersion":"Windows 10"}}}}
"#,
                    n % 5,
                    30 + p
                ));
            }
            let loss = if n == 6 { "0.25" } else { "0.01" };
            files.entry(blob("CallDiagnostics", hour)).or_default().push_str(&format!(
                r#"{{"time":"{time}","resourceId":"{RESOURCE}","correlationId":"{call}","operationName":"CallDiagnostics","category":"CallDiagnostics","properties":{{"participantId":"{call}-p0","endpointId":"{call}-e0","mediaType":"Audio","streamId":"1","endpointType":"VoIP","transportType":"UDP","packetLossRateAvg":"{loss}","roundTripTimeAvg":"80"}}}}
"#
            ));
        }
    }
    for (path, text) in files {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Hours are read in batches of `[ingest] batch_bytes` per thread and judged between batches;
/// however they are batched (one hour at a time, a few, or `close_after / 2` of them), with a
/// closing window short enough that calls are judged while later hours are still being read,
/// the report is the same. So is the timeline table, which keeps only the first twenty failed
/// calls' rows as calls are judged.
#[test]
fn hours_batched_any_way_report_alike() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    hourly_exports(&logs);
    let with_timeline = ["--table", "calling/timeline"];
    let baseline = report_batched(dir.path(), &logs, u64::MAX, "1", &with_timeline);
    let doc: serde_json::Value = serde_json::from_str(&baseline).unwrap();
    let kinds: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for kind in ["calling/end-reason", "calling/poor-stream"] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    assert_eq!(doc["summary"]["records"], 30 * 8 * 3);
    // The failed calls are call 1 of every hour and call 4 of the even hours; the timeline
    // shows the first twenty of them, in order.
    let mut failed: Vec<(u32, u32)> = (0..30u32)
        .flat_map(|hour| [(hour, 1), (hour, 4)])
        .filter(|&(hour, n)| n == 1 || hour % 2 == 0)
        .collect();
    failed.truncate(20);
    let expected: Vec<String> = failed
        .iter()
        .map(|(hour, n)| format!("{hour:08x}-0000-4000-8000-{n:012x}"))
        .collect();
    let timeline = doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "calling/timeline")
        .expect("a timeline table");
    let mut shown: Vec<String> = Vec::new();
    for row in timeline["rows"].as_array().unwrap() {
        let call = row[0].as_str().unwrap().to_owned();
        if shown.last() != Some(&call) {
            shown.push(call);
        }
    }
    assert_eq!(shown, expected);
    assert_batched_alike(
        dir.path(),
        &logs,
        &baseline,
        &[0, 1, 4096, 16 << 20],
        &["1", "2"],
        &with_timeline,
    );
}

/// Copies of one hour's blob filed under later hours (a re-export put in the wrong folder) form
/// one group with the original, read over several batches: its files are read in turn, so the
/// records count once, from the original, however the hours are batched and however many
/// threads read them (the threads read the next batch while one finishes the last).
#[test]
fn a_blob_copied_under_later_hours_counts_once_any_way() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    hourly_exports(&logs);
    let text = std::fs::read_to_string(blob_path(&logs, "insights-logs-callsummary", 1)).unwrap();
    let copies = [2, 9];
    for hour in copies {
        let copy = blob_path(&logs, "reexport-callsummary", hour);
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::write(&copy, &text).unwrap();
    }
    let baseline = report_batched(dir.path(), &logs, u64::MAX, "1", &[]);
    let doc: serde_json::Value = serde_json::from_str(&baseline).unwrap();
    let copied = text.lines().count() * copies.len();
    assert_eq!(doc["summary"]["duplicates"], copied as u64);
    assert_eq!(doc["summary"]["records"], 30 * 8 * 3);
    assert_batched_alike(
        dir.path(),
        &logs,
        &baseline,
        &[0, 4096],
        &["1", "2", "4"],
        &[],
    );
}
