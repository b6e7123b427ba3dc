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

/// Phone numbers in text: E.164 (`+14255550123`), Event Grid subjects (`/phonenumber/1425...`),
/// and numbers after the words and fields that hold them (`to=1425...`, `from 1800...`,
/// `"phoneNumber": "1425..."`).
fn phone_patterns() -> &'static [Regex; 2] {
    static PATTERNS: OnceLock<[Regex; 2]> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            Regex::new(r"\+\d{7,15}\b").expect("static pattern"),
            Regex::new(
                r#"(?i)(?P<lead>/phonenumber/|\b(?:to|from|phoneNumber)(?:=|"\s*:\s*"|\s+))(?P<number>\d{7,15})\b"#,
            )
            .expect("static pattern"),
        ]
    })
}

/// Redacts one piece of text.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = Secrets::bundled();
    let mut out: Cow<'_, str> = Cow::Borrowed(text);
    let hits = secrets.find(&out);
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
    let [e164, fields] = phone_patterns();
    if out.contains('+') && e164.is_match(&out) {
        out = Cow::Owned(
            e164.replace_all(&out, |c: &regex::Captures<'_>| mask_phone(&c[0]))
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

/// A writer that redacts every line written through it.
pub struct RedactingWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    pub fn new(inner: W) -> Self {
        RedactingWriter {
            inner,
            pending: Vec::new(),
        }
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        match std::str::from_utf8(line) {
            Ok(text) => self.inner.write_all(redact(text).as_bytes()),
            // The tool only writes UTF-8; anything else goes through untouched.
            Err(_) => self.inner.write_all(line),
        }
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            let (line, tail) = rest.split_at(nl + 1);
            if self.pending.is_empty() {
                self.write_line(line)?;
            } else {
                let mut whole = std::mem::take(&mut self.pending);
                whole.extend_from_slice(line);
                self.write_line(&whole)?;
            }
            rest = tail;
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.write_line(&line)?;
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
