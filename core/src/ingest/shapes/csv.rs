//! Log Analytics portal CSV exports: a header row of column names (`TimeGenerated [UTC]`,
//! `CorrelationId`, ...) and one row per record, times in the browser's locale format.

use std::borrow::Cow;
use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use crate::ingest::container::Container;
use crate::ingest::{Collector, Limits};
use crate::record::{Bag, Field, Origin};
use crate::time::DateOrder;
use crate::value::Value;

/// True when the first line looks like a Log Analytics CSV header.
pub fn looks_like_header(first_line: &str) -> bool {
    let lower = first_line.to_ascii_lowercase();
    lower.contains(',')
        && (lower.starts_with("timegenerated") || lower.starts_with("\"timegenerated"))
        || (lower.contains(",timegenerated") || lower.contains(",\"timegenerated"))
}

/// Rows held back while the file's date order is unknown (each is emitted once it is known,
/// or when this many are waiting: then month first, the portal's US default).
const ROWS_TO_DECIDE: usize = 1000;

/// Reads a CSV export whose header is at line `first_line`.
pub fn read_csv(
    reader: &mut dyn BufRead,
    first_line: u64,
    limits: &Limits,
    out: &mut Collector<'_>,
) {
    let offset = first_line - 1;
    // A row may take `max_line_bytes` and its line break past the end of the one before it.
    let allowance = limits.max_line_bytes as u64 + 1;
    let row_ends_by = Rc::new(Cell::new(allowance));
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(RowLimit {
            inner: crate::ingest::lines::CrlfToLf::new(reader),
            read: 0,
            ends_by: Rc::clone(&row_ends_by),
            max: limits.max_line_bytes,
        });
    let headers = match csv.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            out.reject(Some(first_line), format!("unreadable CSV header: {e}"));
            return;
        }
    };
    row_ends_by.set(csv.position().byte() + allowance);
    let mut dates = Dates {
        order: limits.csv_date_order,
        contradicted: false,
    };
    let mut waiting: Vec<(csv::StringRecord, u64)> = Vec::new();
    let mut row = csv::StringRecord::new();
    loop {
        // Where the next row starts: the line of a read failure inside it.
        let row_start = csv.position().line() + offset;
        let read = csv.read_record(&mut row);
        row_ends_by.set(csv.position().byte() + allowance);
        match read {
            Ok(false) => break,
            Ok(true) => {
                let line = row.position().map_or(0, |p| p.line()) + offset;
                for cell in row.iter() {
                    out.scan_secrets(cell.as_bytes(), line);
                }
                if row.len() != headers.len() {
                    out.reject(
                        Some(line),
                        format!(
                            "row has {} fields but the header has {}",
                            row.len(),
                            headers.len()
                        ),
                    );
                    continue;
                }
                if dates.order == DateOrder::Auto {
                    if let Some(order) = row.iter().find_map(crate::time::proven_order) {
                        dates.order = order;
                    } else if waiting.len() < ROWS_TO_DECIDE {
                        waiting.push((row.clone(), line));
                        continue;
                    } else {
                        dates.order = DateOrder::MonthFirst;
                    }
                    for (held, held_line) in waiting.drain(..) {
                        emit_row(&headers, &held, held_line, &mut dates, out);
                    }
                }
                emit_row(&headers, &row, line, &mut dates, out);
            }
            Err(e) => {
                let line = Some(e.position().map_or(row_start, |p| p.line() + offset));
                match e.kind() {
                    csv::ErrorKind::Io(_) => {
                        out.reject(line, format!("read error: {e}"));
                        break;
                    }
                    csv::ErrorKind::Utf8 { .. } => {
                        out.reject(line, "row is not valid UTF-8".to_owned());
                    }
                    _ => out.reject(line, format!("malformed CSV row: {e}")),
                }
            }
        }
    }
    if !waiting.is_empty() {
        dates.order = DateOrder::MonthFirst;
        for (held, held_line) in waiting.drain(..) {
            emit_row(&headers, &held, held_line, &mut dates, out);
        }
    }
    if out.records() == 0 && out.rejected() == 0 {
        out.note("the CSV export has a header and no rows".to_owned());
    }
}

/// Ends the input where a row grows past `max` bytes: the csv reader holds a row whole, and a
/// quote that never closes makes the rest of the file one row, however large. The reader
/// cannot find the next row after that, so the rest of the file is reported lost.
struct RowLimit<R> {
    inner: R,
    /// Bytes handed to the csv reader so far.
    read: u64,
    /// Where the row being read must end by: `max` past the end of the last row.
    ends_by: Rc<Cell<u64>>,
    max: usize,
}

impl<R: Read> Read for RowLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.ends_by.get().saturating_sub(self.read);
        if room == 0 && !buf.is_empty() {
            return Err(io::Error::other(format!(
                "a row runs past {} bytes ([ingest] max_line_bytes; a quote that never closes?), the rest of the file is not read",
                self.max
            )));
        }
        let n = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..n])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// How this file's locale dates are read, once decided.
struct Dates {
    order: DateOrder,
    contradicted: bool,
}

/// Emits one row; locale dates become RFC 3339 text, read in the file's order.
fn emit_row(
    headers: &csv::StringRecord,
    row: &csv::StringRecord,
    line: u64,
    dates: &mut Dates,
    out: &mut Collector<'_>,
) {
    let mut fields: Vec<Field<'_>> = Vec::with_capacity(row.len());
    for (name, cell) in headers.iter().zip(row.iter()) {
        let value = match locale_date(cell, dates, line, out) {
            Some(iso) => Value::Str(Cow::Owned(iso)),
            None => Value::from_text(Cow::Borrowed(cell)),
        };
        fields.push(Field::new(Bag::Top, Cow::Borrowed(name), value));
    }
    let origin = Origin {
        file: out.file,
        line,
        index: None,
    };
    out.emit_json(origin, fields, Container::Csv);
}

/// A cell holding a locale date (`11/20/2026, 3:10:05.120 PM`), as RFC 3339 text.
fn locale_date(
    cell: &str,
    dates: &mut Dates,
    line: u64,
    out: &mut Collector<'_>,
) -> Option<String> {
    let cell = cell.trim();
    if !cell.contains('/') || !cell.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let proven = crate::time::proven_order(cell);
    if proven.is_some_and(|p| p != dates.order) && !dates.contradicted {
        dates.contradicted = true;
        out.note(format!(
            "line {line}: the date {cell} can only be read {}, but the rows before it were read {} (ambiguous dates such as 05/11 may have day and month swapped; set [ingest] csv_date_order in acs-triage.toml)",
            order_name(proven.unwrap_or_default()),
            order_name(dates.order)
        ));
    }
    let order = proven.unwrap_or(dates.order);
    crate::time::parse_timestamp_in(cell, order).map(|t| crate::time::format_timestamp(&t))
}

fn order_name(order: DateOrder) -> &'static str {
    match order {
        DateOrder::DayFirst => "day first",
        _ => "month first",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` as a CSV export with lines of at most `max_line_bytes`.
    fn read(text: &str, max_line_bytes: usize) -> (crate::ingest::FileReport, u64) {
        let limits = Limits {
            max_line_bytes,
            ..Limits::default()
        };
        let setup = crate::ingest::tests::test_setup(&limits);
        let mut records = 0;
        let report = crate::ingest::read_bytes_as(
            text.as_bytes(),
            crate::ingest::shapes::Shape::Csv,
            setup,
            &mut |_| records += 1,
        );
        (report, records)
    }

    /// Rows are held to the line limit one at a time, not the file as a whole; a quote that
    /// never closes ends the read there, with a rejection that says why, instead of making
    /// the rest of the file one row in memory.
    #[test]
    fn a_row_longer_than_the_limit_ends_the_read() {
        let header = "TimeGenerated [UTC],CorrelationId,ParticipantEndReason,Type\n";
        let row = |i: usize| format!("2026-11-20T15:10:05Z,ca5e{i:04},0,ACSCallSummary\n");
        let rows: String = (0..200).map(row).collect();
        let (whole, records) = read(&format!("{header}{rows}"), 1000);
        assert_eq!((records, whole.rejected), (200, 0));
        let unclosed = "2026-11-20T15:10:05Z,\"ca5e,0,ACSCallSummary\n";
        let (cut, records) = read(&format!("{header}{}{unclosed}{rows}", row(9999)), 1000);
        assert_eq!((records, cut.rejected), (1, 1));
        let error = &cut.errors[0].message;
        assert!(error.contains("runs past 1000 bytes"), "{error}");
        assert_eq!(cut.errors[0].line, Some(3));
        // The header has a limit of its own, and a row of exactly the limit is whole.
        let long_header = format!(
            "TimeGenerated [UTC],CorrelationId,ParticipantEndReason,Type{}\n",
            "x".repeat(900)
        );
        let full = "2026-11-20T15:10:05Z,ca5e,0,";
        let full = format!("{full}{}\n", "y".repeat(1000 - full.len()));
        let (report, records) = read(&format!("{long_header}{full}{full}{rows}"), 1000);
        assert_eq!((records, report.rejected), (202, 0), "{:?}", report.errors);
    }

    #[test]
    fn header_detection() {
        assert!(looks_like_header(
            "TimeGenerated [UTC],CorrelationId,ParticipantEndReason"
        ));
        assert!(looks_like_header("\"TimeGenerated [UTC]\",Level"));
        assert!(looks_like_header("TenantId,TimeGenerated,Type"));
        assert!(!looks_like_header("time,level,message"));
        assert!(!looks_like_header("TimeGenerated only"));
    }
}
