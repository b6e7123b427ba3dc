//! The calling analyzers, scenario by scenario: each fixture folder holds a call with the problem
//! and a healthy call. The problem's finding must carry the right call and participant IDs; the
//! healthy call must produce no warning or error.

use acs_triage_tests::{analyze_json, findings, repo_path, run};
use serde_json::Value;

fn scenario(name: &str) -> Value {
    analyze_json(&[&repo_path(&format!("tests/corpus/calling/{name}"))]).1
}

/// The one finding with this ID and call.
fn finding<'a>(doc: &'a Value, id: &str, call: &str) -> &'a Value {
    let hits: Vec<&Value> = findings(doc)
        .iter()
        .filter(|f| f["id"] == id && f["ids"]["callId"] == call)
        .collect();
    assert_eq!(hits.len(), 1, "{id} for {call} in {:#}", doc["findings"]);
    hits[0]
}

/// Healthy calls of the fixtures (callId prefix `ca11ed0`) never get a warning or an error.
fn healthy_calls_are_quiet(doc: &Value) {
    for f in findings(doc) {
        let call = f["ids"]["callId"].as_str().unwrap_or("");
        if call.starts_with("ca11ed0") {
            assert_eq!(f["severity"], "info", "healthy call flagged: {f:#}");
        }
        assert!(
            !["0/0", "487/0", "603/0", "0/560000", "487/10003"]
                .contains(&f["code"].as_str().unwrap_or("")),
            "normal ending reported: {f:#}"
        );
    }
}

#[test]
fn blocked_media_path() {
    let doc = scenario("blocked-media");
    let call = "b10cced0-0000-4000-8000-000000000001";
    let end = finding(&doc, "calling/end-reason", call);
    assert_eq!(end["code"], "410/3112");
    assert_eq!(
        end["severity"], "error",
        "3112 is filed ExpectedError but is a real problem"
    );
    assert_eq!(
        end["ids"]["participantId"],
        "a10000002-0000-4000-8000-000000000002"
    );
    let message = end["message"].as_str().unwrap();
    assert!(message.contains("networkRelaysNotReachable"), "{message}");
    assert!(end["action"].as_str().unwrap().contains("3478"));
    let ufd = finding(&doc, "calling/user-facing-diagnostic", call);
    assert_eq!(ufd["severity"], "error");
    assert_eq!(
        ufd["ids"]["participantId"],
        "a10000002-0000-4000-8000-000000000002"
    );
    healthy_calls_are_quiet(&doc);
}

#[test]
fn network_drop_with_a_recovered_reconnect() {
    let doc = scenario("network-drop");
    let call = "d20b0000-0000-4000-8000-000000000002";
    let end = finding(&doc, "calling/end-reason", call);
    assert_eq!(end["code"], "490/4502");
    assert_eq!(end["severity"], "warning");
    assert_eq!(
        end["ids"]["participantId"],
        "a20000001-0000-4000-8000-000000000001"
    );
    let ufd = finding(&doc, "calling/user-facing-diagnostic", call);
    assert_eq!(ufd["severity"], "info", "networkReconnect recovered");
    assert!(
        ufd["message"]
            .as_str()
            .unwrap()
            .contains("recovered at 2026-11-21T10:01:20.000Z")
    );
    healthy_calls_are_quiet(&doc);
}

#[test]
fn poor_streams_attributed_to_their_participant() {
    let doc = scenario("poor-stream");
    let call = "900f0000-0000-4000-8000-000000000003";
    let poor: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "calling/poor-stream" && f["ids"]["callId"] == call)
        .collect();
    assert_eq!(poor.len(), 2, "{:#}", doc["findings"]);
    let audio = poor
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("audio"))
        .unwrap();
    assert!(
        audio["message"]
            .as_str()
            .unwrap()
            .contains("received by participant a30000001")
    );
    assert!(
        audio["message"]
            .as_str()
            .unwrap()
            .contains("average jitter 45 ms (poor above 30 ms)")
    );
    assert!(audio["message"].as_str().unwrap().contains("12.0 %"));
    let video = poor
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("video"))
        .unwrap();
    assert!(
        video["message"]
            .as_str()
            .unwrap()
            .contains("sent by participant a30000002")
    );
    assert!(
        video["message"]
            .as_str()
            .unwrap()
            .contains("frame rate 5 fps")
    );
    // The healthy audio stream of the same participant is not reported.
    assert!(
        poor.iter()
            .all(|f| !f["message"].as_str().unwrap().contains("3003"))
    );
    healthy_calls_are_quiet(&doc);
}

#[test]
fn token_expiry() {
    let doc = scenario("token-expiry");
    let call = "70ce0000-0000-4000-8000-000000000004";
    let end = finding(&doc, "calling/end-reason", call);
    assert_eq!(end["code"], "401/10009");
    assert_eq!(
        end["ids"]["participantId"],
        "a40000001-0000-4000-8000-000000000001"
    );
    let agent = finding(&doc, "calling/client-operation-failed", call);
    assert_eq!(agent["code"], "401/40235");
    assert!(agent["message"].as_str().unwrap().contains("CallAgentInit"));
    assert!(
        agent["action"].as_str().unwrap().contains("24"),
        "token lifetime in the action"
    );
    healthy_calls_are_quiet(&doc);
}

#[test]
fn callee_not_registered() {
    let doc = scenario("callee-not-registered");
    let end = finding(
        &doc,
        "calling/end-reason",
        "ca11ee00-0000-4000-8000-000000000005",
    );
    assert_eq!(end["code"], "480/10037");
    assert_eq!(end["severity"], "warning");
    assert_eq!(
        end["ids"]["participantId"],
        "a50000002-0000-4000-8000-000000000002"
    );
    healthy_calls_are_quiet(&doc);
}

#[test]
fn teams_interop_refusal() {
    let doc = scenario("teams-interop");
    let join = finding(
        &doc,
        "calling/client-operation-failed",
        "7ea50000-0000-4000-8000-000000000006",
    );
    assert_eq!(join["code"], "412/41056");
    assert_eq!(join["severity"], "error");
    assert_eq!(
        join["ids"]["participantId"],
        "a60000001-0000-4000-8000-000000000001"
    );
    healthy_calls_are_quiet(&doc);
}

#[test]
fn pstn_failure_points_at_the_sbc() {
    let doc = scenario("pstn-sbc");
    let end = finding(
        &doc,
        "calling/end-reason",
        "5bc00000-0000-4000-8000-000000000007",
    );
    assert_eq!(end["code"], "408/560408");
    assert_eq!(
        end["ids"]["participantId"],
        "a70000002-0000-4000-8000-000000000002"
    );
    assert!(end["message"].as_str().unwrap().contains("SBC"));
    assert!(end["evidence"][0]["file"] == "callsummary-export.csv");
    assert_eq!(end["evidence"][0]["line"], 3);
    healthy_calls_are_quiet(&doc);
}

#[test]
fn call_automation_failures() {
    let doc = scenario("call-automation");
    let call = "ca000000-0000-4000-8000-000000000008";
    let results: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "call-automation/result" && f["ids"]["callId"] == call)
        .collect();
    let codes: Vec<&str> = results
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    // The same 500/560503 twice: carrying SIP 486 Busy Here / Q.850 17 (a busy callee, a normal
    // outcome, not reported) and SIP 503 / Q.850 38 (the phone network failed).
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert!(codes.contains(&"400/8535") && codes.contains(&"500/560503"));
    let sbc = results.iter().find(|f| f["code"] == "500/560503").unwrap();
    let message = sbc["message"].as_str().unwrap();
    assert!(message.contains("SIP 503 Service Unavailable"), "{message}");
    assert!(!message.contains("Busy"), "{message}");
    assert_eq!(sbc["severity"], "warning");
    assert_eq!(
        sbc["ids"]["callConnectionId"],
        "c0aa0000-0000-4000-8000-000000000008"
    );
    assert!(sbc["ids"]["serverCallId"].is_string());
    let request = finding(&doc, "call-automation/request-failed", call);
    assert_eq!(request["code"], "503");
    healthy_calls_are_quiet(&doc);
}

#[test]
fn client_permission_failure() {
    let doc = scenario("client-permission");
    let call = "9e500000-0000-4000-8000-000000000009";
    let op = finding(&doc, "calling/client-operation-failed", call);
    assert_eq!(op["code"], "400/40613");
    assert_eq!(
        op["ids"]["participantId"],
        "a90000001-0000-4000-8000-000000000001"
    );
    let ufd = finding(&doc, "calling/user-facing-diagnostic", call);
    assert!(
        ufd["message"]
            .as_str()
            .unwrap()
            .contains("microphonePermissionDenied")
    );
    healthy_calls_are_quiet(&doc);
}

#[test]
fn missing_data_is_said_plainly() {
    let doc = scenario("missing-data");
    let none = finding(
        &doc,
        "calling/missing-data",
        "0510ca11-0000-4000-8000-000000000010",
    );
    assert!(none["message"].as_str().unwrap().contains("web SDK log"));
    assert!(
        none["action"]
            .as_str()
            .unwrap()
            .contains("CallSummary category")
    );
    let partial = finding(
        &doc,
        "calling/missing-data",
        "0510ca11-0000-4000-8000-000000000011",
    );
    assert!(
        partial["message"]
            .as_str()
            .unwrap()
            .starts_with("1 participant of call")
    );
    healthy_calls_are_quiet(&doc);
}

#[test]
fn patterns_across_calls() {
    let doc = scenario("patterns");
    let f = findings(&doc);
    let repeated: Vec<&Value> = f
        .iter()
        .filter(|x| x["id"] == "calling/repeated-failure")
        .collect();
    assert_eq!(repeated.len(), 1, "{:#}", doc["findings"]);
    assert_eq!(repeated[0]["code"], "410/3112");
    assert!(
        repeated[0]["message"]
            .as_str()
            .unwrap()
            .contains("ended 3 of its 3 calls")
    );
    let service = finding(
        &doc,
        "calling/service-side-failure",
        "9a77e500-0000-4000-8000-000000000200",
    );
    assert!(
        service["message"]
            .as_str()
            .unwrap()
            .starts_with("4 of the 5 participants")
    );
    let versions: Vec<&Value> = f
        .iter()
        .filter(|x| x["id"] == "calling/version-pattern")
        .collect();
    assert_eq!(versions.len(), 1);
    assert!(
        versions[0]["message"]
            .as_str()
            .unwrap()
            .contains("1.20.0.1")
    );
    // A one-off 490 of an identity with other calls would say "transient"; the repeated 3112 does not.
    let ends: Vec<&Value> = f
        .iter()
        .filter(|x| x["id"] == "calling/end-reason" && x["code"] == "410/3112")
        .collect();
    assert!(ends.iter().all(|e| {
        e["message"]
            .as_str()
            .unwrap()
            .contains("ended 3 of its 3 calls")
    }));
}

#[test]
fn call_story_snapshots() {
    let dir = repo_path("tests/corpus/calling/blocked-media");
    let call = "b10cced0-0000-4000-8000-000000000001";
    let human = run(&["analyze", &dir, "--call", call]);
    assert_eq!(human.code, 1, "the call has an error finding");
    insta::assert_snapshot!("call_story_human", human.stdout);
    let (code, json) = analyze_json(&[&dir, "--call", call]);
    assert_eq!(code, 1);
    assert_eq!(json["call"]["participants"].as_array().unwrap().len(), 2);
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["ids"]["callId"] == call)
    );
    insta::assert_json_snapshot!("call_story_json", json);

    let unknown = run(&["analyze", &dir, "--call", "not-a-call"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("no record in the inputs mentions call not-a-call")
    );
}

#[test]
fn call_story_of_the_examples() {
    let out = run(&[
        "analyze",
        &repo_path("examples/logs"),
        "--call",
        "c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a",
    ]);
    insta::assert_snapshot!("call_story_examples", out.stdout);
}

#[test]
fn a_stream_without_packets_is_no_media() {
    let doc = scenario("no-media");
    let f = finding(
        &doc,
        "calling/no-media",
        "900f0000-0000-4000-8000-0000000000d1",
    );
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["ids"]["endpointId"],
        "e0d10001-0000-4000-8000-000000000001"
    );
    // The healthy stream of the same call is not reported.
    let streams: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "calling/no-media" || f["id"] == "calling/poor-stream")
        .collect();
    assert_eq!(streams.len(), 1, "{streams:#?}");
    healthy_calls_are_quiet(&doc);
}

#[test]
fn redacted_versions_of_failed_participants_are_said() {
    let doc = scenario("redacted-versions");
    let f = findings(&doc)
        .iter()
        .find(|f| f["id"] == "calling/redacted-versions")
        .expect("the redacted versions are reported");
    assert_eq!(f["severity"], "info");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("1 failed participant record"),
        "{f:#}"
    );
    // The healthy participant's versions are known: no version pattern is claimed.
    assert!(
        findings(&doc)
            .iter()
            .all(|f| f["id"] != "calling/version-pattern")
    );
}

/// Columns real exports carry beyond the end reason: the app version in `DiagnosticOptions`
/// (JSON or user-agent text), `PstnParticipantCallType`, an operation's `FailureReason`.
#[test]
fn export_columns_app_version_pstn_type_and_failure_reason() {
    let doc = scenario("export-columns");
    let versions: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|x| x["id"] == "calling/version-pattern")
        .collect();
    assert_eq!(versions.len(), 1, "{:#}", doc["findings"]);
    let message = versions[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "app version contoso-healthcare-calling-services/2.1: 6 of its 6 participants failed (100 %), against 1 of 10 on every other version (10 %)"
        ),
        "{message}"
    );
    let pstn = findings(&doc)
        .iter()
        .find(|x| x["code"] == "408/560408")
        .unwrap();
    let message = pstn["message"].as_str().unwrap();
    assert!(
        message.contains("This call used Direct Routing"),
        "{message}"
    );
    assert!(message.contains("\"DirectRouting\""), "{message}");
    let join = findings(&doc)
        .iter()
        .find(|x| x["id"] == "calling/client-operation-failed")
        .unwrap();
    let message = join["message"].as_str().unwrap();
    assert!(
        message.contains(
            "The log says: \u{201c}Join call failed: the meeting link has expired.\u{201d}"
        ),
        "{message}"
    );
}

/// Without `PstnParticipantCallType`, a phone-network answer names both possible sides and no
/// SBC is blamed outright.
#[test]
fn a_pstn_answer_without_call_type_names_both_sides() {
    let doc = scenario("pstn-sbc");
    let end = findings(&doc)
        .iter()
        .find(|x| x["code"] == "408/560408")
        .unwrap();
    let message = end["message"].as_str().unwrap();
    assert!(message.contains("carrier"), "{message}");
    assert!(
        !message.contains("This call used Direct Routing"),
        "{message}"
    );
}
