//! `acs-triage kql`: the bundled analyses' queries (snapshotted), every rule of the repository's
//! rule files and of docs/rules.md translated or refused with a reason, the rule language's
//! meaning kept, and the manifest. Every query written here is also saved under
//! `target/kql-queries/` for CI to check with Microsoft's Kusto language service
//! (`tools/kql-check/`).

use std::path::PathBuf;

use acs_triage_core::classify::Classifier;
use acs_triage_core::dedup::TablesFile;
use acs_triage_core::kql::translate::{Refusal, re2_gap, translate};
use acs_triage_core::kql::{KqlQuery, Target, Window};
use acs_triage_core::rules::{Rule, Vocabulary, load_rule_file};
use acs_triage_tests::{repo_root, run};

fn window() -> Window {
    Window {
        since: Some("2026-11-20T00:00:00Z".parse().unwrap()),
        until: Some("2026-11-21T00:00:00Z".parse().unwrap()),
    }
}

/// Saves queries for the CI check with the Kusto language service.
fn save(folder: &str, queries: &[KqlQuery]) {
    let dir: PathBuf = repo_root().join("target/kql-queries").join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    for q in queries {
        std::fs::write(
            dir.join(format!("{}.kql", q.name)),
            q.text(&window(), Target::LogAnalytics),
        )
        .unwrap();
    }
}

fn load(name: &str, text: &str) -> Vec<Rule> {
    load_rule_file(name, text, &Vocabulary::bundled()).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn translate_all(rules: &[Rule]) -> (Vec<KqlQuery>, Vec<Refusal>) {
    let (mut queries, mut refusals) = (Vec::new(), Vec::new());
    for rule in rules {
        match translate(rule, Classifier::bundled(), TablesFile::bundled()) {
            Ok(q) => queries.push(q),
            Err(r) => refusals.extend(r),
        }
    }
    (queries, refusals)
}

fn one_rule(when: &str, extra: &str) -> Result<KqlQuery, Vec<Refusal>> {
    let text = format!(
        "[[rule]]\nid = \"r\"\ntitle = \"t\"\nseverity = \"warning\"\nwhen = '{when}'\nmessage = \"m\"\naction = \"a\"\n{extra}"
    );
    let rules = load("probe.toml", &text);
    translate(&rules[0], Classifier::bundled(), TablesFile::bundled())
}

#[test]
fn the_bundled_analyses_have_kql_forms() {
    let r = run(&[
        "kql",
        "--since",
        "2026-11-20",
        "--until",
        "2026-11-21T00:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for feeds in [
        "calling/end-reason",
        "calling/repeated-failure",
        "calling/poor-stream",
        "chat/throttled",
        "sms/no-delivery-report",
        "rule/auth-requests-failing",
    ] {
        assert!(
            r.stdout.contains(&format!("AcsTriageQuery = \"{feeds}\"")),
            "{feeds}"
        );
    }
    // The catalog and the thresholds are carried into the queries.
    assert!(r.stdout.contains(r#""487/0""#) && r.stdout.contains(r#""410/3112""#));
    assert!(r.stdout.contains("todouble(RoundTripTimeAvg) > 500"));
    assert!(r.stdout.contains("most 30 messages a minute per thread"));
    assert!(r.stdout.contains("let wait = 3600s;"));
    insta::assert_snapshot!("bundled_analyses_kql", r.stdout);
}

#[test]
fn the_configuration_changes_the_queries() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("acs-triage.toml");
    std::fs::write(
        &config,
        "[thresholds.media.round_trip_time]\nvalue = 300\n\n[thresholds.sms.judgement]\nreport_wait_seconds = 7200\n",
    )
    .unwrap();
    let r = run(&["kql", "--config", config.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("todouble(RoundTripTimeAvg) > 300"));
    assert!(r.stdout.contains("let wait = 7200s;"));
    // Open ends of the range.
    assert!(r.stdout.contains("let since = ago(1d);") && r.stdout.contains("let until = now();"));
}

#[test]
fn every_rule_of_the_repository_translates_or_is_refused_with_a_reason() {
    let root = repo_root();
    let mut rules = Vec::new();
    for file in [
        "rules/bundled/auth.toml",
        "tests/corpus/user-rules/throttling.toml",
        "tests/corpus/absence-rules/sms-no-delivery-report.toml",
    ] {
        rules.extend(load(
            file,
            &std::fs::read_to_string(root.join(file)).unwrap(),
        ));
    }
    // The rule examples of the guide.
    let guide = std::fs::read_to_string(root.join("docs/rules.md")).unwrap();
    let mut block: Option<(usize, String)> = None;
    for (i, line) in guide.lines().enumerate() {
        match (&mut block, line) {
            (None, "```toml rules") => block = Some((i + 1, String::new())),
            (Some((at, body)), "```") => {
                rules.extend(load(&format!("docs/rules.md:{at}"), body));
                block = None;
            }
            (Some((_, body)), l) => {
                body.push_str(l);
                body.push('\n');
            }
            (None, _) => {}
        }
    }
    let (queries, refusals) = translate_all(&rules);
    save("rules", &queries);
    let mut report = String::new();
    for q in &queries {
        report.push_str(&format!(
            "== {} ({} bytes)\n{}\n",
            q.feeds,
            q.text(&window(), Target::LogAnalytics).len(),
            q.body
        ));
    }
    for r in &refusals {
        report.push_str(&format!("refused: {r}\n"));
    }
    assert!(queries.len() >= 6, "{report}");
    // Refused: the absence test rule also reads SDK send responses (`format`,
    // `httpStatusCode`) and Event Grid reports (`deliveryStatus`); the guide's example of a
    // declared field names one no table has.
    let refused: Vec<(&str, &str, &str)> = refusals
        .iter()
        .map(|r| (r.rule.as_str(), r.part, r.at.as_str()))
        .collect();
    assert_eq!(
        refused,
        [
            ("sms-no-delivery-report", "when", "format"),
            ("sms-no-delivery-report", "when", "httpStatusCode"),
            ("sms-no-delivery-report", "followed_by", "deliveryStatus"),
            ("old-app-version", "when", "appVersion"),
        ],
        "{report}"
    );
    insta::assert_snapshot!("repository_rules_kql", report);
}

#[test]
fn what_has_no_kql_form_is_refused_with_its_place_and_reason() {
    let cases = [
        (
            r#"category == "SMSOperational" and deliveryStatus == "Failed""#,
            "deliveryStatus",
            "SMSDeliveryReportsReceived",
        ),
        (
            r#"headers.x-ms-client-request-id == "1""#,
            "headers",
            "HTTP headers",
        ),
        (r#"format == "web-sdk-log""#, "format", "shape of a file"),
        (
            r#"category == "ChatOperational" and ChatThreadId matches "[a-z&&[^x]]""#,
            "matches",
            "RE2",
        ),
        (
            r#"category == "ChatOperational" and UserId > ChatThreadId"#,
            "UserId > ChatThreadId",
            "by order",
        ),
    ];
    for (when, at, reason) in cases {
        let refusals = one_rule(when, "").expect_err(when);
        let text = refusals
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.starts_with("probe.toml:1: rule r: when `"), "{text}");
        assert!(text.contains(at) && text.contains(reason), "{when}: {text}");
    }
    assert_eq!(re2_gap(r"^40(07|10)\d+$"), None);
    assert!(re2_gap(r"\<word\>").is_some());
    assert!(re2_gap(r"(?x) a b").is_some());
}

#[test]
fn the_rule_languages_meaning_is_kept() {
    let body = |when: &str| one_rule(when, "").unwrap().body;
    // Text ignores case; `!=` is false on a missing value (blank or the text "null").
    let q = body(r#"category == "ChatOperational" and ChatThreadId != "19:a""#);
    assert!(q.contains(r#"tostring(ChatThreadId) !~ "19:a""#), "{q}");
    assert!(
        q.contains(r#"isnotempty(trim(@"\s+", tostring(ChatThreadId)))"#),
        "{q}"
    );
    // The category picks the table and folds away; numbers written as text compare as numbers.
    let q = body(r#"category == "CallSummary" and participantEndReason == 410"#);
    assert!(q.starts_with("union\n    (ACSCallSummary\n"), "{q}");
    assert!(!q.contains("CallSummary\" =~"), "{q}");
    assert!(
        q.contains(r#"todouble(trim(@"\s+", tostring(ParticipantEndReason))) == 410"#),
        "{q}"
    );
    // Lists of text: any element, ignoring case.
    let q = body(r#"category == "CallSummary" and endpointType in ["PSTN", "Bot"]"#);
    assert!(
        q.contains(r#"tostring(EndpointType) in~ ("PSTN", "Bot")"#),
        "{q}"
    );
    // Without a category, every table with the field; a table without it never matches.
    let q = body("resultSignature == 429");
    assert!(
        q.contains("ACSChatIncomingOperations") && q.contains("ACSSMSIncomingOperations"),
        "{q}"
    );
    assert!(!q.contains("ACSCallDiagnostics"), "{q}");
    // `== null` holds on a missing value.
    let q = body(r#"category == "ChatOperational" and UserId == null"#);
    assert!(q.contains("| where not(isnotempty(trim("), "{q}");
    // A threshold with `within` is a sliding window.
    let q = one_rule(
        r#"category == "ChatOperational" and resultSignature == 429"#,
        "group_by = [\"ChatThreadId\"]\nthreshold = \"count >= 5 within 10s\"\n",
    )
    .unwrap()
    .body;
    assert!(
        q.contains("| where Later between (TimeGenerated .. (TimeGenerated + 10s))"),
        "{q}"
    );
    assert!(q.contains("| where InWindow >= 5"), "{q}");
}

#[test]
fn the_manifest_lists_every_query_and_every_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("eg.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"eg-only\"\ntitle = \"t\"\nseverity = \"warning\"\nwhen = 'deliveryStatus == \"Failed\"'\nmessage = \"m\"\naction = \"a\"\n",
    )
    .unwrap();
    let out = dir.path().join("kql");
    let r = run(&[
        "kql",
        "--rules",
        rules.to_str().unwrap(),
        "--target",
        "adx",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "a refused rule is an error: {}", r.stdout);
    assert!(
        r.stdout
            .contains("rule eg-only: when `deliveryStatus`: no Log Analytics table"),
        "{}",
        r.stdout
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["target"], "adx");
    assert_eq!(manifest["tag_column"], "AcsTriageQuery");
    let queries = manifest["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 6);
    for q in queries {
        let file = q["file"].as_str().unwrap();
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert_eq!(q["bytes"].as_u64().unwrap() as usize, text.len());
        assert!(text.contains("Azure Data Explorer"), "{file}");
        let columns = q["columns"].as_array().unwrap();
        assert!(columns.iter().any(|c| c == "AcsTriageQuery"), "{file}");
        for key in q["keys"].as_array().unwrap() {
            assert!(columns.contains(key), "{file}: key {key} is a column");
        }
    }
    assert_eq!(manifest["refused"][0]["rule"], "eg-only");
    assert_eq!(manifest["refused"][0]["part"], "when");
}

#[test]
fn analyses_queries_are_saved_for_the_language_service() {
    let dir = repo_root().join("target/kql-queries/analyses");
    let r = run(&[
        "kql",
        "--since",
        "2026-11-20",
        "--until",
        "2026-11-21",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let written = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "kql"))
        })
        .count();
    assert_eq!(written, 6);
}
