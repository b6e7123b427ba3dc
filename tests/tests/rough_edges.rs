//! What a new user ran into, each fixed and held here: rule errors that say where the tool
//! looked and how to write the fix, one error for a list in parentheses, configuration typos
//! with a suggestion, the call story as Markdown and by a shortened ID with the same times as
//! `ids`, `explain` by product with links people can open, bundles that never overwrite
//! silently, and where unanalyzed records came from.

use acs_triage_tests::{repo_path, run};

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn rules_why_says_where_it_looked_and_suggests_rules() {
    let r = run(&["rules", "why", "chat-throttled-burst", "--record", "{}"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("looked in: rules/bundled/auth.toml"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--rules my-rules/"), "{}", r.stderr);
}

#[test]
fn rules_check_and_test_both_default_to_the_configured_rules() {
    let check = run(&["rules", "check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stdout.contains("rules/bundled/auth.toml"),
        "{}",
        check.stdout
    );
    let test = run(&["rules", "test"]);
    assert_eq!(test.code, 0, "{}", test.stderr);
}

#[test]
fn rules_fields_names_operators_fields_and_categories() {
    let r = run(&["rules", "fields"]);
    assert_eq!(r.code, 0);
    for needle in [
        ">  >=",
        "in [a, b]",
        "participantEndReason",
        "Microsoft.Communication.PlayFailed",
        "ChatOperational",
    ] {
        assert!(r.stdout.contains(needle), "{needle}: {}", r.stdout);
    }
}

#[test]
fn one_error_with_the_fix_for_a_list_in_parentheses_and_a_misplaced_key() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "list.toml",
        "[[rule]]\nid = \"y\"\ntitle = \"t\"\nseverity = \"warning\"\nwhen = 'category in (\"ChatOperational\", \"SMSOperational\")'\nmessage = \"x\"\naction = \"a\"\n",
    );
    let r = run(&["rules", "check", &list]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("1 problem"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("[\"ChatOperational\", \"SMSOperational\"]"),
        "{}",
        r.stderr
    );
    let absence = write(
        dir.path(),
        "absence.toml",
        "[[rule]]\nid = \"z\"\ntitle = \"t\"\nseverity = \"warning\"\nwhen = 'category == \"SMSOperational\"'\nfollowed_by = 'category == \"SMSOperational\"'\nmessage = \"x\"\naction = \"a\"\n",
    );
    let r = run(&["rules", "check", &absence]);
    assert!(r.stderr.contains("[rule.absence]"), "{}", r.stderr);
}

#[test]
fn a_bad_threshold_and_an_unknown_placeholder_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "two.toml",
        "[[rule]]\nid = \"x\"\ntitle = \"t\"\nseverity = \"warning\"\nwhen = 'category == \"ChatOperational\"'\nthreshold = \"count >= x within 1m\"\nmessage = \"saw {nosuchthing}\"\naction = \"a\"\n",
    );
    let r = run(&["rules", "check", &file]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("2 problems"), "{}", r.stderr);
    assert!(r.stderr.contains("whole number"), "{}", r.stderr);
    assert!(r.stderr.contains("{nosuchthing}"), "{}", r.stderr);
}

#[test]
fn a_threshold_typo_gets_a_suggestion_not_a_missing_field() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "acs-triage.toml",
        "[thresholds.media.jiter]\nvalue = 30\n",
    );
    let r = run(&["analyze", "--config", &cfg, &repo_path("examples/logs")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown key `jiter`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean `media.jitter`?"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("missing field"), "{}", r.stderr);
}

#[test]
fn a_call_story_in_markdown_by_a_shortened_id_with_the_times_ids_gives() {
    let logs = repo_path("examples/logs");
    let md = run(&[
        "analyze", "--call", "c0ffee01", "--format", "markdown", &logs,
    ]);
    assert_eq!(md.code, 1, "{}", md.stderr);
    assert!(
        md.stdout
            .starts_with("# Call `c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a`"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("started 2026-11-20T15:10:05.120Z, lasted 120 s")
    );
    assert!(
        md.stdout
            .contains("storage-account/callsummary 2026-11-20T15 PT1H.json:2")
    );
    let ids = run(&[
        "ids",
        "--call",
        "c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a",
        &logs,
    ]);
    assert!(
        ids.stdout
            .contains("call from 2026-11-20T15:10:05.120Z to 2026-11-20T15:12:05.120Z"),
        "{}",
        ids.stdout
    );
    let ambiguous = run(&["analyze", "--call", "c0ffee0", &logs]);
    assert_eq!(ambiguous.code, 2);
    assert!(
        ambiguous.stderr.contains("6 calls have IDs starting with"),
        "{}",
        ambiguous.stderr
    );
}

#[test]
fn stream_measures_read_once() {
    let story = run(&[
        "analyze",
        "--call",
        "c0ffee02-2a4b-4c6d-8e0f-a1b2c3d4e5f6",
        &repo_path("examples/logs"),
    ]);
    assert!(!story.stdout.contains("packets packets"));
    assert!(!story.stdout.contains(" packets") || story.stdout.contains("packet count"));
}

#[test]
fn explain_by_product_with_links_and_the_pinned_source_on_request() {
    let all = run(&["explain", "401"]);
    assert!(all.stdout.contains("== Chat =="), "{}", all.stdout);
    assert!(all.stdout.contains("--product"), "{}", all.stdout);
    assert!(
        !all.stdout.contains("@c4427ca5"),
        "no pinned commits by default"
    );
    let chat = run(&["explain", "401", "--product", "chat"]);
    assert!(chat.stdout.contains("chat error"));
    assert!(!chat.stdout.contains("Call Automation"));
    assert!(
        chat.stdout.contains("docs: https://learn.microsoft.com/"),
        "{}",
        chat.stdout
    );
    let verbose = run(&["explain", "401", "--product", "chat", "--verbose"]);
    assert!(
        verbose.stdout.contains("source: MicrosoftDocs/azure-docs:"),
        "{}",
        verbose.stdout
    );
}

#[test]
fn bundles_never_overwrite_silently_and_say_they_stay_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("ticket.zip");
    std::fs::write(&zip, b"keep me").unwrap();
    let logs = repo_path("examples/logs");
    let refused = run(&["bundle", &logs, "-o", zip.to_str().unwrap()]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("exists already"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read(&zip).unwrap(), b"keep me");
    let forced = run(&[
        "--no-redact",
        "bundle",
        &logs,
        "-o",
        zip.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(
        forced.stdout.contains("always redacted"),
        "{}",
        forced.stdout
    );
}

#[test]
fn unanalyzed_records_name_their_files() {
    let r = run(&["analyze", &repo_path("tests/corpus/field")]);
    assert!(
        r.stdout
            .contains("1 record of no kind acs-triage analyzes (other loggers' lines, unknown categories): recorded-events/cancel-add-participant.json 1"),
        "{}",
        r.stdout
    );
}
