//! The SMS analyzer, scenario by scenario (fixtures in `tests/corpus/sms/`): each problem's
//! finding carries the right message ID and number; healthy messages in the same folders get no
//! warning or error; reports split over files and schemas reconcile to one outcome per message.

use acs_triage_core::redact::mask_phone;
use acs_triage_tests::{analyze_json, findings, repo_path, run};
use serde_json::Value;

fn scenario(name: &str) -> Value {
    analyze_json(&[&repo_path(&format!("tests/corpus/sms/{name}"))]).1
}

/// `Outgoing_<time>a1b2c3d4-<tag>-...` as the fixtures build message IDs.
fn message_id(time: &str, tag: u32) -> String {
    format!("Outgoing_{time}a1b2c3d4-{tag:04x}-4e5f-8a9b-0c1d2e3f4a5b_noam")
}

fn with_id<'a>(doc: &'a Value, id: &str) -> Vec<&'a Value> {
    findings(doc).iter().filter(|f| f["id"] == id).collect()
}

/// No finding of the listed IDs at warning or above.
fn no_problem_about(doc: &Value, message: &str) {
    for f in findings(doc) {
        if f["ids"]["smsMessageId"] == message {
            assert_eq!(f["severity"], "info", "healthy message flagged: {f:#}");
        }
    }
}

/// The rows of the `sms/messages` table, by message ID.
fn outcomes(folder: &str) -> Vec<(String, String)> {
    let (_, doc) = analyze_json(&[
        "--table",
        "sms/messages",
        &repo_path(&format!("tests/corpus/sms/{folder}")),
    ]);
    let table = &doc["tables"][0];
    assert_eq!(table["id"], "sms/messages");
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[4].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn delivered_messages_are_quiet_in_every_report_shape() {
    let doc = scenario("delivered");
    let loud: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
    let rows = outcomes("delivered");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|(_, o)| o == "delivered"), "{rows:?}");
}

#[test]
fn every_failure_family_is_decoded_with_its_message() {
    let doc = scenario("failures");
    let cases = [
        (1, "4007", "error", "Stop sending"),
        (2, "4010", "error", "toll-free verification"),
        (3, "4005", "warning", "spam-like"),
        (4, "4000", "error", "false positive"),
        (5, "4009", "error", "support request"),
        (6, "4001", "error", "E.164"),
        // Written as a bare phrase, without its code.
        (7, "4002", "error", "E.164"),
        (8, "4006", "warning", "again later"),
        (9, "4008", "error", "queue"),
        (10, "4020", "error", "queue"),
        (11, "5000", "error", "support request"),
        (12, "5001", "warning", "again later"),
        (13, "9999", "error", "support request"),
        (15, "4003", "warning", "allowed to send"),
        (16, "4004", "warning", "Verify the recipient"),
    ];
    let failed = with_id(&doc, "sms/delivery-failed");
    assert_eq!(failed.len(), cases.len(), "{failed:#?}");
    for (tag, code, severity, action) in cases {
        let id = message_id(&format!("2026112010{:04}", tag - 1), tag);
        let f = failed
            .iter()
            .find(|f| f["ids"]["smsMessageId"] == id.as_str())
            .unwrap_or_else(|| panic!("no finding for {id}"));
        assert_eq!(f["code"], code, "{id}");
        assert_eq!(f["severity"], severity, "{code}");
        // Phone numbers are masked in every output.
        assert_eq!(
            f["ids"]["phoneNumber"],
            mask_phone(&format!("+1425555{:04}", 100 + tag))
        );
        assert!(
            f["action"].as_str().unwrap().contains(action),
            "{code}: {}",
            f["action"]
        );
        assert!(f["message"].as_str().unwrap().contains("was not delivered"));
        assert!(f["source"].as_str().unwrap().contains("sms-sdk.md"));
    }
    // 5002 changed meaning: the carrier gives no reports, so the outcome is unknown, not failed.
    let no_report = with_id(&doc, "sms/carrier-no-report");
    assert_eq!(no_report.len(), 1);
    assert_eq!(no_report[0]["code"], "5002");
    assert_eq!(no_report[0]["severity"], "info");
    assert!(
        no_report[0]["message"]
            .as_str()
            .unwrap()
            .contains("whether it arrived is unknown")
    );
    no_problem_about(&doc, &message_id("20261120100016", 0x11));
}

#[test]
fn reports_missing_across_the_board_say_how_to_turn_them_on() {
    let doc = scenario("no-reports");
    let missing = with_id(&doc, "sms/delivery-reports-missing");
    assert_eq!(missing.len(), 1, "{:#}", doc["findings"]);
    let f = missing[0];
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["count"], 6);
    assert!(f["message"].as_str().unwrap().contains("202 only means"));
    let action = f["action"].as_str().unwrap();
    assert!(action.contains("enableDeliveryReport"), "{action}");
    assert!(action.contains("Event Grid"), "{action}");
    // One finding, not one per message.
    assert!(with_id(&doc, "sms/no-delivery-report").is_empty());
}

#[test]
fn one_missing_report_is_named_and_a_recent_send_is_pending() {
    let doc = scenario("one-missing");
    let missing = with_id(&doc, "sms/no-delivery-report");
    assert_eq!(missing.len(), 1, "{:#}", doc["findings"]);
    assert_eq!(
        missing[0]["ids"]["smsMessageId"],
        message_id("20261120100002", 0x32)
    );
    assert!(with_id(&doc, "sms/delivery-reports-missing").is_empty());
    let pending = with_id(&doc, "sms/report-pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["severity"], "info");
    assert_eq!(
        pending[0]["ids"]["smsMessageId"],
        message_id("20261120115000", 0x3f)
    );
    for tag in [0, 1, 3] {
        no_problem_about(
            &doc,
            &message_id(&format!("2026112010000{tag}"), 0x30 + tag),
        );
    }
}

#[test]
fn throttling_is_judged_against_the_number_types_limit() {
    let doc = scenario("throttled");
    let bursts = with_id(&doc, "sms/throttled");
    assert_eq!(bursts.len(), 2, "{bursts:#?}");
    let toll_free = bursts
        .iter()
        .find(|f| f["ids"]["phoneNumber"] == "+1********00")
        .unwrap();
    assert_eq!(toll_free["count"], 60);
    let said = toll_free["message"].as_str().unwrap();
    assert!(said.contains("toll-free number"), "{said}");
    assert!(said.contains("up to 260 messages within 60 s"), "{said}");
    assert!(said.contains("over the 200 per 60 s"), "{said}");
    let short = bursts
        .iter()
        .find(|f| f["ids"]["phoneNumber"] == "12345")
        .unwrap();
    let said = short["message"].as_str().unwrap();
    assert!(said.contains("under the 6000 per 60 s"), "{said}");
    // Throttled sends are throttling, not refusals; the accepted ones were delivered.
    assert!(with_id(&doc, "sms/send-refused").is_empty());
    let loud: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["id"] != "sms/throttled" && f["severity"] != "info")
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
}

#[test]
fn refused_recipients_of_a_send_response() {
    let doc = scenario("send-response");
    let refused = with_id(&doc, "sms/send-refused");
    let by_number = |n: &str| {
        refused
            .iter()
            .find(|f| f["ids"]["phoneNumber"] == mask_phone(n).as_str())
            .unwrap_or_else(|| panic!("no refusal for {n}: {refused:#?}"))
    };
    let format = by_number("+1425555014");
    assert_eq!(format["code"], "400");
    assert!(
        format["message"]
            .as_str()
            .unwrap()
            .contains("Invalid To phone number format.")
    );
    assert!(format["action"].as_str().unwrap().contains("E.164"));
    let unavailable = by_number("+14255550143");
    assert_eq!(unavailable["code"], "503");
    assert_eq!(unavailable["severity"], "warning");
    let repeat = by_number("+14255550145");
    assert!(
        repeat["message"]
            .as_str()
            .unwrap()
            .contains("repeatability rejected")
    );
    assert!(repeat["action"].as_str().unwrap().contains("RFC 1123"));
    assert_eq!(refused.len(), 3);
    // A refused item that repeats another recipient's message ID does not taint that message.
    assert!(refused.iter().all(|f| f["ids"]["smsMessageId"].is_null()));
    let loud: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["id"] != "sms/send-refused" && f["severity"] != "info")
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
}

#[test]
fn reports_split_over_files_and_schemas_reconcile_per_message() {
    let folder = repo_path("tests/corpus/sms/split-reports");
    let shown = run(&["analyze", "--table", "sms/messages", &folder]);
    let at = shown
        .stdout
        .find("SMS messages (")
        .expect("the table is printed");
    let table = &shown.stdout[at..];
    insta::assert_snapshot!("split_reports_messages", table);

    let (_, doc) = analyze_json(&[&folder]);
    let id = |tag| message_id(&format!("2026112010000{}", tag - 0x50), tag);
    let only = |finding: &str| {
        let hits = with_id(&doc, finding);
        assert_eq!(hits.len(), 1, "{finding}: {hits:#?}");
        hits[0]["ids"]["smsMessageId"].as_str().unwrap().to_owned()
    };
    // The 4007 report sits in an EventGrid file and again in a CloudEvents file: one finding.
    let failed = with_id(&doc, "sms/delivery-failed");
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert!(failed.iter().any(|f| f["ids"]["smsMessageId"] == id(0x51)));
    assert!(failed.iter().any(|f| f["ids"]["smsMessageId"] == id(0x54)));
    assert_eq!(only("sms/delivery-slow"), id(0x53));
    assert_eq!(only("sms/no-delivery-report"), id(0x57));
    // Failed first, delivered on a later attempt: delivered, nothing to report.
    no_problem_about(&doc, &id(0x56));
}

#[test]
fn the_messages_table_is_only_built_on_request_and_names_are_checked() {
    let folder = repo_path("tests/corpus/sms/delivered");
    let (_, doc) = analyze_json(&[&folder]);
    assert!(doc.get("tables").is_none());
    let wrong = run(&["analyze", "--table", "sms/mesages", &folder]);
    assert_eq!(wrong.code, 2);
    assert!(
        wrong.stderr.contains("did you mean `sms/messages`?"),
        "{}",
        wrong.stderr
    );
}
