//! JSON output: exactly one document on stdout (schema in docs/json-output.md).

use std::io::{self, Write};

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // One write of the whole document: the redacting writer below works on large writes in
    // parallel.
    let mut text = serde_json::to_vec_pretty(report)?;
    text.push(b'\n');
    out.write_all(&text)
}
