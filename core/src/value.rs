//! Field values of a normalized record.
//!
//! ACS logs write the same fact in many ways: `"participantDuration": "5"` next to `5`, the
//! literal string `"null"` next to JSON `null`, `"Redacted"` for hidden SDK versions, IDs with
//! leading spaces. [`Value::from_text`] folds all of those into one representation, once, at
//! ingestion, so analyzers and rules never have to care.

use std::borrow::Cow;
use std::fmt;

/// One field value. Strings borrow from the input buffer when they can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// JSON `null`, the string `"null"`, or an empty / blank string.
    Null,
    /// The service hid the value (`"Redacted"`): cross-tenant, PSTN and bot participants.
    Redacted,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, trimmed. Numbers written as strings stay text here and compare as numbers through
    /// [`Value::as_f64`].
    Str(Cow<'a, str>),
    /// An array of scalars (arrays of objects are flattened into indexed field names instead).
    List(Vec<Value<'a>>),
}

impl<'a> Value<'a> {
    /// Normalizes a text value: trims it and recognizes `null`, blank and `Redacted`.
    ///
    /// Its common case (nothing to trim, no spelling of null or redacted) is settled inline,
    /// where the field is made: returned from a call, the value went through memory that the
    /// copy into the field list read back before the processor had it (a stall sampling showed
    /// on most fields of the plain JSON reader). Forced: with the release build optimized as
    /// one unit the compiler stopped inlining it on its own.
    #[inline(always)]
    pub fn from_text(text: Cow<'a, str>) -> Value<'a> {
        if Value::is_settled_text(&text) {
            return Value::Str(text);
        }
        Value::from_other_text(text)
    }

    /// True when [`Value::from_text`] would make `text` a [`Value::Str`] as it is: nothing to
    /// trim, and no spelling of null or redacted (nearly every text).
    #[inline(always)]
    pub fn is_settled_text(text: &str) -> bool {
        let bytes = text.as_bytes();
        if !has_plain_ends(bytes) {
            return false;
        }
        // Setting bit 5 of a byte gives a lower-case letter exactly for that letter in either
        // case, so a word of letters compares this way as `eq_ignore_ascii_case` would.
        if let Ok(four) = <[u8; 4]>::try_from(bytes) {
            return u32::from_le_bytes(four) | 0x2020_2020 != u32::from_le_bytes(*b"null");
        }
        if let Ok(eight) = <[u8; 8]>::try_from(bytes) {
            return u64::from_le_bytes(eight) | 0x2020_2020_2020_2020
                != u64::from_le_bytes(*b"redacted");
        }
        true
    }

    /// [`Value::from_text`] for the rest: text to trim, or a spelling of `null` or `Redacted`.
    fn from_other_text(text: Cow<'a, str>) -> Value<'a> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("null") {
            return Value::Null;
        }
        if trimmed.eq_ignore_ascii_case("redacted") {
            return Value::Redacted;
        }
        if trimmed.len() == text.len() {
            return Value::Str(text);
        }
        match text {
            Cow::Borrowed(s) => Value::Str(Cow::Borrowed(s.trim())),
            Cow::Owned(s) => Value::Str(Cow::Owned(s.trim().to_owned())),
        }
    }

    /// Same as [`Value::from_text`] for a borrowed `&str`.
    pub fn text(text: &'a str) -> Value<'a> {
        Value::from_text(Cow::Borrowed(text))
    }

    /// True when the value holds memory of its own (an owned text, a list): dropping it frees
    /// something. Every variant is named, so a new one has to say.
    pub fn owns_memory(&self) -> bool {
        match self {
            Value::Str(Cow::Owned(_)) | Value::List(_) => true,
            Value::Null
            | Value::Redacted
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Str(Cow::Borrowed(_)) => false,
        }
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True for [`Value::Redacted`].
    pub fn is_redacted(&self) -> bool {
        matches!(self, Value::Redacted)
    }

    /// The text of a string value (not of numbers or booleans).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a number: JSON numbers, and strings that hold a number (`"202"`,
    /// `"3.146336E-05"`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => parse_number(s),
            _ => None,
        }
    }

    /// The value as an integer, when it is a whole number.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            Value::Str(s) => s.parse::<i64>().ok().or_else(|| {
                parse_number(s)
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            _ => None,
        }
    }

    /// The value as a boolean: JSON booleans and the strings `true` / `false` in any case.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The value as display text (`Cow::Borrowed` for strings).
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s),
            other => Cow::Owned(other.to_string()),
        }
    }

    /// Detaches the value from the input buffer.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Redacted => Value::Redacted,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::List(items) => Value::List(items.into_iter().map(Value::into_owned).collect()),
        }
    }
}

/// True when the text starts and ends with an ASCII character above the space (`!` to DEL):
/// trimming it would change nothing, so the Unicode-aware trim can be spared.
#[inline]
fn has_plain_ends(bytes: &[u8]) -> bool {
    let plain = |b: &u8| *b > b' ' && *b < 0x80;
    bytes.first().is_some_and(plain) && bytes.last().is_some_and(plain)
}

/// Parses a number written as text. Accepts what JSON and .NET print (`1e-5`, `3.1E-05`), not
/// hexadecimal or `NaN`, which are never numbers in these logs.
pub fn parse_number(text: &str) -> Option<f64> {
    // Nearly every text here is trimmed already (see `Value::from_text`).
    let t = if has_plain_ends(text.as_bytes()) {
        text
    } else {
        text.trim()
    };
    let first = *t.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if let Some(f) = short_decimal(t.as_bytes()) {
        return Some(f);
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A plain decimal of at most 15 digits (`80`, `-3`, `0.0001`), the form of nearly every number
/// the logs write as text, without the general parser: its digits and its power of ten are both
/// exact in an `f64`, so one division gives the correctly rounded value (Clinger's fast path).
/// `None` for anything else (exponents, signs other than `-`, more digits), which the general
/// parser takes.
fn short_decimal(bytes: &[u8]) -> Option<f64> {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let (mut mantissa, mut count, mut fraction, mut dot) = (0u64, 0usize, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                fraction += usize::from(dot);
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
        if count > 15 {
            return None;
        }
    }
    if count == 0 {
        return None;
    }
    let value = mantissa as f64 / POWERS[fraction];
    Some(if negative { -value } else { value })
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Redacted => f.write_str("Redacted"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::Value;

    /// What the general path makes of `text` is a [`Value::Str`] of it unchanged.
    fn kept_as_is(text: &str) -> bool {
        matches!(Value::from_other_text(Cow::Borrowed(text)), Value::Str(s) if s == text)
    }

    /// Every case spelling of null and redacted is left to the general path, which knows them.
    #[test]
    fn spellings_of_null_and_redacted_are_not_settled() {
        for word in ["null", "redacted"] {
            for spelled in crate::case_spellings(word) {
                assert!(!Value::is_settled_text(&spelled), "{spelled}");
                assert!(!kept_as_is(&spelled), "{spelled}");
            }
        }
        for text in [
            "VoIP", "1000", "nul1", "nul@", "NUL{", "redacte!", "Redact3d", "0.0001",
        ] {
            assert!(Value::is_settled_text(text), "{text}");
            assert!(kept_as_is(text), "{text}");
        }
    }

    /// Every ASCII byte at every place of `null` and `redacted`: what is settled inline is
    /// what the general path keeps as it is, so no near spelling slips past the fold.
    #[test]
    fn one_byte_from_null_or_redacted_is_judged_as_the_general_path_does() {
        for word in ["null", "redacted"] {
            for at in 0..word.len() {
                for byte in 0..0x80u8 {
                    let mut bytes = word.as_bytes().to_vec();
                    bytes[at] = byte;
                    let text = String::from_utf8(bytes).expect("ASCII");
                    if Value::is_settled_text(&text) {
                        assert!(kept_as_is(&text), "{text:?}");
                    }
                }
            }
        }
    }

    proptest! {
        /// A text settled inline is one the general path keeps as it is, byte for byte (the
        /// other way need not hold: a control character at an end is left to the general
        /// path, which keeps it too). Most draws are four or eight letters of the two words.
        #[test]
        fn settled_texts_are_kept_as_they_are(
            text in prop_oneof![
                3 => "[nNuUlL]{4}|[rRdDeEaAcCtT]{8}",
                1 => "[nNuUlL@`{\\[ .0-9rRdDeEaAcCtT\\x00-\\x1f\\t]{0,9}",
            ]
        ) {
            if Value::is_settled_text(&text) {
                prop_assert!(kept_as_is(&text));
            }
        }
    }
    /// The short path gives exactly what the general parser gives, and leaves it what it cannot
    /// take.
    #[test]
    fn short_decimals_match_the_general_parser() {
        for text in [
            "0",
            "80",
            "-3",
            "0.0001",
            "0.1",
            "12.5",
            "-0.0",
            "123456789012345",
            "1.23456789012345",
            "0.000000000000001",
            ".5",
            "5.",
            "007",
            "9007199254740991",
        ] {
            let expected = text.parse::<f64>().ok();
            assert_eq!(super::parse_number(text), expected, "{text}");
            if let Some(short) = super::short_decimal(text.as_bytes()) {
                assert_eq!(short.to_bits(), expected.unwrap().to_bits(), "{text}");
            }
        }
        for text in [
            "1e5",
            "1.2.3",
            "-",
            ".",
            "+5",
            "1234567890123456",
            "0x10",
            "1_0",
        ] {
            assert!(super::short_decimal(text.as_bytes()).is_none(), "{text}");
        }
        assert_eq!(super::parse_number("1e5"), Some(1e5));
        assert_eq!(super::parse_number("+5"), Some(5.0));
        // Blanks around a number, ASCII or not, are trimmed; other characters are not.
        for (text, expected) in [
            (" 80", Some(80.0)),
            ("80 ", Some(80.0)),
            ("\t12.5\n", Some(12.5)),
            ("\u{a0}7\u{2003}", Some(7.0)),
            ("5\u{e9}", None),
            ("\u{e9}5", None),
            (" ", None),
            ("", None),
        ] {
            assert_eq!(super::parse_number(text), expected, "{text:?}");
        }
    }

    #[test]
    fn text_normalization() {
        assert_eq!(Value::text("null"), Value::Null);
        assert_eq!(Value::text("  "), Value::Null);
        assert_eq!(Value::text("Redacted"), Value::Redacted);
        // Any case, with or without blanks around; other words of four and eight letters stay.
        for null in ["NULL", "Null", " null", "null\t", "\u{a0}null"] {
            assert_eq!(Value::text(null), Value::Null, "{null:?}");
        }
        for redacted in ["REDACTED", "redacted", "Redacted ", " REDACTED"] {
            assert_eq!(Value::text(redacted), Value::Redacted, "{redacted:?}");
        }
        for word in ["VoIP", "1000", "nul", "nulls", "Redacts", "redacted!"] {
            assert_eq!(
                Value::text(word),
                Value::Str(Cow::Borrowed(word)),
                "{word:?}"
            );
        }
        assert_eq!(
            Value::text(" b25cf111 "),
            Value::Str(Cow::Borrowed("b25cf111"))
        );
        assert_eq!(
            Value::from_text(Cow::Owned(" x".to_owned())),
            Value::Str(Cow::Borrowed("x"))
        );
    }

    #[test]
    fn numbers_written_as_strings() {
        assert_eq!(Value::text("202").as_f64(), Some(202.0));
        assert_eq!(Value::text("202").as_i64(), Some(202));
        assert_eq!(Value::text("3.146336E-05").as_f64(), Some(3.146336e-5));
        assert_eq!(
            Value::text("1613694358927").as_i64(),
            Some(1_613_694_358_927)
        );
        assert_eq!(Value::text("abc").as_f64(), None);
        assert_eq!(Value::text("NaN").as_f64(), None);
        assert_eq!(Value::text("inf").as_f64(), None);
        assert_eq!(Value::Float(5.0).as_i64(), Some(5));
        assert_eq!(Value::Float(5.5).as_i64(), None);
    }

    #[test]
    fn booleans_in_any_case() {
        assert_eq!(Value::text("TRUE").as_bool(), Some(true));
        assert_eq!(Value::text("False").as_bool(), Some(false));
        assert_eq!(Value::Bool(true).as_bool(), Some(true));
        assert_eq!(Value::text("yes").as_bool(), None);
    }
}
