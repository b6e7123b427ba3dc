//! Every example in docs/rules.md is tested: rule files load and their tests pass, conditions
//! parse cleanly against the field vocabulary, broken conditions are refused, configuration
//! examples are accepted, and the `rules why` transcript is what the tool prints.

use acs_triage_core::analyzer::Context;
use acs_triage_core::catalog::Catalogs;
use acs_triage_core::rules::syntax::parse_expression;
use acs_triage_core::rules::{Vocabulary, load_rule_file, run_rule_tests};
use acs_triage_core::settings::Settings;
use acs_triage_tests::{repo_root, run};

/// (info string, body, line) of every fenced block.
fn blocks(markdown: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String, usize)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_owned(), String::new(), i + 1)),
            (Some(_), Some(rest)) if rest.trim().is_empty() => out.push(current.take().unwrap()),
            (Some((_, body, _)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

fn guide() -> String {
    std::fs::read_to_string(repo_root().join("docs/rules.md")).unwrap()
}

fn ctx() -> Context {
    Context::new(Catalogs::bundled().unwrap(), Settings::bundled().unwrap())
}

#[test]
fn rule_file_examples_load_and_pass_their_tests() {
    let mut count = 0;
    for (info, body, line) in blocks(&guide()) {
        if info != "toml rules" {
            continue;
        }
        count += 1;
        let rules = load_rule_file(
            &format!("docs/rules.md:{line}"),
            &body,
            &Vocabulary::bundled(),
        )
        .unwrap_or_else(|e| panic!("example at line {line}: {e:#?}"));
        for rule in &rules {
            assert!(!rule.tests.is_empty(), "example at line {line} has tests");
            for outcome in run_rule_tests(rule, &ctx()) {
                assert!(outcome.passed, "example at line {line}: {}", outcome.detail);
            }
        }
    }
    assert!(count >= 5, "the guide's rule examples were found ({count})");
}

#[test]
fn condition_examples_parse_and_broken_ones_fail() {
    let vocab = Vocabulary::bundled();
    let (mut good, mut bad) = (0, 0);
    for (info, body, line) in blocks(&guide()) {
        for condition in body.lines().filter(|l| !l.trim().is_empty()) {
            let (expr, errors) = parse_expression(condition);
            let unknown: Vec<String> = expr
                .paths()
                .iter()
                .filter_map(|p| p.head())
                .filter(|h| !vocab.contains(h))
                .map(str::to_owned)
                .collect();
            match info.as_str() {
                "text condition" => {
                    good += 1;
                    assert!(errors.is_empty(), "line {line}: `{condition}`: {errors:?}");
                    assert!(
                        unknown.is_empty(),
                        "line {line}: `{condition}`: unknown {unknown:?}"
                    );
                }
                "text bad-condition" => {
                    bad += 1;
                    assert!(
                        !errors.is_empty() || !unknown.is_empty(),
                        "line {line}: `{condition}` should be refused"
                    );
                }
                _ => {}
            }
        }
    }
    assert!(good >= 15 && bad >= 6, "{good} good, {bad} bad conditions");
}

#[test]
fn configuration_example_is_accepted() {
    let mut found = false;
    for (info, body, _) in blocks(&guide()) {
        if info != "toml config" {
            continue;
        }
        found = true;
        let dir = tempfile::tempdir().unwrap();
        // The example adds `my-rules`, which holds the guide's first rule.
        let (_, first_rule, _) = blocks(&guide())
            .into_iter()
            .find(|(i, _, _)| i == "toml rules")
            .unwrap();
        std::fs::create_dir(dir.path().join("my-rules")).unwrap();
        std::fs::write(dir.path().join("my-rules/throttling.toml"), first_rule).unwrap();
        let cfg = dir.path().join("acs-triage.toml");
        std::fs::write(&cfg, body).unwrap();
        let listed = run(&["rules", "list", "--config", cfg.to_str().unwrap()]);
        assert_eq!(listed.code, 0, "{}", listed.stderr);
        assert!(listed.stdout.contains("auth-requests-failing"));
        assert!(listed.stdout.contains("chat-throttled-burst"));
        assert!(listed.stdout.contains("disabled by configuration"));
    }
    assert!(found);
}

#[test]
fn rules_why_transcript_matches_the_tool() {
    let guide = guide();
    let blocks = blocks(&guide);
    let first_rule = blocks.iter().find(|(i, _, _)| i == "toml rules").unwrap();
    let transcript = blocks
        .iter()
        .find(|(i, body, _)| i == "text" && body.contains("→ the record does not match"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = dir.path().join("my-rules");
    std::fs::create_dir(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("throttling.toml"), &first_rule.1).unwrap();
    let why = run(&[
        "rules",
        "why",
        "chat-throttled-burst",
        "--rules",
        rules_dir.to_str().unwrap(),
        "--record",
        r#"{"category":"ChatOperational","resultSignature":"201"}"#,
    ]);
    let printed = why
        .stdout
        .replace(&format!("{}/", dir.path().to_string_lossy()), "");
    assert_eq!(printed, transcript.1);
}
