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
    pub fn from_text(text: Cow<'a, str>) -> Value<'a> {
        // Fast path: most values have no surrounding blanks and are not `null` / `Redacted`.
        let bytes = text.as_bytes();
        if let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) {
            let plain = |b: u8| b > b' ' && b < 0x80;
            if plain(first) && plain(last) && !matches!(bytes.len(), 4 | 8) {
                return Value::Str(text);
            }
        }
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

/// Parses a number written as text. Accepts what JSON and .NET print (`1e-5`, `3.1E-05`), not
/// hexadecimal or `NaN`, which are never numbers in these logs.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let first = *t.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
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
    use super::*;

    #[test]
    fn text_normalization() {
        assert_eq!(Value::text("null"), Value::Null);
        assert_eq!(Value::text("  "), Value::Null);
        assert_eq!(Value::text("Redacted"), Value::Redacted);
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
