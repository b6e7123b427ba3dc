//! Findings of absence rules: triggers with no follow-up within the time allowed.

use super::*;

pub(super) fn absence_findings(
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
        vars.push(("first", crate::text::when(missing.first)));
        vars.push(("last", crate::text::when(missing.last)));
        vars.push(("time", crate::text::when(missing.first)));
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
                        crate::text::when(all_missing.first),
                        crate::text::when(all_missing.last),
                        examples.join(", ")
                    ),
                    rule.severity,
                ),
                first_sample.as_ref(),
            )
            .occurrences(all_missing),
        );
    } else {
        for finding in per_key {
            out.push(finding);
        }
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
