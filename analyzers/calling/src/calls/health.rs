//! The calls' share of the health overview: how many calls and participants the logs hold, how
//! many ended normally, and how that splits by endpoint type, SDK, OS and app version (the
//! `calling/health` table).

use super::*;

use acs_triage_core::health::{HealthLine, Unit};
use acs_triage_core::text::{group_digits, percent, plural};
use acs_triage_core::{Column, TableKind};

/// Participants with a CallSummary ending, by how it was judged.
#[derive(Debug, Default)]
pub(super) struct Participants {
    pub(super) all: u64,
    pub(super) normal: u64,
    pub(super) info: u64,
    pub(super) failed: u64,
}

/// Participants by endpoint type, SDK, OS and app version (`analyze --table calling/health`).
pub static HEALTH: TableKind = TableKind {
    id: "calling/health",
    title: "Calls: participants by endpoint type, SDK, OS and app version",
    doc: "For each endpoint type, SDK version, OS and app version seen in CallSummary, how many participants it had and how many of them ended with a warning or an error.",
    columns: &[
        Column::text("dimension"),
        Column::text("value"),
        Column::integer("participants"),
        Column::integer("failed"),
        Column::text("failed share"),
    ],
};

const DIMENSIONS: [&str; 4] = ["endpoint type", "SDK", "OS", "app"];

pub(super) fn health(
    ctx: &Context,
    versions: &BTreeMap<(&'static str, u32), (u32, u32)>,
    names: &FastMap<u32, String>,
    calls: usize,
    p: &Participants,
    out: &mut Output,
) {
    let rows = |dimension: &str| {
        let mut rows: Vec<(&str, u32, u32)> = versions
            .iter()
            .filter(|((d, _), _)| *d == dimension)
            .map(|((_, h), (n, failed))| (names.get(h).map_or("?", String::as_str), *n, *failed))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        rows
    };
    if ctx.wants_table(&HEALTH) {
        let mut table = HEALTH.table();
        for dimension in DIMENSIONS {
            for (value, n, failed) in rows(dimension) {
                table.push(vec![
                    dimension.to_owned(),
                    value.to_owned(),
                    n.to_string(),
                    failed.to_string(),
                    percent(u64::from(failed), u64::from(n)),
                ]);
            }
        }
        out.table(table);
    }
    if calls == 0 && p.all == 0 {
        return;
    }
    let text = if p.all == 0 {
        format!(
            "{}; no CallSummary records, so how they ended is unknown",
            plural(calls as u64, "call", "calls")
        )
    } else {
        let by_type: Vec<String> = rows("endpoint type")
            .into_iter()
            .map(|(t, n, failed)| {
                format!(
                    "{t} {}{}",
                    group_digits(u64::from(n)),
                    if failed > 0 {
                        format!(" ({} failed)", group_digits(u64::from(failed)))
                    } else {
                        String::new()
                    }
                )
            })
            .collect();
        format!(
            "{}, {}: {} ended normally ({}), {} failed{}{}",
            plural(calls as u64, "call", "calls"),
            plural(p.all, "participant", "participants"),
            group_digits(p.normal),
            percent(p.normal, p.all),
            group_digits(p.failed),
            if p.info > 0 {
                format!(", {} ended in a way worth knowing", group_digits(p.info))
            } else {
                String::new()
            },
            if by_type.is_empty() {
                String::new()
            } else {
                format!("; {}", by_type.join(", "))
            }
        )
    };
    out.health(
        HealthLine::new(10, "Calls", text)
            .total(Unit::Calls, calls as u64)
            .total(Unit::Participants, p.all),
    );
}
