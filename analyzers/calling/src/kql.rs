//! The calling analyses as KQL (templates in `rules/kql/`), filled with this crate's catalog
//! and thresholds.

use std::collections::HashSet;

use acs_triage_core::analyzer::Context;
use acs_triage_core::catalog::{CodeTable, Judgement};
use acs_triage_core::dedup::TablesFile;
use acs_triage_core::kql::{KqlQuery, TemplateError, from_template, number, string_list};

use crate::settings::{PoorWhen, StreamKind};
use crate::{CALLING_END_REASONS, CallsSettings, MediaThresholds};

const END_REASONS: &str = include_str!("../../../rules/kql/calling-end-reasons.kql");
const REPEATED_FAILURE: &str = include_str!("../../../rules/kql/calling-repeated-failure.kql");
const POOR_STREAMS: &str = include_str!("../../../rules/kql/calling-poor-streams.kql");

/// The catalog's rows as the lists the end-reason queries test, first row of each key winning
/// (the configuration's rows come first), as decoding does.
fn end_reason_lists(table: &CodeTable) -> Vec<(&'static str, String)> {
    let mut seen = HashSet::new();
    let (mut normal_pairs, mut other_pairs) = (Vec::new(), Vec::new());
    let (mut normal_codes, mut other_codes, mut normal_subcodes) =
        (Vec::new(), Vec::new(), Vec::new());
    for e in &table.entries {
        if !seen.insert((e.code, e.subcode)) {
            continue;
        }
        let normal = e.severity == Judgement::Normal;
        match (e.code, e.subcode) {
            (Some(c), Some(s)) if normal => normal_pairs.push(format!("{c}/{s}")),
            (Some(c), Some(s)) => other_pairs.push(format!("{c}/{s}")),
            (Some(c), None) if normal => normal_codes.push(c),
            (Some(c), None) => other_codes.push(c),
            (None, Some(s)) if normal => normal_subcodes.push(s),
            _ => {}
        }
    }
    let ints = |v: Vec<i64>| {
        format!(
            "dynamic([{}])",
            v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        )
    };
    vec![
        (
            "normal_pairs",
            string_list(normal_pairs.iter().map(String::as_str)),
        ),
        (
            "other_pairs",
            string_list(other_pairs.iter().map(String::as_str)),
        ),
        ("normal_codes", ints(normal_codes)),
        ("other_codes", ints(other_codes)),
        ("normal_subcodes", ints(normal_subcodes)),
    ]
}

/// `calling/end-reason` and `calling/repeated-failure`.
pub fn calls(ctx: &Context) -> Result<Vec<KqlQuery>, TemplateError> {
    let mut vars = end_reason_lists(ctx.catalogs.get::<CodeTable>(&CALLING_END_REASONS));
    let repeated = ctx
        .settings
        .get::<CallsSettings>()
        .judgement
        .repeated_failure_threshold();
    vars.push(("repeated_failure_calls", repeated.to_string()));
    Ok(vec![
        from_template(
            "calling-end-reasons",
            "calling/end-reason",
            END_REASONS,
            &vars,
        )?,
        from_template(
            "calling-repeated-failure",
            "calling/repeated-failure",
            REPEATED_FAILURE,
            &vars,
        )?,
    ])
}

/// `calling/poor-stream`: one condition per threshold whose field ACSCallDiagnostics has.
pub fn media(ctx: &Context) -> Result<Vec<KqlQuery>, TemplateError> {
    let thresholds = ctx.settings.get::<MediaThresholds>();
    let diagnostics = TablesFile::bundled()
        .tables
        .iter()
        .find(|t| t.name == "ACSCallDiagnostics");
    let mut measures = Vec::new();
    let mut left_out = Vec::new();
    for (name, t) in &thresholds.0 {
        let column = diagnostics.and_then(|d| {
            d.columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&t.field))
        });
        let Some(column) = column else {
            left_out.push(format!("{name} ({})", t.field));
            continue;
        };
        let value = format!("todouble({})", column.name);
        let op = match t.poor_when {
            PoorWhen::Above => ">",
            PoorWhen::Below => "<",
            PoorWhen::Equal => "==",
        };
        const SCREEN: &str = "(MediaType contains \"screen\" or MediaType contains \"vbss\" or MediaType contains \"applicationsharing\")";
        // The kinds as the media analyzer tells them apart: screen sharing first, then video.
        let streams = match t.streams {
            StreamKind::All => String::new(),
            StreamKind::ScreenShare => format!(" and {SCREEN}"),
            StreamKind::Video => format!(" and MediaType contains \"video\" and not{SCREEN}"),
            StreamKind::Audio => format!(
                " and MediaType contains \"audio\" and not(MediaType contains \"video\") and not{SCREEN}"
            ),
        };
        measures.push(format!("({value} {op} {}{streams})", number(t.value)));
    }
    if left_out.is_empty() {
        left_out.push("none".to_owned());
    }
    if measures.is_empty() {
        measures.push("false".to_owned());
    }
    let vars = [
        ("poor", measures.join("\n    or ")),
        ("left_out", left_out.join(", ")),
    ];
    Ok(vec![from_template(
        "calling-poor-streams",
        "calling/poor-stream",
        POOR_STREAMS,
        &vars,
    )?])
}
