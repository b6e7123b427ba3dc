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
            s.files.join(", ")
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
        // The sources above give full paths; the file name is enough here.
        let name = e.file.rsplit('/').next().unwrap_or(&e.file);
        let place = match e.line {
            Some(l) => format!("{name}:{l}"),
            None => name.to_owned(),
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
