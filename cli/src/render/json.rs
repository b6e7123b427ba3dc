//! JSON output: exactly one document on stdout (schema in docs/json-output.md).

use std::io::{self, BufWriter, Write};

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Written in 8 MiB pieces: the redacting writer below works on large writes in parallel,
    // and the document is never held whole (at 500,000 calls it is hundreds of MB).
    let mut pieces = BufWriter::with_capacity(8 << 20, &mut *out);
    serde_json::to_writer_pretty(&mut pieces, report)?;
    writeln!(pieces)?;
    pieces.flush()
}
