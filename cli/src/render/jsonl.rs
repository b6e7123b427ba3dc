//! JSON Lines: one finding per line, in report order, nothing else — for `jq`, `grep` and log
//! pipelines. Each line has the shape of an element of `findings` in the JSON document.

use std::io::{self, BufWriter, Write};

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // In 8 MiB pieces, for the redacting writer (as the JSON document is written).
    let mut pieces = BufWriter::with_capacity(8 << 20, &mut *out);
    super::json::write_each(&report.findings, &mut pieces, |_, finding, text| {
        serde_json::to_writer(&mut *text, finding)?;
        text.push(b'\n');
        Ok(())
    })?;
    pieces.flush()
}
