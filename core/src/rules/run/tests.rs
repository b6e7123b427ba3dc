//! The tests written beside rules (`rules test`).

use super::*;

/// The outcome of one embedded test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    pub rule: String,
    pub file: String,
    pub line: usize,
    pub passed: bool,
    /// Why a failed test failed.
    pub detail: String,
}

/// Runs one rule's embedded tests.
pub fn run_rule_tests(rule: &Rule, ctx: &Context) -> Vec<TestOutcome> {
    rule.tests.iter().map(|t| run_test(rule, t, ctx)).collect()
}

fn run_test(rule: &Rule, test: &RuleTest, ctx: &Context) -> TestOutcome {
    let outcome = |passed: bool, detail: String| TestOutcome {
        rule: rule.id.clone(),
        file: rule.file.clone(),
        line: test.line,
        passed,
        detail,
    };
    match test.expect {
        Expect::Match | Expect::NoMatch => {
            let Some(json) = test.records.first() else {
                return outcome(false, "no record".to_owned());
            };
            let record = match record_from_json(json) {
                Ok(r) => r,
                Err(e) => return outcome(false, e),
            };
            let (matched, trace) = rule.when.trace(&record);
            let want = test.expect == Expect::Match;
            let detail = if matched == want {
                String::new()
            } else {
                let steps: Vec<String> = trace
                    .iter()
                    .map(|l| {
                        format!(
                            "{}{} {}{}",
                            "  ".repeat(l.depth),
                            if l.result { "true " } else { "false" },
                            l.text,
                            if l.detail.is_empty() {
                                String::new()
                            } else {
                                format!("  ({})", l.detail)
                            }
                        )
                    })
                    .collect();
                format!(
                    "expected {} but the condition was {}:\n{}",
                    if want { "a match" } else { "no match" },
                    matched,
                    steps.join("\n")
                )
            };
            outcome(matched == want, detail)
        }
        Expect::Finding | Expect::NoFinding => {
            let set = Arc::new(RuleSet::new(vec![rule.clone()]));
            let mut pass = RulesPass::new(set);
            for (i, json) in test.records.iter().enumerate() {
                match record_from_json(json) {
                    Ok(mut r) => {
                        r.origin = Origin {
                            file: r.origin.file,
                            line: 0,
                            index: Some(i as u64),
                        };
                        pass.observe(ctx, &r);
                    }
                    Err(e) => return outcome(false, format!("record {i}: {e}")),
                }
            }
            let mut output = Output::default();
            Box::new(pass).finish(ctx, &mut output);
            let found: Vec<&Finding> = output
                .findings
                .iter()
                .map(|f| &**f)
                .filter(|f| f.id == rule.id)
                .collect();
            let want = test.expect == Expect::Finding;
            let detail = if found.is_empty() == want {
                format!(
                    "expected {} but the rule produced {}",
                    if want { "a finding" } else { "no finding" },
                    if found.is_empty() {
                        "none".to_owned()
                    } else {
                        found
                            .iter()
                            .map(|f| format!("\"{}\"", f.message_text()))
                            .collect::<Vec<_>>()
                            .join("; ")
                    }
                )
            } else {
                String::new()
            };
            outcome(found.is_empty() != want, detail)
        }
    }
}
