//! Log Analytics portal CSV exports: a header row of column names (`TimeGenerated [UTC]`,
//! `CorrelationId`, ...) and one row per record, times in the browser's locale format.

use std::borrow::Cow;
use std::io::BufRead;

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
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(crate::ingest::lines::CrlfToLf::new(reader));
    let headers = match csv.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            out.reject(Some(first_line), format!("unreadable CSV header: {e}"));
            return;
        }
    };
    let mut dates = Dates {
        order: limits.csv_date_order,
        contradicted: false,
    };
    let mut waiting: Vec<(csv::StringRecord, u64)> = Vec::new();
    let mut row = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut row) {
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
                let line = e.position().map(|p| p.line() + offset);
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
