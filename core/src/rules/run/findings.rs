//! Findings of plain and threshold rules: messages from their templates, IDs from the
//! matching records.

use super::*;

pub(super) fn sorted<V>(map: FastMap<Vec<String>, V>) -> Vec<(Vec<String>, V)> {
    let mut v: Vec<_> = map.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Renders a rule's message.
pub(super) fn render(rule: &Rule, vars: &[(&str, String)], sample: Option<&Sample>) -> String {
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

pub(super) fn base_finding(rule: &Rule, message: String, severity: Severity) -> Finding {
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

pub(super) fn with_ids(mut f: Finding, sample: Option<&Sample>) -> Finding {
    if let Some(s) = sample {
        for (kind, v) in &s.ids {
            f = f.id_value(*kind, Some(v));
        }
    }
    f
}

pub(super) fn group_vars<'r>(rule: &'r Rule, key: &[String]) -> Vec<(&'r str, String)> {
    rule.group_by
        .iter()
        .map(|f| f.name.as_str())
        .zip(key.iter().cloned())
        .collect()
}

pub(super) fn match_finding(rule: &Rule, key: &[String], group: GroupMatches) -> Finding {
    let occ = group.occurrences;
    let sample = group.sample.map(|(_, s)| s);
    let mut vars = group_vars(rule, key);
    vars.push(("count", occ.count.to_string()));
    vars.push(("first", crate::text::when(occ.first)));
    vars.push(("last", crate::text::when(occ.last)));
    vars.push(("rule", rule.id.clone()));
    let message = render(rule, &vars, sample.as_ref());
    with_ids(base_finding(rule, message, rule.severity), sample.as_ref()).occurrences(occ)
}

/// Finds the bursts of a group: runs of matches no more than `within` apart in which some
/// window of `within` holds enough matches. Without `within`, the whole group is one run.
pub(super) fn threshold_findings(
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
        vars.push(("first", crate::text::when(occ.first)));
        vars.push(("last", crate::text::when(occ.last)));
        vars.push(("rule", rule.id.clone()));
        vars.push((
            "within",
            th.within
                .map(crate::text::duration_literal)
                .unwrap_or_else(|| "the logs".to_owned()),
        ));
        let message = render(rule, &vars, sample);
        out.push(with_ids(base_finding(rule, message, rule.severity), sample).occurrences(occ));
    }
}
