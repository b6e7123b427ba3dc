//! A reader for the plain JSON that nearly every log line is, straight into flat fields.
//!
//! Storage exports, Event Hubs captures and Event Grid events write their records as objects of
//! unescaped text, whole numbers, booleans and nulls, nested a level or two. This reader takes
//! that plain subset straight from the bytes and gives up at the first thing outside it: an
//! escape, a fraction or exponent, `-0`, 19 digits or more, a control character, an array
//! inside an array, deep nesting, invalid UTF-8 anywhere on the line, invalid JSON. The caller then reads the record again with the general path
//! (sonic-rs behind serde's visitor interface), which decides everything the plain reader does
//! not, so the two always give the same fields (a property test and the fuzz target `flatten`
//! compare them). On the benchmark's calls subset it takes parsing from about 10,100 to 8,600
//! instructions a record (`docs/performance.md`).

use std::borrow::Cow;

use crate::record::{Bag, Field};
use crate::value::Value;

/// Nesting this reader follows; deeper records go to the general path (which refuses past
/// [`super::MAX_DEPTH`]).
const MAX_PLAIN_DEPTH: u16 = 16;

/// Digits of a whole number read here: 18 always fit an `i64`.
const MAX_DIGITS: usize = 18;

/// Appends the fields of `json` to `fields` and returns true, or returns false when the text
/// is not plain JSON as this reader knows it (the fields pushed so far are then meaningless).
pub(super) fn flatten<'a>(json: &'a [u8], fields: &mut Vec<Field<'a>>) -> bool {
    // Every quote is ASCII, so every text between two quotes of valid UTF-8 is valid too.
    let Ok(text) = simdutf8::basic::from_utf8(json) else {
        return false;
    };
    let mut reader = Plain {
        text,
        at: 0,
        blocks: Blocks::new(json),
        names_left: super::name_allowance(json.len()),
    };
    reader.skip_blanks();
    if reader.top_object(fields).is_none() {
        return false;
    }
    reader.skip_blanks();
    reader.at == text.len()
}

struct Plain<'a> {
    text: &'a str,
    at: usize,
    blocks: Blocks<'a>,
    /// Bytes the nested names built may still take ([`super::name_allowance`]); past it the
    /// record is left to the general path, which refuses it.
    names_left: usize,
}

/// The text's quotes and odd bytes (a backslash or a control character), found 64 bytes at a
/// time as the reader moves forward: a string's end is then a bit scan, not a search.
struct Blocks<'a> {
    bytes: &'a [u8],
    /// The block whose masks are loaded (`usize::MAX` before the first).
    block: usize,
    quotes: u64,
    odd: u64,
}

impl<'a> Blocks<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Blocks {
            bytes,
            block: usize::MAX,
            quotes: 0,
            odd: 0,
        }
    }

    /// Out of line: a block is loaded once for several strings, while the scan that calls
    /// this runs for every string and is inlined where strings are read.
    #[inline(never)]
    fn load(&mut self, block: usize) {
        let start = block * 64;
        // A whole block is read where it is: copied to the stack first, it was stored in
        // 16-byte pieces and read back in 32-byte ones, which the processor cannot forward
        // from pending stores (a stall on most blocks).
        (self.quotes, self.odd) = match self.bytes.get(start..start + 64) {
            Some(whole) => block_masks(whole.try_into().expect("64 bytes")),
            None => {
                // The last, partial block, padded with spaces (neither quote nor odd).
                let mut padded = [b' '; 64];
                let tail = &self.bytes[start.min(self.bytes.len())..];
                padded[..tail.len()].copy_from_slice(tail);
                block_masks(&padded)
            }
        };
        self.block = block;
    }

    /// The position of the first quote at or after `from`, and whether an odd byte comes
    /// before it; `None` when there is no quote.
    #[inline(always)]
    fn quote_from(&mut self, mut from: usize) -> Option<(usize, bool)> {
        let mut odd = false;
        while from < self.bytes.len() {
            let block = from / 64;
            if block != self.block {
                self.load(block);
            }
            let after = u64::MAX << (from % 64);
            let quotes = self.quotes & after;
            if quotes != 0 {
                let at = quotes.trailing_zeros();
                let before = (1u64 << at) - 1;
                odd |= self.odd & after & before != 0;
                return Some((block * 64 + at as usize, odd));
            }
            odd |= self.odd & after != 0;
            from = (block + 1) * 64;
        }
        None
    }
}

/// The quotes and the odd bytes (backslash, or below 0x20) of a block, one bit per byte: with
/// AVX2 where the processor has it (half the instructions of SSE2, 1.6 % of a run's), else
/// with SSE2, which every x86_64 processor has.
#[cfg(target_arch = "x86_64")]
fn block_masks(chunk: &[u8; 64]) -> (u64, u64) {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        return unsafe { block_masks_avx2(chunk) };
    }
    block_masks_sse2(chunk)
}

/// [`block_masks`] 32 bytes at a time.
///
/// # Safety
///
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block_masks_avx2(chunk: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8,
    };
    let (mut quotes, mut odd) = (0u64, 0u64);
    for (i, part) in chunk.chunks_exact(32).enumerate() {
        // SAFETY: the load reads the 32 bytes of `part` and needs no alignment; the caller
        // promises AVX2.
        let v = unsafe { _mm256_loadu_si256(part.as_ptr().cast()) };
        let q = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8));
        let backslash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8));
        // Unsigned `v <= 0x1f`: the smaller of the two is `v` itself.
        let control = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1f)), v);
        quotes |= u64::from(_mm256_movemask_epi8(q) as u32) << (32 * i);
        odd |=
            u64::from(_mm256_movemask_epi8(_mm256_or_si256(backslash, control)) as u32) << (32 * i);
    }
    (quotes, odd)
}

/// [`block_masks`] 16 bytes at a time.
#[cfg(target_arch = "x86_64")]
fn block_masks_sse2(chunk: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let (mut quotes, mut odd) = (0u64, 0u64);
    for (i, part) in chunk.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of every x86_64 processor; the load reads the 16 bytes of
        // `part` and needs no alignment.
        let (q, o) = unsafe {
            let v = _mm_loadu_si128(part.as_ptr().cast());
            let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Unsigned `v <= 0x1f`: the smaller of the two is `v` itself.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
            (
                _mm_movemask_epi8(q) as u16,
                _mm_movemask_epi8(_mm_or_si128(backslash, control)) as u16,
            )
        };
        quotes |= u64::from(q) << (16 * i);
        odd |= u64::from(o) << (16 * i);
    }
    (quotes, odd)
}

/// The quotes and the odd bytes (backslash, or below 0x20) of a block, one bit per byte.
#[cfg(not(target_arch = "x86_64"))]
fn block_masks(chunk: &[u8; 64]) -> (u64, u64) {
    block_masks_by_byte(chunk)
}

/// [`block_masks`] a byte at a time: the reader's masks off x86_64, and what the SIMD
/// versions are tested against.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn block_masks_by_byte(chunk: &[u8; 64]) -> (u64, u64) {
    chunk
        .iter()
        .enumerate()
        .fold((0, 0), |(quotes, odd), (i, &b)| {
            (
                quotes | (u64::from(b == b'"') << i),
                odd | (u64::from(b == b'\\' || b < 0x20) << i),
            )
        })
}

/// Where a value lands: the name it goes by, its bag, and whether it is a bag's root (an
/// object there is transparent; a scalar there is a top-level field), as the general path's
/// `FieldSeed` has them.
struct Slot<'a> {
    name: Cow<'a, str>,
    bag: Bag,
    bag_root: bool,
    depth: u16,
}

impl Slot<'_> {
    fn scalar_bag(&self) -> Bag {
        if self.bag_root { Bag::Top } else { self.bag }
    }
}

impl<'a> Plain<'a> {
    /// Takes a built name of `len` bytes from the allowance.
    fn spend(&mut self, len: usize) -> Option<()> {
        self.names_left = self.names_left.checked_sub(len)?;
        Some(())
    }

    /// Reads the scalar at `at` into a field of `bag` named `name` (inlined: most fields of a
    /// record come this way, and a call here costs 2 % of the run's instructions).
    ///
    /// Text that needs no normalizing, most fields, is pushed where it is read, with nothing
    /// else merged into that path: when several kinds of value met before the push, the value
    /// went through the stack in pieces and the copy into the list read it back whole before
    /// the processor could forward it. Sampling put about half of this reader's time on such
    /// stalls: a quarter on the value a call returned through memory, a quarter on the field's
    /// copy into the list (see [`Field::push_text`]).
    #[inline(always)]
    fn push_scalar(&mut self, fields: &mut Vec<Field<'a>>, bag: Bag, name: &'a str) -> Option<()> {
        if self.peek()? == b'"' {
            let text = self.string()?;
            if Value::is_settled_text(text) {
                Field::push_text(fields, bag, name, text);
            } else {
                fields.push(Field::new(bag, name, Value::from_text(Cow::Borrowed(text))));
            }
            return Some(());
        }
        let value = self.scalar()?;
        fields.push(Field::new(bag, name, value));
        Some(())
    }

    /// Whether the value at `at` is a scalar (not an object or an array).
    fn at_scalar(&self) -> Option<bool> {
        Some(!matches!(self.peek()?, b'{' | b'['))
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Inlined, with one comparison for the usual case of no blank at all (log lines are
    /// nearly always minified): every byte JSON allows outside a blank is above the space.
    #[inline(always)]
    fn skip_blanks(&mut self) {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at).is_some_and(|&b| b > b' ') {
            return;
        }
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// After a member or an element: consumes a comma (false: another item follows) or
    /// `close` (true: the object or array ends); `None` for anything else.
    fn closed_after_item(&mut self, close: u8) -> Option<bool> {
        self.skip_blanks();
        let byte = self.peek()?;
        if byte != b',' && byte != close {
            return None;
        }
        self.at += 1;
        Some(byte == close)
    }

    /// Consumes `byte` after optional blanks.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_blanks();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string with no escape and no control character; `at` is on its opening quote.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at + 1;
        let (end, odd) = self.blocks.quote_from(start)?;
        if odd {
            return None;
        }
        self.at = end + 1;
        debug_assert!(self.text.as_bytes()[start - 1] == b'"' && self.text.as_bytes()[end] == b'"');
        // SAFETY: `start` follows the opening quote and `end` is the closing one (`quote_from`
        // finds quotes only), both within `text`. A quote is ASCII, which UTF-8 never uses
        // inside a character, so both places are character boundaries of the valid `text`.
        // (The checked slice was a call for every string: without it, 3.8 % fewer instructions.)
        Some(unsafe { self.text.get_unchecked(start..end) })
    }

    /// `true`, `false` or `null` spelled exactly.
    fn word(&mut self, word: &str, value: Value<'a>) -> Option<Value<'a>> {
        self.text.as_bytes()[self.at..]
            .starts_with(word.as_bytes())
            .then(|| {
                self.at += word.len();
                value
            })
    }

    /// A whole number of at most [`MAX_DIGITS`] digits, written as JSON writes it (no leading
    /// zero, no `-0`). Anything else, fractions and exponents among them, is not read here.
    fn number(&mut self) -> Option<Value<'a>> {
        let bytes = self.text.as_bytes();
        let negative = bytes[self.at] == b'-';
        let start = self.at + usize::from(negative);
        let digits = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > MAX_DIGITS || (digits > 1 && bytes[start] == b'0') {
            return None;
        }
        let end = start + digits;
        if matches!(bytes.get(end), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let magnitude = bytes[start..end]
            .iter()
            .fold(0i64, |n, &b| n * 10 + i64::from(b - b'0'));
        if negative && magnitude == 0 {
            return None;
        }
        self.at = end;
        Some(Value::Int(if negative { -magnitude } else { magnitude }))
    }

    /// A scalar value: text, a whole number, a boolean or null.
    #[inline(always)]
    fn scalar(&mut self) -> Option<Value<'a>> {
        match self.peek()? {
            b'"' => self.string().map(|s| Value::from_text(Cow::Borrowed(s))),
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// The record's own object: `properties` and `data` are bags.
    fn top_object(&mut self, fields: &mut Vec<Field<'a>>) -> Option<()> {
        self.members(|reader, key| {
            if reader.at_scalar()? {
                // A scalar is a top-level field under its own name, even under a bag's key.
                return reader.push_scalar(fields, Bag::Top, key);
            }
            let bag = super::bag_named(key);
            let slot = Slot {
                name: Cow::Borrowed(key),
                bag: bag.unwrap_or(Bag::Top),
                bag_root: bag.is_some(),
                depth: 1,
            };
            reader.value(slot, fields)
        })
        .map(drop)
    }

    /// The members of an object (`at` on its `{`), each key handed to `member` with the reader
    /// on its value. Returns how many there were.
    fn members(
        &mut self,
        mut member: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<usize> {
        self.expect(b'{')?;
        self.skip_blanks();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(0);
        }
        let mut count = 0;
        loop {
            self.skip_blanks();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.expect(b':')?;
            self.skip_blanks();
            member(self, key)?;
            count += 1;
            if self.closed_after_item(b'}')? {
                return Some(count);
            }
        }
    }

    /// One value (`at` on its first byte) under `slot`.
    fn value(&mut self, slot: Slot<'a>, fields: &mut Vec<Field<'a>>) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(slot, fields),
            b'[' => self.array(slot, fields),
            _ => {
                let value = self.scalar()?;
                fields.push(Field::new(slot.scalar_bag(), slot.name, value));
                Some(())
            }
        }
    }

    /// An object under `slot`: its members become fields named after it (a bag's root is
    /// transparent); an empty one outside a bag's root is a null, so `exists(...)` sees it.
    fn object(&mut self, slot: Slot<'a>, fields: &mut Vec<Field<'a>>) -> Option<()> {
        if slot.depth >= MAX_PLAIN_DEPTH {
            return None;
        }
        let count = self.members(|reader, key| {
            if slot.bag_root && reader.at_scalar()? {
                // A bag's own scalars, most fields of a record.
                return reader.push_scalar(fields, slot.bag, key);
            }
            let name = if slot.bag_root {
                Cow::Borrowed(key)
            } else {
                reader.spend(slot.name.len() + 1 + key.len())?;
                Cow::Owned(format!("{}.{key}", slot.name))
            };
            let child = Slot {
                name,
                bag: slot.bag,
                bag_root: false,
                depth: slot.depth + 1,
            };
            reader.value(child, fields)
        })?;
        if count == 0 && !slot.bag_root {
            fields.push(Field::new(slot.scalar_bag(), slot.name, Value::Null));
        }
        Some(())
    }

    /// An array under `slot`: its scalars form one list field (after the fields of its objects),
    /// its objects are flattened under `name[index]`. An array inside an array is left to the
    /// general path.
    fn array(&mut self, slot: Slot<'a>, fields: &mut Vec<Field<'a>>) -> Option<()> {
        if slot.depth >= MAX_PLAIN_DEPTH {
            return None;
        }
        let bag = slot.scalar_bag();
        self.expect(b'[')?;
        self.skip_blanks();
        let mut scalars = Vec::new();
        let mut index = 0usize;
        if self.peek()? == b']' {
            self.at += 1;
        } else {
            loop {
                self.skip_blanks();
                match self.peek()? {
                    b'{' => {
                        self.spend(super::indexed_len(&slot.name, index))?;
                        let element = Slot {
                            name: Cow::Owned(format!("{}[{index}]", slot.name)),
                            bag,
                            bag_root: false,
                            depth: slot.depth + 1,
                        };
                        self.object(element, fields)?;
                    }
                    b'[' => return None,
                    _ => scalars.push(self.scalar()?),
                }
                index += 1;
                if self.closed_after_item(b']')? {
                    break;
                }
            }
        }
        if !scalars.is_empty() || index == 0 {
            fields.push(Field::new(bag, slot.name, Value::List(scalars)));
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ingest::flatten::both_readings;

    fn plain(json: &str) -> Option<Vec<Field<'_>>> {
        let mut fields = Vec::new();
        flatten(json.as_bytes(), &mut fields).then_some(fields)
    }

    /// Lines as the logs write them are read here, with the fields the general path gives.
    #[test]
    fn log_lines_are_read_as_the_general_path_reads_them() {
        let lines = [
            // A storage export's CallSummary record (bench corpus, from the documented schema).
            r#"{"time":"2026-11-01T02:00:00.000Z","correlationId":"14523c03-74ff-454b-8b92-f5615868e3ed","category":"CallSummary","properties":{"callDuration":300,"teamsThreadId":"null","participantEndReason":"487","endpointType":"VoIP","osVersion":"Windows 10.0.22631 Arch: x64"}}"#,
            // An Event Grid delivery report: a data bag, an array of objects.
            r#"{"id":"Outgoing_1","data":{"deliveryStatus":"Delivered","deliveryAttempts":[{"segmentsSucceeded":1,"segmentsFailed":0},{}],"tags":["a",true,null,-7]},"eventType":"Microsoft.Communication.SMSDeliveryReportReceived"}"#,
            // Blanks between tokens, a pretty-printed record, empty containers, a scalar bag.
            " {\r\n  \"a\" : { \"b\" : [ ] , \"c\" : { } } ,\n\t\"properties\" : \"Redacted\" , \"data\" : { } } \n",
            "{}",
        ];
        for line in lines {
            let fields = plain(line).unwrap_or_else(|| panic!("not read: {line}"));
            assert!(!fields.is_empty() || line == "{}");
            assert_eq!(Ok(fields), both_readings(line.as_bytes()).1, "{line}");
        }
        let fields = plain(lines[0]).unwrap();
        assert!(matches!(fields[0].name, Cow::Borrowed(_)));
        assert_eq!(fields[4].full_name(), "properties.teamsThreadId");
        assert_eq!(fields[4].value, Value::Null);
        assert_eq!(fields[3].value, Value::Int(300));
    }

    /// Every byte value at every place of a block gives the same masks with SSE2 and AVX2 (where
    /// the processor has it) as a byte at a time, and the byte-at-a-time masks say what they
    /// mean.
    #[test]
    fn block_masks_agree_byte_by_byte() {
        for value in 0..=255u8 {
            for lane in 0..64 {
                let mut chunk = [b'x'; 64];
                chunk[lane] = value;
                chunk[(lane + 17) % 64] = value.wrapping_add(1);
                let want = block_masks_by_byte(&chunk);
                assert_eq!(block_masks(&chunk), want, "{value:#x} at {lane}");
                #[cfg(target_arch = "x86_64")]
                {
                    assert_eq!(block_masks_sse2(&chunk), want, "{value:#x} at {lane}");
                    if std::arch::is_x86_feature_detected!("avx2") {
                        // SAFETY: checked just above.
                        let avx2 = unsafe { block_masks_avx2(&chunk) };
                        assert_eq!(avx2, want, "{value:#x} at {lane}");
                    }
                }
            }
            let (quotes, odd) = block_masks_by_byte(&[value; 64]);
            assert_eq!(quotes != 0, value == b'"', "{value:#x}");
            assert_eq!(odd != 0, value == b'\\' || value < 0x20, "{value:#x}");
        }
    }

    /// Strings across several blocks: an odd byte in a middle block is seen, text outside
    /// ASCII is taken.
    #[test]
    fn strings_across_blocks() {
        let long = |middle: &str| {
            format!(
                "{{\"a\":\"{}{middle}{}\",\"b\":1}}",
                "x".repeat(100),
                "y".repeat(70)
            )
        };
        for odd in ["\t", "\u{1f}", "\\\""] {
            assert!(plain(&long(odd)).is_none(), "{odd:?}");
        }
        for text in [long(""), long("é"), long("\u{7f}"), long("日本"), long(" ")] {
            let fields = plain(&text).unwrap_or_else(|| panic!("not read: {text}"));
            assert_eq!(Ok(fields.clone()), both_readings(text.as_bytes()).1);
            assert_eq!(fields[1].value, Value::Int(1));
        }
    }

    /// What is not plain is left to the general path, which reads it or says why not.
    #[test]
    fn what_is_not_plain_is_left_to_the_general_path() {
        let deep = "{\"a\":".repeat(20) + "1" + &"}".repeat(20);
        for text in [
            r#"{"a":"x\"y"}"#,
            r#"{"a\u0062":1}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":007}"#,
            r#"{"a":1234567890123456789}"#,
            r#"{"a":[[1]]}"#,
            r#"{"properties":"{\"UserId\":\"8:acs:x\"}"}"#,
            &deep,
            // Not JSON at all: the general path's error is the one the user sees.
            r#"{"a":1,}"#,
            r#"{"a":tru}"#,
            r#"{"a" 1}"#,
            r#"{"a":1} x"#,
            "[1]",
            "\u{feff}{}",
        ] {
            assert!(plain(text).is_none(), "{text}");
        }
        assert!(!flatten(b"{\"a\":\"\xff\"}", &mut Vec::new()));
    }

    /// Text values for the property test: plain and odd, and ones that spell `null`.
    const TEXTS: &[&str] = &[
        "abc",
        "",
        " padded ",
        "null",
        "Redacted",
        "é",
        "a\\\"b",
        "\\u00e9",
        "tab\there",
        "x\\ud800",
        "{}",
        "8:acs:x",
    ];
    const NUMBERS: &[&str] = &[
        "0",
        "-0",
        "7",
        "-12",
        "007",
        "1.5",
        "1e3",
        "-1E-2",
        "123456789012345678",
        "-123456789012345678",
        "1234567890123456789",
        "18446744073709551616",
        "-",
        "1.",
        "+1",
    ];
    const WORDS: &[&str] = &["true", "false", "null", "nul", "truex", "True"];
    const KEYS: &[&str] = &[
        "a",
        "properties",
        "Properties",
        "DATA",
        "data",
        "a.b",
        "",
        "k\\\"",
        "time",
    ];
    const BLANKS: &[&str] = &["", "", "", " ", "\n", "\t", "\r\n", "\u{a0}"];
    /// Bytes put at random places to break the text.
    const BREAKS: &[&str] = &[",", "}", "]", "\"", ":", "\\", "\u{1}", "{", "[", "0"];

    /// An object of (key, value, blank) members, the blank around each token.
    fn object_text(members: Vec<(&'static str, String, &'static str)>) -> String {
        let members: Vec<String> = members
            .into_iter()
            .map(|(k, v, b)| format!("{b}\"{k}\"{b}:{b}{v}{b}"))
            .collect();
        format!("{{{}}}", members.join(","))
    }

    fn json_text() -> impl Strategy<Value = String> {
        let blank = proptest::sample::select(BLANKS);
        let leaf = prop_oneof![
            proptest::sample::select(TEXTS).prop_map(|t| format!("\"{t}\"")),
            proptest::sample::select(NUMBERS).prop_map(str::to_owned),
            proptest::sample::select(WORDS).prop_map(str::to_owned),
        ];
        leaf.prop_recursive(4, 40, 6, move |inner| {
            let blank = blank.clone();
            prop_oneof![
                proptest::collection::vec(
                    (proptest::sample::select(KEYS), inner.clone(), blank.clone()),
                    0..6
                )
                .prop_map(object_text),
                (proptest::collection::vec(inner, 0..4), blank).prop_map(|(items, b)| {
                    format!("[{b}{}{b}]", items.join(&format!("{b},{b}")))
                }),
            ]
        })
    }

    /// Plain values only: text without escapes (some outside ASCII, some longer than a block),
    /// whole numbers JSON writes, booleans and null, in objects and arrays with JSON's blanks.
    fn plain_json_text() -> impl Strategy<Value = String> {
        const PLAIN_TEXTS: &[&str] =
            &["abc", "", " padded ", "null", "Redacted", "é", "日本", "{}"];
        const PLAIN_NUMBERS: &[&str] = &["0", "7", "-12", "123456789012345678", "-98765"];
        const PLAIN_KEYS: &[&str] = &["a", "properties", "Properties", "DATA", "data", "a.b", ""];
        const JSON_BLANKS: &[&str] = &["", "", " ", "\n", "\t", "\r\n"];
        let blank = proptest::sample::select(JSON_BLANKS);
        let leaf = prop_oneof![
            (proptest::sample::select(PLAIN_TEXTS), 0usize..3)
                .prop_map(|(t, long)| format!("\"{}{t}\"", "w".repeat(long * 70))),
            proptest::sample::select(PLAIN_NUMBERS).prop_map(str::to_owned),
            proptest::sample::select(&["true", "false", "null"][..]).prop_map(str::to_owned),
        ];
        leaf.prop_recursive(6, 48, 5, move |inner| {
            let blank = blank.clone();
            prop_oneof![
                proptest::collection::vec(
                    (
                        proptest::sample::select(PLAIN_KEYS),
                        inner.clone(),
                        blank.clone()
                    ),
                    0..5
                )
                .prop_map(object_text),
                // Arrays of scalars and objects (an array in an array is left to the general
                // path, so none is made here).
                (
                    proptest::collection::vec(
                        prop_oneof![
                            inner
                                .clone()
                                .prop_filter("no array in an array", |v| !v.starts_with('[')),
                        ],
                        0..4
                    ),
                    blank
                )
                    .prop_map(|(items, b)| format!("[{b}{}{b}]", items.join(&format!("{b},{b}")))),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Plain records are all read here, and read as the general path reads them.
        #[test]
        fn plain_records_are_all_taken(
            members in proptest::collection::vec(
                (proptest::sample::select(KEYS).prop_filter("plain", |k| !k.contains('\\')),
                 plain_json_text()), 0..6),
        ) {
            let members: Vec<String> =
                members.iter().map(|(k, v)| format!("\"{k}\" : {v}")).collect();
            let text = format!(" {{{}}} ", members.join(" ,"));
            let taken = plain(&text);
            prop_assert!(taken.is_some(), "not taken: {}", text);
            prop_assert_eq!(Ok(taken.unwrap()), both_readings(text.as_bytes()).1);
        }
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Whatever the plain reader takes, the general path takes too, with the same fields:
        /// objects of every kind of value, blanks, and texts broken at a random place.
        #[test]
        fn the_plain_reader_agrees_with_the_general_path(
            members in proptest::collection::vec(
                (proptest::sample::select(KEYS), json_text()), 0..5),
            breaks in proptest::collection::vec(
                (proptest::sample::select(BREAKS), 0usize..400), 0..2),
            cut in proptest::option::of(0usize..400),
        ) {
            let members: Vec<String> =
                members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let mut text = format!("{{{}}}", members.join(","));
            for (piece, at) in breaks {
                let at = (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap();
                text.insert_str(at, piece);
            }
            let mut bytes = text.into_bytes();
            if let Some(cut) = cut {
                bytes.truncate(cut);
            }
            let (plain, general) = both_readings(&bytes);
            if let Some(plain) = plain {
                prop_assert_eq!(Ok(plain), general);
            }
        }
    }
}
