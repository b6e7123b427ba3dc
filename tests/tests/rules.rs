//! The rule language end to end: a user's rule file loaded with --rules, firing on logs and
//! passing its tests; broken rule files reported with locations and exit 2; absence across
//! files; configuration; `rules why`.

use acs_triage_tests::{analyze_json, findings, repo_path, run};

fn path_in(dir: &str) -> String {
    repo_path(dir)
}

#[test]
fn user_rule_loads_fires_and_passes_its_tests() {
    let rules = path_in("tests/corpus/user-rules");
    let tested = run(&["rules", "test", &rules]);
    assert_eq!(tested.code, 0, "{}{}", tested.stdout, tested.stderr);
    assert!(
        tested.stdout.contains("2 passed, 0 failed"),
        "{}",
        tested.stdout
    );

    let (_, doc) = analyze_json(&["--rules", &rules, &path_in("examples/logs")]);
    let burst = findings(&doc)
        .iter()
        .find(|f| f["id"] == "chat-throttled-burst")
        .expect("the user's rule fired");
    assert_eq!(
        burst["message"],
        "7 chat requests from 8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_0000001a-0007-4c2d-85f0-3a3b00000007 were throttled between 2026-11-20T15:40:10.200Z and 2026-11-20T15:40:12.740Z"
    );
    assert_eq!(burst["severity"], "warning");
    assert_eq!(burst["count"], 7);
    assert!(
        burst["source"]
            .as_str()
            .unwrap()
            .ends_with("throttling.toml:1")
    );

    // Without the rule, no such finding: it is the rule that fires.
    let (_, doc) = analyze_json(&[&path_in("examples/logs")]);
    assert!(
        findings(&doc)
            .iter()
            .all(|f| f["id"] != "chat-throttled-burst")
    );
}

/// Paths in diagnostics are as given; make them stable for snapshots.
fn stable(text: &str) -> String {
    text.replace(
        &acs_triage_tests::repo_root().to_string_lossy().to_string(),
        "<repo>",
    )
}

#[test]
fn broken_rule_file_reports_every_problem_with_location() {
    let broken = path_in("tests/corpus/broken-rules");
    let checked = run(&["rules", "check", &broken]);
    assert_eq!(checked.code, 2);
    assert!(checked.stdout.is_empty());
    insta::assert_snapshot!("broken_rules_check", stable(&checked.stderr));
    for needle in [
        "unknown field `participantEndSubCod`",
        "did you mean `participantEndSubCode`?",
        "unknown operator `=~`",
        "did you mean `matches`?",
        "unterminated string",
        "typos.toml:7:",
        "typos.toml:15:",
    ] {
        assert!(
            checked.stderr.contains(needle),
            "missing {needle:?} in\n{}",
            checked.stderr
        );
    }
    // The same file given to analyze stops the run before any input is read.
    let analyzed = run(&["analyze", "--rules", &broken, &path_in("examples/logs")]);
    assert_eq!(analyzed.code, 2);
    assert!(analyzed.stdout.is_empty());
    assert!(analyzed.stderr.contains("problems in rule file typos.toml"));
}

#[test]
fn absence_finds_the_sms_without_a_report_across_files() {
    let rules = path_in("tests/corpus/absence-rules");
    let (_, doc) = analyze_json(&["--rules", &rules, &path_in("tests/corpus/sms-absence")]);
    let missing: Vec<&serde_json::Value> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "sms-no-delivery-report")
        .collect();
    assert_eq!(missing.len(), 1, "{:#}", doc["findings"]);
    assert_eq!(missing[0]["ids"]["smsMessageId"], "Outgoing_B");
    assert_eq!(
        missing[0]["message"],
        "SMS Outgoing_B was accepted at 2026-11-20T16:00:01.000Z but no delivery report for it arrived within 1h: its delivery is unknown"
    );
    assert_eq!(missing[0]["evidence"][0]["file"], "sends.csv");
    assert_eq!(missing[0]["evidence"][0]["line"], 3);
    // The SMS analyzer's own join agrees with the rule.
    let joined: Vec<&serde_json::Value> = findings(&doc)
        .iter()
        .filter(|f| f["id"] == "sms/no-delivery-report")
        .collect();
    assert_eq!(joined.len(), 1, "{:#}", doc["findings"]);
    assert_eq!(joined[0]["ids"]["smsMessageId"], "Outgoing_B");
}

#[test]
fn bundled_rules_tests_pass_from_the_cli() {
    let tested = run(&["rules", "test"]);
    assert_eq!(tested.code, 0, "{}", tested.stdout);
    assert!(
        tested.stdout.contains(" passed, 0 failed"),
        "{}",
        tested.stdout
    );
    assert!(
        !tested.stdout.contains("rules without tests"),
        "{}",
        tested.stdout
    );
}

#[test]
fn failing_rule_tests_exit_1_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(path_in("tests/corpus/user-rules/throttling.toml"))
        .unwrap()
        .replace("expect = \"no-match\"", "expect = \"match\"");
    std::fs::write(dir.path().join("wrong.toml"), text).unwrap();
    let tested = run(&["rules", "test", dir.path().to_str().unwrap()]);
    assert_eq!(tested.code, 1);
    assert!(
        tested.stdout.contains("1 passed, 1 failed"),
        "{}",
        tested.stdout
    );
    assert!(
        tested.stdout.contains("resultSignature = \"201\""),
        "{}",
        tested.stdout
    );
}

#[test]
fn rules_list_and_why() {
    let rules = path_in("tests/corpus/user-rules");
    let listed = run(&["rules", "list", "--rules", &rules]);
    assert_eq!(listed.code, 0);
    for id in [
        "chat-throttled-burst",
        "auth-requests-failing",
        "chat/throttled",
        "sms/no-delivery-report",
        "calling/end-reason",
        "--table): sms/messages",
    ] {
        assert!(listed.stdout.contains(id), "{id} in\n{}", listed.stdout);
    }
    let why = run(&[
        "rules",
        "why",
        "chat-throttled-burst",
        "--rules",
        &rules,
        "--record",
        r#"{"category":"ChatOperational","resultSignature":"201"}"#,
    ]);
    assert_eq!(why.code, 1, "no match: exit 1");
    insta::assert_snapshot!("rules_why", stable(&why.stdout));
    let matched = run(&[
        "rules",
        "why",
        "chat-throttled-burst",
        "--rules",
        &rules,
        "--record",
        r#"{"category":"ChatOperational","resultSignature":429}"#,
    ]);
    assert_eq!(matched.code, 0);
    let unknown = run(&[
        "rules",
        "why",
        "chat-throttled-brust",
        "--rules",
        &rules,
        "--record",
        "{}",
    ]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("did you mean `chat-throttled-burst`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn configuration_disables_rerates_and_rejects_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("acs-triage.toml");
    std::fs::write(
        &cfg,
        "[rules]\ndisable = [\"chat/throttled\", \"sms/send-refused\"]\n\n[rules.severity]\n\"sms/no-delivery-report\" = \"error\"\n",
    )
    .unwrap();
    let (_, doc) = analyze_json(&["--config", cfg.to_str().unwrap(), &path_in("examples/logs")]);
    let ids: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"chat/throttled"));
    assert!(!ids.contains(&"sms/send-refused"));
    assert_eq!(
        doc["summary"]["suppressed"], 2,
        "the throttling burst and the refused send are counted, not hidden"
    );
    let sms = findings(&doc)
        .iter()
        .find(|f| f["id"] == "sms/no-delivery-report")
        .unwrap();
    assert_eq!(sms["severity"], "error");

    std::fs::write(&cfg, "[rules]\ndisable = [\"chat/throttld\"]\n").unwrap();
    let bad = run(&[
        "analyze",
        "--config",
        cfg.to_str().unwrap(),
        &path_in("examples/logs"),
    ]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("did you mean `chat/throttled`?"),
        "{}",
        bad.stderr
    );

    std::fs::write(&cfg, "[rules]\ndisabel = []\n").unwrap();
    let bad = run(&[
        "analyze",
        "--config",
        cfg.to_str().unwrap(),
        &path_in("examples/logs"),
    ]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("did you mean `disable`?"),
        "{}",
        bad.stderr
    );

    let user_rules = path_in("tests/corpus/user-rules");
    let (_, doc) = analyze_json(&["--rules", &user_rules, &path_in("examples/logs")]);
    assert!(
        findings(&doc)
            .iter()
            .any(|f| f["id"] == "chat-throttled-burst"),
        "the rule fires at its own threshold"
    );
    std::fs::write(
        &cfg,
        "[rules.threshold]\n\"chat-throttled-burst\" = \"count >= 100 within 1m\"\n",
    )
    .unwrap();
    let (_, doc) = analyze_json(&[
        "--config",
        cfg.to_str().unwrap(),
        "--rules",
        &user_rules,
        &path_in("examples/logs"),
    ]);
    assert!(
        findings(&doc)
            .iter()
            .all(|f| f["id"] != "chat-throttled-burst"),
        "raised threshold not reached"
    );
}

#[test]
fn user_category_tables_classify_records_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("categories.toml"),
        "[[category]]\nname = \"ContosoCallRelay\"\ntable = \"ContosoCallRelay_CL\"\nfamily = \"calling\"\n",
    )
    .unwrap();
    let cfg = dir.path().join("acs-triage.toml");
    std::fs::write(&cfg, "[classify]\npaths = [\"categories.toml\"]\n").unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(
        logs.join("relay.json"),
        r#"{"time":"2026-11-20T10:00:00Z","category":"ContosoCallRelay","callId":"c0ffee77-0000-4000-8000-000000000077"}"#,
    )
    .unwrap();
    let (_, plain) = analyze_json(&[logs.to_str().unwrap()]);
    assert_eq!(plain["summary"]["families"]["unknown"], 1);
    let (_, doc) = analyze_json(&["--config", cfg.to_str().unwrap(), logs.to_str().unwrap()]);
    assert_eq!(
        doc["summary"]["families"]["calling"], 1,
        "{:#}",
        doc["summary"]
    );
    let ids = run(&[
        "ids",
        "--format",
        "json",
        "--config",
        cfg.to_str().unwrap(),
        logs.to_str().unwrap(),
    ]);
    assert!(
        ids.stdout.contains("c0ffee77-0000-4000-8000-000000000077"),
        "{}",
        ids.stdout
    );
    // A broken table is a configuration error, located.
    std::fs::write(
        dir.path().join("categories.toml"),
        "[[category]]\nname = 1\n",
    )
    .unwrap();
    let bad = run(&[
        "analyze",
        "--config",
        cfg.to_str().unwrap(),
        logs.to_str().unwrap(),
    ]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("[classify]"), "{}", bad.stderr);
}
