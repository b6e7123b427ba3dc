//! From findings to problems: the triage a reader would otherwise do by hand.
//!
//! A problem is one cause over one scope. Findings of the same kind and code are one problem
//! however many calls, messages or threads they concern; a pattern finding (one identity
//! failing on every call, a whole call failing at once, a throttled burst) takes in the
//! findings it explains ([`Explains`]) instead of standing beside them, and patterns of one
//! kind and code are one problem with everything they explain. Problems are ranked by
//! impact: live secrets first, then severity, then how many distinct calls, messages, threads
//! or users they touch, then recency; the problem key breaks ties, so the order never depends
//! on anything but the findings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::finding::{Finding, IdKind, IdValue, Severity};
use crate::health::{HealthLine, Unit, total};

/// The finding kind of live secrets in the inputs: always ranked first.
pub const SECRET_KIND: &str = "security/secret-in-logs";

/// How many of each kind of entity a problem touches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Affected {
    pub findings: u64,
    /// Occurrences over all its findings (records, requests, sends).
    pub occurrences: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub calls: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub participants: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub messages: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub threads: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub users: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub numbers: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub files: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Affected {
    /// The number that says how big the problem is: its widest count of distinct entities, or
    /// its occurrences when it names none.
    pub fn magnitude(&self) -> u64 {
        [
            self.calls,
            self.participants,
            self.messages,
            self.threads,
            self.users,
            self.numbers,
        ]
        .into_iter()
        .max()
        .filter(|m| *m > 0)
        .unwrap_or(self.occurrences)
    }

    /// `4 calls, 6 participants, 1 user` (the counts that are not zero).
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.calls, "call", "calls"),
            (self.participants, "participant", "participants"),
            (self.messages, "SMS message", "SMS messages"),
            (self.threads, "chat thread", "chat threads"),
            (self.users, "user", "users"),
            (self.numbers, "phone number", "phone numbers"),
            (self.files, "file", "files"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| crate::text::plural(n, one, many))
        .collect();
        if parts.is_empty() {
            crate::text::plural(self.occurrences, "occurrence", "occurrences")
        } else {
            parts.join(", ")
        }
    }
}

/// A problem's share of what the logs hold: `4 of 1,150 calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    pub count: u64,
    pub total: u64,
    pub unit: Unit,
}

impl Share {
    pub fn describe(&self) -> String {
        let (one, many) = self.unit.words();
        crate::text::share(self.count, self.total, one, many)
    }
}

/// One problem: a cause over a scope, the findings that make it, and how much it touches.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Stable within a report and across runs on the same findings.
    pub key: String,
    /// The finding kind of its leading finding.
    pub kind: String,
    pub severity: Severity,
    pub title: String,
    pub action: String,
    /// Indexes of its findings in the report's findings, the leading one first.
    pub findings: Vec<usize>,
    /// The finding kinds it holds, with how many findings of each.
    pub kinds: BTreeMap<String, u64>,
    pub affected: Affected,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<Share>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Up to three IDs to start from.
    pub examples: Vec<(IdKind, String)>,
}

/// Which finding (if any) explains each finding: the first in report order whose
/// [`Explains`](crate::finding::Explains) cover it, followed up to the pattern that is not
/// itself explained.
fn explained_by(findings: &[Box<Finding>]) -> Vec<Option<usize>> {
    // The findings that explain some of a kind, in report order, by that kind: a finding can
    // only be explained by those that name its kind (at 10×, 134,000 findings were each
    // compared with every pattern).
    let mut explainers: crate::FastMap<&str, Vec<usize>> = crate::FastMap::default();
    for (j, f) in findings.iter().enumerate() {
        for e in &f.explains {
            let of_kind = explainers.entry(e.kind.as_str()).or_default();
            if of_kind.last() != Some(&j) {
                of_kind.push(j);
            }
        }
    }
    let direct: Vec<Option<usize>> = findings
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            explainers
                .get(&*f.id)?
                .iter()
                .copied()
                .find(|&j| j != i && findings[j].explains.iter().any(|e| e.covers(f)))
        })
        .collect();
    (0..findings.len())
        .map(|i| {
            let mut at = direct[i]?;
            let mut steps = 0;
            while let Some(next) = direct[at] {
                steps += 1;
                if next == i || steps > findings.len() {
                    break;
                }
                at = next;
            }
            Some(at)
        })
        .collect()
}

/// The unit a finding kind is measured in, by the product it belongs to.
fn unit_of(kind: &str) -> Option<Unit> {
    let product = kind.split('/').next().unwrap_or(kind);
    match product {
        "calling" => Some(Unit::Calls),
        "call-automation" => Some(Unit::AutomationOperations),
        "sms" => Some(Unit::SmsMessages),
        "chat" => Some(Unit::ChatRequests),
        _ => None,
    }
}

/// Groups findings (in report order) into problems, ranked by impact.
pub fn problems(findings: &[Box<Finding>], health: &[HealthLine]) -> Vec<Problem> {
    let explained = explained_by(findings);
    // Findings that no pattern explains are grouped by kind and code (patterns too, each with
    // what it explains: twenty identities failing the same way are one problem). Secrets are
    // one problem.
    let mut group_of_root: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if explained[i].is_some() {
            continue;
        }
        let key = if f.id == SECRET_KIND {
            (f.id.to_string(), String::new())
        } else {
            (
                f.id.to_string(),
                f.code.as_deref().unwrap_or_default().to_owned(),
            )
        };
        let g = *group_of_root.entry(key).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[g].push(i);
    }
    let group_index: BTreeMap<usize, usize> = members
        .iter()
        .enumerate()
        .flat_map(|(g, list)| list.iter().map(move |&i| (i, g)))
        .collect();
    for (i, by) in explained.iter().enumerate() {
        if let Some(root) = by
            && let Some(&g) = group_index.get(root)
        {
            members[g].push(i);
        }
    }

    // Groups are built on every thread (the large ones hold thousands of findings each).
    let mut problems: Vec<Problem> = members
        .into_par_iter()
        .filter(|list| !list.is_empty())
        .map(|list| build(findings, list, health))
        .collect();
    problems.sort_by(|a, b| rank(a).cmp(&rank(b)));
    problems
}

fn rank(p: &Problem) -> impl Ord + '_ {
    (
        p.kind != SECRET_KIND,
        std::cmp::Reverse(p.severity),
        std::cmp::Reverse(p.affected.magnitude()),
        std::cmp::Reverse(p.last_seen),
        p.key.as_str(),
    )
}

fn build(findings: &[Box<Finding>], mut list: Vec<usize>, health: &[HealthLine]) -> Problem {
    // The lead: a pattern first, then the most severe, then report order.
    list.sort_by_key(|&i| {
        let f = &findings[i];
        (f.explains.is_empty(), std::cmp::Reverse(f.severity), i)
    });
    let lead = &findings[list[0]];
    // Distinct IDs per kind, ignoring case (packed, most hold no text of their own), and
    // distinct files: only counted, so hashed rather than ordered (a problem of a large run
    // has a hundred thousand findings, and this runs on one thread).
    let mut ids: crate::FastMap<IdKind, crate::FastSet<IdValue>> = crate::FastMap::default();
    let mut files: crate::FastSet<u32> = crate::FastSet::default();
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    let mut affected = Affected {
        findings: list.len() as u64,
        ..Affected::default()
    };
    let mut first_seen: Option<DateTime<Utc>> = None;
    let mut last_seen: Option<DateTime<Utc>> = None;
    let mut severity = lead.severity;
    for &i in &list {
        let f = &findings[i];
        severity = severity.max(f.severity);
        *kinds.entry(&f.id).or_default() += 1;
        affected.occurrences += f.occurrences.count.max(1);
        for (k, v) in f.ids().iter() {
            ids.entry(k).or_default().insert(v.folded());
        }
        for e in &f.occurrences.evidence {
            files.insert(e.origin.file.0);
        }
        if let Some(t) = f.occurrences.first {
            first_seen = Some(first_seen.map_or(t, |x| x.min(t)));
        }
        if let Some(t) = f.occurrences.last {
            last_seen = Some(last_seen.map_or(t, |x| x.max(t)));
        }
    }
    let count = |k: IdKind| ids.get(&k).map_or(0, |s| s.len() as u64);
    affected.calls = count(IdKind::CallId);
    affected.participants = count(IdKind::ParticipantId);
    affected.messages = count(IdKind::SmsMessageId);
    affected.threads = count(IdKind::ChatThreadId);
    affected.users = count(IdKind::UserId);
    affected.numbers = count(IdKind::PhoneNumber);
    if lead.id == SECRET_KIND {
        affected.files = files.len() as u64;
    }

    let share = unit_of(&lead.id).and_then(|unit| {
        let count = match unit {
            Unit::Calls => affected.calls,
            Unit::SmsMessages => affected.messages.max(if affected.messages == 0 {
                affected.occurrences
            } else {
                0
            }),
            _ => affected.occurrences,
        };
        let total = total(health, unit)?;
        (count > 0 && total > 0 && count <= total).then_some(Share { count, total, unit })
    });

    let mut examples = Vec::new();
    'outer: for kind in [
        IdKind::CallId,
        IdKind::SmsMessageId,
        IdKind::ChatThreadId,
        IdKind::UserId,
        IdKind::CallConnectionId,
        IdKind::PhoneNumber,
        IdKind::MsCv,
    ] {
        for &i in &list {
            if let Some(v) = findings[i].ids().get(&kind) {
                if !examples.iter().any(|(k, x)| *k == kind && *x == v) {
                    examples.push((kind, v.into_owned()));
                }
                if examples.len() == 3 {
                    break 'outer;
                }
            }
        }
        if !examples.is_empty() {
            break;
        }
    }

    let patterns = list
        .iter()
        .filter(|&&i| !findings[i].explains.is_empty())
        .count();
    let title = if list.len() > 1 && (lead.explains.is_empty() || patterns > 1) {
        format!("{} ({})", lead.title, affected.describe())
    } else {
        lead.title.to_string()
    };
    Problem {
        key: format!(
            "{}|{}|{}",
            lead.id,
            lead.code.as_deref().unwrap_or(""),
            examples
                .first()
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        ),
        kind: lead.id.to_string(),
        severity,
        title,
        action: lead.action.to_string(),
        findings: list,
        kinds: kinds.into_iter().map(|(k, n)| (k.to_owned(), n)).collect(),
        affected,
        share,
        first_seen,
        last_seen,
        examples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Evidence, Explains};
    use crate::record::{FileId, Origin};

    /// Findings as a run hands them over ([`crate::Output::findings`] are boxed).
    #[allow(clippy::vec_box)]
    fn boxed(findings: Vec<Finding>) -> Vec<Box<Finding>> {
        findings.into_iter().map(Box::new).collect()
    }

    fn finding(id: &str, severity: Severity, code: &str, ids: &[(IdKind, &str)]) -> Finding {
        let mut f = Finding::new(id.to_owned(), severity, format!("{id} {code}")).code(code);
        for (k, v) in ids {
            f = f.id_value(*k, Some(*v));
        }
        f.evidence(Evidence {
            origin: Origin {
                file: FileId(0),
                line: 1,
                index: None,
            },
            time: None,
            excerpt: Box::default(),
        })
    }

    #[test]
    fn same_kind_and_code_is_one_problem_and_patterns_take_in_what_they_explain() {
        let mut findings = vec![
            finding(
                "calling/end-reason",
                Severity::Error,
                "410/3112",
                &[(IdKind::CallId, "c1"), (IdKind::UserId, "u1")],
            ),
            finding(
                "calling/end-reason",
                Severity::Error,
                "410/3112",
                &[(IdKind::CallId, "c2"), (IdKind::UserId, "u1")],
            ),
            finding(
                "calling/end-reason",
                Severity::Error,
                "410/3112",
                &[(IdKind::CallId, "c3"), (IdKind::UserId, "u2")],
            ),
            finding(
                "calling/end-reason",
                Severity::Warning,
                "490/0",
                &[(IdKind::CallId, "c4")],
            ),
            finding("security/secret-in-logs", Severity::Info, "", &[]),
        ];
        let pattern = finding(
            "calling/repeated-failure",
            Severity::Warning,
            "410/3112",
            &[(IdKind::UserId, "u1")],
        )
        .explains(Explains {
            kind: "calling/end-reason".into(),
            code: Some("410/3112".into()),
            ids: vec![(IdKind::UserId, "u1".into())],
            window: None,
        });
        findings.push(pattern);
        let problems = problems(&boxed(findings), &[]);
        let shape: Vec<(&str, Vec<usize>)> = problems
            .iter()
            .map(|p| (p.kind.as_str(), p.findings.clone()))
            .collect();
        assert_eq!(
            shape,
            [
                // Secrets first, whatever their severity.
                ("security/secret-in-logs", vec![4]),
                // The identity's pattern holds its two calls; it leads its problem.
                ("calling/repeated-failure", vec![5, 0, 1]),
                ("calling/end-reason", vec![2]),
                ("calling/end-reason", vec![3]),
            ]
        );
        assert_eq!(
            problems[1].severity,
            Severity::Error,
            "the worst member's severity"
        );
        assert_eq!(problems[1].affected.calls, 2);
    }

    /// A finding is explained by the first finding in report order that explains its kind and
    /// covers it (never by itself), followed up to a pattern nothing explains; an explainer
    /// may explain several kinds.
    #[test]
    fn explained_by_the_first_pattern_of_its_kind_up_to_the_root() {
        let explains = |kind: &str, code: Option<&str>, ids: &[(IdKind, &str)]| Explains {
            kind: kind.into(),
            code: code.map(str::to_owned),
            ids: ids.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            window: None,
        };
        let u1 = [(IdKind::UserId, "u1")];
        let findings = vec![
            finding("calling/end-reason", Severity::Error, "A", &u1),
            finding(
                "calling/end-reason",
                Severity::Error,
                "A",
                &[(IdKind::UserId, "u2")],
            ),
            finding("calling/poor-stream", Severity::Warning, "", &u1),
            finding("x/pattern", Severity::Warning, "", &u1)
                .explains(explains("calling/end-reason", None, &u1))
                .explains(explains("calling/poor-stream", None, &u1))
                .explains(explains("calling/end-reason", Some("A"), &u1)),
            finding("x/pattern", Severity::Warning, "", &[]).explains(explains(
                "calling/end-reason",
                Some("A"),
                &[],
            )),
            finding("x/meta", Severity::Warning, "", &[]).explains(explains(
                "x/pattern",
                None,
                &[],
            )),
            finding("x/pattern", Severity::Warning, "", &[]).explains(explains(
                "x/pattern",
                None,
                &[],
            )),
            finding(
                "calling/end-reason",
                Severity::Error,
                "B",
                &[(IdKind::UserId, "u3")],
            ),
        ];
        let root = Some(5);
        assert_eq!(
            explained_by(&boxed(findings)),
            [root, root, root, root, root, None, root, None]
        );
    }

    #[test]
    fn shares_are_against_the_health_totals() {
        let findings = vec![
            finding(
                "calling/end-reason",
                Severity::Error,
                "410/3112",
                &[(IdKind::CallId, "c1")],
            ),
            finding(
                "calling/end-reason",
                Severity::Error,
                "410/3112",
                &[(IdKind::CallId, "c2")],
            ),
        ];
        let health = vec![HealthLine::new(0, "Calls", "1,150 calls").total(Unit::Calls, 1150)];
        let p = &problems(&boxed(findings), &health)[0];
        assert_eq!(
            p.share.as_ref().unwrap().describe(),
            "2 of 1,150 calls, 0.17 %"
        );
        assert_eq!(p.title, "calling/end-reason 410/3112 (2 calls)");
    }
}
