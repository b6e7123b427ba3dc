//! Deserializing one JSON object straight into flat [`Field`]s.
//!
//! This is the hot path of the tool (every storage-export line goes through it), so it avoids
//! building a `serde_json::Value` tree: strings borrow from the input when they have no escapes,
//! the `properties` / `data` bags are opened in place, nested objects become dotted names and
//! arrays of objects indexed names.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::record::{Bag, Field};
use crate::value::Value;

mod plain;

/// A JSON syntax error inside one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub message: String,
    /// 1-based line and column inside the parsed text.
    pub line: usize,
    pub column: usize,
}

impl JsonError {
    fn from_sonic(e: &sonic_rs::Error) -> JsonError {
        let text = e.to_string();
        let message = match text.find(" at line ") {
            Some(i) => text[..i].to_owned(),
            None => text.lines().next().unwrap_or_default().to_owned(),
        };
        JsonError {
            message,
            line: e.line().max(1),
            column: e.column(),
        }
    }

    /// True when the record was refused by one of the reader's own bounds (nesting, the names
    /// of nested fields), which valid JSON can reach: not a fault in the JSON.
    pub fn is_bound(&self) -> bool {
        self.message == NAMES_TOO_LONG || self.message.starts_with(TOO_DEEP)
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.is_bound() {
            "record not read"
        } else {
            "invalid JSON"
        };
        write!(f, "{what}: {} (column {})", self.message, self.column)
    }
}

/// Parses a JSON object (the whole slice) into fields.
///
/// Plain lines (nearly all) are read by [`plain`]'s own reader; the rest by sonic-rs (SIMD)
/// behind serde's interface, which on the storage-export benchmark made the whole run 1.6
/// times faster than serde_json with the same visitor and output.
pub fn parse_object(json: &[u8]) -> Result<Vec<Field<'_>>, JsonError> {
    parse_object_into(json, Vec::with_capacity(32))
}

/// [`parse_object`] into `fields` (emptied first), so that a reader can hand the list of one
/// record on to the next (see [`crate::ingest::Collector::field_list`]).
pub fn parse_object_into<'a>(
    json: &'a [u8],
    mut fields: Vec<Field<'a>>,
) -> Result<Vec<Field<'a>>, JsonError> {
    fields.clear();
    if plain::flatten(json, &mut fields) {
        return Ok(fields);
    }
    fields.clear();
    match parse_strict(json, fields) {
        Err(e) if e.message.contains("surrogate") => {
            // A lone UTF-16 surrogate (`\ud800` without its pair) costs one character, not the
            // record: it becomes U+FFFD, as a lenient JSON reader would make it.
            let repaired = replace_lone_surrogates(json);
            let fields = parse_strict(&repaired, Vec::with_capacity(32)).map_err(|_| e)?;
            Ok(fields
                .into_iter()
                .map(|f| Field {
                    bag: f.bag,
                    key: f.key,
                    name: Cow::Owned(f.name.into_owned()),
                    value: f.value.into_owned(),
                })
                .collect())
        }
        other => other,
    }
}

/// What each path makes of `json`: the plain reader's fields (`None` when it leaves the text to
/// the general path) and the general path's. The fuzz target `flatten` checks that the plain
/// reader never disagrees with the general one.
#[doc(hidden)]
pub fn both_readings(json: &[u8]) -> (Option<Vec<Field<'_>>>, Result<Vec<Field<'_>>, JsonError>) {
    let mut fields = Vec::new();
    let plain = plain::flatten(json, &mut fields).then_some(fields);
    (plain, parse_strict(json, Vec::new()))
}

fn parse_strict<'a>(
    json: &'a [u8],
    mut fields: Vec<Field<'a>>,
) -> Result<Vec<Field<'a>>, JsonError> {
    let mut de = sonic_rs::Deserializer::from_slice(json);
    let names_left = Cell::new(name_allowance(json.len()));
    ObjectSeed {
        fields: &mut fields,
        names_left: &names_left,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| JsonError::from_sonic(&e))?;
    Ok(fields)
}

/// `\uD800`–`\uDFFF` escapes that do not form a high-low pair, replaced by `\uFFFD`.
fn replace_lone_surrogates(json: &[u8]) -> Vec<u8> {
    let unit_at = |i: usize| -> Option<u32> {
        let esc = json.get(i..i + 6)?;
        if esc[0] != b'\\' || esc[1] != b'u' {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(&esc[2..]).ok()?, 16).ok()
    };
    let mut out = Vec::with_capacity(json.len());
    let mut i = 0;
    while i < json.len() {
        // An escaped backslash is copied whole, so `\\ud800` (text, not an escape) stays.
        if json[i] == b'\\' && json.get(i + 1) == Some(&b'\\') {
            out.extend_from_slice(b"\\\\");
            i += 2;
            continue;
        }
        if let Some(unit) = unit_at(i) {
            let high = (0xD800..0xDC00).contains(&unit);
            let paired = high && unit_at(i + 6).is_some_and(|l| (0xDC00..0xE000).contains(&l));
            if paired {
                out.extend_from_slice(&json[i..i + 12]);
                i += 12;
                continue;
            }
            if (0xD800..0xE000).contains(&unit) {
                out.extend_from_slice(b"\\uFFFD");
                i += 6;
                continue;
            }
        }
        out.push(json[i]);
        i += 1;
    }
    out
}

/// Parses a JSON object held in a string value (a `properties` bag some exporters stringify).
fn parse_owned_object(json: &str, bag: Bag) -> Option<Vec<Field<'static>>> {
    let fields = parse_object(json.as_bytes()).ok()?;
    Some(
        fields
            .into_iter()
            .map(|f| Field {
                bag: if f.bag == Bag::Top { bag } else { f.bag },
                key: f.key,
                name: Cow::Owned(f.name.into_owned()),
                value: f.value.into_owned(),
            })
            .collect(),
    )
}

/// A map key that borrows from the input when it can.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The top-level object of a record.
pub(crate) struct ObjectSeed<'f, 'de> {
    pub fields: &'f mut Vec<Field<'de>>,
    /// Bytes the record's nested field names may still take ([`name_allowance`]).
    pub names_left: &'f Cell<usize>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let bag = bag_named(&key);
            map.next_value_seed(FieldSeed {
                fields: self.fields,
                names_left: self.names_left,
                bag: bag.unwrap_or(Bag::Top),
                name: key,
                bag_root: bag.is_some(),
                depth: 1,
            })?;
        }
        Ok(())
    }
}

/// The bag a top-level key opens: `properties` and `data` are transparent (their members are
/// looked up by their own names).
fn bag_named(key: &str) -> Option<Bag> {
    if key.eq_ignore_ascii_case("properties") {
        Some(Bag::Properties)
    } else if key.eq_ignore_ascii_case("data") {
        Some(Bag::Data)
    } else {
        None
    }
}

/// Deepest nesting flattened. ACS records nest a handful of levels; anything deeper is hostile
/// input, refused before it can exhaust the stack.
pub const MAX_DEPTH: u16 = 64;

/// How the refusal of a record nested past [`MAX_DEPTH`] begins.
const TOO_DEEP: &str = "nesting deeper than";

fn too_deep<E: de::Error>() -> E {
    E::custom(format!("{TOO_DEEP} {MAX_DEPTH} levels"))
}

/// Bytes the names built for one record's nested fields (`a.b`, `list[3]`) may take in all:
/// four times the record and 64 KiB more. Real records stay far below; without a bound, a
/// long key over an array of many empty objects (`{"<10 KB>":[{},{},...]}`) makes a name of
/// the key's length for each element, 134 MB from a 40 KB line.
pub const fn name_allowance(record_bytes: usize) -> usize {
    record_bytes.saturating_mul(4).saturating_add(64 * 1024)
}

/// What a record whose nested names run past [`name_allowance`] is rejected with.
pub const NAMES_TOO_LONG: &str =
    "nested field names longer than four times the record (a long key over many elements?)";

/// Takes a name of `len` bytes from the record's allowance, or refuses the record.
fn spend<E: de::Error>(names_left: &Cell<usize>, len: usize) -> Result<(), E> {
    let left = names_left
        .get()
        .checked_sub(len)
        .ok_or_else(|| E::custom(NAMES_TOO_LONG))?;
    names_left.set(left);
    Ok(())
}

/// One value under `name`. When `bag_root` is set and the value is an object, its members
/// become fields of `bag` under their own names (the bag is transparent).
struct FieldSeed<'f, 'de> {
    fields: &'f mut Vec<Field<'de>>,
    names_left: &'f Cell<usize>,
    bag: Bag,
    name: Cow<'de, str>,
    bag_root: bool,
    depth: u16,
}

impl<'de> FieldSeed<'_, 'de> {
    fn push(self, value: Value<'de>) {
        // A scalar where a bag was expected is an ordinary top-level field.
        let bag = if self.bag_root { Bag::Top } else { self.bag };
        self.fields.push(Field {
            bag,
            key: 0,
            name: self.name,
            value,
        });
    }

    fn child_name<E: de::Error>(&self, key: Cow<'de, str>) -> Result<Cow<'de, str>, E> {
        if self.bag_root {
            Ok(key)
        } else {
            spend(self.names_left, self.name.len() + 1 + key.len())?;
            Ok(Cow::Owned(format!("{}.{}", self.name, key)))
        }
    }
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.push(Value::Bool(v));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.push(Value::Int(v));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.push(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.push(Value::Float(v));
        Ok(())
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.push(Value::from_text(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.visit_string(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        if self.bag_root
            && v.trim_start().starts_with('{')
            && let Some(inner) = parse_owned_object(&v, self.bag)
        {
            self.fields.extend(inner);
            return Ok(());
        }
        self.push(Value::from_text(Cow::Owned(v)));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.push(Value::Null);
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.push(Value::Null);
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        let mut any = false;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            any = true;
            let name = self.child_name(key)?;
            map.next_value_seed(FieldSeed {
                fields: self.fields,
                names_left: self.names_left,
                bag: self.bag,
                name,
                bag_root: false,
                depth: self.depth + 1,
            })?;
        }
        if !any && !self.bag_root {
            // Keep empty objects visible to `exists(...)`.
            self.push(Value::Null);
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        let mut scalars = Vec::new();
        let mut index = 0usize;
        loop {
            let element = ElementSeed {
                fields: self.fields,
                names_left: self.names_left,
                bag: if self.bag_root { Bag::Top } else { self.bag },
                name: &self.name,
                index,
                depth: self.depth + 1,
            };
            match seq.next_element_seed(element)? {
                None => break,
                Some(Some(v)) => scalars.push(v),
                Some(None) => {}
            }
            index += 1;
        }
        if !scalars.is_empty() || index == 0 {
            self.push(Value::List(scalars));
        }
        Ok(())
    }
}

/// The length of `name[index]`.
fn indexed_len(name: &str, index: usize) -> usize {
    name.len()
        + 2
        + index
            .checked_ilog10()
            .map_or(1, |digits| digits as usize + 1)
}

/// One element of an array: scalars are returned (they form a list), objects are flattened under
/// `name[index]`.
struct ElementSeed<'f, 'n, 'de> {
    fields: &'f mut Vec<Field<'de>>,
    names_left: &'f Cell<usize>,
    bag: Bag,
    name: &'n str,
    index: usize,
    depth: u16,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_, '_, 'de> {
    type Value = Option<Value<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_, '_, 'de> {
    type Value = Option<Value<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array element")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Value::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(
            i64::try_from(v).map_or(Value::Float(v as f64), Value::Int),
        ))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Value::Float(v)))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Value::from_text(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Value::from_text(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Value::from_text(Cow::Owned(v))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        spend(self.names_left, indexed_len(self.name, self.index))?;
        let seed = FieldSeed {
            fields: self.fields,
            names_left: self.names_left,
            bag: self.bag,
            name: Cow::Owned(format!("{}[{}]", self.name, self.index)),
            bag_root: false,
            depth: self.depth,
        };
        seed.visit_map(map)?;
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Arrays of arrays do not occur in ACS logs; keep their scalars as a nested list.
        if self.depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        spend(self.names_left, indexed_len(self.name, self.index))?;
        let name = format!("{}[{}]", self.name, self.index);
        let mut items = Vec::new();
        let mut index = 0;
        loop {
            let element = ElementSeed {
                fields: &mut *self.fields,
                names_left: self.names_left,
                bag: self.bag,
                name: &name,
                index,
                depth: self.depth + 1,
            };
            match seq.next_element_seed(element)? {
                None => break,
                Some(Some(v)) => items.push(v),
                Some(None) => {}
            }
            index += 1;
        }
        Ok(Some(Value::List(items)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(fields: &[Field<'_>]) -> Vec<String> {
        fields.iter().map(|f| f.full_name().into_owned()).collect()
    }

    #[test]
    fn storage_record_flattens_properties() {
        let line = br#"{"time":"2021-07-19T18:46:50.188Z","category":"CallSummary","properties":{"participantId":"null","participantDuration":"5","callDuration":6}}"#;
        let fields = parse_object(line).unwrap();
        assert_eq!(
            names(&fields),
            [
                "time",
                "category",
                "properties.participantId",
                "properties.participantDuration",
                "properties.callDuration"
            ]
        );
        assert!(matches!(fields[0].name, Cow::Borrowed(_)));
        assert_eq!(fields[2].value, Value::Null);
        assert_eq!(fields[4].value, Value::Int(6));
    }

    #[test]
    fn nested_objects_and_arrays() {
        let json = br#"{"data":{"resultInformation":{"code":500,"subCode":8511},"tones":["nine","eight"],"deliveryAttempts":[{"segmentsFailed":0}],"empty":[]}}"#;
        let fields = parse_object(json).unwrap();
        assert_eq!(
            names(&fields),
            [
                "data.resultInformation.code",
                "data.resultInformation.subCode",
                "data.tones",
                "data.deliveryAttempts[0].segmentsFailed",
                "data.empty"
            ]
        );
        assert_eq!(
            fields[2].value,
            Value::List(vec![Value::text("nine"), Value::text("eight")])
        );
    }

    #[test]
    fn stringified_properties_are_opened() {
        let json = br#"{"category":"ChatOperational","properties":"{\"UserId\":\"8:acs:x\"}"}"#;
        let fields = parse_object(json).unwrap();
        assert_eq!(names(&fields), ["category", "properties.UserId"]);
    }

    #[test]
    fn escapes_are_owned_and_big_numbers_survive() {
        let json = br#"{"a\"b":"x\ny","n":18446744073709551615,"m":1613694358927}"#;
        let fields = parse_object(json).unwrap();
        assert_eq!(fields[0].name, "a\"b");
        assert_eq!(fields[0].value, Value::text("x\ny"));
        assert!(matches!(fields[1].value, Value::Float(_)));
        assert_eq!(fields[2].value, Value::Int(1_613_694_358_927));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "{\"a\":".repeat(5000) + "1" + &"}".repeat(5000);
        let err = parse_object(deep.as_bytes()).unwrap_err();
        assert!(err.message.contains("nesting deeper"), "{err:?}");
        // The JSON is not at fault: the rejection says the record was not read, not why JSON
        // is broken.
        assert!(err.is_bound());
        assert!(
            err.to_string()
                .starts_with("record not read: nesting deeper than 64 levels"),
            "{err}"
        );
        let arrays = "{\"a\":".to_owned() + &"[".repeat(5000) + &"]".repeat(5000) + "}";
        assert!(parse_object(arrays.as_bytes()).is_err());
    }

    /// A long key over many elements, or over many members, would make a name of its length
    /// for each: the record is refused once the names pass the allowance, by both readers.
    #[test]
    fn names_that_outgrow_the_record_are_refused() {
        let key = "k".repeat(10_000);
        let elements = vec!["{}"; 10_000].join(",");
        let members: Vec<String> = (0..10_000).map(|i| format!("\"m{i}\":1")).collect();
        for json in [
            format!("{{\"{key}\":[{elements}]}}"),
            format!("{{\"{key}\":[[{elements}]]}}"),
            format!("{{\"x\":{{\"{key}\":{{{}}}}}}}", members.join(",")),
        ] {
            let err = parse_object(json.as_bytes()).unwrap_err();
            assert_eq!(err.message, NAMES_TOO_LONG);
            assert!(
                err.to_string()
                    .starts_with(&format!("record not read: {NAMES_TOO_LONG}")),
                "{err}"
            );
            assert!(both_readings(json.as_bytes()).0.is_none());
        }
        // Within the allowance (four times 10 KB and 64 KiB): ten names of 10 KB are made.
        let json = format!("{{\"{key}\":[{}]}}", ["{}"; 10].join(","));
        let fields = parse_object(json.as_bytes()).unwrap();
        assert_eq!(fields.len(), 10);
        assert_eq!(fields[9].name, format!("{key}[9]"));
        assert!(both_readings(json.as_bytes()).0.is_some());
        assert_eq!(indexed_len(&key, 9), fields[9].name.len());
        assert_eq!(indexed_len("a", 0), "a[0]".len());
        assert_eq!(indexed_len("a", 10), "a[10]".len());
    }

    /// Broken JSON is told as such, with the parser's reason.
    #[test]
    fn broken_json_is_invalid_json() {
        for json in [
            &br#"{"a":1,}"#[..],
            br#"{"a":tru}"#,
            br#"{"nesting deeper than":"#,
        ] {
            let err = parse_object(json).unwrap_err();
            assert!(!err.is_bound(), "{err:?}");
            assert!(err.to_string().starts_with("invalid JSON: "), "{err}");
        }
    }

    #[test]
    fn a_lone_surrogate_costs_one_character() {
        let fields = parse_object(br#"{"a":"x\ud800y","b":"\ud83d\ude00","c":"\\ud800"}"#).unwrap();
        assert_eq!(fields[0].value, Value::text("x\u{fffd}y"));
        assert_eq!(fields[1].value, Value::text("\u{1f600}"));
        assert_eq!(fields[2].value, Value::text("\\ud800"));
    }

    #[test]
    fn rejects_non_objects_and_trailing_data() {
        assert!(parse_object(b"[1,2]").is_err());
        assert!(parse_object(b"{} x").is_err());
        assert!(parse_object(b"{\"a\":").is_err());
    }
}
