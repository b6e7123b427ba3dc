//! The chat analyzers, scenario by scenario (fixtures in `tests/corpus/chat/`): failures grouped
//! by code, user and thread; throttling explained by the app's pattern; chat refused for tokens
//! without the chat scope; MS-CV and client request IDs taken from SDK HTTP logs. Healthy traffic
//! in the same folders gets no finding.

use acs_triage_tests::{analyze_json, findings, repo_path};
use serde_json::Value;

fn scenario(name: &str) -> Value {
    analyze_json(&[&repo_path(&format!("tests/corpus/chat/{name}"))]).1
}

fn user(n: u32) -> String {
    format!(
        "8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_0000001a-00{n:02}-4c2d-85f0-3a3b000000{n:02}"
    )
}

fn thread(n: u32) -> String {
    format!("19:{:032x}@thread.v2", 0xc0ffee00_u32 + n)
}

fn with_id<'a>(doc: &'a Value, id: &str) -> Vec<&'a Value> {
    findings(doc).iter().filter(|f| f["id"] == id).collect()
}

/// The one finding with this ID and code.
fn one<'a>(doc: &'a Value, id: &str, code: &str) -> &'a Value {
    let hits: Vec<&Value> = with_id(doc, id)
        .into_iter()
        .filter(|f| f["code"] == code)
        .collect();
    assert_eq!(hits.len(), 1, "{id} {code}: {:#}", doc["findings"]);
    hits[0]
}

#[test]
fn failures_are_decoded_and_grouped_by_user_and_thread() {
    let doc = scenario("errors");
    let unauthorized = one(&doc, "chat/request-error", "401");
    assert_eq!(unauthorized["severity"], "error");
    assert_eq!(unauthorized["count"], 2);
    assert_eq!(unauthorized["ids"]["userId"], user(2));
    assert_eq!(unauthorized["ids"]["chatThreadId"], thread(1));
    assert!(
        unauthorized["action"]
            .as_str()
            .unwrap()
            .contains("fresh token")
    );
    let forbidden = one(&doc, "chat/request-error", "403");
    assert_eq!(forbidden["ids"]["userId"], user(3));
    assert_eq!(forbidden["ids"]["chatThreadId"], thread(2));
    let said = forbidden["message"].as_str().unwrap();
    assert!(said.contains("AddChatParticipants") && said.contains("SendChatMessage"));
    let unavailable = one(&doc, "chat/request-error", "503");
    assert_eq!(unavailable["ids"]["userId"], user(1));
    assert_eq!(unavailable["count"], 2);
    // User 1's successful sends are not findings.
    assert_eq!(findings(&doc).len(), 3, "{:#}", doc["findings"]);
}

#[test]
fn throttling_names_the_limit_the_app_went_over() {
    let doc = scenario("throttled");
    let bursts = with_id(&doc, "chat/throttled");
    assert_eq!(bursts.len(), 2, "{bursts:#?}");
    let sends = bursts
        .iter()
        .find(|f| f["ids"]["chatThreadId"] == thread(3).as_str())
        .unwrap();
    assert_eq!(sends["count"], 5);
    assert_eq!(sends["ids"]["userId"], user(4));
    let said = sends["message"].as_str().unwrap();
    assert!(
        said.contains("up to 15 message sends/updates/deletes in 10 s (limit 10)"),
        "{said}"
    );
    assert!(said.contains("retried within a second"), "{said}");
    assert!(
        sends["action"]
            .as_str()
            .unwrap()
            .contains("10 per 10 s and 30 per minute")
    );
    let typing = bursts
        .iter()
        .find(|f| f["ids"]["chatThreadId"] == thread(5).as_str())
        .unwrap();
    assert_eq!(typing["ids"]["userId"], user(5));
    let said = typing["message"].as_str().unwrap();
    assert!(
        said.contains("8 typing notifications in 10 s (limit 5)"),
        "{said}"
    );
    assert!(
        typing["action"]
            .as_str()
            .unwrap()
            .contains("typing notifications")
    );
    // The healthy thread (8 messages a minute) is not mentioned.
    assert!(
        findings(&doc)
            .iter()
            .all(|f| f["ids"]["chatThreadId"] != thread(6).as_str())
    );
    assert!(with_id(&doc, "chat/request-error").is_empty());
}

#[test]
fn a_token_without_the_chat_scope_explains_the_403() {
    let doc = scenario("token-scope");
    let scope = with_id(&doc, "chat/token-scope");
    assert_eq!(scope.len(), 1, "{scope:#?}");
    let f = scope[0];
    assert_eq!(f["ids"]["userId"], user(7));
    assert_eq!(f["severity"], "error");
    let said = f["message"].as_str().unwrap();
    assert!(said.contains("[voip]"), "{said}");
    assert!(f["action"].as_str().unwrap().contains("chat scope"));
    // The evidence holds the token request as well as the refusals.
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["file"] == "auth-export.json")
    );
    // User 8's token had the chat scope: the 403 is reported, but not as a scope problem.
    assert!(
        with_id(&doc, "chat/request-error")
            .iter()
            .any(|f| f["ids"]["userId"] == user(8).as_str())
    );
    // A failing token request is caught by the bundled identity rule.
    let auth = with_id(&doc, "auth-requests-failing");
    assert_eq!(auth.len(), 1);
    assert!(auth[0]["message"].as_str().unwrap().contains("401"));
}

#[test]
fn ms_cv_and_client_request_ids_come_from_sdk_http_logs() {
    let doc = scenario("ms-cv");
    let dotnet = one(&doc, "chat/request-error", "401");
    assert_eq!(dotnet["ids"]["msCv"], "Zx9Yw8Vu7Ts6Rq5Po4Nm3L.0");
    assert_eq!(
        dotnet["ids"]["clientRequestId"],
        "7a1b2c3d-0000-4000-8000-000000000001"
    );
    assert_eq!(dotnet["ids"]["chatThreadId"], thread(9));
    // The Date header gives the console line its time.
    assert_eq!(dotnet["first_seen"], "2026-11-20T14:30:00.000Z");

    let web = one(&doc, "chat/request-error", "403");
    assert_eq!(web["ids"]["msCv"], "Qw1Er2Ty3Ui4Op5As6Df7G.0");
    assert_eq!(
        web["ids"]["clientRequestId"],
        "9c8b7a6d-0000-4000-8000-000000000004"
    );

    let redacted = one(&doc, "chat/request-error", "503");
    assert!(redacted["ids"]["msCv"].is_null());
    let said = redacted["message"].as_str().unwrap();
    assert!(
        said.contains("REDACTED") && said.contains("LoggedHeaderNames"),
        "{said}"
    );
    // The successful request is not a finding.
    assert_eq!(findings(&doc).len(), 3, "{:#}", doc["findings"]);
}
