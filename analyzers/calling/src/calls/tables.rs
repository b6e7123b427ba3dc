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

/// The timeline rows of the calls whose failures came first, ordered by (first join, call),
/// at most [`TIMELINE_CALLS`]: each call's rows are made when it is accounted and kept only
/// while it is among the first, so a large run does not hold every failed call's spans to the
/// end to show twenty of them. The first of two sets joined are the first of each, joined.
/// A call accounted twice (records came for it after it was judged) shows twice, in the
/// order it was accounted, as each state of it is a call the table counts.
#[derive(Default)]
pub(crate) struct Timeline {
    /// Each state's rows, by (first join, call).
    calls: BTreeMap<(i64, CallKey), Vec<Vec<Vec<String>>>>,
    /// States held, at most [`TIMELINE_CALLS`].
    held: usize,
}

impl Timeline {
    /// Notes a call whose records are all read: its rows if it ended badly and is among the
    /// first.
    pub(crate) fn note(&mut self, key: &CallKey, call: &CallState) {
        if call.spans.is_empty()
            || !call
                .parts
                .iter()
                .any(|p| p.end.judgement >= Judgement::Warning)
        {
            return;
        }
        let first = call
            .parts
            .iter()
            .filter_map(|p| call.spans.iter().find(|s| s.key == p.key))
            .map(|s| s.start_ms)
            .min()
            .unwrap_or(i64::MAX);
        // Full, and it would come last (after the states of its own call already held).
        if self.held == TIMELINE_CALLS
            && self
                .calls
                .last_key_value()
                .is_some_and(|(last, _)| (first, key) >= (last.0, &last.1))
        {
            return;
        }
        self.calls
            .entry((first, key.clone()))
            .or_default()
            .push(timeline_rows(key, call));
        self.held += 1;
        self.trim();
    }

    /// Joins another set; states of one call keep this set's first.
    pub(crate) fn merge(&mut self, other: Timeline) {
        for (key, states) in other.calls {
            self.held += states.len();
            self.calls.entry(key).or_default().extend(states);
        }
        self.trim();
    }

    fn trim(&mut self) {
        while self.held > TIMELINE_CALLS {
            let Some(mut last) = self.calls.last_entry() else {
                break;
            };
            last.get_mut().pop();
            if last.get().is_empty() {
                last.remove();
            }
            self.held -= 1;
        }
    }

    /// Who was in each badly ended call and when, for the calls whose failures came first.
    pub(crate) fn table(self) -> Table {
        let mut table = TIMELINE.table();
        for row in self.calls.into_values().flatten().flatten() {
            table.push(row);
        }
        table
    }
}

/// One call's timeline rows: each CallSummary participant with a span, in order of joining.
fn timeline_rows(key: &CallKey, call: &CallState) -> Vec<Vec<String>> {
    let time = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
            .unwrap_or_default()
    };
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
    rows.into_iter().map(|(_, row)| row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call whose one participant joined at `start_ms` and ended as `judgement` says.
    fn call(start_ms: i64, judgement: Judgement) -> CallState {
        let mut call = CallState::default();
        call.parts.push(Part {
            key: 1,
            alt: 0,
            identity: 0,
            sdk: 0,
            os: 0,
            app: 0,
            endpoint: 0,
            from_summary: true,
            redacted_versions: false,
            end: End {
                code: 500,
                subcode: 0,
                version: 0,
                judgement,
                detail: None,
            },
        });
        call.spans.push(Span {
            key: 1,
            start_ms,
            end_ms: start_ms + 1_000,
            who: Who::Unnamed,
        });
        call
    }

    /// The calls of the table's rows (one row per call here: each has one participant).
    fn shown(timeline: Timeline) -> Vec<String> {
        timeline
            .table()
            .rows
            .into_iter()
            .map(|r| r[0].clone())
            .collect()
    }

    /// However the failed calls come (out of order, split between workers whose sets are then
    /// joined), the table holds the first twenty by join time and call ID, and nothing else.
    #[test]
    fn timeline_holds_the_first_failed_calls_however_they_come() {
        let id = |n: i64| format!("call-{n:03}");
        // 60 failed calls noted in a scrambled order over three sets; healthy calls between.
        let mut sets = [
            Timeline::default(),
            Timeline::default(),
            Timeline::default(),
        ];
        for i in 0..60i64 {
            let n = (i * 37) % 60;
            let set = &mut sets[(n % 3) as usize];
            set.note(&CallKey::exact(&id(n)), &call(n * 1_000, Judgement::Error));
            set.note(
                &CallKey::exact(&format!("ok-{n}")),
                &call(0, Judgement::Normal),
            );
        }
        // Two calls joining at the same time are ordered by ID.
        sets[2].note(&CallKey::exact("call-000a"), &call(0, Judgement::Warning));
        // A call accounted twice (a record came after it was judged) shows twice.
        sets[1].note(&CallKey::exact(&id(5)), &call(5_000, Judgement::Error));
        let [mut all, b, c] = sets;
        all.merge(c);
        all.merge(b);
        let mut expected: Vec<String> = vec![id(0), "call-000a".to_owned()];
        expected.extend((1..=5).map(id));
        expected.push(id(5));
        expected.extend((6..18).map(id));
        assert_eq!(shown(all), expected);
    }
}
