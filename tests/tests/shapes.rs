//! One fixture per input shape, from the real documentation samples in
//! `tests/domain/samples/` and from `tests/corpus/shapes/`: each is detected from its content,
//! counted exactly, classified into the right family, and its fields resolve the same way.

use std::path::Path;

use acs_triage_tests::{analyze_json, input, repo_path, samples_dir};

/// (file, status, format, records, rejected, duplicates) for every file of a folder, as a
/// table. The fixture folders hold some records in several shapes on purpose: each such record
/// counts once, the copies as duplicates.
fn inventory_table(dir: &Path) -> String {
    let (_, doc) = analyze_json(&[dir.to_str().unwrap()]);
    let mut out = String::new();
    for i in doc["inputs"].as_array().unwrap() {
        out.push_str(&format!(
            "{} | {} | {} | records {} | rejected {}",
            i["path"].as_str().unwrap(),
            i["status"].as_str().unwrap(),
            i["format"].as_str().unwrap_or("-"),
            i["records"],
            i["rejected"],
        ));
        if let Some(d) = i["duplicates"].as_u64() {
            out.push_str(&format!(" | duplicates {d}"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn documentation_samples_inventory() {
    insta::assert_snapshot!("samples_inventory", inventory_table(&samples_dir()));
}

#[test]
fn documentation_samples_detected_from_content() {
    let dir = samples_dir();
    let (_, doc) = analyze_json(&[dir.to_str().unwrap()]);
    let expect = |path: &str, format: &str, records: u64| {
        let i = input(&doc, path);
        assert_eq!(i["format"], format, "{path}: {i:#}");
        assert_eq!(i["records"], records, "{path}: {i:#}");
    };
    expect(
        "ACSSMSIncomingOperations.SMSMessagesSent.sample.json",
        "log-analytics-json",
        1,
    );
    expect(
        "ACSSMSIncomingOperations.SMSDeliveryReportsReceived.sample.json",
        "log-analytics-json",
        1,
    );
    expect(
        "EventGrid.SMSDeliveryReportReceived.sample.json",
        "event-grid",
        1,
    );
    expect(
        "EventGrid.SMSDeliveryReportReceived.pascalcase-older-doc.sample.json",
        "event-grid",
        1,
    );
    expect("EventGrid.CallEnded.sample.json", "event-grid", 1);
    expect("EventGrid.ChatMessageReceived.sample.json", "event-grid", 1);
    expect(
        "CallAutomation.RecognizeFailed.callback.sample.json",
        "call-automation-callbacks",
        1,
    );
    expect(
        "derived.ACSCallSummary.storage-PT1H.jsonl",
        "storage-export",
        2,
    );
    expect(
        "derived.ACSCallDiagnostics.storage-PT1H.jsonl",
        "storage-export",
        3,
    );
    expect(
        "ACSCallAutomationMediaSummary.sample.json",
        "log-analytics-json",
        1,
    );
    // The documentation's fragments are not valid JSON: named, not guessed at.
    let fragment = input(&doc, "ACSCallSummary.voice-and-video-logs.p2p.sample.txt");
    assert_eq!(fragment["status"], "unrecognized");
    let trailing_comma = input(&doc, "ACSCallAutomationIncomingOperations.sample.txt");
    assert_eq!(trailing_comma["rejected"], 1, "{trailing_comma:#}");
}

/// Both Event Grid casings and the SMS Log Analytics sample resolve the same fields.
#[test]
fn field_names_resolve_across_casings() {
    use acs_triage_core::ingest::record_from_json;
    let camel = std::fs::read_to_string(
        samples_dir().join("EventGrid.SMSDeliveryReportReceived.sample.json"),
    )
    .unwrap();
    let pascal = std::fs::read_to_string(
        samples_dir().join("EventGrid.SMSDeliveryReportReceived.pascalcase-older-doc.sample.json"),
    )
    .unwrap();
    for text in [camel, pascal] {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let event = v[0].to_string();
        let r = record_from_json(&event).unwrap();
        assert_eq!(r.family, acs_triage_core::Family::Sms);
        assert_eq!(r.text("deliveryStatus").as_deref(), Some("Delivered"));
        assert_eq!(
            r.text("data.DeliveryStatusDetails").as_deref(),
            Some("No error.")
        );
        assert_eq!(
            r.sms_message_id().as_deref(),
            Some("Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910")
        );
        assert!(r.time.is_some());
    }
}

/// The REST send example's response body is an SMS send response with six recipients.
#[test]
fn send_response_from_the_rest_example() {
    let text =
        std::fs::read_to_string(samples_dir().join("SMS.SendResponse.rest-example.sample.json"))
            .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("send.json"),
        v["responses"]["202"]["body"].to_string(),
    )
    .unwrap();
    let (_, doc) = analyze_json(&[dir.path().to_str().unwrap()]);
    let i = input(&doc, "send.json");
    assert_eq!(i["format"], "sms-send-response");
    assert_eq!(i["records"], 6);
    let refused: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "sms/send-refused")
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    // 400 invalid number, 503 unavailable, 400 repeatability rejected.
    assert_eq!(refused.len(), 3, "{refused:?}");
}

#[test]
fn corpus_shapes_inventory() {
    insta::assert_snapshot!(
        "corpus_shapes_inventory",
        inventory_table(Path::new(&repo_path("tests/corpus/shapes")))
    );
}

#[test]
fn log_analytics_csv_times_and_api_tables() {
    let dir = repo_path("tests/corpus/shapes");
    let (_, doc) = analyze_json(&[&dir]);
    let csv = input(&doc, "la-portal-export.csv");
    assert_eq!(csv["format"], "log-analytics-csv");
    assert_eq!(csv["records"], 2);
    let api = input(&doc, "la-query-api.json");
    assert_eq!(api["format"], "log-analytics-api");
    assert_eq!(api["records"], 2);
    // Both carry a 490 end reason: decoded from each shape, with the CSV's locale time.
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "490/4502")
        .collect::<Vec<_>>();
    assert_eq!(f.len(), 2, "{:#}", doc["findings"]);
    assert!(
        f.iter()
            .any(|x| x["first_seen"] == "2026-11-20T15:10:05.120Z"),
        "{f:#?}"
    );
}
