//! The bundled sample folder, `examples/logs`: every file listed with its shape and exact record
//! count, the known problems found with the right IDs, normal endings left alone, and the output
//! the same whatever the number of threads.

use acs_triage_tests::{analyze_json, findings, input, repo_path, repo_root, run};

fn examples() -> String {
    repo_path("examples/logs")
}

#[test]
fn human_output_snapshot() {
    let run = run(&["analyze", &examples()]);
    assert_eq!(run.code, 1, "errors present: exit 1\n{}", run.stderr);
    insta::assert_snapshot!("examples_human", run.stdout);
}

#[test]
fn json_output_snapshot() {
    let (code, doc) = analyze_json(&[&examples()]);
    assert_eq!(code, 1);
    insta::assert_json_snapshot!("examples_json", doc);
}

#[test]
fn every_input_is_listed_with_format_and_count() {
    let (_, doc) = analyze_json(&[&examples()]);
    let expected = [
        ("browser-console.log", "web-sdk-log", 7),
        (
            "callautomation-callbacks.json",
            "call-automation-callbacks",
            5,
        ),
        ("cloudevents-sms-delivery.json", "cloud-events", 1),
        ("dotnet-chat-client.log", "dotnet-log", 3),
        ("eventgrid-sms-delivery.json", "event-grid", 2),
        ("eventhub-chat-capture.json", "event-hubs", 10),
        (
            "ios-client/acs_calling_2026-11-20.blog",
            "native-sdk-log",
            0,
        ),
        ("log-analytics-callsummary.json", "log-analytics-json", 2),
        ("log-analytics-sms-export.csv", "log-analytics-csv", 3),
        ("sms-send-response.json", "sms-send-response", 2),
    ];
    for (path, format, records) in expected {
        let i = input(&doc, path);
        assert_eq!(i["format"], format, "{path}");
        assert_eq!(i["records"], records, "{path}");
        assert_eq!(i["rejected"], 0, "{path}");
    }
    let storage = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["path"].as_str().unwrap().starts_with("storage-account/"))
        .collect::<Vec<_>>();
    assert_eq!(storage.len(), 2);
    assert!(storage.iter().all(|i| i["format"] == "storage-export"));
    assert_eq!(
        storage
            .iter()
            .map(|i| i["records"].as_u64().unwrap())
            .sum::<u64>(),
        9
    );
    assert!(storage.iter().any(|i| i["compression"] == "gzip"));
    assert_eq!(doc["summary"]["files"], 12);
}

#[test]
fn known_problems_are_found_with_their_ids() {
    let (_, doc) = analyze_json(&[&examples()]);
    let f = findings(&doc);
    let find = |id: &str, code: &str| {
        f.iter()
            .find(|x| x["id"] == id && x["code"] == code)
            .unwrap_or_else(|| panic!("no {id} {code}"))
    };
    let blocked = find("calling/end-reason", "410/3112");
    assert_eq!(blocked["severity"], "error");
    assert_eq!(
        blocked["ids"]["callId"],
        "c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a"
    );
    assert_eq!(
        blocked["ids"]["participantId"],
        "7b2e3f4a-1c5d-4e6f-9071-8293a4b5c6d7"
    );
    // The CallSummary row and the browser's own log are one finding with two pieces of evidence.
    assert_eq!(blocked["count"], 2);

    let sbc = find("calling/end-reason", "403/560403");
    assert!(sbc["action"].as_str().unwrap().contains("SBC"));
    assert_eq!(find("calling/end-reason", "401/10009")["severity"], "error");

    // The service's 429s and the .NET client's (timed by its Date header) are one burst.
    let throttled = find("chat/throttled", "429");
    assert_eq!(throttled["severity"], "warning");
    assert_eq!(throttled["count"], 8);
    assert_eq!(
        throttled["ids"]["chatThreadId"],
        "19:9f1c6b2ad4e84f0c8f3b2a1d0e9c8b7a@thread.v2"
    );
    assert_eq!(
        throttled["ids"]["clientRequestId"],
        "4f8a9b0c-1d2e-4f3a-8b5c-6d7e8f9a0b1c"
    );
    let said = throttled["message"].as_str().unwrap();
    assert!(said.contains("retried within a second of a 429"), "{said}");
    assert!(said.contains("REDACTED"), "{said}");
    assert!(
        !f.iter()
            .any(|x| x["id"] == "chat/request-error" && x["code"] == "429"),
        "429s are reported once, as throttling"
    );

    assert_eq!(find("chat/request-error", "401")["severity"], "error");
    let opt_out = find("sms/delivery-failed", "4007");
    assert_eq!(
        opt_out["ids"]["smsMessageId"],
        "Outgoing_20261120161000a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a5b_noam"
    );
    find("sms/delivery-failed", "4010");
    find("sms/send-refused", "400");
}

#[test]
fn normal_endings_are_never_reported() {
    let (_, doc) = analyze_json(&[&examples()]);
    for f in findings(&doc) {
        let code = f["code"].as_str().unwrap_or("");
        assert!(
            !["0/0", "487/0", "603/0"].contains(&code),
            "normal ending reported: {f:#}"
        );
    }
    // The calls that ended normally have no end-reason finding (a poor stream may still be
    // reported for them).
    for call in [
        "c0ffee02-2a4b-4c6d-8e0f-a1b2c3d4e5f6",
        "c0ffee03-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
    ] {
        assert!(
            findings(&doc)
                .iter()
                .all(|f| f["ids"]["callId"] != call || f["id"] != "calling/end-reason"),
            "call {call} ended normally"
        );
    }
}

#[test]
fn output_is_identical_with_one_and_two_threads() {
    let one = run(&["analyze", "--format", "json", "--threads", "1", &examples()]);
    let two = run(&["analyze", "--format", "json", "--threads", "2", &examples()]);
    assert_eq!(one.stdout, two.stdout);
    let one = run(&["analyze", "--threads", "1", &examples()]);
    let two = run(&["analyze", "--threads", "2", &examples()]);
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn fail_on_sets_the_exit_code() {
    let ex = examples();
    assert_eq!(run(&["analyze", "--fail-on", "never", &ex]).code, 0);
    assert_eq!(run(&["analyze", "--fail-on", "warning", &ex]).code, 1);
    let clean = repo_root().join("tests/corpus/clean");
    let clean = clean.to_str().unwrap();
    assert_eq!(run(&["analyze", "--fail-on", "info", clean]).code, 0);
}

#[test]
fn usage_errors_exit_2() {
    let missing = run(&["analyze", "/definitely/not/here"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no such file or directory"),
        "{}",
        missing.stderr
    );
    assert_eq!(run(&["analyze"]).code, 2);
    assert_eq!(run(&["analyze", "--format", "yaml", "x"]).code, 2);
}
