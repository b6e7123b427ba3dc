//! Splitting a JSON document into record-sized units without parsing it.
//!
//! Log Analytics exports, Event Grid dumps and Event Hubs captures arrive as one big JSON
//! document: an array, a `{"records": [...]}` / `{"value": [...]}` wrapper, or several objects
//! one after another. Parsing the whole document at once would hold it all in memory and lose
//! every record after the first syntax error. Instead this scanner tracks only strings and
//! bracket depth, hands each array element (or top-level object) to the caller as a byte slice
//! with its line number, and keeps going after a bad element: one broken record costs one record.

use std::io::{self, BufRead};

use crate::ingest::container::{self, Container};

/// A piece of the document the caller should parse.
pub struct Unit<'a> {
    pub bytes: &'a [u8],
    /// 1-based line where the unit starts.
    pub line: u64,
    /// Position inside the enclosing array, if any.
    pub index: Option<u64>,
    pub container: Container,
}

/// Something the scanner could not hand over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub line: u64,
    pub message: String,
}

/// What the scanner hands the caller.
pub enum Piece<'a> {
    /// A record-sized piece to parse.
    Unit(Unit<'a>),
    /// Bytes lost, with the reason: a rejection.
    Broken(SplitError),
    /// A top-level array with no element in it (an export of zero rows), at this line.
    EmptyArray(u64),
    /// Commas between top-level objects (objects pasted as a list without brackets): harmless,
    /// said once.
    LooseCommas(u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Top {
    /// Between top-level values.
    None,
    /// Inside a top-level array: its elements are units.
    Array,
    /// Inside a top-level object that may still turn out to be a wrapper.
    Object,
    /// Inside a wrapper object: the elements of its `records` / `value` array are units.
    Wrapper,
    /// Inside a top-level string.
    Scalar,
}

struct Scanner {
    line: u64,
    depth: u32,
    in_string: bool,
    escaped: bool,
    top: Top,
    /// Depth at which array elements are units (1 for a top-level array, 2 for a wrapper).
    unit_depth: Option<u32>,
    container: Container,
    /// Container reported for whole top-level objects.
    top_container: Container,
    collecting: bool,
    oversized: bool,
    unit: Vec<u8>,
    unit_line: u64,
    index: u64,
    /// After a broken record: bytes are skipped until a line starts a new value.
    skipping: bool,
    at_line_start: bool,
    loose_commas_reported: bool,
    /// Key tracking for wrapper detection at depth 1 of a top-level object.
    key: Vec<u8>,
    capturing_key: bool,
    key_done: bool,
    wrapper_key: Option<Container>,
    max_unit: usize,
}

impl Scanner {
    fn start_unit(&mut self, line: u64) {
        self.collecting = true;
        self.oversized = false;
        self.unit.clear();
        self.unit_line = line;
    }

    fn push(&mut self, b: u8) {
        if self.collecting && !self.oversized {
            if self.unit.len() >= self.max_unit {
                self.oversized = true;
                self.unit.clear();
            } else {
                self.unit.push(b);
            }
        }
    }

    fn finish_unit(&mut self, in_array: bool, on: &mut dyn FnMut(Piece<'_>)) {
        self.collecting = false;
        let index = in_array.then_some(self.index);
        if in_array {
            self.index += 1;
        }
        if self.oversized {
            on(Piece::Broken(SplitError {
                line: self.unit_line,
                message: format!(
                    "record starting here is larger than {} bytes; skipped",
                    self.max_unit
                ),
            }));
            return;
        }
        let bytes = self.unit.trim_ascii();
        if bytes.is_empty() {
            return;
        }
        on(Piece::Unit(Unit {
            bytes,
            line: self.unit_line,
            index,
            container: if in_array {
                self.container
            } else {
                self.top_container
            },
        }));
    }

    /// A text value ran into a raw line break, which JSON never allows: the record holding it
    /// is broken. It is rejected, and scanning resumes at the next line that starts a value, so
    /// one damaged record costs one record.
    fn break_unit(&mut self, on: &mut dyn FnMut(Piece<'_>)) {
        let line = if self.collecting {
            self.unit_line
        } else {
            self.line
        };
        on(Piece::Broken(SplitError {
            line,
            message: format!(
                "broken record: a text value is still open at the end of line {}; skipped to the next record",
                self.line
            ),
        }));
        self.in_string = false;
        self.escaped = false;
        self.capturing_key = false;
        self.collecting = false;
        self.unit.clear();
        match self.unit_depth {
            Some(d) => {
                if self.collecting_index() {
                    self.index += 1;
                }
                self.depth = d;
            }
            None => {
                self.depth = 0;
                self.top = Top::None;
            }
        }
        self.skipping = true;
    }

    fn collecting_index(&self) -> bool {
        self.unit_depth.is_some()
    }
}

/// Scans `reader` (starting at line `first_line`) and calls `on` with each unit or problem. Units larger than `max_unit` bytes are reported, not kept.
/// Whole top-level objects are reported with `top_container`.
pub fn split_document<R: BufRead + ?Sized>(
    reader: &mut R,
    first_line: u64,
    top_container: Container,
    max_unit: usize,
    on: &mut dyn FnMut(Piece<'_>),
) -> io::Result<()> {
    let mut s = Scanner {
        line: first_line,
        depth: 0,
        in_string: false,
        escaped: false,
        top: Top::None,
        unit_depth: None,
        container: Container::Array,
        top_container,
        collecting: false,
        oversized: false,
        unit: Vec::new(),
        unit_line: first_line,
        index: 0,
        skipping: false,
        at_line_start: true,
        loose_commas_reported: false,
        key: Vec::new(),
        capturing_key: false,
        key_done: false,
        wrapper_key: None,
        max_unit,
    };
    let mut garbage_reported_line = 0u64;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        for &b in chunk {
            if s.skipping {
                match b {
                    b'\n' => {
                        s.line += 1;
                        s.at_line_start = true;
                        continue;
                    }
                    b' ' | b'\t' | b'\r' => continue,
                    b'{' | b'[' | b']' if s.at_line_start => s.skipping = false,
                    _ => {
                        s.at_line_start = false;
                        continue;
                    }
                }
            }
            if s.in_string {
                if b == b'\n' {
                    s.break_unit(on);
                    s.line += 1;
                    s.at_line_start = true;
                    continue;
                }
                s.push(b);
                if s.escaped {
                    s.escaped = false;
                } else if b == b'\\' {
                    s.escaped = true;
                } else if b == b'"' {
                    s.in_string = false;
                    if s.capturing_key {
                        s.capturing_key = false;
                        s.key_done = true;
                    }
                    if s.top == Top::Scalar {
                        s.finish_unit(false, on);
                        s.top = Top::None;
                    }
                } else if s.capturing_key && s.key.len() < 32 {
                    s.key.push(b);
                }
                continue;
            }
            if b == b'\n' {
                s.at_line_start = true;
            } else if !matches!(b, b' ' | b'\t' | b'\r') {
                s.at_line_start = false;
            }
            match b {
                b'"' => {
                    // A string at the top level is a unit of its own (a record encoded twice,
                    // or a stray value): the caller decides which.
                    if s.depth == s.unit_depth.unwrap_or(0) && !s.collecting {
                        s.start_unit(s.line);
                        if s.depth == 0 {
                            s.top = Top::Scalar;
                        }
                    }
                    s.in_string = true;
                    s.push(b);
                    if s.depth == 1 && s.top == Top::Object {
                        s.key.clear();
                        s.capturing_key = true;
                        s.key_done = false;
                    }
                }
                b'{' | b'[' => {
                    if s.depth == 0 {
                        s.index = 0;
                        if b == b'[' {
                            s.top = Top::Array;
                            s.unit_depth = Some(1);
                            s.container = Container::Array;
                        } else {
                            s.top = Top::Object;
                            s.start_unit(s.line);
                            s.push(b);
                        }
                    } else if b == b'['
                        && s.depth == 1
                        && s.top == Top::Object
                        && s.wrapper_key.is_some()
                    {
                        s.top = Top::Wrapper;
                        s.collecting = false;
                        s.unit.clear();
                        s.unit_depth = Some(2);
                        s.container = s.wrapper_key.take().unwrap_or(Container::Array);
                    } else {
                        if Some(s.depth) == s.unit_depth && !s.collecting {
                            s.start_unit(s.line);
                        }
                        s.push(b);
                    }
                    if s.depth == 1 {
                        s.wrapper_key = None;
                    }
                    s.depth += 1;
                }
                b'}' | b']' => {
                    if s.depth == 0 {
                        if garbage_reported_line != s.line {
                            garbage_reported_line = s.line;
                            on(Piece::Broken(SplitError {
                                line: s.line,
                                message: format!("unbalanced `{}`", b as char),
                            }));
                        }
                        continue;
                    }
                    // A scalar element ends at the array's closing bracket.
                    if s.collecting && Some(s.depth) == s.unit_depth {
                        s.finish_unit(true, on);
                    }
                    s.depth -= 1;
                    s.push(b);
                    if s.collecting && Some(s.depth) == s.unit_depth {
                        s.finish_unit(true, on);
                    } else if s.collecting && s.depth == 0 && s.top == Top::Object {
                        s.finish_unit(false, on);
                    }
                    if Some(s.depth + 1) == s.unit_depth {
                        // The unit array itself closed.
                        s.unit_depth = None;
                        if s.index == 0 {
                            on(Piece::EmptyArray(s.line));
                        }
                    }
                    if s.depth == 0 {
                        s.top = Top::None;
                        s.unit_depth = None;
                    }
                }
                b',' => {
                    if s.collecting && Some(s.depth) == s.unit_depth {
                        s.finish_unit(true, on);
                    } else if s.depth == 0 {
                        if !s.loose_commas_reported {
                            s.loose_commas_reported = true;
                            on(Piece::LooseCommas(s.line));
                        }
                    } else {
                        s.push(b);
                    }
                    if s.depth == 1 {
                        s.key_done = false;
                        s.wrapper_key = None;
                    }
                }
                b':' => {
                    s.push(b);
                    if s.depth == 1 && s.top == Top::Object && s.key_done {
                        s.key_done = false;
                        // Query-API `tables` are read whole: their rows need their columns.
                        s.wrapper_key =
                            container::wrapper(&s.key).filter(|c| *c != Container::LaTables);
                    }
                }
                b'\n' => {
                    s.push(b);
                    s.line += 1;
                }
                b' ' | b'\t' | b'\r' => s.push(b),
                0xEF | 0xBB | 0xBF if s.depth == 0 => {} // stray BOM of a concatenated file
                _ => {
                    if s.depth == 0 {
                        if garbage_reported_line != s.line {
                            garbage_reported_line = s.line;
                            on(Piece::Broken(SplitError {
                                line: s.line,
                                message: format!(
                                    "unexpected `{}` outside any JSON object or array",
                                    (b as char).escape_default()
                                ),
                            }));
                        }
                        continue;
                    }
                    if Some(s.depth) == s.unit_depth && !s.collecting {
                        s.start_unit(s.line);
                    }
                    if s.depth == 1 && s.top == Top::Object {
                        s.wrapper_key = None;
                    }
                    s.push(b);
                }
            }
        }
        reader.consume(len);
    }
    if s.depth > 0 || s.in_string {
        let line = if s.collecting { s.unit_line } else { s.line };
        on(Piece::Broken(SplitError {
            line,
            message:
                "the file ends inside a JSON value (truncated?); the unfinished record is lost"
                    .to_owned(),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Found = (String, u64, Option<u64>, Container);

    fn split(text: &str) -> (Vec<Found>, Vec<SplitError>) {
        let mut units = Vec::new();
        let mut errors = Vec::new();
        split_document(
            &mut text.as_bytes(),
            1,
            Container::Array,
            1 << 20,
            &mut |piece| match piece {
                Piece::Unit(u) => units.push((
                    String::from_utf8(u.bytes.to_vec()).unwrap(),
                    u.line,
                    u.index,
                    u.container,
                )),
                Piece::Broken(e) => errors.push(e),
                Piece::EmptyArray(line) => errors.push(SplitError {
                    line,
                    message: "empty".into(),
                }),
                Piece::LooseCommas(_) => {}
            },
        )
        .unwrap();
        (units, errors)
    }

    #[test]
    fn array_elements_with_lines() {
        let (units, errors) = split("[\n  {\"a\": \"x]\"},\n  {\"b\": [1, {\"c\": 2}]}\n, 3 ]");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(units.len(), 3);
        assert_eq!(
            units[0],
            ("{\"a\": \"x]\"}".into(), 2, Some(0), Container::Array)
        );
        assert_eq!(units[1].0, "{\"b\": [1, {\"c\": 2}]}");
        assert_eq!(units[1].1, 3);
        assert_eq!(units[2].0, "3");
    }

    #[test]
    fn wrappers_expand() {
        let (units, errors) = split(
            "{\"records\": [\n{\"category\":\"CallSummary\"},\n{\"category\":\"CallDiagnostics\"}]}",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(units.len(), 2);
        assert_eq!(units[1].1, 3);
        assert_eq!(units[1].3, Container::RecordsWrapper);
        let (units, _) = split("{\"value\":[{\"to\":\"+1\"},{\"to\":\"+2\"}]}");
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].3, Container::ValueWrapper);
    }

    #[test]
    fn plain_objects_stay_whole() {
        let (units, errors) = split("{\"a\": {\"records\": 1}, \"value\": 2}\n{\"b\": \"}\"}\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].0, "{\"a\": {\"records\": 1}, \"value\": 2}");
        assert_eq!(units[1].1, 2);
    }

    #[test]
    fn truncation_and_garbage_are_reported() {
        let (units, errors) = split("[{\"a\":1}, {\"b\":");
        assert_eq!(units.len(), 1);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("truncated"));
        let (units, errors) = split("garbage\n{\"a\":1}");
        assert_eq!(units.len(), 1);
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn a_broken_record_costs_one_record() {
        let (units, errors) = split("[\n{\"a\":\"open\n},\n{\"b\":1},\n{\"c\":2}\n]\n");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 2);
        assert_eq!(
            units
                .iter()
                .map(|u| (u.0.as_str(), u.2))
                .collect::<Vec<_>>(),
            [("{\"b\":1}", Some(1)), ("{\"c\":2}", Some(2))]
        );
        let (units, errors) = split("{\"a\":\"open\n{\"b\":1}\n{\"c\":2}\n");
        assert_eq!((units.len(), errors.len()), (2, 1));
    }

    #[test]
    fn stray_values_and_empty_arrays_are_not_silent() {
        let (units, errors) = split("\"a string\"\n{\"a\":1},\n{\"b\":2}\n[]\n");
        assert_eq!(units[0].0, "\"a string\"");
        assert_eq!(units.len(), 3);
        assert_eq!(
            errors,
            [SplitError {
                line: 4,
                message: "empty".into()
            }]
        );
        let (units, errors) = split("{\"records\": []}");
        assert!(units.is_empty());
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn oversized_units_are_skipped() {
        let mut units = 0;
        let mut errors = Vec::new();
        split_document(
            &mut &b"[{\"a\":\"0123456789\"},{\"b\":1}]"[..],
            1,
            Container::Array,
            8,
            &mut |piece| match piece {
                Piece::Unit(_) => units += 1,
                Piece::Broken(e) => errors.push(e),
                _ => {}
            },
        )
        .unwrap();
        assert_eq!(units, 1);
        assert_eq!(errors.len(), 1);
    }
}
