//! HTML: one self-contained file (inline CSS, inline SVG charts, a few lines of script for the
//! severity filter; no network fetches) for people to look at: the summary, charts of end
//! reasons, findings over time, stream quality against the thresholds and SMS outcomes, the
//! calls that ended badly as timelines, and every finding with its action, IDs and evidence.
//! Markup comes from `maud`, which escapes every value, so log content cannot inject markup.

use std::collections::BTreeMap;
use std::io::{self, Write};

use acs_triage_core::Severity;
use acs_triage_core::table::{Table, TableKind};
use chrono::{DateTime, Timelike, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::svg::{self, Bar, Bucket, Lane};
use super::{FindingOut, Report, group_digits, human_bytes, place_short, plural};

/// The tables the report draws (asked for from the analyzers when the format is HTML).
pub const CHART_TABLES: [&TableKind; 5] = [
    &acs_triage_calling::calls::tables::END_REASONS,
    &acs_triage_calling::calls::tables::TIMELINE,
    &acs_triage_calling::media::QUALITY,
    &acs_triage_sms::tables::OUTCOMES,
    &acs_triage_calling::calls::HEALTH,
];

const CSS: &str = r#"
:root { --error: #c62828; --warning: #ef6c00; --info: #1565c0; --muted: #607d8b; --line: #e0e0e0; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #212121; background: #fafafa; }
header { background: #263238; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #cfd8dc; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 32px 48px; }
section { margin-top: 28px; }
h2 { font-size: 18px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 130px; }
.card b { display: block; font-size: 22px; }
.card.error b { color: var(--error); } .card.warning b { color: var(--warning); } .card.info b { color: var(--info); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
.wide { grid-column: 1 / -1; }
.finding { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--muted); border-radius: 6px; margin: 10px 0; padding: 8px 14px; }
.finding.error { border-left-color: var(--error); } .finding.warning { border-left-color: var(--warning); } .finding.info { border-left-color: var(--info); }
.finding summary { cursor: pointer; font-weight: 600; }
.badge { display: inline-block; font-size: 11px; font-weight: 700; color: #fff; border-radius: 3px; padding: 1px 6px; margin-right: 6px; }
.badge.error { background: var(--error); } .badge.warning { background: var(--warning); } .badge.info { background: var(--info); }
.id { color: var(--muted); font-weight: 400; font-family: ui-monospace, monospace; font-size: 12px; }
.action { background: #e8f5e9; border-radius: 4px; padding: 6px 10px; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
td, th { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
code, .mono { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.evidence { color: #455a64; font-size: 12px; }
.filters button { margin-right: 6px; padding: 4px 10px; border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
.filters button[aria-pressed="true"] { background: #263238; color: #fff; }
.note { color: var(--muted); }
.problem { margin-top: 18px; }
.problem h3 { font-size: 15px; margin: 8px 0 2px; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
"#;

/// Marks the page as rendered (browser tests look for it), records script errors, and filters
/// findings by severity.
const SCRIPT: &str = r#"
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push(String(e.message));
    document.documentElement.setAttribute('data-errors', errors.join(' | '));
  });
  document.addEventListener('DOMContentLoaded', function () {
    var buttons = document.querySelectorAll('.filters button');
    buttons.forEach(function (b) {
      b.addEventListener('click', function () {
        var on = b.getAttribute('aria-pressed') !== 'true';
        b.setAttribute('aria-pressed', on ? 'true' : 'false');
        var shown = {};
        buttons.forEach(function (x) { shown[x.dataset.severity] = x.getAttribute('aria-pressed') === 'true'; });
        document.querySelectorAll('.finding').forEach(function (f) {
          f.style.display = shown[f.dataset.severity] ? '' : 'none';
        });
      });
    });
    document.documentElement.setAttribute('data-rendered', 'yes');
  });
})();
"#;

fn severity_class(s: Severity) -> &'static str {
    s.name()
}

fn color_of(severity_name: &str) -> &'static str {
    match severity_name {
        "error" => svg::ERROR,
        "warning" => svg::WARNING,
        "info" => svg::INFO,
        _ => svg::NORMAL,
    }
}

fn table<'r>(report: &'r Report, kind: &TableKind) -> Option<&'r Table> {
    report.tables.iter().find(|t| t.id == kind.id)
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let count = |sev| s.findings.get(&sev).copied().unwrap_or(0);
    let range = match (&s.first_record, &s.last_record) {
        (Some(a), Some(b)) => format!(
            "records from {} to {} UTC",
            a.format("%Y-%m-%d %H:%M:%S"),
            b.format("%Y-%m-%d %H:%M:%S")
        ),
        _ => "no record has a time".to_owned(),
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "acs-triage report" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { "acs-triage report" }
                    p {
                        (report.tool.name) " " (report.tool.version) ": "
                        (plural(s.files, "input file", "input files")) ", "
                        (human_bytes(s.bytes)) ", " (plural(s.records, "record", "records"))
                        @if s.rejected > 0 { " (" (group_digits(s.rejected)) " rejected)" }
                        "; " (range)
                    }
                }
                main {
                    (health(report))
                    section id="summary" {
                        h2 { "Summary" }
                        @if let Some(nothing) = super::nothing_read(report) {
                            p class="note" { b { (nothing) } }
                        }
                        div class="cards" {
                            div class="card" { b { (report.problems.len()) } "problems" }
                            div class="card error" { b { (count(Severity::Error)) } "error findings" }
                            div class="card warning" { b { (count(Severity::Warning)) } "warning findings" }
                            div class="card info" { b { (count(Severity::Info)) } "info findings" }
                            @for (family, n) in &s.families {
                                div class="card" { b { (group_digits(*n)) } (family.name()) " records" }
                            }
                        }
                    }
                    (problem_list(report))
                    (inputs(report))
                    (charts(report))
                    (timelines(report))
                    (findings(report))
                    (other_tables(report))
                    footer {
                        "Made by " (report.tool.name) " " (report.tool.version)
                        ". Secrets and phone numbers in this report are redacted unless it was made with --no-redact."
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    out.write_all(page.into_string().as_bytes())?;
    writeln!(out)
}

/// The health overview: what the logs hold in all, then participants by endpoint type, SDK,
/// OS and app version.
fn health(report: &Report) -> Markup {
    let by_dimension = table(report, CHART_TABLES[4]).filter(|t| !t.rows.is_empty());
    html! {
        @if !report.health.is_empty() {
            section id="health" {
                h2 { "Health" }
                table {
                    @for h in &report.health {
                        tr { th { (h.area) } td { (h.text) } }
                    }
                }
                @if let Some(t) = by_dimension {
                    details {
                        summary { "Participants by endpoint type, SDK, OS and app version" }
                        (plain_table(t))
                    }
                }
            }
        }
    }
}

/// The problems ranked by impact, each linking to its card.
fn problem_list(report: &Report) -> Markup {
    html! {
        @if !report.problems.is_empty() {
            section id="problems" {
                h2 { "Problems, most impact first (" (report.problems.len()) ")" }
                table {
                    tr { th { "#" } th { "severity" } th { "affected" } th { "problem" } th { "share" } }
                    @for p in &report.problems {
                        tr {
                            td { (p.rank) }
                            td { span class={ "badge " (severity_class(p.severity)) } { (p.severity.name().to_uppercase()) } }
                            td { (super::problem_scope(p)) }
                            td { a href={ "#problem-" (p.rank) } { (p.title) } }
                            td { @if let Some(share) = &p.share { (share.text) } }
                        }
                    }
                }
            }
        }
    }
}

fn plain_table(t: &Table) -> Markup {
    html! {
        table {
            tr { @for c in &t.columns { th { (c) } } }
            @for row in &t.rows {
                tr { @for cell in row { td { (cell) } } }
            }
        }
    }
}

fn inputs(report: &Report) -> Markup {
    let attention = report.inputs_needing_attention();
    html! {
        @if !attention.is_empty() {
            section id="inputs" {
                h2 { "Inputs that need attention" }
                table {
                    tr { th { "file" } th { "format" } th { "read" } th { "note" } }
                    @for f in attention {
                        tr {
                            td class="mono" { (f.path) }
                            td { (f.format.as_deref().unwrap_or("-")) }
                            td { (group_digits(f.records)) " records, " (group_digits(f.rejected)) " rejected" }
                            td {
                                @if let Some(n) = &f.note { (n) }
                                @for e in f.errors.iter().take(5) {
                                    div class="evidence" {
                                        @if let Some(l) = e.line { "line " (l) ": " }
                                        (e.message)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn charts(report: &Report) -> Markup {
    html! {
        section id="charts" {
            h2 { "Charts" }
            div class="charts" {
                figure id="chart-end-reasons" {
                    figcaption { "Call end reasons that are problems (participants)" }
                    @match end_reason_bars(report) {
                        Some((svg, normal)) => {
                            @if svg.is_empty() {
                                p class="note" { "No participant ended in a way that is a problem." }
                            } @else {
                                (PreEscaped(svg))
                            }
                            p class="note" { "Besides these, " (group_digits(normal)) " participants ended normally (not drawn)." }
                        }
                        None => p class="note" { "No CallSummary end reasons in these logs." },
                    }
                }
                figure id="chart-sms" {
                    figcaption { "SMS delivery outcomes (messages)" }
                    @match sms_bars(report) {
                        Some(svg) => (PreEscaped(svg)),
                        None => p class="note" { "No SMS messages in these logs." },
                    }
                }
                figure id="chart-over-time" class="wide" {
                    figcaption { "Findings over time, per hour" }
                    @match findings_over_time(report) {
                        Some(svg) => (PreEscaped(svg)),
                        None => p class="note" { "No finding has a time." },
                    }
                }
                figure id="chart-stream-quality" class="wide" {
                    figcaption { "Stream quality against the thresholds (every stream measured, log scale so a single poor stream shows; red is the poor side)" }
                    @let plots = stream_histograms(report);
                    @if plots.is_empty() {
                        p class="note" { "No CallDiagnostics stream measurements in these logs." }
                    } @else {
                        div class="charts" { @for p in plots { div { (PreEscaped(p)) } } }
                    }
                }
            }
        }
    }
}

/// End reasons that are problems, as bars; the normal endings are counted in the caption
/// rather than drawn, so a few failures are never squashed beside thousands of normal calls.
fn end_reason_bars(report: &Report) -> Option<(String, u64)> {
    let t = table(report, CHART_TABLES[0])?;
    if t.rows.is_empty() {
        return None;
    }
    fn text<'t>(t: &'t Table, r: &'t [String], column: &str) -> &'t str {
        t.text(r, column).unwrap_or("")
    }
    let normal: u64 = t
        .rows
        .iter()
        .filter(|r| text(t, r, "severity") == "normal")
        .map(|r| t.int(r, "participants").unwrap_or(0) as u64)
        .sum();
    let bars: Vec<Bar> = t
        .rows
        .iter()
        .filter(|r| text(t, r, "severity") != "normal")
        .take(15)
        .map(|r| Bar {
            label: format!("{} ({})", text(t, r, "end reason"), text(t, r, "severity")),
            value: t.int(r, "participants").unwrap_or(0) as u64,
            color: color_of(text(t, r, "severity")),
            tooltip: format!("{}: {}", text(t, r, "end reason"), text(t, r, "meaning")),
        })
        .collect();
    if bars.is_empty() {
        return Some((String::new(), normal));
    }
    Some((
        svg::bars("Call end reasons that are problems", &bars),
        normal,
    ))
}

fn sms_bars(report: &Report) -> Option<String> {
    let t = table(report, CHART_TABLES[3])?;
    if t.rows.is_empty() {
        return None;
    }
    let bars: Vec<Bar> = t
        .rows
        .iter()
        .map(|r| {
            let outcome = t.text(r, "outcome").unwrap_or("");
            let count = t.int(r, "messages").unwrap_or(0);
            Bar {
                label: outcome.to_owned(),
                value: count as u64,
                color: match outcome {
                    "delivered" => svg::GOOD,
                    o if o.starts_with("failed") || o.starts_with("refused") => svg::ERROR,
                    o if o.starts_with("pending") => svg::INFO,
                    _ => svg::WARNING,
                },
                tooltip: format!("{outcome}: {count}"),
            }
        })
        .collect();
    Some(svg::bars("SMS delivery outcomes", &bars))
}

fn findings_over_time(report: &Report) -> Option<String> {
    let mut bins: BTreeMap<DateTime<Utc>, [u64; 3]> = BTreeMap::new();
    for f in &report.findings {
        let Some(super::report::Stamp(t)) = f.first_seen else {
            continue;
        };
        let hour = t
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(t);
        let slot = match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        };
        bins.entry(hour).or_default()[slot] += 1;
    }
    if bins.is_empty() {
        return None;
    }
    // Every hour between the first and the last, so gaps show.
    let first = *bins.keys().next()?;
    let last = *bins.keys().last()?;
    let hours = ((last - first).num_hours() as usize).min(24 * 31);
    let series: Vec<(String, [u64; 3])> = (0..=hours)
        .map(|h| {
            let t = first + chrono::Duration::hours(h as i64);
            (
                t.format("%m-%d %H:00").to_string(),
                bins.get(&t).copied().unwrap_or_default(),
            )
        })
        .collect();
    Some(svg::over_time("Findings over time", &series))
}

fn stream_histograms(report: &Report) -> Vec<String> {
    let Some(t) = table(report, CHART_TABLES[2]) else {
        return Vec::new();
    };
    let mut by_measure: BTreeMap<&str, Vec<&Vec<String>>> = BTreeMap::new();
    for row in &t.rows {
        by_measure
            .entry(t.text(row, "measure").unwrap_or(""))
            .or_default()
            .push(row);
    }
    by_measure
        .into_iter()
        .map(|(measure, rows)| {
            let first = rows[0];
            let unit = t.text(first, "unit").unwrap_or("");
            let poor_above = t.text(first, "poor when") == Some("above");
            let threshold = t.number(first, "threshold").unwrap_or(0.0);
            let buckets: Vec<Bucket> = rows
                .iter()
                .map(|r| Bucket {
                    from: t.number(r, "from").unwrap_or(0.0),
                    to: t.number(r, "to"),
                    count: t.int(r, "streams").unwrap_or(0) as u64,
                })
                .collect();
            svg::histogram(measure, unit, threshold, poor_above, &buckets)
        })
        .collect()
}

fn timelines(report: &Report) -> Markup {
    let Some(t) = table(report, CHART_TABLES[1]) else {
        return html! {};
    };
    let mut calls: Vec<(&str, Vec<Lane>)> = Vec::new();
    let ms = |text: &str| {
        acs_triage_core::time::parse_timestamp(&text.replacen(' ', "T", 1))
            .map(|t| t.timestamp_millis())
    };
    for row in &t.rows {
        let cell = |column| t.text(row, column).unwrap_or("");
        let (Some(start), Some(end)) = (ms(cell("joined (UTC)")), ms(cell("left (UTC)"))) else {
            continue;
        };
        let lane = Lane {
            who: cell("participant").to_owned(),
            start_ms: start,
            end_ms: end,
            reason: cell("end reason").to_owned(),
            color: color_of(cell("severity")),
        };
        let call = cell("call ID");
        match calls.iter_mut().find(|(id, _)| *id == call) {
            Some((_, lanes)) => lanes.push(lane),
            None => calls.push((call, vec![lane])),
        }
    }
    html! {
        @if !calls.is_empty() {
            section id="calls" {
                h2 { "Calls that ended badly" }
                p class="note" { "Each participant from joining to leaving, with the end reason; red and orange mark endings that are problems." }
                @for (id, lanes) in &calls {
                    @let start = lanes.iter().map(|l| l.start_ms).min().and_then(DateTime::<Utc>::from_timestamp_millis);
                    @let start_label = start.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default();
                    figure {
                        figcaption { "Call " code { (id) } }
                        (PreEscaped(svg::timeline(&format!("Call {id}"), &start_label, lanes)))
                    }
                }
            }
        }
    }
}

/// Findings shown per problem, and problems shown: a page is for reading, and a browser slows
/// down with tens of thousands of cards; the other formats hold them all.
const SHOWN_PER_PROBLEM: usize = 50;
/// Finding cards of a problem that start open; the rest start collapsed.
const OPEN_PER_PROBLEM: usize = 3;

fn findings(report: &Report) -> Markup {
    html! {
        section id="findings" {
            h2 { "Findings (" (report.findings.len()) ") by problem" }
            @if report.findings.is_empty() {
                @if super::nothing_read(report).is_none() {
                    p { "No problems found in the records read." }
                }
            } @else {
                div class="filters" {
                    "Show: "
                    @for sev in [Severity::Error, Severity::Warning, Severity::Info] {
                        button type="button" data-severity=(sev.name()) aria-pressed="true" { (sev.name()) }
                    }
                }
                @for p in &report.problems {
                    div class="problem" id={ "problem-" (p.rank) } {
                        h3 {
                            (p.rank) ". "
                            span class={ "badge " (severity_class(p.severity)) } { (p.severity.name().to_uppercase()) }
                            (p.title)
                        }
                        p class="note" {
                            (p.affected.describe())
                            @if let Some(share) = &p.share { " · " (share.text) }
                        }
                        p class="action" { b { "Next step: " } (p.action) }
                        @for (n, &i) in p.findings.iter().take(SHOWN_PER_PROBLEM).enumerate() {
                            @if let Some(f) = report.findings.get(i) { (finding(f, n < OPEN_PER_PROBLEM)) }
                        }
                        @if p.findings.len() > SHOWN_PER_PROBLEM {
                            p class="note" {
                                (group_digits((p.findings.len() - SHOWN_PER_PROBLEM) as u64))
                                " more findings of this problem are not shown here; --format json, jsonl or markdown --details list them all."
                            }
                        }
                    }
                }
            }
        }
    }
}

fn finding(f: &FindingOut, open: bool) -> Markup {
    let class = format!("finding {}", severity_class(f.severity));
    html! {
        details class=(class) data-severity=(f.severity.name()) open[open] {
            summary {
                span class={ "badge " (severity_class(f.severity)) } { (f.severity.name().to_uppercase()) }
                (f.title) " "
                span class="id" { (f.id) }
            }
            p { (f.message) }
            p class="action" { b { "Next step: " } (f.action) }
            @if f.count > 1 {
                p class="note" {
                    "Seen " (group_digits(f.count)) " times"
                    @if let (Some(a), Some(b)) = (&f.first_seen, &f.last_seen) { ", " (a) " to " (b) }
                    "."
                }
            }
            @if !f.ids.is_empty() {
                table {
                    @for (kind, value) in f.ids.iter() {
                        tr { th { (kind.label()) } td class="mono" { (value.text()) } }
                    }
                }
            }
            @if !f.evidence.is_empty() {
                div class="evidence" {
                    @for e in &f.evidence {
                        div {
                            code { (place_short(e)) }
                            @if let Some(t) = &e.time { " " (t) }
                            " — " (e.excerpt)
                        }
                    }
                }
            }
            @if let Some(d) = &f.docs {
                p class="note" { "Docs: " a href=(d) { (d) } }
            }
        }
    }
}

fn other_tables(report: &Report) -> Markup {
    let others: Vec<&Table> = report
        .tables
        .iter()
        .filter(|t| {
            !CHART_TABLES.iter().any(|c| c.id == t.id) || report.asked_tables.contains(&t.id)
        })
        .collect();
    html! {
        @for t in others {
            section {
                h2 { (t.title) " " span class="id" { (t.id) } }
                (plain_table(t))
            }
        }
    }
}
