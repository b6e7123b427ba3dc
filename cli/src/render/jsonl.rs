//! JSON Lines: one finding per line, in report order, nothing else — for `jq`, `grep` and log
//! pipelines. Each line has the shape of an element of `findings` in the JSON document.

use std::io::{self, Write};

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for finding in &report.findings {
        serde_json::to_writer(&mut *out, finding)?;
        writeln!(out)?;
    }
    Ok(())
}
