//! Logs as users really have them (`tests/corpus/field/`, each file's public source in
//! `tests/corpus/field.SOURCES.md`): web SDK console logs of 2020 to 2024, the Azure SDKs' recordings of live HTTP
//! calls, a HAR capture, recorded Call Automation events, error objects apps logged, and formats
//! that are not read. The snapshot is the table of what each yields; the tests below pin what
//! matters in it.

use acs_triage_tests::{analyze_json, findings, input, repo_path};
use serde_json::Value;

fn field() -> Value {
    analyze_json(&[&repo_path("tests/corpus/field")]).1
}

/// Findings whose evidence points into `path`, as `id code`.
fn findings_of<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    findings(doc)
        .iter()
        .filter(|f| {
            f["evidence"]
                .as_array()
                .is_some_and(|ev| ev.iter().any(|e| e["file"] == path))
        })
        .collect()
}

/// One line per input: what it was read as, how much, from when, and what was found in it.
fn yield_table(doc: &Value) -> String {
    let mut out = String::new();
    for i in doc["inputs"].as_array().unwrap() {
        let path = i["path"].as_str().unwrap();
        let found: Vec<String> = findings_of(doc, path)
            .iter()
            .map(|f| {
                let code = f["code"]
                    .as_str()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                format!("{}{code}", f["id"].as_str().unwrap())
            })
            .collect();
        let first_time = findings(doc)
            .iter()
            .flat_map(|f| f["evidence"].as_array().into_iter().flatten())
            .filter(|e| e["file"] == path)
            .filter_map(|e| e["time"].as_str())
            .min()
            .unwrap_or("-");
        out.push_str(&format!(
            "{path} | {} | {} | records {} | rejected {} | evidence from {first_time} | {}\n",
            i["status"].as_str().unwrap(),
            i["format"].as_str().unwrap_or("-"),
            i["records"],
            i["rejected"],
            if found.is_empty() {
                "no finding".to_owned()
            } else {
                found.join(", ")
            }
        ));
    }
    out
}

#[test]
fn what_each_real_format_yields() {
    insta::assert_snapshot!("field_yield", yield_table(&field()));
}

#[test]
fn web_sdk_times_are_the_sdks_own() {
    // Electron wraps each line with its own time; the SDK's (3 ms earlier) is the one kept.
    let (_, doc) = analyze_json(&[&repo_path(
        "tests/corpus/field/web-sdk/electron-wrapped.log",
    )]);
    assert_eq!(doc["summary"]["first_record"], "2024-01-16T06:26:52.720Z");
    assert_eq!(doc["inputs"][0]["records"], 7);
    // 2021: a locale date with milliseconds after a colon, day first (18/05).
    let (_, doc) = analyze_json(&[&repo_path(
        "tests/corpus/field/web-sdk/on-call-status-changed-2021.log",
    )]);
    assert_eq!(doc["summary"]["first_record"], "2021-05-18T09:08:51.217Z");
}

#[test]
fn call_endings_of_every_sdk_era_are_end_reasons() {
    let doc = field();
    let ends: Vec<(&str, &str)> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "calling/end-reason")
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["evidence"][0]["file"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        ends.contains(&("403/5222", "web-sdk/on-call-status-changed-2021.log")),
        "{ends:?}"
    );
    assert!(
        ends.contains(&("480/10037", "web-sdk/acscall-2020.log")),
        "{ends:?}"
    );
    assert!(
        ends.contains(&("403/5221", "web-sdk/call-ended-current.log")),
        "{ends:?}"
    );
    // The 2020 line names its call.
    let e480 = findings(&doc)
        .iter()
        .find(|f| f["code"] == "480/10037")
        .unwrap();
    assert_eq!(
        e480["ids"]["callId"],
        "e8d39bfa-05e1-492c-9b7d-bf0f2b336d89"
    );
}

#[test]
fn an_unknown_subcode_quotes_the_log_instead_of_guessing() {
    let doc = field();
    let f = findings(&doc)
        .iter()
        .find(|f| f["code"] == "403/5221")
        .unwrap();
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("No catalog row explains subcode 5221"),
        "{message}"
    );
    assert!(
        message.contains("Acs user is not allowed to join conversation."),
        "{message}"
    );
    assert!(message.contains("ExpectedError"), "{message}");
    assert_eq!(f["severity"], "warning");
    // Not the confident token advice that 403 alone would give.
    assert!(!f["action"].as_str().unwrap().contains("Refresh"), "{f:#}");
}

#[test]
fn sms_sends_refused_in_captures_are_reported() {
    let doc = field();
    let refused: Vec<(&str, &str)> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "sms/send-refused")
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["evidence"][0]["file"].as_str().unwrap(),
            )
        })
        .collect();
    for (code, file) in [
        (
            "401",
            "recordings/js.recorder-v2.sms-from-number-you-dont-own.401-Unauthorized.json",
        ),
        (
            "401",
            "recordings/java.session-record.sms-from-unauthorized-number.401-no-body.json",
        ),
        (
            "401",
            "recordings/python.test-proxy-json.sms-unauthorized-from.401-Unauthorized.json",
        ),
        (
            "404",
            "recordings/net.SessionRecord.sms-from-unauthorized-number.404-empty.json",
        ),
        (
            "404",
            "recordings/java.session-record.sms-unowned-number.2020-preview.404.json",
        ),
        (
            "400",
            "recordings/net.SessionRecord.sms-to-fake-number.202-per-recipient-400.json",
        ),
        (
            "400",
            "recordings/java.session-record.sms-to-fake-number.202-Body-string.json",
        ),
        ("401", "har/browser-capture.har"),
    ] {
        assert!(
            refused.contains(&(code, file)),
            "{code} {file}: {refused:?}"
        );
    }
    // The per-recipient 400 inside a 202 quotes the service's reason.
    let per_recipient = findings(&doc)
        .iter()
        .find(|f| {
            f["evidence"][0]["file"]
                == "recordings/net.SessionRecord.sms-to-fake-number.202-per-recipient-400.json"
        })
        .unwrap();
    assert!(
        per_recipient["message"]
            .as_str()
            .unwrap()
            .contains("Invalid To phone number format.")
    );
}

#[test]
fn successful_calls_in_captures_are_quiet() {
    let doc = field();
    for quiet in [
        "recordings/js.recorder-v2.chat-send-message.201.json",
        "recordings/js.recorder-v2.identity-create-user-and-token.201.json",
        "recordings/js.test-proxy.azure-sdk-assets.callautomation-add-cancel-terminate.trimmed.json",
        "recorded-events/cancel-add-participant.json",
    ] {
        assert!(
            findings_of(&doc, quiet).is_empty(),
            "{quiet}: {:#?}",
            findings_of(&doc, quiet)
        );
        assert!(
            input(&doc, quiet)["records"].as_u64().unwrap() > 0,
            "{quiet} was read"
        );
    }
    // The recorded CancelAddParticipantSucceeded carries 487/5234: the app's own cancel.
    assert!(!findings(&doc).iter().any(|f| f["code"] == "487/5234"));
}

#[test]
fn a_har_keeps_only_acs_requests_and_says_so() {
    let doc = field();
    let har = input(&doc, "har/browser-capture.har");
    assert_eq!(har["format"], "http-capture");
    assert_eq!(har["records"], 4, "{har:#}");
    assert!(
        har["note"]
            .as_str()
            .unwrap()
            .contains("1 of 5 requests went to hosts other than ACS"),
        "{har:#}"
    );
    let chat = findings(&doc)
        .iter()
        .find(|f| f["id"] == "chat/request-error" && f["code"] == "403")
        .unwrap();
    assert_eq!(chat["ids"]["msCv"], "kN1nF2lV0Uy4dC8c2s3Q1w.0");
}

#[test]
fn logged_error_objects_are_judged() {
    let doc = field();
    let calling = findings_of(&doc, "app-errors/calling-communication-error.json");
    assert_eq!(calling.len(), 1, "{calling:#?}");
    assert_eq!(calling[0]["code"], "0/5317");
    assert!(
        calling[0]["message"]
            .as_str()
            .unwrap()
            .contains("ActionNotAllowed")
    );
    let chat = findings_of(&doc, "app-errors/chat-communication-error.json");
    assert_eq!(chat.len(), 1, "{chat:#?}");
    assert_eq!(chat[0]["code"], "403");
}

#[test]
fn formats_not_read_are_said_and_records_of_no_known_kind_are_named() {
    let doc = field();
    for path in [
        "not-read/android-logcat.android-quickstarts-58.log",
        "not-read/callautomation-python-app-log.python-quickstarts-60.log",
        "not-read/js.recorder-v1-nock.sms-invalid-from-format.400.js",
        "not-read/python.vcrpy-yaml.sms-unauthorized-from.404-empty.yaml",
    ] {
        assert_eq!(input(&doc, path)["status"], "unrecognized", "{path}");
    }
    let events = input(&doc, "recorded-events/cancel-add-participant.json");
    let note = events["note"].as_str().unwrap();
    assert!(note.contains("1 of its 3 records are of no kind"), "{note}");
    assert!(note.contains("incomingCallContext"), "{note}");
}

#[test]
fn a_failed_operation_is_named_by_the_sdks_tag_not_by_its_time() {
    let doc = field();
    let f = findings(&doc)
        .iter()
        .find(|f| f["id"] == "calling/client-operation-failed" && f["code"] == "403/43001")
        .unwrap();
    assert_eq!(f["title"], "StartVideo failed with 403/43001");
    // Copied from the browser console (`12:26:58.250 index.js:8 ...`): the SDK's own time.
    assert_eq!(f["evidence"][0]["time"], "2024-01-16T06:26:58.250Z");
}
