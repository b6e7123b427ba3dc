//! The digest: findings become problems (one cause over one scope, a pattern holding what it
//! explains), ranked by impact, each finding in exactly one problem; the human report leads with
//! them and keeps the details for `--details`.

use std::collections::BTreeSet;

use acs_triage_tests::{analyze_json, repo_path, run};
use serde_json::Value;

fn problems(doc: &Value) -> &Vec<Value> {
    doc["problems"].as_array().unwrap()
}

fn kinds(p: &Value) -> Vec<(String, u64)> {
    p["kinds"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

#[test]
fn a_throttled_burst_takes_in_the_messages_it_left_without_reports() {
    let (_, doc) = analyze_json(&[&repo_path("tests/corpus/sms/burst-no-reports")]);
    let p = problems(&doc);
    assert_eq!(p.len(), 2, "{p:#?}");
    assert_eq!(p[0]["kind"], "sms/throttled");
    assert_eq!(
        kinds(&p[0]),
        [
            ("sms/no-delivery-report".to_owned(), 15),
            ("sms/throttled".to_owned(), 1)
        ]
    );
    assert_eq!(p[0]["affected"]["messages"], 15);
    // The message accepted hours later is not the burst's.
    assert_eq!(p[1]["kind"], "sms/no-delivery-report");
    assert_eq!(p[1]["affected"]["messages"], 1);
}

#[test]
fn one_identity_failing_every_call_is_one_problem() {
    let (_, doc) = analyze_json(&[&repo_path("tests/corpus/calling/patterns")]);
    let repeated = problems(&doc)
        .iter()
        .find(|p| p["kind"] == "calling/repeated-failure")
        .expect("the identity's pattern leads a problem");
    let k = kinds(repeated);
    assert!(
        k.contains(&("calling/end-reason".to_owned(), 3)),
        "the identity's three endings are in it: {k:?}"
    );
    assert_eq!(repeated["affected"]["calls"], 3);
    // The whole call failing at once holds its participants' endings too.
    let service = problems(&doc)
        .iter()
        .find(|p| p["kind"] == "calling/service-side-failure")
        .unwrap();
    assert!(
        kinds(service)
            .iter()
            .any(|(k, _)| k == "calling/end-reason")
    );
}

#[test]
fn one_sender_failing_is_one_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut sends = String::new();
    let mut reports = Vec::new();
    for i in 0..10 {
        let id = format!("Outgoing_2026112010000{i}sender-{i:04}_noam");
        sends.push_str(&format!(
            "{{\"time\":\"2026-11-20T10:00:0{i}Z\",\"category\":\"SMSOperational\",\"operationName\":\"SMSMessagesSent\",\"resultSignature\":202,\"properties\":{{\"MessageId\":\"{id}\",\"PhoneNumber\":\"+18005550100\",\"NumberType\":\"TollFreeNumber\"}}}}\n"
        ));
        reports.push(serde_json::json!({
            "id": format!("r{i}"), "subject": "/phonenumber/18005550100",
            "eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
            "eventTime": format!("2026-11-20T10:01:0{i}Z"),
            "data": {"messageId": id, "from": "+18005550100", "to": format!("+142555501{i:02}"),
                     "deliveryStatus": "Failed",
                     "deliveryStatusDetails": "4010: Message was blocked due to the toll-free number not being verified."}
        }));
    }
    std::fs::write(dir.path().join("PT1H.json"), sends).unwrap();
    std::fs::write(
        dir.path().join("reports.json"),
        serde_json::to_string(&reports).unwrap(),
    )
    .unwrap();
    let (_, doc) = analyze_json(&[dir.path().to_str().unwrap()]);
    let p = problems(&doc);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0]["affected"]["messages"], 10);
    assert_eq!(p[0]["share"]["text"], "10 of 10 SMS messages, 100 %");
}

#[test]
fn secrets_come_first_and_every_finding_is_in_one_problem() {
    for folder in [
        "tests/corpus/secrets",
        "examples/logs",
        "tests/corpus/calling/patterns",
        "tests/corpus/chat",
        "tests/corpus/field",
    ] {
        let (_, doc) = analyze_json(&[&repo_path(folder)]);
        let findings = doc["findings"].as_array().unwrap().len();
        let mut seen = BTreeSet::new();
        for p in problems(&doc) {
            for i in p["findings"].as_array().unwrap() {
                assert!(
                    seen.insert(i.as_u64().unwrap()),
                    "{folder}: finding {i} twice"
                );
            }
        }
        assert_eq!(seen.len(), findings, "{folder}: every finding in a problem");
        let ranks: Vec<u64> = problems(&doc)
            .iter()
            .map(|p| p["rank"].as_u64().unwrap())
            .collect();
        assert_eq!(ranks, (1..=ranks.len() as u64).collect::<Vec<_>>());
        if folder == "tests/corpus/secrets" {
            assert_eq!(problems(&doc)[0]["kind"], "security/secret-in-logs");
        }
    }
}

#[test]
fn the_digest_names_every_problem_first_and_keeps_details_for_later() {
    let folder = repo_path("examples/logs");
    let (_, doc) = analyze_json(&[&folder]);
    let digest = run(&["analyze", &folder]).stdout;
    let summary = run(&["analyze", "--summary", &folder]).stdout;
    let details = run(&["analyze", "--details", &folder]).stdout;
    // Every problem's title is on the first screen, in rank order.
    let list_end = digest.find("\nHealth").unwrap();
    let mut at = 0;
    for p in problems(&doc) {
        let title = p["title"].as_str().unwrap();
        let found = digest[at..list_end]
            .find(title)
            .unwrap_or_else(|| panic!("{title}"));
        at += found;
    }
    // Evidence only with --details; the summary has no per-problem section.
    assert!(!digest.contains("      at "), "{digest}");
    assert!(details.contains("         at "), "{details}");
    assert!(!summary.contains("\nProblems\n"));
    assert!(summary.lines().count() < digest.lines().count());
    assert!(digest.lines().count() < details.lines().count());
}

#[test]
fn filters_narrow_the_findings_and_say_so() {
    let folder = repo_path("examples/logs");
    let (_, only) = analyze_json(&["--only", "sms/", "--min-severity", "error", &folder]);
    for f in only["findings"].as_array().unwrap() {
        assert!(f["id"].as_str().unwrap().starts_with("sms/"));
        assert_eq!(f["severity"], "error");
    }
    assert!(only["summary"]["filtered"].as_u64().unwrap() > 0);
    let bad = run(&["analyze", "--only", "sms/no-such-check", &folder]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("no finding kind is called that"),
        "{}",
        bad.stderr
    );
    // A window that holds no record: every record left out and counted, nothing judged.
    let (code, none) = analyze_json(&["--since", "2030-01-01", &folder]);
    assert_eq!(
        none["summary"]["outside_window"],
        none["summary"]["records"]
    );
    assert!(none["findings"].as_array().unwrap().is_empty());
    assert_eq!(code, 0);
}

#[test]
fn nothing_read_is_no_verdict() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "just some text\n").unwrap();
    let r = run(&["analyze", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.contains("No record was read"), "{}", r.stdout);
    assert!(!r.stdout.contains("No problems found"), "{}", r.stdout);
    assert!(r.stdout.contains("notes.txt"), "what was found is listed");
}

#[test]
fn ids_failed_lists_only_what_warnings_and_errors_name() {
    let folder = repo_path("examples/logs");
    let all = run(&["ids", "--format", "json", &folder]);
    let failed = run(&["ids", "--failed", "--format", "json", &folder]);
    let count = |out: &str| {
        let doc: Value = serde_json::from_str(out).unwrap();
        doc["calls"].as_array().unwrap().len()
            + doc["sms_messages"].as_array().unwrap().len()
            + doc["chat_threads"].as_array().unwrap().len()
    };
    let (all, failed) = (count(&all.stdout), count(&failed.stdout));
    assert!(failed > 0 && failed < all, "{failed} of {all}");
}

#[test]
fn storage_paths_are_shortened_in_text_but_whole_in_json() {
    let folder = repo_path("examples/logs");
    let details = run(&["analyze", "--details", &folder]).stdout;
    assert!(details.contains("storage-account/callsummary 2026-11-20T15 PT1H.json:"));
    assert!(!details.contains("/y=2026/m=11/d=20/h=15/"));
    let (_, doc) = analyze_json(&[&folder]);
    let files: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap())
        .filter_map(|e| e["file"].as_str())
        .collect();
    assert!(files.iter().any(|f| f.contains("/y=2026/m=11/d=20/h=15/")));
}
