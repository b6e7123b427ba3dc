//! Redaction of everything the tool prints: secrets ([`crate::secrets`]) replaced by
//! `[REDACTED]`, phone numbers masked to their country code and last digits. IDs support needs
//! (call, participant, MS-CV, message IDs) are left intact. Message bodies never reach output in
//! the first place (see [`crate::record::Record::excerpt`]).
//!
//! [`RedactingWriter`] applies it line by line to any output stream: secrets and phone numbers
//! never span lines in what the tool writes (JSON escapes line breaks), so nothing is missed and
//! nothing is buffered beyond a line.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::secrets::Secrets;

/// Masks a phone number, keeping the country code (best effort: the first 1–3 digits after `+`)
/// and the last two digits: `+14255550123` → `+1*******23`. Text that is not a phone number is
/// returned as is.
pub fn mask_phone(number: &str) -> String {
    let trimmed = number.trim();
    let digits: Vec<char> = trimmed.chars().filter(|c| c.is_ascii_digit()).collect();
    let looks_like_phone = digits.len() >= 7
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    if !looks_like_phone {
        return trimmed.to_owned();
    }
    let plus = trimmed.starts_with('+');
    let cc_len = country_code_len(&digits);
    let keep_tail = 2;
    let mut out = String::new();
    if plus {
        out.push('+');
    }
    let head = if plus { cc_len } else { 0 };
    for (i, d) in digits.iter().enumerate() {
        if i < head || i >= digits.len() - keep_tail {
            out.push(*d);
        } else {
            out.push('*');
        }
    }
    out
}

/// Length of the E.164 country code at the start of `digits` (1, 2 or 3 digits).
fn country_code_len(digits: &[char]) -> usize {
    match digits.first() {
        // NANP (+1) and Russia/Kazakhstan (+7) are one digit.
        Some('1') | Some('7') => 1,
        // Zones 2, 3, 4, 5, 6, 8, 9 use two- or three-digit codes; the common two-digit ones:
        Some(_) => {
            let two: String = digits.iter().take(2).collect();
            const TWO_DIGIT: [&str; 44] = [
                "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
                "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61",
                "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94",
                "95", "98",
            ];
            if TWO_DIGIT.contains(&two.as_str()) {
                2
            } else {
                3
            }
        }
        None => 0,
    }
}

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Phone numbers in text: E.164 written plain or with the usual separators
/// (`+14255550123`, `+1 (425) 555-0199`, `+44 20 7946 0958`), the `00` international prefix
/// (`0044 20 7946 0958`), Event Grid subjects (`/phonenumber/1425...`), and numbers after the
/// words and fields that hold them (`to=1425...`, `from 1800...`, `"phoneNumber": "1425..."`).
fn phone_patterns() -> &'static [Regex; 3] {
    static PATTERNS: OnceLock<[Regex; 3]> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            Regex::new(r"\+\(?\d{1,4}\)?(?:[ .\-]?\(?\d{1,5}\)?){1,6}").expect("static pattern"),
            Regex::new(r"(?P<lead>^|[^\w\-+.:/])(?P<number>00[1-9](?:[ .\-]?\d){7,14})\b")
                .expect("static pattern"),
            Regex::new(
                r#"(?i)(?P<lead>/phonenumber/|\b(?:to|from|phoneNumber)(?:=|"\s*:\s*"|\s+))(?P<number>\d{7,15})\b"#,
            )
            .expect("static pattern"),
        ]
    })
}

/// Masks a match that holds 7 to 15 digits (an E.164 number), keeping a trailing separator
/// out of it; anything else is left as it is.
fn mask_if_phone(text: &str) -> String {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return text.to_owned();
    }
    let mut trimmed = text.trim_end_matches([' ', '.', '-', '(']);
    // A closing parenthesis that closes nothing inside the number belongs to the text around it.
    if trimmed.ends_with(')') && trimmed.matches(')').count() > trimmed.matches('(').count() {
        trimmed = &trimmed[..trimmed.len() - 1];
    }
    format!("{}{}", mask_phone(trimmed), &text[trimmed.len()..])
}

/// Redacts one piece of text.
pub fn redact(text: &str) -> Cow<'_, str> {
    redact_parts(text, true)
}

/// [`redact`], which looks for secrets only when `secrets` says a needle may be there.
fn redact_parts(text: &str, secrets: bool) -> Cow<'_, str> {
    let mut out: Cow<'_, str> = Cow::Borrowed(text);
    let hits = if secrets {
        Secrets::bundled().find(&out)
    } else {
        Vec::new()
    };
    if !hits.is_empty() {
        let mut s = String::with_capacity(text.len());
        let mut last = 0;
        for h in &hits {
            s.push_str(&text[last..h.start]);
            s.push_str(REDACTED);
            last = h.end;
        }
        s.push_str(&text[last..]);
        out = Cow::Owned(s);
    }
    let [e164, international, fields] = phone_patterns();
    if out.contains('+') && e164.is_match(&out) {
        out = Cow::Owned(
            e164.replace_all(&out, |c: &regex::Captures<'_>| mask_if_phone(&c[0]))
                .into_owned(),
        );
    }
    if out.contains("00") && international.is_match(&out) {
        out = Cow::Owned(
            international
                .replace_all(&out, |c: &regex::Captures<'_>| {
                    format!("{}{}", &c["lead"], mask_if_phone(&c["number"]))
                })
                .into_owned(),
        );
    }
    if fields.is_match(&out) {
        out = Cow::Owned(
            fields
                .replace_all(&out, |c: &regex::Captures<'_>| {
                    format!("{}{}", &c["lead"], mask_phone(&c["number"]))
                })
                .into_owned(),
        );
    }
    out
}

/// Where in `text` redaction would change something (secrets and phone numbers), as byte
/// ranges. Text cut short must not cut inside one: half a key is still half a key.
pub fn sensitive_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans: Vec<std::ops::Range<usize>> = Secrets::bundled()
        .find(text)
        .into_iter()
        .map(|h| h.start..h.end)
        .collect();
    let [e164, international, fields] = phone_patterns();
    spans.extend(e164.find_iter(text).map(|m| m.range()));
    for re in [international, fields] {
        spans.extend(
            re.captures_iter(text)
                .filter_map(|c| c.name("number").map(|m| m.range())),
        );
    }
    spans
}

/// The longest prefix of `text` of at most `max_chars` characters that does not end inside a
/// secret or phone number ([`sensitive_spans`]), and whether anything was cut.
pub fn safe_prefix(text: &str, max_chars: usize) -> (&str, bool) {
    // No more characters than bytes: a text this short is kept whole without counting them
    // (nearly every value an evidence excerpt shows).
    if text.len() <= max_chars {
        return (text, false);
    }
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return (text, false);
    };
    let cut = sensitive_spans(text)
        .into_iter()
        .filter(|span| span.start < cut && cut < span.end)
        .map(|span| span.start)
        .min()
        .unwrap_or(cut);
    (&text[..cut], true)
}

/// Redacts text made of whole lines as [`redact`] on each line would (as [`RedactingWriter`]
/// does), but looks only at the lines [`may_change`] points to: calling [`redact`] on every line
/// of a large report cost more than finding the few lines it could change in one pass over the
/// whole text.
pub fn redact_lines(text: &str) -> Cow<'_, str> {
    let (needles, others) = may_change(text);
    let (mut needles, mut others) = (
        needles.into_iter().peekable(),
        others.into_iter().peekable(),
    );
    // Whether a mark falls before `end`; the marks before it are used up.
    let marked = |marks: &mut std::iter::Peekable<std::vec::IntoIter<usize>>, end: usize| {
        let mut any = false;
        while marks.next_if(|&at| at < end).is_some() {
            any = true;
        }
        any
    };
    // Set once a line changed: the text so far, then every line after it.
    let mut out: Option<String> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let needle = marked(&mut needles, end);
        let redacted = if marked(&mut others, end) || needle {
            redact_parts(line, needle)
        } else {
            Cow::Borrowed(line)
        };
        match (&mut out, redacted) {
            (Some(out), line) => out.push_str(&line),
            (None, Cow::Owned(line)) => {
                let mut changed = String::with_capacity(text.len() + line.len());
                changed.push_str(&text[..start]);
                changed.push_str(&line);
                out = Some(changed);
            }
            (None, Cow::Borrowed(_)) => {}
        }
        start = end;
    }
    out.map_or(Cow::Borrowed(text), Cow::Owned)
}

/// Byte offsets in `text`, in order, such that [`redact`] leaves every line without one as it
/// is: where a secret's needle starts, and where a phone number may be. Each phone step of
/// `redact` first needs one of these: a `+` (E.164 numbers); `00` and a digit 1–9 with at least
/// seven more digits after it (the international prefix, [`digits_follow`]); a word that leads
/// a number (`to=`, `from `, `"phoneNumber":`, `/phonenumber/`, in any case) with at least
/// seven digits after it ([`number_follows_lead`]); and, since the patterns' `\s` and `\d` also
/// match characters of other scripts, a line that is not all ASCII.
fn may_change(text: &str) -> (Vec<usize>, Vec<usize>) {
    let bytes = text.as_bytes();
    let (needles, mut phones) = crate::secrets::lowered(bytes, |lower| {
        let needles: Vec<usize> = Secrets::bundled().needle_starts(lower).collect();
        let mut leads = Vec::new();
        let mut from = 0;
        while let Some(m) = phone_leads().find(aho_corasick::Input::new(lower).range(from..)) {
            if number_follows_lead(lower, m.end()) {
                leads.push(m.start());
                from = m.end();
            } else {
                // Another lead may start inside this one: `/phonenumber/` ends with the slash
                // that begins the next (`/phonenumber/phonenumber/<number>`).
                from = m.start() + 1;
            }
        }
        (needles, leads)
    });
    phones.extend(memchr::memchr_iter(b'+', bytes));
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&bytes[from..], b"00") {
        // The zeros run on; the prefix is there when a digit 1–9 ends the run.
        let mut after = from + found + 2;
        while bytes.get(after) == Some(&b'0') {
            after += 1;
        }
        if bytes.get(after).is_some_and(|b| (b'1'..=b'9').contains(b))
            && digits_follow(bytes, after + 1, FEWEST_DIGITS)
        {
            phones.push(after);
        }
        from = after;
    }
    if !bytes.is_ascii() {
        let mut start = 0;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            if !line.is_ascii() {
                phones.push(start);
            }
            start += line.len();
        }
    }
    phones.sort_unstable();
    (needles, phones)
}

// The two checks below only let lines go that the phone patterns cannot change. Their matches
// hold ASCII digits and separators in lines of ASCII (`\d` and `\s` of other scripts are in
// lines `may_change` points to anyway). In a report, most lines with `00` or a lead word hold
// no phone number (`streamId=1001`, "left call ... from"), and each such line cost three
// regular expressions, about a tenth of writing a large report.

/// The fewest digits the second and third phone patterns take after their prefix or lead
/// (`{7,14}` after `00[1-9]`, `\d{7,15}` after a lead word).
const FEWEST_DIGITS: usize = 7;

/// The ASCII characters the phone patterns' `\s` matches (with U+000B, which
/// `u8::is_ascii_whitespace` leaves out).
const PATTERN_SPACE: &[u8] = b" \t\n\x0b\x0c\r";

/// Whether the international phone pattern can go on from `at` (just after `00[1-9]`): at
/// least `wanted` more digits, each after at most one space, dot or hyphen.
fn digits_follow(text: &[u8], mut at: usize, wanted: usize) -> bool {
    let mut digits = 0;
    while digits < wanted {
        match text.get(at) {
            Some(b) if b.is_ascii_digit() => digits += 1,
            Some(b' ' | b'.' | b'-') if text.get(at + 1).is_some_and(u8::is_ascii_digit) => {}
            _ => return false,
        }
        at += 1;
    }
    true
}

/// Whether the third phone pattern can find a number after a lead (`to=`, `from `,
/// `"phoneNumber"`) ending at `at`: past white space, colons and quotes, at least
/// [`FEWEST_DIGITS`] digits.
fn number_follows_lead(text: &[u8], mut at: usize) -> bool {
    while text
        .get(at)
        .is_some_and(|b| PATTERN_SPACE.contains(b) || matches!(b, b':' | b'"'))
    {
        at += 1;
    }
    text.get(at..)
        .is_some_and(|rest| rest.iter().take_while(|b| b.is_ascii_digit()).count() >= FEWEST_DIGITS)
}

/// What leads a number the third phone pattern masks, in lower case: a word and the `=`, `"`
/// or ASCII white space after it, or `/phonenumber/`.
fn phone_leads() -> &'static AhoCorasick {
    static LEADS: OnceLock<AhoCorasick> = OnceLock::new();
    LEADS.get_or_init(|| {
        let mut leads = vec!["/phonenumber/".to_owned()];
        for word in ["to", "from", "phonenumber"] {
            for &after in b"=\"".iter().chain(PATTERN_SPACE) {
                leads.push(format!("{word}{}", char::from(after)));
            }
        }
        AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(&leads)
            .expect("static needles")
    })
}

/// A writer that redacts every line written through it.
pub struct RedactingWriter<W: Write> {
    inner: W,
    /// Bytes written but not yet redacted: an unfinished line, and (when holding) whole lines.
    pending: Vec<u8>,
    /// Whole lines are held until this many bytes are pending, then redacted together.
    hold: usize,
}

/// How much a [`RedactingWriter::holding`] writer gathers before redacting: a report written a
/// line at a time is then searched once per block for what could change ([`redact_lines`]),
/// not redacted line by line.
const HOLD_BYTES: usize = 64 << 10;

impl<W: Write> RedactingWriter<W> {
    /// Redacts and passes on each line as soon as it is complete (for messages and progress,
    /// which must not wait).
    pub fn new(inner: W) -> Self {
        RedactingWriter {
            inner,
            pending: Vec::new(),
            hold: 0,
        }
    }

    /// Holds whole lines until about 64 KiB have gathered (or a flush), then redacts them
    /// together: for output that is buffered anyway.
    pub fn holding(inner: W) -> Self {
        RedactingWriter {
            inner,
            pending: Vec::new(),
            hold: HOLD_BYTES,
        }
    }

    /// Redacts and writes the whole lines pending; the unfinished one stays.
    fn write_pending_lines(&mut self) -> io::Result<()> {
        let Some(last_nl) = memchr::memrchr(b'\n', &self.pending) else {
            return Ok(());
        };
        self.inner
            .write_all(&redact_block(&self.pending[..=last_nl]))?;
        self.pending.drain(..=last_nl);
        Ok(())
    }
}

/// Lines (the last may be unfinished) redacted as [`redact`] on each would redact them. The
/// tool only writes UTF-8; should a line not be, it goes through untouched and the others are
/// still redacted.
fn redact_block(lines: &[u8]) -> Cow<'_, [u8]> {
    if let Ok(text) = std::str::from_utf8(lines) {
        return match redact_lines(text) {
            Cow::Borrowed(_) => Cow::Borrowed(lines),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
    }
    let mut out = Vec::with_capacity(lines.len());
    for line in lines.split_inclusive(|&b| b == b'\n') {
        match std::str::from_utf8(line) {
            Ok(text) => out.extend_from_slice(redact(text).as_bytes()),
            Err(_) => out.extend_from_slice(line),
        }
    }
    Cow::Owned(out)
}

/// Writes this large are redacted in line-aligned chunks on every thread (a JSON report of tens
/// of thousands of findings is one write).
const PARALLEL_WRITE_BYTES: usize = 4 << 20;

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() >= PARALLEL_WRITE_BYTES
            && let Some(last_nl) = memchr::memrchr(b'\n', buf)
        {
            // Finish what is pending with the line already begun, then cut the whole lines
            // into chunks.
            let first_nl = memchr::memchr(b'\n', buf).unwrap_or(last_nl);
            let (head, whole) = buf.split_at(first_nl + 1);
            self.pending.extend_from_slice(head);
            self.write_pending_lines()?;
            let (whole, tail) = whole.split_at(last_nl - first_nl);
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut left = whole;
            while left.len() > PARALLEL_WRITE_BYTES / 8 {
                let at = memchr::memchr(b'\n', &left[PARALLEL_WRITE_BYTES / 8..])
                    .map_or(left.len(), |i| PARALLEL_WRITE_BYTES / 8 + i + 1);
                let (chunk, more) = left.split_at(at);
                chunks.push(chunk);
                left = more;
            }
            chunks.push(left);
            let redacted: Vec<Cow<'_, [u8]>> = {
                use rayon::prelude::*;
                chunks.par_iter().map(|chunk| redact_block(chunk)).collect()
            };
            for chunk in redacted {
                self.inner.write_all(&chunk)?;
            }
            self.pending.extend_from_slice(tail);
            return Ok(buf.len());
        }
        self.pending.extend_from_slice(buf);
        // Only a write that ends a line can complete one (and the search for the last line
        // break then stays within it).
        if self.pending.len() >= self.hold && memchr::memchr(b'\n', buf).is_some() {
            self.write_pending_lines()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending_lines()?;
        // The last line, unfinished.
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.inner.write_all(&redact_block(&line))?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_write_is_redacted_like_small_ones() {
        let line = "key accesskey=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g= to +14255550123 ok\n";
        let mut text = String::from("begun ");
        while text.len() < PARALLEL_WRITE_BYTES + 1000 {
            text.push_str(line);
            text.push_str("plain line\n");
        }
        text.push_str("unfinished +14255550123");
        let mut small = Vec::new();
        {
            let mut w = RedactingWriter::new(&mut small);
            for piece in text.as_bytes().chunks(1000) {
                w.write_all(piece).unwrap();
            }
        }
        let mut large = Vec::new();
        {
            let mut w = RedactingWriter::new(&mut large);
            w.write_all(b"already ").unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        assert_eq!(large, [&b"already "[..], &small].concat());
        assert!(!String::from_utf8_lossy(&large).contains("+14255550123"));
    }

    /// A holding writer, and one that passes each line on at once, write what redacting every
    /// line alone gives, whatever the sizes of the writes; a line that is not UTF-8 goes
    /// through untouched and the lines around it are still redacted.
    #[test]
    fn holding_writes_redact_as_line_by_line() {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for i in 0..8000 {
            let a = PIECES[i % PIECES.len()];
            let b = PIECES[(i * 7 + 3) % PIECES.len()];
            lines.push(format!("{i} {a} {b}\n").into_bytes());
        }
        lines[3999] = b"not utf-8 \xff to=14255550123\n".to_vec();
        let text = lines.concat();
        let expected: Vec<u8> = lines
            .iter()
            .flat_map(|line| match std::str::from_utf8(line) {
                Ok(l) => redact(l).into_owned().into_bytes(),
                Err(_) => line.clone(),
            })
            .collect();
        assert!(text.len() > 4 * HOLD_BYTES);
        for size in [1, 7, 1000, 70_000, text.len()] {
            for holding in [false, true] {
                let mut out = Vec::new();
                {
                    let mut w = if holding {
                        RedactingWriter::holding(&mut out)
                    } else {
                        RedactingWriter::new(&mut out)
                    };
                    for piece in text.chunks(size) {
                        w.write_all(piece).unwrap();
                    }
                }
                assert!(
                    out == expected,
                    "writes of {size} bytes, holding: {holding}"
                );
            }
        }
        // Without holding, a line is out as soon as it is complete; holding, at the flush.
        let mut now = Vec::new();
        let mut w = RedactingWriter::new(&mut now);
        w.write_all(b"to=14255550123\n").unwrap();
        std::mem::forget(w);
        assert_eq!(now, redact("to=14255550123\n").as_bytes());
        assert!(!String::from_utf8_lossy(&now).contains("14255550123"));
    }

    /// Pieces of text that each step of `redact` reacts to, near misses, and plain text.
    const PIECES: &[&str] = &[
        "plain words ",
        "accesskey=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g=",
        "ACCESSKEY=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g=",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eXoifQ.c2lnbmF0dXJlLXZhbHVlLWxvbmctZW5vdWdo",
        "sig=abcdefghijklmnopqrstuvwxyz%2B0123456789",
        "password=hunter2hunter2",
        "+14255550123",
        "+1 (425) 555-0199",
        "+",
        "0044 20 7946 0958",
        "0001234567890",
        "000",
        "to=14255550123",
        "\"phoneNumber\": \"18005550199\"",
        "/phonenumber/18005550199",
        "/phonenumber",
        "from ١٤٢٥٥٥٥٠١٢٣",
        "to=",
        "From ",
        "to\u{a0}",
        "to \t\u{b} ",
        "\"to\"  :  \"",
        "\": \"",
        "0",
        "00",
        "streamId=1001",
        "0044",
        "2079460958",
        " 12-34.56",
        "-",
        "1234567",
        "123456",
        "2026-11-01T10:18:14.400Z",
        "c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a",
        "é",
        " ",
    ];

    proptest::proptest! {
        // Enough cases that rare neighbours (a lead word, then a number) come up every run.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// Whole lines redacted together (only the lines `may_change` points to) come out as
        /// when every line is redacted alone.
        #[test]
        fn lines_redacted_together_are_redacted_as_alone(
            lines in proptest::collection::vec(
                proptest::collection::vec(0..PIECES.len(), 0..5), 0..12
            )
        ) {
            let lines: Vec<String> =
                lines.iter().map(|l| l.iter().map(|&i| PIECES[i]).collect()).collect();
            let text = lines.join("\n");
            let alone: String = text.split_inclusive('\n').map(redact).collect();
            let together = redact_lines(&text);
            proptest::prop_assert_eq!(together.as_ref(), alone.as_str());
        }
    }

    /// A write of one line longer than a large write (its first line break is its last) is
    /// redacted like small writes, and does not recurse.
    #[test]
    fn one_line_as_long_as_a_large_write() {
        let secret = "accesskey=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g=";
        let mut line = format!("to +14255550123 {secret} ");
        line.push_str(&"plain ".repeat(PARALLEL_WRITE_BYTES / 6 + 100));
        line.push_str(secret);
        line.push('\n');
        for (before, after) in [
            ("", ""),
            ("begun ", ""),
            ("begun ", "next line\nunfinished"),
        ] {
            let text = format!("{line}{after}");
            let mut small = Vec::new();
            {
                let mut w = RedactingWriter::new(&mut small);
                w.write_all(before.as_bytes()).unwrap();
                for piece in text.as_bytes().chunks(4096) {
                    w.write_all(piece).unwrap();
                }
            }
            let mut large = Vec::new();
            {
                let mut w = RedactingWriter::new(&mut large);
                w.write_all(before.as_bytes()).unwrap();
                w.write_all(text.as_bytes()).unwrap();
            }
            assert!(large == small, "{before:?} + a long line + {after:?}");
            let out = String::from_utf8(large).unwrap();
            assert!(!out.contains("+14255550123") && !out.contains("Zm9vYmFy"));
        }
    }

    #[test]
    fn masks_keep_country_code_and_tail() {
        assert_eq!(mask_phone("+14255550123"), "+1********23");
        assert_eq!(mask_phone("+447700900123"), "+44********23");
        assert_eq!(mask_phone("+35312345678"), "+353******78");
        assert_eq!(mask_phone("15555555555"), "*********55");
        assert_eq!(mask_phone("Contoso"), "Contoso");
        assert_eq!(mask_phone("12345"), "12345");
    }

    #[test]
    fn text_is_redacted_and_ids_are_kept() {
        let line = "conn endpoint=https://x.communication.azure.com/;accesskey=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g= to +14255550123 \"phoneNumber\": \"18005550199\" subject=/phonenumber/18005550199 callId=c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a";
        assert_eq!(
            redact(line),
            "conn endpoint=https://x.communication.azure.com/;accesskey=[REDACTED] to +1********23 \"phoneNumber\": \"*********99\" subject=/phonenumber/*********99 callId=c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a"
        );
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    /// A lead that no number follows can hide the start of one that a number does.
    #[test]
    fn a_lead_inside_another_still_points_at_its_number() {
        let line = "subject /phonenumber/phonenumber/14255550123\n";
        let out = redact_lines(line);
        assert!(!out.contains("14255550123"), "{out}");
        assert_eq!(out, redact(line));
    }

    #[test]
    fn phone_numbers_in_their_written_forms() {
        for (text, masked) in [
            ("call +1 (425) 555-0199 now", "call +1********99 now"),
            ("+44 20 7946 0958", "+44********58"),
            ("dial 0044 20 7946 0958.", "dial ************58."),
            ("(+1-425-555-0199)", "(+1********99)"),
        ] {
            assert_eq!(redact(text), masked, "{text}");
        }
        // IDs, times and versions are not phone numbers.
        for text in [
            "acs:6f2a1c3e-0000-4000-8000-00000000ab01_0000001a-0002-4c2d-85f0-3a3b00000002",
            "2026-11-20T10:00:00+01:00",
            "sdk 1.0012345678",
            "+123",
            "Outgoing_20261120161000a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a5b_noam",
        ] {
            assert_eq!(redact(text), text, "{text}");
        }
    }

    #[test]
    fn cutting_text_never_keeps_part_of_a_secret() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eXoifQ.c2lnbmF0dXJlLXZhbHVlLWxvbmctZW5vdWdo";
        let text = format!("token {jwt} tail");
        let (kept, cut) = safe_prefix(&text, 30);
        assert!(cut);
        assert_eq!(kept, "token ");
        let (kept, cut) = safe_prefix("short", 30);
        assert_eq!((kept, cut), ("short", false));
        let (kept, _) = safe_prefix("to +14255550123 more", 8);
        assert_eq!(kept, "to ");
        // The limit counts characters, not bytes.
        assert_eq!(safe_prefix("abcd", 4), ("abcd", false));
        assert_eq!(safe_prefix("abcde", 4), ("abcd", true));
        let accents = "é".repeat(20);
        assert_eq!(safe_prefix(&accents, 30), (accents.as_str(), false));
        assert_eq!(safe_prefix(&accents, 19), (&accents[..38], true));
    }

    #[test]
    fn escaped_quotes_do_not_hide_a_secret() {
        let key = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g=";
        for text in [
            format!(r#"{{"excerpt": "primaryKey=\"{key}\""}}"#),
            format!(r#"{{\"primaryKey\": \"{key}\"}}"#),
            format!("&quot;primaryKey&quot;: &quot;{key}&quot;"),
            format!("a.wav?sv=1&amp;sig={key}"),
        ] {
            let out = redact(&text);
            assert!(!out.contains(key), "{text} → {out}");
        }
    }

    #[test]
    fn the_writer_redacts_across_write_calls() {
        let mut out = Vec::new();
        {
            let mut w = RedactingWriter::new(&mut out);
            w.write_all(b"Authorization: Bearer abcdefghij").unwrap();
            w.write_all(b"klmnopqrstuv\nnext +1425").unwrap();
            w.write_all(b"5550123").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Authorization: Bearer [REDACTED]\nnext +1********23"
        );
    }
}
