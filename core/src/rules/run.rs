//! Running rules over records: the rule analyzer and the embedded-test runner.

use crate::FastMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::analyzer::{Analyzer, AnalyzerInfo, Context, Output, Pass, downcast_pass};
use crate::finding::{Evidence, Finding, IdKind, Occurrences, Severity};
use crate::ingest::record_from_json;
use crate::record::{Origin, Record};
use crate::rules::eval::Field;
use crate::rules::file::{Expect, Rule, RuleKind, RuleTest};
use crate::rules::syntax::{Piece, Threshold};
use crate::window;

/// Rules ready to run, indexed by the categories their conditions require.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Lower-case category → rules that require it.
    by_category: FastMap<String, Vec<usize>>,
    /// Rules that can match any category.
    any_category: Vec<usize>,
    /// Per rule: fields shown in evidence.
    excerpt_fields: Vec<Vec<String>>,
}

/// Clock difference tolerated between log sources when judging absences: a follow-up record up
/// to this long *before* the trigger still counts.
const SKEW_TOLERANCE_SECONDS: i64 = 60;

/// Above this many keys without their follow-up, an absence rule reports one finding with the
/// count and examples instead of one per key.
pub const ABSENCE_SPLIT_LIMIT: usize = 20;

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        let mut by_category: FastMap<String, Vec<usize>> = FastMap::default();
        let mut any_category = Vec::new();
        let mut excerpt_fields = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            match rule.when.required_categories() {
                Some(cats) => {
                    for c in cats {
                        let list = by_category.entry(c).or_default();
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
            excerpt_fields.push(fields);
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
            .and_then(|c| self.by_category.get(&c.to_ascii_lowercase()))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        by_cat.iter().chain(self.any_category.iter()).copied()
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

impl Analyzer for RuleAnalyzer {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: "rules",
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

/// Values a finding needs from the record it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Sample {
    ids: Vec<(IdKind, String)>,
    /// Placeholder name (lower case) → value.
    values: Vec<(String, String)>,
}

impl Sample {
    fn take(record: &Record<'_>, rule: &Rule) -> Sample {
        let mut ids = Vec::new();
        let mut add = |kind: IdKind, v: Option<std::borrow::Cow<'_, str>>| {
            if let Some(v) = v {
                ids.push((kind, v.into_owned()));
            }
        };
        add(IdKind::CallId, record.call_id());
        add(IdKind::ServerCallId, record.server_call_id());
        add(IdKind::CallConnectionId, record.call_connection_id());
        add(IdKind::ParticipantId, record.participant_id());
        add(IdKind::SmsMessageId, record.sms_message_id());
        add(IdKind::ChatThreadId, record.chat_thread_id());
        add(IdKind::UserId, record.user_id());
        add(IdKind::MsCv, record.ms_cv());
        add(IdKind::ClientRequestId, record.client_request_id());
        let values = rule
            .placeholders()
            .map(|name| {
                let value = if record.is_body(name) {
                    crate::record::BODY_NOT_SHOWN.to_owned()
                } else {
                    Field::named(name).get(record).text().into_owned()
                };
                (name.to_ascii_lowercase(), value)
            })
            .collect();
        Sample { ids, values }
    }
}

/// Matches of one group of a plain rule.
#[derive(Debug, Clone, Default)]
struct GroupMatches {
    occurrences: Occurrences,
    /// Sample of the earliest match (with its evidence, to keep the choice order-independent).
    sample: Option<(Evidence, Sample)>,
}

impl GroupMatches {
    fn add(&mut self, evidence: Evidence, sample: Sample) {
        if self.sample.as_ref().is_none_or(|(e, _)| evidence < *e) {
            self.sample = Some((evidence.clone(), sample));
        }
        self.occurrences.add(evidence);
    }

    fn merge(&mut self, other: GroupMatches) {
        if let Some((e, s)) = other.sample {
            if self.sample.as_ref().is_none_or(|(mine, _)| e < *mine) {
                self.sample = Some((e, s));
            }
        }
        self.occurrences.merge(other.occurrences);
    }
}

/// One match of a threshold rule.
#[derive(Debug, Clone)]
struct Hit {
    evidence: Evidence,
    sample: Sample,
}

/// One trigger of an absence rule.
#[derive(Debug, Clone)]
struct Trigger {
    evidence: Evidence,
    sample: Sample,
}

#[derive(Debug)]
enum RuleState {
    Match(FastMap<Vec<String>, GroupMatches>),
    Threshold(FastMap<Vec<String>, Vec<Hit>>),
    Absence {
        triggers: FastMap<Vec<String>, Vec<Trigger>>,
        follow_ups: FastMap<Vec<String>, Vec<Option<DateTime<Utc>>>>,
    },
}

/// The rules' state on one worker.
pub struct RulesPass {
    set: Arc<RuleSet>,
    states: Vec<RuleState>,
    /// Latest record time seen (absences are only judged where the logs cover the window).
    latest: Option<DateTime<Utc>>,
}

fn key_of(fields: &[Field], record: &Record<'_>) -> Vec<String> {
    fields
        .iter()
        .map(|f| f.get(record).text().into_owned())
        .collect()
}

impl RulesPass {
    pub fn new(set: Arc<RuleSet>) -> RulesPass {
        let states = set
            .rules
            .iter()
            .map(|r| match r.kind {
                RuleKind::Match => RuleState::Match(FastMap::default()),
                RuleKind::Threshold(_) => RuleState::Threshold(FastMap::default()),
                RuleKind::Absence(_) => RuleState::Absence {
                    triggers: FastMap::default(),
                    follow_ups: FastMap::default(),
                },
            })
            .collect();
        RulesPass {
            set,
            states,
            latest: None,
        }
    }
}

impl Pass for RulesPass {
    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        if let Some(t) = record.time {
            self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        }
        let set = self.set.clone();
        // Absence follow-ups are looked for in every record whatever their category.
        for (i, rule) in set.rules.iter().enumerate() {
            if let (RuleKind::Absence(a), RuleState::Absence { follow_ups, .. }) =
                (&rule.kind, &mut self.states[i])
            {
                if a.followed_by.matches(record) {
                    follow_ups
                        .entry(key_of(&a.key, record))
                        .or_default()
                        .push(record.time);
                }
            }
        }
        for i in set.candidates(record) {
            let rule = &set.rules[i];
            if !rule.when.matches(record) {
                continue;
            }
            let evidence = Evidence::from_record(record, &as_strs(&set.excerpt_fields[i]));
            let sample = Sample::take(record, rule);
            match (&rule.kind, &mut self.states[i]) {
                (RuleKind::Match, RuleState::Match(groups)) => {
                    groups
                        .entry(key_of(&rule.group_by, record))
                        .or_default()
                        .add(evidence, sample);
                }
                (RuleKind::Threshold(_), RuleState::Threshold(groups)) => {
                    groups
                        .entry(key_of(&rule.group_by, record))
                        .or_default()
                        .push(Hit { evidence, sample });
                }
                (RuleKind::Absence(a), RuleState::Absence { triggers, .. }) => {
                    triggers
                        .entry(key_of(&a.key, record))
                        .or_default()
                        .push(Trigger { evidence, sample });
                }
                _ => {}
            }
        }
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        let other = downcast_pass::<RulesPass>(other);
        self.latest = match (self.latest, other.latest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (mine, theirs) in self.states.iter_mut().zip(other.states) {
            match (mine, theirs) {
                (RuleState::Match(a), RuleState::Match(b)) => {
                    for (k, g) in b {
                        a.entry(k).or_default().merge(g);
                    }
                }
                (RuleState::Threshold(a), RuleState::Threshold(b)) => {
                    for (k, hits) in b {
                        a.entry(k).or_default().extend(hits);
                    }
                }
                (
                    RuleState::Absence {
                        triggers: ta,
                        follow_ups: fa,
                    },
                    RuleState::Absence {
                        triggers: tb,
                        follow_ups: fb,
                    },
                ) => {
                    for (k, v) in tb {
                        ta.entry(k).or_default().extend(v);
                    }
                    for (k, v) in fb {
                        fa.entry(k).or_default().extend(v);
                    }
                }
                _ => {}
            }
        }
    }

    fn finish(self: Box<Self>, _ctx: &Context, out: &mut Output) {
        let latest = self.latest;
        for (rule, state) in self.set.rules.iter().zip(self.states) {
            match (&rule.kind, state) {
                (RuleKind::Match, RuleState::Match(groups)) => {
                    for (key, group) in sorted(groups) {
                        out.push(match_finding(rule, &key, group));
                    }
                }
                (RuleKind::Threshold(th), RuleState::Threshold(groups)) => {
                    for (key, hits) in sorted(groups) {
                        threshold_findings(rule, th, &key, hits, out);
                    }
                }
                (
                    RuleKind::Absence(a),
                    RuleState::Absence {
                        triggers,
                        follow_ups,
                    },
                ) => absence_findings(rule, a, triggers, follow_ups, latest, out),
                _ => {}
            }
        }
    }
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn sorted<V>(map: FastMap<Vec<String>, V>) -> Vec<(Vec<String>, V)> {
    let mut v: Vec<_> = map.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Renders a rule's message.
fn render(rule: &Rule, vars: &[(&str, String)], sample: Option<&Sample>) -> String {
    let mut out = String::new();
    for piece in &rule.message {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name, _) => {
                let lower = name.to_ascii_lowercase();
                let value = vars
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&lower))
                    .map(|(_, v)| v.clone())
                    .or_else(|| {
                        sample.and_then(|s| {
                            s.values
                                .iter()
                                .find(|(k, _)| *k == lower)
                                .map(|(_, v)| v.clone())
                        })
                    })
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| format!("(no {name})"));
                out.push_str(&value);
            }
        }
    }
    out
}

use crate::text::when as time_text;

fn base_finding(rule: &Rule, message: String, severity: Severity) -> Finding {
    let mut f = Finding::new(rule.id.clone(), severity, rule.title.clone())
        .message(message)
        .action(rule.action.clone())
        .source(match &rule.reference {
            Some(r) => format!("{}:{} ({r})", rule.file, rule.line),
            None => format!("{}:{}", rule.file, rule.line),
        });
    if let Some(docs) = &rule.docs {
        f = f.docs(docs.clone());
    }
    f
}

fn with_ids(mut f: Finding, sample: Option<&Sample>) -> Finding {
    if let Some(s) = sample {
        for (kind, v) in &s.ids {
            f = f.id_value(*kind, Some(v));
        }
    }
    f
}

fn group_vars<'r>(rule: &'r Rule, key: &[String]) -> Vec<(&'r str, String)> {
    rule.group_by
        .iter()
        .map(|f| f.name.as_str())
        .zip(key.iter().cloned())
        .collect()
}

fn match_finding(rule: &Rule, key: &[String], group: GroupMatches) -> Finding {
    let occ = group.occurrences;
    let sample = group.sample.map(|(_, s)| s);
    let mut vars = group_vars(rule, key);
    vars.push(("count", occ.count.to_string()));
    vars.push(("first", time_text(occ.first)));
    vars.push(("last", time_text(occ.last)));
    vars.push(("rule", rule.id.clone()));
    let message = render(rule, &vars, sample.as_ref());
    with_ids(base_finding(rule, message, rule.severity), sample.as_ref()).occurrences(occ)
}

/// Finds the bursts of a group: runs of matches no more than `within` apart in which some
/// window of `within` holds enough matches. Without `within`, the whole group is one run.
fn threshold_findings(
    rule: &Rule,
    th: &Threshold,
    key: &[String],
    mut hits: Vec<Hit>,
    out: &mut Output,
) {
    hits.sort_by(|a, b| a.evidence.cmp(&b.evidence));
    let runs: Vec<&[Hit]> = match th.within {
        None => vec![&hits[..]],
        Some(secs) => {
            let width = (secs * 1000.0) as i64;
            let times: Vec<i64> = hits
                .iter()
                .map_while(|h| h.evidence.time.map(|t| t.timestamp_millis()))
                .collect();
            window::runs(&times, width)
                .into_iter()
                .filter(|run| th.reached(window::busiest(&times[run.clone()], width).0 as u64))
                .map(|run| &hits[run])
                .collect()
        }
    };
    for run in runs {
        if th.within.is_none() && !th.reached(run.len() as u64) {
            continue;
        }
        let mut occ = Occurrences::default();
        for h in run {
            occ.add(h.evidence.clone());
        }
        let sample = run.first().map(|h| &h.sample);
        let mut vars = group_vars(rule, key);
        vars.push(("count", occ.count.to_string()));
        vars.push(("first", time_text(occ.first)));
        vars.push(("last", time_text(occ.last)));
        vars.push(("rule", rule.id.clone()));
        vars.push((
            "within",
            th.within
                .map(format_seconds)
                .unwrap_or_else(|| "the logs".to_owned()),
        ));
        let message = render(rule, &vars, sample);
        out.push(with_ids(base_finding(rule, message, rule.severity), sample).occurrences(occ));
    }
}

pub use crate::text::duration_literal as format_seconds;

fn absence_findings(
    rule: &Rule,
    a: &crate::rules::file::Absence,
    triggers: FastMap<Vec<String>, Vec<Trigger>>,
    follow_ups: FastMap<Vec<String>, Vec<Option<DateTime<Utc>>>>,
    latest: Option<DateTime<Utc>>,
    out: &mut Output,
) {
    let window = Duration::milliseconds((a.within * 1000.0) as i64);
    let skew = Duration::seconds(SKEW_TOLERANCE_SECONDS);
    let mut undecided = Occurrences::default();
    let mut per_key: Vec<Finding> = Vec::new();
    let mut all_missing = Occurrences::default();
    let mut examples: Vec<String> = Vec::new();
    let mut first_sample: Option<Sample> = None;
    for (key, mut list) in sorted(triggers) {
        list.sort_by(|x, y| x.evidence.cmp(&y.evidence));
        let follows = follow_ups.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let mut missing = Occurrences::default();
        let mut sample = None;
        for trigger in list {
            let t0 = trigger.evidence.time;
            let satisfied = follows.iter().any(|f| match (t0, f) {
                (Some(t0), Some(t)) => *t >= t0 - skew && *t <= t0 + window,
                // Without times the window cannot be checked: a follow-up counts.
                _ => true,
            });
            if satisfied {
                continue;
            }
            let judgeable = match (t0, latest) {
                (Some(t0), Some(latest)) => t0 + window <= latest,
                _ => true,
            };
            if judgeable {
                if sample.is_none() {
                    sample = Some(trigger.sample.clone());
                }
                missing.add(trigger.evidence);
            } else {
                undecided.add(trigger.evidence);
            }
        }
        if missing.count == 0 {
            continue;
        }
        all_missing.merge(missing.clone());
        if examples.len() < 3 {
            examples.push(key.join("/"));
        }
        if first_sample.is_none() {
            first_sample = sample.clone();
        }
        let mut vars: Vec<(&str, String)> = a
            .key
            .iter()
            .map(|f| f.name.as_str())
            .zip(key.iter().cloned())
            .collect();
        vars.push(("count", missing.count.to_string()));
        vars.push(("first", time_text(missing.first)));
        vars.push(("last", time_text(missing.last)));
        vars.push(("time", time_text(missing.first)));
        vars.push(("within", a.within_text.clone()));
        vars.push(("rule", rule.id.clone()));
        let message = render(rule, &vars, sample.as_ref());
        per_key.push(
            with_ids(base_finding(rule, message, rule.severity), sample.as_ref())
                .occurrences(missing),
        );
    }
    if per_key.len() > ABSENCE_SPLIT_LIMIT {
        // So many keys without a follow-up is one problem (a missing feed, a setting off), not
        // thousands: one finding with the count and examples.
        let keys = per_key.len();
        out.push(
            with_ids(
                base_finding(
                    rule,
                    format!(
                        "{keys} keys ({} records) matched this rule with no follow-up within {}, from {} to {} (for example {}): the expected records are missing across the board, not here and there.",
                        all_missing.count,
                        a.within_text,
                        time_text(all_missing.first),
                        time_text(all_missing.last),
                        examples.join(", ")
                    ),
                    rule.severity,
                ),
                first_sample.as_ref(),
            )
            .occurrences(all_missing),
        );
    } else {
        out.findings.extend(per_key);
    }
    if undecided.count > 0 {
        let n = undecided.count;
        out.push(
            Finding::new(
                format!("{}/too-recent", rule.id),
                Severity::Info,
                format!("{}: not judged, the logs end too soon", rule.title),
            )
            .message(format!(
                "{n} record{} matched rule {} less than {} before the last record of the logs, so whether the expected follow-up came cannot be told",
                if n == 1 { "" } else { "s" },
                rule.id,
                a.within_text
            ))
            .action("Collect logs that extend past the window (or rerun later) to judge these records.")
            .source(format!("{}:{}", rule.file, rule.line))
            .occurrences(undecided),
        );
    }
}

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
            let found: Vec<&Finding> = output.findings.iter().filter(|f| f.id == rule.id).collect();
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
                            .map(|f| format!("\"{}\"", f.message))
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

#[cfg(test)]
mod tests {
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

    fn run(rules: Vec<Rule>, records: &[&str]) -> Vec<Finding> {
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
            findings[0].message,
            "3 from u1 between 2026-11-20T10:00:00.000Z and 2026-11-20T10:00:40.000Z"
        );
        assert_eq!(findings[0].ids[&IdKind::UserId], "u1");
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
        let main: Vec<&Finding> = findings.iter().filter(|f| f.id == "no-report").collect();
        assert_eq!(main.len(), 2, "{findings:#?}");
        assert!(
            main[0]
                .message
                .starts_with("m2 sent at 2026-11-20T10:00:00.000Z")
        );
        assert_eq!(main[0].ids[&IdKind::SmsMessageId], "m2");
        assert!(
            main[1].message.starts_with("m3"),
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
            findings[0].message,
            "2 requests by u1 (ListChatMessages) refused"
        );
    }

    #[test]
    fn durations_render_back() {
        assert_eq!(format_seconds(3600.0), "1h");
        assert_eq!(format_seconds(60.0), "1m");
        assert_eq!(format_seconds(90.0), "90s");
        assert_eq!(format_seconds(0.5), "500ms");
    }
}
