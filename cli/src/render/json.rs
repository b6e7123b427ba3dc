//! JSON output: exactly one document on stdout (schema in docs/json-output.md).
//!
//! The findings, nearly all of a large document, are serialized on every thread, a thousand at
//! a time, and written in order between the rest of the report: the document is the one
//! `serde_json::to_writer_pretty` writes for the whole report, byte for byte.

use std::io::{self, BufWriter, Write};

use rayon::prelude::*;

use super::Report;
use super::report::FindingOut;

/// Findings serialized together before they are written (about 2 MB of text; four times as
/// many raised the peak memory of a 10× run by a few MiB).
const FINDINGS_AT_ONCE: usize = 1024;

/// Where the findings go in the pretty document of a report without findings: its top-level
/// key (two spaces in, so no nested key and no string can look like it: strings escape their
/// line breaks and quotes).
const EMPTY_FINDINGS: &[u8] = b"\n  \"findings\": []";

/// Writes the report as one pretty-printed JSON document and a line break. The report's
/// findings are taken out while the rest is serialized, and put back.
pub fn render(report: &mut Report, out: &mut dyn Write) -> io::Result<()> {
    // Written in 8 MiB pieces: the redacting writer below works on large writes in parallel,
    // and the document is never held whole (at 500,000 calls it is hundreds of MB).
    let mut pieces = BufWriter::with_capacity(8 << 20, &mut *out);
    let findings = std::mem::take(&mut report.findings);
    let written = write_spliced(report, &findings, &mut pieces);
    report.findings = findings;
    written?;
    writeln!(pieces)?;
    pieces.flush()
}

/// The report (without its findings) as the pretty printer writes it, streamed, with
/// `findings` written into its empty `findings` array.
fn write_spliced(
    report: &Report,
    findings: &[Box<FindingOut>],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut splice = Splice::new(out, findings);
    {
        let mut tokens = BufWriter::with_capacity(64 << 10, &mut splice);
        serde_json::to_writer_pretty(&mut tokens, report).map_err(io::Error::other)?;
        tokens.flush()?;
    }
    splice.finish()
}

/// Passes a report without findings on, and writes the findings where its empty `findings`
/// array is. Only the bytes that could begin that key are held back.
struct Splice<'a> {
    out: &'a mut dyn Write,
    findings: &'a [Box<FindingOut>],
    held: Vec<u8>,
    spliced: bool,
}

impl<'a> Splice<'a> {
    fn new(out: &'a mut dyn Write, findings: &'a [Box<FindingOut>]) -> Self {
        Splice {
            out,
            findings,
            held: Vec::new(),
            spliced: findings.is_empty(),
        }
    }

    /// Writes what was held back; an error if the findings had nowhere to go.
    fn finish(self) -> io::Result<()> {
        if !self.spliced {
            return Err(io::Error::other(
                "the report has no `findings` key to write them at",
            ));
        }
        self.out.write_all(&self.held)
    }
}

impl Write for Splice<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.spliced {
            self.out.write_all(buf)?;
            return Ok(buf.len());
        }
        self.held.extend_from_slice(buf);
        if let Some(at) = memchr::memmem::find(&self.held, EMPTY_FINDINGS) {
            let open = at + EMPTY_FINDINGS.len() - 1;
            self.out.write_all(&self.held[..open])?;
            write_findings(self.findings, &mut *self.out)?;
            self.out.write_all(b"\n  ")?;
            self.out.write_all(&self.held[open..])?;
            self.held.clear();
            self.spliced = true;
        } else {
            let pass = self.held.len().saturating_sub(EMPTY_FINDINGS.len() - 1);
            self.out.write_all(&self.held[..pass])?;
            self.held.drain(..pass);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The elements of the `findings` array as the pretty printer writes them two levels in:
/// each on a new line, four spaces in, commas between them.
fn write_findings(findings: &[Box<FindingOut>], out: &mut dyn Write) -> io::Result<()> {
    write_each(findings, out, |at, finding, text| {
        text.extend_from_slice(if at == 0 { b"\n    " } else { b",\n    " });
        indented(finding, text)
    })
}

/// Writes `write(position, finding, text)` of every finding, in order: the texts of a thousand
/// findings at a time are made on every thread, then written.
pub(super) fn write_each(
    findings: &[Box<FindingOut>],
    out: &mut dyn Write,
    write: impl Fn(usize, &FindingOut, &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    const FEW: usize = 64;
    for (n, group) in findings.chunks(FINDINGS_AT_ONCE).enumerate() {
        let texts: Vec<Vec<u8>> = group
            .par_chunks(FEW)
            .enumerate()
            .map(|(c, few)| {
                let mut text = Vec::new();
                for (i, finding) in few.iter().enumerate() {
                    write(n * FINDINGS_AT_ONCE + c * FEW + i, finding, &mut text)?;
                }
                Ok(text)
            })
            .collect::<io::Result<_>>()?;
        for text in texts {
            out.write_all(&text)?;
        }
    }
    Ok(())
}

/// One finding pretty-printed, its inner lines four spaces further in.
fn indented(finding: &FindingOut, out: &mut Vec<u8>) -> io::Result<()> {
    let alone = serde_json::to_vec_pretty(finding).map_err(io::Error::other)?;
    let mut rest = alone.as_slice();
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        out.extend_from_slice(&rest[..=nl]);
        out.extend_from_slice(b"    ");
        rest = &rest[nl + 1..];
    }
    out.extend_from_slice(rest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use acs_triage_core::engine::Analysis;
    use acs_triage_core::finding::{Evidence, Finding, IdKind};
    use acs_triage_core::record::Origin;
    use acs_triage_core::{FileId, Severity};

    use super::*;

    /// A report of `count` findings, each with its own message, ID and evidence.
    fn report_of(count: usize) -> Report {
        let findings = (0..count)
            .map(|i| {
                let finding = Finding::new("calling/end-reason", Severity::Warning, "Call ended")
                    .message(format!("call {i} ended with \"410\"\nafter {i} s"))
                    .code(format!("410/{}", i % 300))
                    .action("Look at the network.")
                    .id_value(IdKind::CallId, Some(format!("call-{i}")))
                    .evidence(Evidence {
                        origin: Origin {
                            file: FileId(0),
                            line: i as u64 + 1,
                            index: None,
                        },
                        time: None,
                        excerpt: format!("CallSummary participantEndReason=410 n={i}").into(),
                    });
                Box::new(finding)
            })
            .collect();
        Report::new(Analysis {
            files: Vec::new(),
            findings,
            tables: Vec::new(),
            summary: Default::default(),
            paths: vec!["logs/PT1H.json".to_owned()],
            health: Vec::new(),
        })
    }

    /// The document is the one the pretty printer writes for the whole report, and the JSON
    /// lines are each finding serialized alone, however many findings there are (none, one, a
    /// part of a group, several groups and a rest).
    #[test]
    fn the_document_is_the_pretty_printed_report() {
        for count in [
            0,
            1,
            2,
            63,
            64,
            65,
            FINDINGS_AT_ONCE,
            2 * FINDINGS_AT_ONCE + 7,
        ] {
            let mut report = report_of(count);
            let mut expected = serde_json::to_vec_pretty(&report).unwrap();
            expected.push(b'\n');
            let mut written = Vec::new();
            render(&mut report, &mut written).unwrap();
            assert_eq!(report.findings.len(), count, "the findings are put back");
            let mut lines = Vec::new();
            for finding in &report.findings {
                serde_json::to_writer(&mut lines, finding).unwrap();
                lines.push(b'\n');
            }
            // The key found however the text before it arrives (here a byte at a time).
            let findings = std::mem::take(&mut report.findings);
            let rest = serde_json::to_vec_pretty(&report).unwrap();
            let mut spliced = Vec::new();
            let mut splice = Splice::new(&mut spliced, &findings);
            for byte in rest.chunks(1) {
                splice.write_all(byte).unwrap();
            }
            splice.finish().unwrap();
            spliced.push(b'\n');
            assert!(spliced == expected, "{count} findings, a byte at a time");
            report.findings = findings;
            let mut jsonl = Vec::new();
            super::super::jsonl::render(&report, &mut jsonl).unwrap();
            assert!(jsonl == lines, "{count} findings: the JSON lines differ");
            assert!(
                written == expected,
                "{count} findings: the documents differ\n{}",
                String::from_utf8_lossy(&written[..written.len().min(2000)])
            );
        }
    }
}
