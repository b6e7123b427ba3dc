//! Running rules over records: the rule analyzer and the embedded-test runner.

use crate::FastMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::analyzer::{Analyzer, AnalyzerInfo, Context, Output, Pass, downcast_pass};
use crate::finding::{Evidence, Finding, IdKind, Occurrences, Severity};
use crate::ingest::record_from_json;
use crate::record::{Origin, OwnedFieldName, Record};
use crate::rules::eval::FieldRef;
use crate::rules::file::{Expect, Rule, RuleKind, RuleTest};
use crate::rules::syntax::{Piece, Threshold};
use crate::window;

/// Rules ready to run, indexed by the categories their conditions require.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Category in ASCII lower case (as bytes, so a lookup needs no `String`) → rules that
    /// require it.
    by_category: FastMap<Box<[u8]>, Vec<usize>>,
    /// Rules that can match any category.
    any_category: Vec<usize>,
    /// Per rule: fields shown in evidence (resolved once, looked up in every match).
    excerpt_fields: Vec<Vec<OwnedFieldName>>,
}

/// Clock difference tolerated between log sources when judging absences: a follow-up record up
/// to this long *before* the trigger still counts.
const SKEW_TOLERANCE_SECONDS: i64 = 60;

/// Above this many keys without their follow-up, an absence rule reports one finding with the
/// count and examples instead of one per key.
pub const ABSENCE_SPLIT_LIMIT: usize = 20;

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        let mut by_category: FastMap<Box<[u8]>, Vec<usize>> = FastMap::default();
        let mut any_category = Vec::new();
        let mut excerpt_fields = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            match rule.when.required_categories() {
                Some(cats) => {
                    for c in cats {
                        let list = by_category.entry(c.into_bytes().into()).or_default();
                        if !list.contains(&i) {
                            list.push(i);
                        }
                    }
                }
                None => any_category.push(i),
            }
            let mut fields: Vec<String> = rule
                .when
                .fields()
                .iter()
                .cloned()
                .chain(rule.group_by.iter().map(|f| f.name.clone()))
                .filter(|f| !f.eq_ignore_ascii_case("category"))
                .collect();
            fields.dedup();
            excerpt_fields.push(fields.iter().map(|f| OwnedFieldName::new(f)).collect());
        }
        RuleSet {
            rules,
            by_category,
            any_category,
            excerpt_fields,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Rules whose condition may hold for this record (the category prefilter).
    fn candidates<'s>(&'s self, record: &Record<'_>) -> impl Iterator<Item = usize> + 's {
        let by_cat = record
            .category
            .as_deref()
            .and_then(|c| self.rules_of_category(c))
            .unwrap_or(&[]);
        by_cat.iter().chain(self.any_category.iter()).copied()
    }

    /// The rules that require `category`, in any case. Category names are short: one that
    /// fits is lower-cased on the stack, not into a new `String` for every record.
    fn rules_of_category(&self, category: &str) -> Option<&[usize]> {
        crate::with_ascii_lowercase(category, |lower| self.by_category.get(lower))
            .map(Vec::as_slice)
    }
}

impl Rule {
    fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.message.iter().filter_map(|p| match p {
            Piece::Var(name, _) => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }
}

/// The rule analyzer: every loaded rule, run as one analyzer.
pub struct RuleAnalyzer {
    set: Arc<RuleSet>,
}

impl RuleAnalyzer {
    pub fn new(set: Arc<RuleSet>) -> Self {
        RuleAnalyzer { set }
    }
}

/// The ID the rules run under, as an analyzer.
pub const RULES_ANALYZER_ID: &str = "rules";

impl Analyzer for RuleAnalyzer {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: RULES_ANALYZER_ID,
            title: "Rules (bundled and user)",
            families: &[],
            findings: &[],
            tables: &[],
        }
    }

    fn start(&self, _ctx: &Context) -> Box<dyn Pass> {
        Box::new(RulesPass::new(self.set.clone()))
    }
}

mod absence;
mod findings;
mod pass;
mod tests;

use absence::*;
use findings::*;
pub use pass::RulesPass;
use pass::*;
pub use tests::{TestOutcome, run_rule_tests};

#[cfg(test)]
mod unit_tests {
    use super::*;
    use crate::catalog::Catalogs;
    use crate::rules::file::load_rule_file;
    use crate::rules::vocab::Vocabulary;
    use crate::settings::Settings;

    fn ctx() -> Context {
        Context::new(Catalogs::bundled().unwrap(), Settings::bundled().unwrap())
    }

    fn rules(text: &str) -> Vec<Rule> {
        load_rule_file("t.toml", text, &Vocabulary::bundled()).unwrap()
    }

    #[allow(clippy::vec_box)] // as `Output` holds them
    fn run(rules: Vec<Rule>, records: &[&str]) -> Vec<Box<Finding>> {
        let mut pass = RulesPass::new(Arc::new(RuleSet::new(rules)));
        let c = ctx();
        for (i, json) in records.iter().enumerate() {
            let mut r = record_from_json(json).unwrap();
            r.origin.index = Some(i as u64);
            pass.observe(&c, &r);
        }
        let mut out = Output::default();
        Box::new(pass).finish(&c, &mut out);
        out.findings
    }

    const BURST: &str = r#"
[[rule]]
id = "burst"
title = "Burst"
severity = "warning"
when = 'category == "ChatOperational" and resultSignature == 429'
group_by = ["UserId"]
threshold = "count >= 3 within 1m"
message = "{count} from {UserId} between {first} and {last}"
action = "Back off."
"#;

    fn chat(t: &str, user: &str, sig: u32) -> String {
        format!(
            r#"{{"time":"{t}","category":"ChatOperational","resultSignature":{sig},"properties":{{"UserId":"{user}"}}}}"#
        )
    }

    #[test]
    fn threshold_bursts() {
        let recs = [
            chat("2026-11-20T10:00:00Z", "u1", 429),
            chat("2026-11-20T10:00:20Z", "u1", 429),
            chat("2026-11-20T10:00:40Z", "u1", 429),
            chat("2026-11-20T10:00:41Z", "u1", 201),
            // A second, slower trickle for the same user: never 3 within a minute.
            chat("2026-11-20T11:00:00Z", "u1", 429),
            chat("2026-11-20T11:00:50Z", "u1", 429),
            chat("2026-11-20T11:01:55Z", "u1", 429),
            chat("2026-11-20T10:00:00Z", "u2", 429),
        ];
        let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
        let findings = run(rules(BURST), &refs);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message_text(),
            "3 from u1 between 2026-11-20T10:00:00.000Z and 2026-11-20T10:00:40.000Z"
        );
        assert_eq!(
            findings[0].ids().get(&IdKind::UserId).as_deref(),
            Some("u1")
        );
    }

    const ABSENCE: &str = r#"
[[rule]]
id = "no-report"
title = "No report"
severity = "warning"
when = 'operationName == "SMSMessagesSent"'
message = "{messageId} sent at {time} got no report within {within}"
action = "Enable delivery reports."

[rule.absence]
followed_by = 'exists(deliveryStatus)'
key = ["messageId"]
within = "10m"
"#;

    fn sent(t: &str, id: &str) -> String {
        format!(
            r#"{{"TimeGenerated":"{t}","Type":"ACSSMSIncomingOperations","OperationName":"SMSMessagesSent","MessageId":"{id}"}}"#
        )
    }

    fn report(t: &str, id: &str) -> String {
        format!(
            r#"{{"id":"{id}","subject":"/phonenumber/1","eventType":"Microsoft.Communication.SMSDeliveryReportReceived","eventTime":"{t}","data":{{"messageId":"{id}","deliveryStatus":"Delivered"}}}}"#
        )
    }

    #[test]
    fn absence_across_shapes_and_windows() {
        let recs = [
            sent("2026-11-20T10:00:00Z", "m1"),
            report("2026-11-20T10:00:05Z", "m1"),
            sent("2026-11-20T10:00:00Z", "m2"),
            sent("2026-11-20T10:01:00Z", "m3"),
            report("2026-11-20T10:30:00Z", "m3"),
            sent("2026-11-20T10:29:00Z", "m4"),
            report("2026-11-20T10:31:00Z", "x"),
        ];
        let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
        let findings = run(rules(ABSENCE), &refs);
        let main: Vec<&Box<Finding>> = findings.iter().filter(|f| f.id == "no-report").collect();
        assert_eq!(main.len(), 2, "{findings:#?}");
        assert!(
            main[0]
                .message_text()
                .starts_with("m2 sent at 2026-11-20T10:00:00.000Z")
        );
        assert_eq!(
            main[0].ids().get(&IdKind::SmsMessageId).as_deref(),
            Some("m2")
        );
        assert!(
            main[1].message_text().starts_with("m3"),
            "the late report is outside the window"
        );
        let pending = findings
            .iter()
            .find(|f| f.id == "no-report/too-recent")
            .unwrap();
        assert_eq!(
            pending.occurrences.count, 1,
            "m4 is too close to the end of the logs"
        );
    }

    #[test]
    fn embedded_tests_run() {
        let text = format!(
            "{BURST}\n[[rule.test]]\nrecord = '{}'\nexpect = \"match\"\n\n[[rule.test]]\nrecord = '{}'\nexpect = \"match\"\n\n[[rule.test]]\nrecords = ['{}', '{}', '{}']\nexpect = \"finding\"\n",
            chat("2026-11-20T10:00:00Z", "u", 429),
            chat("2026-11-20T10:00:00Z", "u", 201),
            chat("2026-11-20T10:00:00Z", "u", 429),
            chat("2026-11-20T10:00:01Z", "u", 429),
            chat("2026-11-20T10:00:02Z", "u", 429),
        );
        let rules = rules(&text);
        let outcomes = run_rule_tests(&rules[0], &ctx());
        assert_eq!(outcomes.len(), 3);
        assert!(outcomes[0].passed);
        assert!(!outcomes[1].passed);
        assert!(
            outcomes[1].detail.contains("resultSignature = 201"),
            "{}",
            outcomes[1].detail
        );
        assert!(outcomes[2].passed, "{}", outcomes[2].detail);
    }

    #[test]
    fn plain_rules_group_and_render_fields() {
        let text = r#"
[[rule]]
id = "unauthorized"
title = "Unauthorized"
severity = "error"
when = 'resultSignature == 401'
group_by = ["UserId"]
message = "{count} requests by {UserId} ({operationName}) refused"
action = "Refresh the token."
"#;
        let recs = [
            r#"{"time":"2026-11-20T10:00:00Z","category":"ChatOperational","operationName":"ListChatMessages","resultSignature":401,"properties":{"UserId":"u1"}}"#,
            r#"{"time":"2026-11-20T10:00:01Z","category":"ChatOperational","operationName":"SendChatMessage","resultSignature":401,"properties":{"UserId":"u1"}}"#,
        ];
        let findings = run(rules(text), &recs);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].message_text(),
            "2 requests by u1 (ListChatMessages) refused"
        );
    }

    #[test]
    fn durations_render_back() {
        assert_eq!(crate::text::duration_literal(3600.0), "1h");
        assert_eq!(crate::text::duration_literal(60.0), "1m");
        assert_eq!(crate::text::duration_literal(90.0), "90s");
        assert_eq!(crate::text::duration_literal(0.5), "500ms");
    }
}
