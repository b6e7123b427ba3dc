//! Deciding how to read a file from a sample of its lines.
//!
//! The first bytes alone mislead: a partial copy starts mid-record, an export may open with a
//! banner line, a console log with a bundler's `[vite] connecting...`, a storage export with one
//! broken record. So the decision looks at up to [`SAMPLE_LINES`] non-blank lines (at most
//! [`SAMPLE_BYTES`]), classifies each, and lets the majority decide. Damaged lines are then
//! rejected one by one by the reader, wherever they are.

use std::io::{self, BufRead};

use crate::ingest::shapes::{Shape, csv, json_lines, sdk};
use crate::record::Format;

/// Non-blank lines looked at.
pub const SAMPLE_LINES: usize = 64;
/// Bytes looked at, at most (a first line longer than this decides alone).
pub const SAMPLE_BYTES: usize = 1 << 20;

/// The head of a file: the sampled bytes (to be read again) and what they look like.
pub struct Sample {
    /// Sampled bytes, starting at the first non-blank line.
    pub bytes: Vec<u8>,
    /// 1-based number of the line `bytes` starts at (blank lines before it were skipped).
    pub first_line: u64,
    pub shape: Shape,
}

/// What one sampled line looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    /// A whole JSON object or array, or a JSON string holding one (a double-encoded record).
    Json,
    /// Starts like JSON but is not complete on its line.
    JsonStart,
    Sdk(Format),
    CsvHeader,
    Binary,
    Text,
}

/// Reads the sample from `reader` (which keeps the rest) and decides the shape.
pub fn sniff(reader: &mut dyn BufRead) -> io::Result<Sample> {
    let first_line = skip_blank_lines(reader)? + 1;
    let mut bytes = Vec::new();
    let mut lines = 0;
    let mut complete = true;
    while lines < SAMPLE_LINES && bytes.len() < SAMPLE_BYTES {
        let budget = (SAMPLE_BYTES - bytes.len()) as u64;
        let before = bytes.len();
        let n = <&mut dyn BufRead as io::Read>::take(&mut *reader, budget)
            .read_until(b'\n', &mut bytes)?;
        if n == 0 {
            break;
        }
        complete = bytes.last() == Some(&b'\n') || n < budget as usize;
        if !bytes[before..].iter().all(u8::is_ascii_whitespace) {
            lines += 1;
        }
    }
    let shape = decide(&bytes, complete);
    Ok(Sample {
        bytes,
        first_line,
        shape,
    })
}

/// Consumes leading blank lines (in bounded memory, however many) and returns how many.
fn skip_blank_lines(reader: &mut dyn BufRead) -> io::Result<u64> {
    let mut newlines = 0u64;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(newlines);
        }
        // Whole blank lines are skipped, so the sample starts at a line start. (Blanks at the
        // end of a buffer that holds only blanks are skipped too: leading spaces never matter.)
        let mut line_start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if b == b'\n' {
                newlines += 1;
                line_start = i + 1;
            } else if !b.is_ascii_whitespace() {
                reader.consume(line_start);
                return Ok(newlines);
            }
        }
        let n = buf.len();
        reader.consume(n);
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let line = line.trim_ascii();
    line.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(line)
}

fn classify_line(line: &[u8], first: bool) -> LineKind {
    if is_binary(line) {
        return LineKind::Binary;
    }
    match json_lines::complete_value(line) {
        Some(true) => LineKind::Json,
        // `[Informational] Azure-Core: ...` starts like an array.
        Some(false) if sdk::detect_line(&String::from_utf8_lossy(line)).is_none() => {
            LineKind::JsonStart
        }
        _ => {
            let text = String::from_utf8_lossy(line);
            if let Some(format) = sdk::detect_line(&text) {
                LineKind::Sdk(format)
            } else if first && csv::looks_like_header(&text) {
                LineKind::CsvHeader
            } else {
                LineKind::Text
            }
        }
    }
}

/// NUL bytes, or more than one byte in ten a control character other than tab, line ends, form
/// feed and escape (terminal colours in console logs).
fn is_binary(line: &[u8]) -> bool {
    if memchr::memchr(0, line).is_some() {
        return true;
    }
    // Every file is sampled, and nearly every sampled line has no control character at all:
    // that is settled a block at a time (the test of a block runs without a branch per byte).
    let any_control = line
        .chunks(64)
        .any(|block| block.iter().fold(false, |seen, &b| seen | (b < 0x20)));
    let controls = if any_control {
        line.iter()
            .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
            .count()
    } else {
        0
    };
    controls * 10 > line.len() || invalid_utf8_share(line) * 4 > line.len()
}

/// Bytes of `line` that are not valid UTF-8 (a character cut at the end of the sample counts
/// as valid).
fn invalid_utf8_share(mut line: &[u8]) -> usize {
    let mut bad = 0;
    loop {
        match std::str::from_utf8(line) {
            Ok(_) => return bad,
            Err(e) => match e.error_len() {
                None => return bad,
                Some(n) => {
                    bad += n;
                    line = &line[e.valid_up_to() + n..];
                }
            },
        }
    }
}

fn decide(sample: &[u8], complete: bool) -> Shape {
    let mut kinds = Vec::new();
    // Lines found with `memchr`, not a comparison per byte.
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', sample).chain(std::iter::once(sample.len()));
    for end in ends {
        let line = &sample[start..end];
        start = end + 1;
        let line = trim(line);
        if !line.is_empty() {
            kinds.push(classify_line(line, kinds.is_empty()));
        }
    }
    // The last line of a sample cut by its size limit is no evidence (it may be a record cut
    // short), unless it is the only line.
    if !complete && kinds.len() > 1 {
        kinds.pop();
    }
    let Some(&first) = kinds.first() else {
        return Shape::Empty;
    };
    let count = |k: LineKind| kinds.iter().filter(|&&x| x == k).count();
    let (json, start, text, binary) = (
        count(LineKind::Json),
        count(LineKind::JsonStart),
        count(LineKind::Text),
        count(LineKind::Binary),
    );
    let web = count(LineKind::Sdk(Format::WebSdkLog));
    let dotnet = count(LineKind::Sdk(Format::DotnetLog));
    let n = kinds.len();
    if binary * 2 >= n {
        return Shape::Binary;
    }
    // A first line that did not end within the sample is a record too long to sample: a
    // one-line document (Event Hubs capture) or a long first record.
    let cut_first = n == 1 && !complete;
    if cut_first && first == LineKind::JsonStart {
        return Shape::JsonDocument;
    }
    if web + dotnet > 0 && web + dotnet >= json {
        return Shape::Sdk(if web >= dotnet {
            Format::WebSdkLog
        } else {
            Format::DotnetLog
        });
    }
    if first == LineKind::CsvHeader {
        return Shape::Csv;
    }
    if json >= 1 && json >= 2 * start && 3 * json >= text {
        return Shape::JsonLines;
    }
    if matches!(first, LineKind::JsonStart | LineKind::Json) || start > text {
        return Shape::JsonDocument;
    }
    Shape::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &[u8]) -> Shape {
        sniff(&mut &text[..]).unwrap().shape
    }

    const REC: &str =
        r#"{"time":"2026-11-20T10:00:00Z","category":"CallSummary","properties":{"a":1}}"#;

    #[test]
    fn clean_shapes() {
        assert_eq!(
            shape(format!("{REC}\n{REC}\n").as_bytes()),
            Shape::JsonLines
        );
        assert_eq!(shape(b"{\n  \"a\": 1\n}\n"), Shape::JsonDocument);
        assert_eq!(shape(b"  [ {} ]"), Shape::JsonLines);
        assert_eq!(
            shape(b"[\n {\"a\":1},\n {\"a\":2}\n]\n"),
            Shape::JsonDocument
        );
        assert_eq!(
            shape(b"TimeGenerated [UTC],CorrelationId\n1,2\n"),
            Shape::Csv
        );
        assert_eq!(
            shape(b"azure:ACS-calling:info hello\n"),
            Shape::Sdk(Format::WebSdkLog)
        );
        assert_eq!(
            shape(b"[Informational] Azure-Core: Request [x] GET https://a/chat/\nAccept:*\n"),
            Shape::Sdk(Format::DotnetLog)
        );
        assert_eq!(shape(b" \n\t"), Shape::Empty);
        assert_eq!(shape(b"\x00\x01\x02garbage"), Shape::Binary);
        assert_eq!(shape(b"hello world\n"), Shape::Text);
    }

    #[test]
    fn damage_does_not_decide() {
        // A partial copy: the first record is cut at its start.
        let cut = format!("ipantId\":\"x\"}}}}\n{REC}\n{REC}\n");
        assert_eq!(shape(cut.as_bytes()), Shape::JsonLines);
        // A banner line, a broken first record, a NUL in one line.
        assert_eq!(
            shape(format!("Export of 2026-11-20\n{REC}\n{REC}\n").as_bytes()),
            Shape::JsonLines
        );
        assert_eq!(
            shape(format!("{{\"category\":\"Call\n{REC}\n{REC}\n").as_bytes()),
            Shape::JsonLines
        );
        assert_eq!(
            shape(format!("{REC}\n{{\"a\":\"\0\"}}\n{REC}\n").as_bytes()),
            Shape::JsonLines
        );
        // A bundler's line before the SDK log.
        assert_eq!(
            shape(b"[vite] connecting...\nazure:ACS-calling:info CallClient created\n"),
            Shape::Sdk(Format::WebSdkLog)
        );
        // A double-encoded record.
        let encoded = serde_json::to_string(REC).unwrap();
        assert_eq!(
            shape(format!("{encoded}\n{encoded}\n").as_bytes()),
            Shape::JsonLines
        );
    }

    /// What each kind of line is taken for, whichever parser settles it: complete JSON
    /// (invalid UTF-8 inside a string included, which the reader repairs), JSON cut short,
    /// records joined on a line, what only starts like JSON; and control characters counted
    /// only past one in ten, terminal colours and tabs not at all.
    #[test]
    fn line_kinds() {
        let kind = |line: &[u8]| classify_line(line, false);
        assert_eq!(kind(REC.as_bytes()), LineKind::Json);
        assert_eq!(kind(b"{\"a\":\"\xff\"}"), LineKind::Json);
        assert_eq!(kind(b"[1, {\"a\": [2]}]"), LineKind::Json);
        assert_eq!(kind(b"{\"a\":\"\\ud800\"}"), LineKind::Json);
        assert_eq!(kind(&REC.as_bytes()[..40]), LineKind::JsonStart);
        assert_eq!(kind(format!("{REC}{REC}").as_bytes()), LineKind::JsonStart);
        assert_eq!(kind(b"{\"a\":tru}"), LineKind::Text);
        assert_eq!(kind(b"{\"a\":\"x\\qy\"}"), LineKind::Text);
        assert_eq!(
            kind(b"[Informational] Azure-Core: Request [1] GET https://x/"),
            LineKind::Sdk(Format::DotnetLog)
        );
        let mut colours = b"\x1b[31merror\x1b[0m\tin\tcall\r".repeat(20);
        assert_eq!(kind(&colours), LineKind::Text);
        // Past one in ten when a long tail has one in eight; not when a tail has one in eleven.
        colours.extend_from_slice(&b"\x01abcdefg".repeat(300));
        assert_eq!(kind(&colours), LineKind::Binary);
        let sparse = [b"x".repeat(700), b"\x02abcdefghij".repeat(30)].concat();
        assert_eq!(kind(&sparse), LineKind::Text);
        // Deep nesting is whole JSON (the reader then rejects it as too deep), and never reaches
        // a parser that recurses without a limit.
        let nested = "{\"a\":".repeat(5000) + "1" + &"}".repeat(5000);
        assert_eq!(kind(nested.as_bytes()), LineKind::Json);
        let deep = [b"[".repeat(100_000), b"]".repeat(100_000)].concat();
        assert_eq!(kind(&deep), LineKind::Json);
    }

    #[test]
    fn long_blank_runs_and_long_first_records() {
        let mut blank = vec![b'\n'; 200_000];
        blank.extend_from_slice(format!("{REC}\n").as_bytes());
        let sample = sniff(&mut &blank[..]).unwrap();
        assert_eq!(sample.shape, Shape::JsonLines);
        assert_eq!(sample.first_line, 200_001);
        let long = format!(
            "{{\"category\":\"CallSummary\",\"pad\":\"{}\"}}\n{REC}\n",
            "x".repeat(100_000)
        );
        assert_eq!(shape(long.as_bytes()), Shape::JsonLines);
        let huge = format!(
            "{{\"records\":[{{\"pad\":\"{}\"}}]}}",
            "x".repeat(SAMPLE_BYTES)
        );
        assert_eq!(shape(huge.as_bytes()), Shape::JsonDocument);
    }
}
