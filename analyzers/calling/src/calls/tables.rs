//! The calling tables: end reasons counted over every call, and who was in each call that
//! ended badly, and when.

use super::*;

use acs_triage_core::{Column, TableKind};

/// The end reasons of every participant, counted (`analyze --table calling/end-reasons`; the
/// HTML report charts it).
pub static END_REASONS: TableKind = TableKind {
    id: "calling/end-reasons",
    title: "Call end reasons",
    doc: "How many participants ended each way, normal endings included, with the severity and meaning of each code.",
    columns: &[
        Column::text("end reason"),
        Column::text("severity"),
        Column::integer("participants"),
        Column::text("meaning"),
    ],
};

/// Participants' time in the calls that ended badly (`analyze --table calling/timeline`; the
/// HTML report draws it).
pub static TIMELINE: TableKind = TableKind {
    id: "calling/timeline",
    title: "Calls that ended badly: who was in them, and when",
    doc: "For the calls whose failures came first (up to 20), when each participant joined and left, and how each ended.",
    columns: &[
        Column::text("call ID"),
        Column::text("participant"),
        Column::text("joined (UTC)"),
        Column::text("left (UTC)"),
        Column::text("end reason"),
        Column::text("severity"),
    ],
};
/// Calls in the timeline table (the earliest failures first).
const TIMELINE_CALLS: usize = 20;

/// Participants per end reason, over every call.
pub(super) fn end_reasons_table(
    ctx: &Context,
    counts: &BTreeMap<(i64, Option<i64>), (Judgement, u64)>,
) -> Table {
    type Reason = (i64, Option<i64>);
    let mut rows: Vec<(Reason, (Judgement, u64))> = counts.iter().map(|(k, v)| (*k, *v)).collect();
    rows.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(&b.0)));
    let mut table = END_REASONS.table();
    for ((code, sub), (judgement, n)) in rows {
        let meaning = ctx
            .catalogs
            .get::<CodeTable>(&CALLING_END_REASONS)
            .decode(code, sub)
            .map(|d| d.entry.meaning.clone())
            .unwrap_or_default();
        table.push(vec![
            sub.map_or(code.to_string(), |s| format!("{code}/{s}")),
            judgement.name().to_owned(),
            n.to_string(),
            meaning,
        ]);
    }
    table
}

/// Who was in each badly ended call and when, for the calls whose failures came first.
pub(super) fn timeline_table(calls: &[(CallKey, Box<CallState>)]) -> Table {
    let mut table = TIMELINE.table();
    let mut failing: Vec<(i64, &CallKey, &CallState)> = calls
        .iter()
        .filter(|(_, c)| {
            c.parts
                .iter()
                .any(|p| p.end.judgement >= Judgement::Warning)
        })
        .map(|(k, c)| {
            let first = c
                .parts
                .iter()
                .filter_map(|p| c.spans.iter().find(|s| s.key == p.key))
                .map(|s| s.start_ms)
                .min()
                .unwrap_or(i64::MAX);
            (first, k, &**c)
        })
        .collect();
    failing.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    let time = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
            .unwrap_or_default()
    };
    for (_, key, call) in failing.into_iter().take(TIMELINE_CALLS) {
        let call_id = key.text();
        let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
        for p in call.parts.iter().filter(|p| p.from_summary) {
            let Some(span) = call.spans.iter().find(|s| s.key == p.key) else {
                continue;
            };
            let reason = p.end.sub().map_or(p.end.code().to_string(), |s| {
                format!("{}/{s}", p.end.code())
            });
            rows.push((
                span.start_ms,
                vec![
                    call_id.clone(),
                    span.who.label(),
                    time(span.start_ms),
                    time(span.end_ms),
                    reason,
                    p.end.judgement.name().to_owned(),
                ],
            ));
        }
        rows.sort();
        for (_, row) in rows {
            table.push(row);
        }
    }
    table
}
