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
    /// A byte of a byte-order mark between top-level values (files joined together), at this
    /// line: skipped, said once.
    StrayBom(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Where the scanner stands between two units: everything a piece of the document that starts
/// there needs to be read exactly as a whole read reads it (line, depth, array index, what the
/// document has already said once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    line: u64,
    depth: u32,
    top: Top,
    /// Depth at which array elements are units (1 for a top-level array, 2 for a wrapper).
    unit_depth: Option<u32>,
    container: Container,
    /// Container reported for whole top-level objects.
    top_container: Container,
    index: u64,
    at_line_start: bool,
    loose_commas_reported: bool,
    /// The last line a stray byte was reported on (one report per line).
    garbage_reported_line: u64,
}

impl Resume {
    /// The state at the start of a document whose first line is `first_line`.
    pub fn start(first_line: u64, top_container: Container) -> Self {
        Resume {
            line: first_line,
            depth: 0,
            top: Top::None,
            unit_depth: None,
            container: Container::Array,
            top_container,
            index: 0,
            at_line_start: true,
            loose_commas_reported: false,
            garbage_reported_line: 0,
        }
    }

    /// The line the next byte is on.
    pub fn line(&self) -> u64 {
        self.line
    }
}

/// A place a document can be cut: between two units, `offset` bytes from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub offset: u64,
    pub resume: Resume,
}

struct Scanner {
    at: Resume,
    in_string: bool,
    escaped: bool,
    collecting: bool,
    oversized: bool,
    unit: Vec<u8>,
    unit_line: u64,
    /// After a broken record: bytes are skipped until a line starts a new value.
    skipping: bool,
    /// Key tracking for wrapper detection at depth 1 of a top-level object.
    key: Vec<u8>,
    capturing_key: bool,
    key_done: bool,
    wrapper_key: Option<Container>,
    /// Units over this many bytes are reported, not kept; `None` when units are not kept at
    /// all (finding where to cut).
    max_unit: Option<usize>,
}

impl Scanner {
    fn new(at: Resume, max_unit: Option<usize>) -> Self {
        Scanner {
            at,
            in_string: false,
            escaped: false,
            collecting: false,
            oversized: false,
            unit: Vec::new(),
            unit_line: at.line,
            skipping: false,
            key: Vec::new(),
            capturing_key: false,
            key_done: false,
            wrapper_key: None,
            max_unit,
        }
    }

    /// True between two units, where [`Scanner::at`] is all there is to the state: nothing
    /// open but the arrays and wrappers that hold the units.
    fn between_units(&self) -> bool {
        !self.in_string
            && !self.collecting
            && !self.skipping
            && !self.capturing_key
            && self.wrapper_key.is_none()
            && match self.at.unit_depth {
                Some(d) => self.at.depth == d,
                None => self.at.depth == 0 && self.at.top == Top::None,
            }
    }

    /// The line a problem is reported at: where the record being read starts, else where the
    /// scanner is.
    fn problem_line(&self) -> u64 {
        if self.collecting {
            self.unit_line
        } else {
            self.at.line
        }
    }

    fn start_unit(&mut self, line: u64) {
        self.collecting = true;
        self.oversized = false;
        self.unit.clear();
        self.unit_line = line;
    }

    fn push(&mut self, b: u8) {
        if self.collecting && !self.oversized {
            let Some(max_unit) = self.max_unit else {
                return;
            };
            if self.unit.len() >= max_unit {
                self.oversized = true;
                self.unit.clear();
            } else {
                self.unit.push(b);
            }
        }
    }

    /// Pushes a run of bytes inside a text value (no quote, backslash or line break in it).
    fn push_run(&mut self, run: &[u8]) {
        if self.collecting && !self.oversized {
            let Some(max_unit) = self.max_unit else {
                return;
            };
            if self.unit.len() + run.len() > max_unit {
                self.oversized = true;
                self.unit.clear();
            } else {
                self.unit.extend_from_slice(run);
            }
        }
    }

    fn finish_unit(&mut self, in_array: bool, on: &mut dyn FnMut(Piece<'_>)) {
        self.collecting = false;
        let index = in_array.then_some(self.at.index);
        if in_array {
            self.at.index += 1;
        }
        let Some(max_unit) = self.max_unit else {
            return;
        };
        if self.oversized {
            on(Piece::Broken(SplitError {
                line: self.unit_line,
                message: format!("record starting here is larger than {max_unit} bytes; skipped"),
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
                self.at.container
            } else {
                self.at.top_container
            },
        }));
    }

    /// A text value ran into a raw line break, which JSON never allows: the record holding it
    /// is broken. It is rejected, and scanning resumes at the next line that starts a value, so
    /// one damaged record costs one record.
    fn break_unit(&mut self, on: &mut dyn FnMut(Piece<'_>)) {
        on(Piece::Broken(SplitError {
            line: self.problem_line(),
            message: format!(
                "broken record: a text value is still open at the end of line {}; skipped to the next record",
                self.at.line
            ),
        }));
        self.in_string = false;
        self.escaped = false;
        self.capturing_key = false;
        self.collecting = false;
        self.unit.clear();
        match self.at.unit_depth {
            Some(d) => {
                self.at.index += 1;
                self.at.depth = d;
            }
            None => {
                self.at.depth = 0;
                self.at.top = Top::None;
            }
        }
        self.skipping = true;
    }

    /// Scans what `reader` holds. With `cuts`, also notes a place to cut at the first unit
    /// boundary every `every` bytes (the first after `every` bytes).
    fn feed<R: BufRead + ?Sized>(
        &mut self,
        reader: &mut R,
        on: &mut dyn FnMut(Piece<'_>),
        mut cuts: Option<(u64, &mut Vec<Cut>)>,
    ) -> io::Result<()> {
        let mut consumed = 0u64;
        let mut next_cut = cuts.as_ref().map_or(u64::MAX, |(every, _)| *every);
        loop {
            let chunk = match reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(());
            }
            let len = chunk.len();
            let mut i = 0;
            while i < len {
                if self.in_string && !self.escaped && !self.capturing_key {
                    // Most of a log is text values: jump to the next byte that matters.
                    let rest = &chunk[i..];
                    let run = text_run(rest);
                    if run > 0 {
                        self.push_run(&rest[..run]);
                        i += run;
                        continue;
                    }
                }
                self.step(chunk[i], on);
                i += 1;
                let offset = consumed + i as u64;
                if offset >= next_cut
                    && self.between_units()
                    && let Some((every, cuts)) = &mut cuts
                {
                    cuts.push(Cut {
                        offset,
                        resume: self.at,
                    });
                    next_cut = offset + *every;
                }
            }
            consumed += len as u64;
            reader.consume(len);
        }
    }

    /// Takes one byte outside a run of text.
    #[inline(always)]
    fn step(&mut self, b: u8, on: &mut dyn FnMut(Piece<'_>)) {
        if self.skipping {
            match b {
                b'\n' => {
                    self.at.line += 1;
                    self.at.at_line_start = true;
                    return;
                }
                b' ' | b'\t' | b'\r' => return,
                b'{' | b'[' | b']' if self.at.at_line_start => self.skipping = false,
                _ => {
                    self.at.at_line_start = false;
                    return;
                }
            }
        }
        if self.in_string {
            if b == b'\n' {
                self.break_unit(on);
                self.at.line += 1;
                self.at.at_line_start = true;
                return;
            }
            self.push(b);
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                if self.capturing_key {
                    self.capturing_key = false;
                    self.key_done = true;
                }
                if self.at.top == Top::Scalar {
                    self.finish_unit(false, on);
                    self.at.top = Top::None;
                }
            } else if self.capturing_key && self.key.len() < 32 {
                self.key.push(b);
            }
            return;
        }
        if b == b'\n' {
            self.at.at_line_start = true;
        } else if !matches!(b, b' ' | b'\t' | b'\r') {
            self.at.at_line_start = false;
        }
        match b {
            b'"' => {
                // A string at the top level is a unit of its own (a record encoded twice,
                // or a stray value): the caller decides which.
                if self.at.depth == self.at.unit_depth.unwrap_or(0) && !self.collecting {
                    self.start_unit(self.at.line);
                    if self.at.depth == 0 {
                        self.at.top = Top::Scalar;
                    }
                }
                self.in_string = true;
                self.push(b);
                if self.at.depth == 1 && self.at.top == Top::Object {
                    self.key.clear();
                    self.capturing_key = true;
                    self.key_done = false;
                }
            }
            b'{' | b'[' => {
                if self.at.depth == 0 {
                    self.at.index = 0;
                    // Nothing said of a key in an earlier (broken) value carries over.
                    self.key_done = false;
                    self.wrapper_key = None;
                    if b == b'[' {
                        self.at.top = Top::Array;
                        self.at.unit_depth = Some(1);
                        self.at.container = Container::Array;
                    } else {
                        self.at.top = Top::Object;
                        self.start_unit(self.at.line);
                        self.push(b);
                    }
                } else if b == b'['
                    && self.at.depth == 1
                    && self.at.top == Top::Object
                    && self.wrapper_key.is_some()
                {
                    self.at.top = Top::Wrapper;
                    self.collecting = false;
                    self.unit.clear();
                    self.at.unit_depth = Some(2);
                    self.at.container = self.wrapper_key.take().unwrap_or(Container::Array);
                } else {
                    if Some(self.at.depth) == self.at.unit_depth && !self.collecting {
                        self.start_unit(self.at.line);
                    }
                    self.push(b);
                }
                if self.at.depth == 1 {
                    self.wrapper_key = None;
                }
                self.at.depth += 1;
            }
            b'}' | b']' => {
                if self.at.depth == 0 {
                    if self.at.garbage_reported_line != self.at.line {
                        self.at.garbage_reported_line = self.at.line;
                        on(Piece::Broken(SplitError {
                            line: self.at.line,
                            message: format!("unbalanced `{}`", b as char),
                        }));
                    }
                    return;
                }
                // A scalar element ends at the array's closing bracket.
                if self.collecting && Some(self.at.depth) == self.at.unit_depth {
                    self.finish_unit(true, on);
                }
                self.at.depth -= 1;
                self.push(b);
                if self.collecting && Some(self.at.depth) == self.at.unit_depth {
                    self.finish_unit(true, on);
                } else if self.collecting && self.at.depth == 0 && self.at.top == Top::Object {
                    self.finish_unit(false, on);
                }
                if Some(self.at.depth + 1) == self.at.unit_depth {
                    // The unit array itself closed.
                    self.at.unit_depth = None;
                    if self.at.index == 0 {
                        on(Piece::EmptyArray(self.at.line));
                    }
                }
                if self.at.depth == 0 {
                    self.at.top = Top::None;
                    self.at.unit_depth = None;
                }
            }
            b',' => {
                if self.collecting && Some(self.at.depth) == self.at.unit_depth {
                    self.finish_unit(true, on);
                } else if self.at.depth == 0 {
                    if !self.at.loose_commas_reported {
                        self.at.loose_commas_reported = true;
                        on(Piece::LooseCommas(self.at.line));
                    }
                } else {
                    self.push(b);
                }
                if self.at.depth == 1 {
                    self.key_done = false;
                    self.wrapper_key = None;
                }
            }
            b':' if self.at.depth > 0 => {
                self.push(b);
                if self.at.depth == 1 && self.at.top == Top::Object && self.key_done {
                    self.key_done = false;
                    // Query-API `tables` are read whole: their rows need their columns.
                    self.wrapper_key =
                        container::wrapper(&self.key).filter(|c| *c != Container::LaTables);
                }
            }
            b'\n' => {
                self.push(b);
                self.at.line += 1;
            }
            b' ' | b'\t' | b'\r' => self.push(b),
            0xEF | 0xBB | 0xBF if self.at.depth == 0 => on(Piece::StrayBom(self.at.line)),
            _ => {
                if self.at.depth == 0 {
                    if self.at.garbage_reported_line != self.at.line {
                        self.at.garbage_reported_line = self.at.line;
                        on(Piece::Broken(SplitError {
                            line: self.at.line,
                            message: format!(
                                "unexpected `{}` outside any JSON object or array",
                                (b as char).escape_default()
                            ),
                        }));
                    }
                    return;
                }
                if Some(self.at.depth) == self.at.unit_depth && !self.collecting {
                    self.start_unit(self.at.line);
                }
                if self.at.depth == 1 && self.at.top == Top::Object {
                    self.wrapper_key = None;
                }
                self.push(b);
            }
        }
    }

    /// At the end of the document: a value still open is a truncated record.
    fn finish(&mut self, on: &mut dyn FnMut(Piece<'_>)) {
        if self.at.depth > 0 || self.in_string {
            on(Piece::Broken(SplitError {
                line: self.problem_line(),
                message:
                    "the file ends inside a JSON value (truncated?); the unfinished record is lost"
                        .to_owned(),
            }));
        }
    }
}

/// The length of the run of plain text `bytes` start with: up to the first quote, backslash or
/// line break. Most text values of a log are short (a name, an ID), so the first bytes are
/// looked at eight at a time in a word, and only a longer run is searched with `memchr`.
#[inline(always)]
fn text_run(bytes: &[u8]) -> usize {
    const SHORT: usize = 32;
    let mut at = 0;
    while at + 8 <= bytes.len() && at < SHORT {
        let word = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        let found = has_byte(word, b'"') | has_byte(word, b'\\') | has_byte(word, b'\n');
        if found != 0 {
            return at + found.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    if at < SHORT {
        // Fewer than eight bytes left.
        return at
            + bytes[at..]
                .iter()
                .position(|&b| matches!(b, b'"' | b'\\' | b'\n'))
                .unwrap_or(bytes.len() - at);
    }
    at + memchr::memchr3(b'"', b'\\', b'\n', &bytes[at..]).unwrap_or(bytes.len() - at)
}

/// A word with the high bit set in the lowest byte of `word` equal to `byte` (higher bytes may
/// be set wrongly after it: only the lowest set bit counts).
#[inline(always)]
fn has_byte(word: u64, byte: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let x = word ^ (ONES * byte as u64);
    x.wrapping_sub(ONES) & !x & HIGHS
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
    let mut scanner = Scanner::new(Resume::start(first_line, top_container), Some(max_unit));
    scanner.feed(reader, on, None)?;
    scanner.finish(on);
    Ok(())
}

/// Scans one piece of a document: `reader` holds the bytes from a [`Cut`] (`from`) to the next
/// cut, or to the end of the document when `last`. The units and problems are those a whole
/// read finds in those bytes.
pub fn split_document_piece<R: BufRead + ?Sized>(
    reader: &mut R,
    from: Resume,
    last: bool,
    max_unit: usize,
    on: &mut dyn FnMut(Piece<'_>),
) -> io::Result<()> {
    let mut scanner = Scanner::new(from, Some(max_unit));
    scanner.feed(reader, on, None)?;
    if last {
        scanner.finish(on);
    }
    Ok(())
}

/// Places to cut the document `reader` holds into pieces of about `every` bytes: the first
/// boundary between two units after each `every` bytes, with the scanner's state there. Only
/// the structure is followed; no unit is kept.
pub fn document_cuts<R: BufRead + ?Sized>(
    reader: &mut R,
    first_line: u64,
    top_container: Container,
    every: u64,
) -> io::Result<Vec<Cut>> {
    let mut scanner = Scanner::new(Resume::start(first_line, top_container), None);
    let mut cuts = Vec::new();
    scanner.feed(reader, &mut |_| {}, Some((every.max(1), &mut cuts)))?;
    Ok(cuts)
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
                Piece::LooseCommas(_) | Piece::StrayBom(_) => {}
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
        let (units, errors) = split(":\n{\"a\":1}");
        assert_eq!(units.len(), 1);
        assert!(errors[0].message.contains("`:`"), "{errors:?}");
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

    /// Everything the scanner hands over, owned, in order.
    fn pieces_of(read: impl FnOnce(&mut dyn FnMut(Piece<'_>))) -> Vec<String> {
        let mut seen = Vec::new();
        read(&mut |piece| {
            seen.push(match piece {
                Piece::Unit(u) => format!(
                    "unit {} {:?} {:?} {}",
                    u.line,
                    u.index,
                    u.container,
                    String::from_utf8_lossy(u.bytes)
                ),
                Piece::Broken(e) => format!("broken {} {}", e.line, e.message),
                Piece::EmptyArray(line) => format!("empty {line}"),
                Piece::LooseCommas(line) => format!("commas {line}"),
                Piece::StrayBom(line) => format!("bom {line}"),
            })
        });
        seen
    }

    /// A document cut at any size of piece and read piece by piece hands over exactly what a
    /// whole read does: units, lines, indexes, containers and problems.
    #[test]
    fn pieces_read_as_the_whole_does() {
        let documents = [
            "[\n  {\"a\": \"x]\"},\n  {\"b\": [1, {\"c\": 2}]}\n, 3 ,\"s\"]",
            "{\"records\": [\n{\"category\":\"CallSummary\"},\n{\"category\":\"CallDiagnostics\"}]}\n",
            "{\"value\":[{\"to\":\"+1\"},{\"to\":\"+2\\\"\\\\\"}]}{\"value\":[]}",
            "[{\"a\":1},{\"b\":2}]\n[{\"c\":3}]\n[]\n",
            "{\"a\":1},\n{\"b\":2},\n{\"c\":3}\n\"text\"\ngarbage\n}",
            "[\n{\"a\":\"open\n},\n{\"b\":1},\n{\"c\":2}\n]\n",
            "[{\"a\":\"a long text value that goes on for more than thirty-two bytes\"},{\"b\":\"\\n\"}",
            "{\"a\": {\"records\": 1}, \"value\": 2}\n{\"b\": \"}\"}\n",
            "\"a\" \"b\",\"c\": 1 \"d\"\n:\n",
            "[{\"a\":1}]\u{feff}[{\"b\":2}]\n\u{feff}{\"c\":3}",
            "{\"records\"}\n{:[{\"b\":1}]}\n{\"records\":}\n{\"x\":[{\"c\":2}]}",
        ];
        for document in documents {
            let bytes = document.as_bytes();
            let whole = pieces_of(|on| {
                split_document(&mut &bytes[..], 1, Container::Document, 1 << 20, on).unwrap()
            });
            for every in 1..=bytes.len() as u64 {
                let cuts = document_cuts(&mut &bytes[..], 1, Container::Document, every).unwrap();
                if every == 1 {
                    assert!(!cuts.is_empty(), "{document:?} has places to cut");
                }
                let mut starts = vec![(0, Resume::start(1, Container::Document))];
                // A cut at the very end starts no piece (the one before it ends the file).
                starts.extend(
                    cuts.iter()
                        .filter(|c| (c.offset as usize) < bytes.len())
                        .map(|c| (c.offset as usize, c.resume)),
                );
                let mut joined = Vec::new();
                for (i, &(start, from)) in starts.iter().enumerate() {
                    let end = starts.get(i + 1).map_or(bytes.len(), |next| next.0);
                    let last = end == bytes.len();
                    joined.extend(pieces_of(|on| {
                        split_document_piece(&mut &bytes[start..end], from, last, 1 << 20, on)
                            .unwrap()
                    }));
                }
                assert_eq!(joined, whole, "{document:?} in pieces of {every} bytes");
            }
        }
    }

    /// The run of plain text is found as a byte-by-byte search finds it, at every length and
    /// position of the first quote, backslash or line break.
    #[test]
    fn text_runs_end_at_the_first_special_byte() {
        for len in 0..80 {
            for special in [None, Some(b'"'), Some(b'\\'), Some(b'\n')] {
                for at in 0..len.max(1) {
                    let mut bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    if let Some(b) = special
                        && at < len
                    {
                        bytes[at] = b;
                        if at + 1 < len {
                            bytes[at + 1] = b'"';
                        }
                    }
                    let expected = bytes
                        .iter()
                        .position(|&b| matches!(b, b'"' | b'\\' | b'\n'))
                        .unwrap_or(len);
                    assert_eq!(text_run(&bytes), expected, "{bytes:?}");
                }
            }
        }
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
