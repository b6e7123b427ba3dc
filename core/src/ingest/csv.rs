//! Log Analytics portal CSV exports: a header row of column names (`TimeGenerated [UTC]`,
//! `CorrelationId`, ...) and one row per record, times in the browser's locale format.

use std::borrow::Cow;
use std::io::BufRead;

use crate::classify::Container;
use crate::ingest::Collector;
use crate::record::{Bag, Field, Origin};
use crate::value::Value;

/// True when the first line looks like a Log Analytics CSV header.
pub fn looks_like_header(first_line: &str) -> bool {
    let lower = first_line.to_ascii_lowercase();
    lower.contains(',')
        && (lower.starts_with("timegenerated") || lower.starts_with("\"timegenerated"))
        || (lower.contains(",timegenerated") || lower.contains(",\"timegenerated"))
}

/// Reads a CSV export whose header is at line `first_line`.
pub fn read_csv(reader: &mut dyn BufRead, first_line: u64, out: &mut Collector<'_>) {
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
                let fields: Vec<Field<'_>> = headers
                    .iter()
                    .zip(row.iter())
                    .map(|(name, cell)| {
                        Field::new(
                            Bag::Top,
                            Cow::Borrowed(name),
                            Value::from_text(Cow::Borrowed(cell)),
                        )
                    })
                    .collect();
                let origin = Origin {
                    file: out.file,
                    line,
                    index: None,
                };
                out.emit_json(origin, fields, Container::Csv);
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
