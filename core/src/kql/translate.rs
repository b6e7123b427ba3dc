//! Rules translated to KQL over the Log Analytics tables, keeping the rule language's meaning:
//! text compares ignoring case, numbers written as text compare as numbers, a missing field makes
//! a comparison false (Log Analytics stores a missing text as `""` and the text `"null"` occurs),
//! lists hold when any element does, `within` is a sliding window (a time-bounded self-join) and
//! absence is a left outer join on the key with the same window and one minute of clock skew.
//!
//! A rule is translated once per table it can read (its `category` tests pick the tables, or
//! every table with a column it names); `category` and `family` become constants of each table.
//! What cannot keep its meaning is refused with the place and the reason: a field with no column
//! in any table (one only Event Grid carries, HTTP headers, the file format), a regular
//! expression using a feature RE2 lacks, a field compared with a field by order.

mod columns;
mod condition;

use std::fmt;

use crate::classify::Classifier;
use crate::dedup::TablesFile;
use crate::rules::file::{Rule, RuleKind};
use crate::rules::syntax::{CmpOp, Expr, Path, Segment, parse_expression};

use super::{KqlQuery, TAG_COLUMN, seconds, string};
use columns::{Col, Leg, column_ref, no_column_reason, unreadable};
use condition::condition;

pub use condition::re2_gap;

/// A rule, or part of one, that has no KQL form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: String,
    pub file: String,
    pub line: usize,
    /// Which part of the rule: `when`, `followed_by`, `group_by`, `key`.
    pub part: &'static str,
    /// The text refused (a field, an operator, an expression).
    pub at: String,
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: rule {}: {} `{}`: {}",
            self.file, self.line, self.rule, self.part, self.at, self.reason
        )
    }
}

/// The tables a rule reads: those its `category` tests name, or every table in which some
/// field of the condition has a column.
fn legs<'t>(rule: &Rule, classifier: &Classifier, tables: &'t TablesFile) -> Vec<Leg<'t>> {
    let category_of = |table: &str| {
        classifier
            .category_names()
            .find(|(_, t, _)| t.eq_ignore_ascii_case(table))
            .map(|(name, _, family)| (name.to_owned(), family.name().to_owned()))
            .unwrap_or_else(|| (table.to_owned(), "unknown".to_owned()))
    };
    let all: Vec<Leg<'t>> = tables
        .tables
        .iter()
        .map(|t| {
            let (category, family) = category_of(&t.name);
            Leg {
                table: t,
                category,
                family,
            }
        })
        .collect();
    match rule.when.required_categories() {
        Some(categories) => all
            .into_iter()
            .filter(|l| {
                categories
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&l.category))
            })
            .collect(),
        None => {
            let (expr, _) = parse_expression(rule.when.text());
            let paths: Vec<Path> = expr.paths().into_iter().cloned().collect();
            all.into_iter()
                .filter(|l| {
                    paths.iter().any(|p| {
                        let virt = p.segments.len() == 1
                            && p.head().is_some_and(|h| {
                                ["category", "family", "time"]
                                    .iter()
                                    .any(|v| v.eq_ignore_ascii_case(h))
                            });
                        !virt && matches!(l.resolve(p), Ok(Col::Expr(..)))
                    })
                })
                .collect()
        }
    }
}

/// An output column name for a field as the rule names it (`properties.participantId` →
/// `participantId`).
fn output_name(field: &str) -> String {
    let last = field.rsplit('.').next().unwrap_or(field);
    let clean: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ["first", "last", "kind", "to", "from", "count"].contains(&clean.as_str()) {
        format!("{clean}_")
    } else {
        clean
    }
}

/// Parses a field name as a rule writes it into a path (for `group_by` and `key`).
fn field_path(name: &str) -> Path {
    let (expr, _) = parse_expression(&format!("exists({name})"));
    match expr {
        Expr::Exists(p, _) => p,
        _ => Path {
            segments: vec![Segment::Name(name.to_owned())],
            span: 0..name.len(),
        },
    }
}

/// Every table a condition reads, as one `union` of legs each projecting `fields`.
/// One condition of a rule and what its rows carry.
struct Side<'a, 't> {
    /// `when` or `followed_by`.
    part: &'static str,
    src: &'a str,
    legs: &'a [Leg<'t>],
    /// Group or key fields, carried in `Key_` columns.
    fields: &'a [String],
    /// Other fields the rule reads from the rows (message placeholders).
    also_reads: &'a [Path],
    /// Whether a table without the `fields` is left out (keys must join).
    required: bool,
}

fn union_of(
    rule: &Rule,
    side: Side<'_, '_>,
    refusals: &mut Vec<Refusal>,
) -> Option<(String, Vec<String>)> {
    let Side {
        part,
        src,
        legs,
        fields,
        also_reads,
        required,
    } = side;
    let (expr, _) = parse_expression(src);
    let refuse = |at: String, reason: String| Refusal {
        rule: rule.id.clone(),
        file: rule.file.clone(),
        line: rule.line,
        part,
        at,
        reason,
    };
    // A field no table has a column for never holds anywhere: say so rather than query nothing.
    let mut ok = true;
    for p in expr.paths() {
        let name = p.lookup_name();
        if let Some(why) = unreadable(p) {
            refusals.push(refuse(name, why));
            ok = false;
            continue;
        }
        let virt = p.segments.len() == 1
            && p.head().is_some_and(|h| {
                ["category", "family", "time"]
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(h))
            });
        let anywhere = virt || all_legs_have(p, legs);
        if !anywhere {
            refusals.push(refuse(name.clone(), no_column_reason(&name)));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let mut parts = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut reads: Vec<Path> = expr.paths().into_iter().cloned().collect();
    reads.extend(fields.iter().map(|f| field_path(f)));
    reads.extend(also_reads.iter().cloned());
    for leg in legs {
        // A table without the key fields never joins.
        if required
            && fields
                .iter()
                .any(|f| matches!(leg.resolve(&field_path(f)), Ok(Col::Missing)))
        {
            continue;
        }
        let cond = match condition(&expr, leg, src) {
            // This table never holds a match.
            Ok(c) if c == "false" => continue,
            Ok(c) => c,
            Err((span, why)) => {
                let at = src.get(span).unwrap_or(src).trim().to_owned();
                refusals.push(refuse(at, why));
                return None;
            }
        };
        // The rows come back whole, as the table's own rows (acs-triage reads their IDs as it
        // reads the table's), with the columns the rule reads as text (so that tables typing a
        // column differently still union) and its keys.
        let mut extend: Vec<String> = Vec::new();
        for p in &reads {
            if let Some(c) = leg.column_of(p)
                && c != "TimeGenerated"
                && c != "Type"
                && !extend.iter().any(|x| x.starts_with(&format!("{c} =")))
            {
                extend.push(format!("{c} = tostring({})", column_ref(c)));
            }
        }
        for c in &leg.table.columns {
            if !columns.iter().any(|x| x == &c.name) {
                columns.push(c.name.clone());
            }
        }
        for f in fields {
            let value = match leg.resolve(&field_path(f)) {
                Ok(Col::Expr(c, _)) => format!("tostring({c})"),
                Ok(Col::Const(v)) => string(&v),
                Ok(Col::Missing) => "\"\"".to_owned(),
                Err(why) => {
                    refusals.push(refuse(f.clone(), why));
                    return None;
                }
            };
            extend.push(format!("{} = {value}", key_name(f)));
        }
        let filter = if cond == "true" {
            String::new()
        } else {
            format!("\n    | where {cond}")
        };
        let extend = if extend.is_empty() {
            String::new()
        } else {
            format!("\n    | extend {}", extend.join(", "))
        };
        parts.push(format!(
            "({}\n    | where TimeGenerated between (since .. until){filter}{extend})",
            leg.table.name,
        ));
    }
    if parts.is_empty() {
        refusals.push(refuse(
            src.trim().to_owned(),
            "it names no category Log Analytics holds and no field any of its tables has"
                .to_owned(),
        ));
        return None;
    }
    columns.extend(fields.iter().map(|f| key_name(f)));
    Some((format!("union\n    {}", parts.join(",\n    ")), columns))
}

/// The column a group or key field is carried in (`Key_UserId`).
fn key_name(field: &str) -> String {
    format!("Key_{}", output_name(field))
}

/// True when some table has a column for `p`.
fn all_legs_have(p: &Path, legs: &[Leg<'_>]) -> bool {
    legs.iter()
        .any(|l| matches!(l.resolve(p), Ok(Col::Expr(..))))
}

/// The rule's KQL form, or every reason it has none.
pub fn translate(
    rule: &Rule,
    classifier: &Classifier,
    tables: &TablesFile,
) -> Result<KqlQuery, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let legs = legs(rule, classifier, tables);
    let groups: Vec<String> = rule.group_by.iter().map(|f| f.name.clone()).collect();
    let key_cols: Vec<String> = groups.iter().map(|g| key_name(g)).collect();
    let tag = format!("rule/{}", rule.id);
    let name = format!("rule-{}", rule.id);
    // Message placeholders name fields of the matching records: they come back too.
    let message_fields: Vec<Path> = rule
        .message
        .iter()
        .filter_map(|p| match p {
            crate::rules::syntax::Piece::Var(name, _) => Some(name.as_str()),
            crate::rules::syntax::Piece::Text(_) => None,
        })
        .filter(|n| !["count", "first", "last", "rule", "time", "within"].contains(n))
        .map(field_path)
        .collect();
    let tag_line = format!("| extend {TAG_COLUMN} = {}", string(&tag));
    // The matching rows of a match or threshold rule, with their groups.
    let matches_side = Side {
        part: "when",
        src: rule.when.text(),
        legs: &legs,
        fields: &groups,
        also_reads: &message_fields,
        required: false,
    };
    let (body, keys, mut columns) = match &rule.kind {
        RuleKind::Match => {
            let Some((matches, columns)) = union_of(rule, matches_side, &mut refusals) else {
                return Err(refusals);
            };
            (format!("{matches}\n{tag_line}"), key_cols.clone(), columns)
        }
        RuleKind::Threshold(t) => {
            let Some((matches, mut columns)) = union_of(rule, matches_side, &mut refusals) else {
                return Err(refusals);
            };
            let reach = match t.op {
                CmpOp::Gt => format!("> {}", t.count),
                CmpOp::Eq => format!("== {}", t.count),
                _ => format!(">= {}", t.count),
            };
            let mut join_keys = key_cols.clone();
            let keyed = if join_keys.is_empty() {
                join_keys.push("Key_All".to_owned());
                columns.push("Key_All".to_owned());
                "\n    | extend Key_All = \"all\""
            } else {
                ""
            };
            let on = join_keys.join(", ");
            // The groups that reach the threshold; their matching rows come back whole, and
            // acs-triage counts them again as it would the table.
            let reached = match t.within {
                // Sliding window: for each match, the matches of its group within the window
                // after it (a time-bounded self-join, exact where fixed bins are not).
                Some(w) => format!(
                    "matches\n    | join kind=inner (matches | project {on}, Later = TimeGenerated) on {on}\n    | where Later between (TimeGenerated .. (TimeGenerated + {}))\n    | summarize InWindow = count() by TimeGenerated, {on}\n    | where InWindow {reach}\n    | distinct {on}",
                    seconds(w)
                ),
                None => format!(
                    "matches\n    | summarize Count = count() by {on}\n    | where Count {reach}\n    | project {on}"
                ),
            };
            let body = format!(
                "let matches = {matches}{keyed};\nlet reached = {reached};\nmatches\n| join kind=leftsemi (reached) on {on}\n{tag_line}"
            );
            (body, join_keys, columns)
        }
        RuleKind::Absence(a) => {
            let keys: Vec<String> = a.key.iter().map(|k| k.name.clone()).collect();
            let key_cols: Vec<String> = keys.iter().map(|k| key_name(k)).collect();
            let follow_legs = {
                // The follow-up may come from any table (its own category test picks them).
                let mut probe = rule.clone();
                probe.when = a.followed_by.clone();
                self::legs(&probe, classifier, tables)
            };
            let triggers = union_of(
                rule,
                Side {
                    part: "when",
                    src: rule.when.text(),
                    legs: &legs,
                    fields: &keys,
                    also_reads: &message_fields,
                    required: true,
                },
                &mut refusals,
            );
            let follow = union_of(
                rule,
                Side {
                    part: "followed_by",
                    src: a.followed_by.text(),
                    legs: &follow_legs,
                    fields: &keys,
                    also_reads: &[],
                    required: true,
                },
                &mut refusals,
            );
            let (Some((triggers, mut columns)), Some((follow, follow_columns))) =
                (triggers, follow)
            else {
                return Err(refusals);
            };
            for c in follow_columns {
                if !columns.contains(&c) {
                    columns.push(c);
                }
            }
            // The follow-up may come after `until`: its query reaches `within` further.
            let follow = follow.replace(
                "between (since .. until)",
                &format!("between (since .. (until + {}))", seconds(a.within)),
            );
            let on = key_cols.join(", ");
            let present = key_cols
                .iter()
                .map(|k| format!("isnotempty({k})"))
                .collect::<Vec<_>>()
                .join(" and ");
            // The triggers with no follow-up in the window come back whole, with the newest
            // follow-up of the range: it tells acs-triage where the logs end, so triggers too
            // recent to judge stay so.
            let body = format!(
                "let triggers = {triggers}\n    | where {present};\nlet followups = {follow}\n    | where {present};\nlet missed = triggers\n    | join kind=leftouter (followups | project {on}, FollowedAt = TimeGenerated) on {on}\n    | summarize Followed = countif(FollowedAt between ((TimeGenerated - 1m) .. (TimeGenerated + {w}))) by TimeGenerated, {on}\n    | where Followed == 0\n    | project TimeGenerated, {on};\nlet newest_followup = followups\n    | where TimeGenerated <= until\n    | top 1 by TimeGenerated desc;\nunion (triggers | join kind=leftsemi (missed) on TimeGenerated, {on}), newest_followup\n{tag_line}",
                w = seconds(a.within),
            );
            (body, key_cols, columns)
        }
    };
    columns.push(TAG_COLUMN.to_owned());
    Ok(KqlQuery {
        name,
        feeds: tag,
        also_feeds: Vec::new(),
        description: rule.title.clone(),
        keys,
        columns,
        body,
    })
}
