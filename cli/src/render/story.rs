//! `analyze --call`: one call's story, for people (human) and programs (json).

use std::io::{self, Write};

use acs_triage_calling::story::CallStory;
use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::{FindingOut, TOOL, ToolInfo, human};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const POOR: Style = AnsiColor::Yellow.on_default().bold();
const OK: Style = AnsiColor::Green.on_default();

/// The JSON document of `analyze --call --format json`.
#[derive(Debug, Serialize)]
pub struct StoryReport<'a> {
    pub tool: ToolInfo,
    pub call: &'a CallStory,
    pub findings: &'a [FindingOut],
}

pub fn json(story: &CallStory, findings: &[FindingOut], out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(
        &mut *out,
        &StoryReport {
            tool: TOOL,
            call: story,
            findings,
        },
    )?;
    writeln!(out)
}

fn seconds(s: Option<f64>) -> String {
    s.map(|s| format!("{} s", (s * 10.0).round() / 10.0))
        .unwrap_or_default()
}

pub fn human(story: &CallStory, findings: &[FindingOut], out: &mut dyn Write) -> io::Result<()> {
    let mut facts = Vec::new();
    if let Some(t) = &story.call_type {
        facts.push(t.clone());
    }
    if let Some(s) = &story.start {
        facts.push(format!("started {s}"));
    }
    if let Some(d) = story.duration_seconds {
        facts.push(format!("lasted {}", seconds(Some(d))));
    }
    writeln!(
        out,
        "{BOLD}Call {}{BOLD:#}{}",
        story.call_id,
        if facts.is_empty() {
            String::new()
        } else {
            format!(" ({})", facts.join(", "))
        }
    )?;
    writeln!(out, "{} records from:", story.records)?;
    for s in &story.sources {
        writeln!(
            out,
            "  {:<32} {:>4}  {DIM}{}{DIM:#}",
            s.source,
            s.records,
            s.files
                .iter()
                .map(|f| super::short_path(f))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "{BOLD}Participants ({}){BOLD:#}",
        story.participants.len()
    )?;
    for p in &story.participants {
        let name = p
            .participant_id
            .as_deref()
            .map(|id| format!("participant {id}"))
            .or_else(|| p.endpoint_id.as_deref().map(|id| format!("endpoint {id}")))
            .unwrap_or_else(|| "unnamed participant".to_owned());
        let kind = p.endpoint_type.as_deref().unwrap_or("");
        writeln!(out, "  {BOLD}{name}{BOLD:#} {kind}")?;
        if let Some(id) = &p.identity {
            writeln!(out, "    identity {id}")?;
        }
        if p.sdk_version.is_some() || p.os_version.is_some() {
            writeln!(
                out,
                "    SDK {} on {}",
                p.sdk_version.as_deref().unwrap_or("?"),
                p.os_version.as_deref().unwrap_or("?")
            )?;
        }
        if let (Some(j), Some(l)) = (&p.joined, &p.left) {
            writeln!(
                out,
                "    joined {j}, left {l} ({})",
                seconds(p.duration_seconds)
            )?;
        }
        match &p.end_reason {
            Some(e) => {
                let style = if e.severity == "normal" { OK } else { POOR };
                writeln!(
                    out,
                    "    ended {style}{} ({}){style:#}: {}",
                    e.code, e.severity, e.meaning
                )?;
            }
            None => writeln!(
                out,
                "    {POOR}no end record (CallSummary) for this participant{POOR:#}"
            )?,
        }
    }

    if !story.streams.is_empty() {
        writeln!(out)?;
        writeln!(out, "{BOLD}Streams ({}){BOLD:#}", story.streams.len())?;
        for s in &story.streams {
            let measures: Vec<String> =
                s.measures.iter().map(|(k, v)| format!("{k} {v}")).collect();
            writeln!(
                out,
                "  {} {} {}{}",
                s.media,
                s.stream_id.as_deref().unwrap_or(""),
                s.flow,
                s.transport
                    .as_deref()
                    .map(|t| format!(" over {t}"))
                    .unwrap_or_default()
            )?;
            writeln!(out, "    {}", measures.join(", "))?;
            if s.poor.is_empty() {
                writeln!(out, "    {OK}within every threshold{OK:#}")?;
            } else {
                writeln!(out, "    {POOR}poor: {}{POOR:#}", s.poor.join("; "))?;
            }
        }
    }

    writeln!(out)?;
    writeln!(out, "{BOLD}Timeline{BOLD:#}")?;
    for e in &story.timeline {
        // Storage exports all end in PT1H.json: the category and hour tell them apart.
        let name = super::short_path(&e.file);
        let place = match e.line {
            Some(l) => format!("{name}:{l}"),
            None => name,
        };
        writeln!(
            out,
            "  {:<24}  {:<22}  {}  {DIM}{place}{DIM:#}",
            e.time.as_deref().unwrap_or("(no time)"),
            e.source,
            e.what
        )?;
    }

    writeln!(out)?;
    writeln!(out, "{BOLD}Findings ({}){BOLD:#}", findings.len())?;
    if findings.is_empty() {
        writeln!(out, "  none: nothing in this call's records is a problem")?;
    }
    for f in findings {
        human::render_finding(f, 4, out)?;
    }

    writeln!(out)?;
    writeln!(out, "{BOLD}IDs for Azure support{BOLD:#}")?;
    for (kind, values) in &story.support_ids {
        writeln!(out, "  {kind}: {}", values.join(", "))?;
    }
    let times: Vec<&String> = story
        .timeline
        .iter()
        .filter_map(|e| e.time.as_ref())
        .collect();
    if let (Some(first), Some(last)) = (times.first(), times.last()) {
        writeln!(out, "  time window: {first} to {last} (UTC)")?;
    }
    Ok(())
}

/// `analyze --call --format markdown`: the story as a support ticket wants it.
pub fn markdown(story: &CallStory, findings: &[FindingOut], out: &mut dyn Write) -> io::Result<()> {
    use super::markdown::{code, render_finding, text};
    writeln!(out, "# Call {}", code(&story.call_id))?;
    writeln!(out)?;
    let mut facts = Vec::new();
    if let Some(t) = &story.call_type {
        facts.push(text(t));
    }
    if let Some(s) = &story.start {
        facts.push(format!("started {s}"));
    }
    if let Some(d) = story.duration_seconds {
        facts.push(format!("lasted {}", seconds(Some(d))));
    }
    facts.push(format!("{} records", story.records));
    writeln!(out, "{}.", facts.join(", "))?;
    writeln!(out)?;
    writeln!(out, "| source | records | files |")?;
    writeln!(out, "|---|---|---|")?;
    for s in &story.sources {
        let files: Vec<String> = s
            .files
            .iter()
            .map(|f| code(&super::short_path(f)))
            .collect();
        writeln!(
            out,
            "| {} | {} | {} |",
            text(&s.source),
            s.records,
            files.join(", ")
        )?;
    }
    writeln!(out)?;
    writeln!(out, "## Participants ({})", story.participants.len())?;
    writeln!(out)?;
    writeln!(
        out,
        "| participant | type | identity | SDK on OS | joined | left | ended |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for p in &story.participants {
        let name = p
            .participant_id
            .as_deref()
            .or(p.endpoint_id.as_deref())
            .map(code)
            .unwrap_or_default();
        let ended = p
            .end_reason
            .as_ref()
            .map(|e| format!("{} ({}): {}", e.code, e.severity, text(&e.meaning)))
            .unwrap_or_else(|| "no end record".to_owned());
        writeln!(
            out,
            "| {name} | {} | {} | {} on {} | {} | {} | {ended} |",
            text(p.endpoint_type.as_deref().unwrap_or("")),
            p.identity.as_deref().map(code).unwrap_or_default(),
            text(p.sdk_version.as_deref().unwrap_or("?")),
            text(p.os_version.as_deref().unwrap_or("?")),
            p.joined.as_deref().unwrap_or(""),
            p.left.as_deref().unwrap_or(""),
        )?;
    }
    if !story.streams.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Streams ({})", story.streams.len())?;
        writeln!(out)?;
        for s in &story.streams {
            let measures: Vec<String> =
                s.measures.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let verdict = if s.poor.is_empty() {
                "within every threshold".to_owned()
            } else {
                format!("**poor**: {}", text(&s.poor.join("; ")))
            };
            writeln!(
                out,
                "- {} {} {}: {}; {verdict}",
                text(&s.media),
                s.stream_id.as_deref().unwrap_or(""),
                text(&s.flow),
                text(&measures.join(", "))
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "## Timeline")?;
    writeln!(out)?;
    writeln!(out, "| time (UTC) | source | what | where |")?;
    writeln!(out, "|---|---|---|---|")?;
    for e in &story.timeline {
        let place = match e.line {
            Some(l) => format!("{}:{l}", super::short_path(&e.file)),
            None => super::short_path(&e.file),
        };
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            e.time.as_deref().unwrap_or("(no time)"),
            text(&e.source),
            text(&e.what),
            code(&place)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "## Findings ({})", findings.len())?;
    for f in findings {
        render_finding(f, out)?;
    }
    if !story.support_ids.is_empty() {
        writeln!(out)?;
        writeln!(out, "## IDs for Azure support")?;
        writeln!(out)?;
        for (kind, values) in &story.support_ids {
            let values: Vec<String> = values.iter().map(|v| code(v)).collect();
            writeln!(out, "- {}: {}", text(kind), values.join(", "))?;
        }
    }
    Ok(())
}
