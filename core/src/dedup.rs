//! Duplicate records: the same record read twice, whatever shape each copy arrived in, counts
//! once. What "the same" means is data (`rules/duplicates.toml`, `rules/log-analytics-tables.json`).
//!
//! Each record gets a 64-bit fingerprint: its category, its time to the millisecond, and a
//! hash of every compared field's (lower-cased name, normalized value), summed so that field
//! order does not matter. Values are normalized the way [`crate::value`] reads them: numbers
//! written as text equal numbers, blanks and `null` are absent, times compare as instants.

use std::sync::OnceLock;

use serde::Deserialize;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::classify::Classifier;
use crate::record::Record;
use crate::value::Value;
use crate::{FastMap, FastSet};

/// The bundled definition of duplicates.
pub const BUNDLED_DUPLICATES: &str = include_str!("../../rules/duplicates.toml");
/// The Log Analytics tables ACS writes, with their columns and types.
pub const BUNDLED_TABLES: &str = include_str!("../../rules/log-analytics-tables.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DuplicatesFile {
    envelope: Vec<String>,
}

/// The Log Analytics schema file (`rules/log-analytics-tables.json`).
#[derive(Debug, Deserialize)]
pub struct TablesFile {
    pub tables: Vec<TableSchema>,
}

/// One Log Analytics table.
#[derive(Debug, Deserialize)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<ColumnSchema>,
}

/// One column and its KQL type (`string`, `long`, `datetime`, ...).
#[derive(Debug, Deserialize)]
pub struct ColumnSchema {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl TablesFile {
    /// The bundled schema (validated by a unit test).
    pub fn bundled() -> &'static TablesFile {
        static TABLES: OnceLock<TablesFile> = OnceLock::new();
        TABLES.get_or_init(|| {
            serde_json::from_str(BUNDLED_TABLES)
                .expect("the bundled rules/log-analytics-tables.json is valid")
        })
    }
}

/// How a compared field's value is normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Plain,
    /// A `datetime` column: text is read as a time (exports write times in several forms).
    Time,
}

/// Computes fingerprints.
pub struct Fingerprints {
    /// Per category (hash of its lower-cased canonical name): the compared columns.
    tables: FastMap<u64, FastMap<u64, Column>>,
    /// Hashes of lower-cased envelope field names.
    envelope: FastSet<u64>,
}

/// Hash of a name, ignoring ASCII case, without allocating for the names logs use.
fn name_hash(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut buf = [0u8; 96];
    if bytes.len() <= buf.len() {
        let lower = &mut buf[..bytes.len()];
        lower.copy_from_slice(bytes);
        lower.make_ascii_lowercase();
        xxh3_64(lower)
    } else {
        xxh3_64(name.to_ascii_lowercase().as_bytes())
    }
}

impl Fingerprints {
    /// The bundled definitions, with categories named as `classifier` names them.
    pub fn new(classifier: &Classifier) -> Fingerprints {
        let file: DuplicatesFile = toml::from_str(BUNDLED_DUPLICATES)
            .expect("the bundled rules/duplicates.toml is valid (checked by tests)");
        let envelope = file.envelope.iter().map(|n| name_hash(n)).collect();
        let mut tables = FastMap::default();
        for table in &TablesFile::bundled().tables {
            let Some((category, _)) = classifier.category(&table.name) else {
                continue;
            };
            let columns = table
                .columns
                .iter()
                .map(|c| {
                    let kind = if c.kind == "datetime" {
                        Column::Time
                    } else {
                        Column::Plain
                    };
                    (name_hash(&c.name), kind)
                })
                .collect();
            tables.insert(name_hash(category), columns);
        }
        Fingerprints { tables, envelope }
    }

    /// The fingerprint of a record.
    pub fn of(&self, record: &Record<'_>) -> u64 {
        let category = name_hash(record.category_name());
        let columns = self.tables.get(&category);
        let mut sum = 0u64;
        let mut buf = Vec::new();
        for field in &record.fields {
            let name = name_hash(&field.name);
            if self.envelope.contains(&name) {
                continue;
            }
            let kind = match columns {
                Some(cols) => match cols.get(&name) {
                    Some(k) => *k,
                    None => continue,
                },
                None => Column::Plain,
            };
            buf.clear();
            if !canonical(&field.value, kind, &mut buf) {
                continue;
            }
            sum = sum.wrapping_add(xxh3_64_with_seed(&buf, name));
        }
        // A row a rule's KQL query returned is that rule's copy: it never stands for (or is
        // dropped for) the same row an analysis query returned.
        if let Some(tag) = crate::kql::tag_of(record)
            && tag.starts_with("rule/")
        {
            sum = sum.wrapping_add(xxh3_64_with_seed(tag.as_bytes(), 0x7275_6c65));
        }
        let time = record.time.map_or(i64::MIN, |t| t.timestamp_millis());
        let mut tail = [0u8; 17];
        tail[..8].copy_from_slice(&time.to_le_bytes());
        tail[8..16].copy_from_slice(&sum.to_le_bytes());
        tail[16] = record.family as u8;
        xxh3_64_with_seed(&tail, category)
    }
}

/// Writes the normalized value; false when the value counts as absent.
fn canonical(value: &Value<'_>, kind: Column, out: &mut Vec<u8>) -> bool {
    match value {
        Value::Null => return false,
        Value::Redacted => out.push(1),
        Value::Bool(b) => out.extend_from_slice(&[2, *b as u8]),
        Value::Int(_) | Value::Float(_) => number(value.as_f64().unwrap_or(0.0), out),
        Value::Str(s) => {
            if let Some(n) = crate::value::parse_number(s) {
                number(n, out);
            } else if let Some(t) = (kind == Column::Time)
                .then(|| crate::time::parse_timestamp(s))
                .flatten()
            {
                out.push(4);
                out.extend_from_slice(&t.timestamp_millis().to_le_bytes());
            } else {
                out.push(5);
                out.extend_from_slice(s.as_bytes());
            }
        }
        Value::List(items) => {
            out.push(6);
            for item in items {
                if !canonical(item, kind, out) {
                    out.push(0);
                }
                out.push(0xff);
            }
        }
    }
    true
}

fn number(n: f64, out: &mut Vec<u8>) {
    out.push(3);
    let n = if n == 0.0 { 0.0 } else { n };
    out.extend_from_slice(&n.to_bits().to_le_bytes());
}

/// A fingerprint for a record read from text lines (SDK console logs): the block's text and
/// how many identical blocks came before it in the same file. A log that repeats a line means
/// it happened twice; a copy of the log repeats the same numbering and so dedups.
pub fn text_fingerprint(text_hash: u64, occurrence: u32) -> u64 {
    xxh3_64_with_seed(&occurrence.to_le_bytes(), text_hash)
}

/// The fingerprints seen by one group of files read together.
#[derive(Default)]
pub struct Seen {
    set: FastSet<u64>,
}

impl Seen {
    /// True the first time a fingerprint is offered.
    pub fn first(&mut self, fingerprint: u64) -> bool {
        self.set.insert(fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::container::Container;
    use crate::ingest::flatten::parse_object;
    use crate::record::{FileId, Format, Origin};

    fn record(json: &str, container: Container) -> Record<'_> {
        let mut r = Record::new(
            Origin {
                file: FileId(0),
                line: 1,
                index: None,
            },
            Format::Json,
            parse_object(json.as_bytes()).unwrap(),
        );
        Classifier::bundled().classify(&mut r, container);
        r
    }

    #[test]
    fn bundled_files_are_valid() {
        let f = Fingerprints::new(Classifier::bundled());
        assert!(f.tables.len() >= 10, "{}", f.tables.len());
        assert!(!f.envelope.is_empty());
    }

    #[test]
    fn storage_and_log_analytics_copies_match() {
        let f = Fingerprints::new(Classifier::bundled());
        let storage = record(
            r#"{"time":"2021-07-19T18:46:50.1881234Z","resourceId":"SUBSCRIPTIONS/X/RESOURCEGROUPS/RG","correlationId":"aaaa0000-bb11-2222-33cc-444444dddddd","operationName":"CallSummary","category":"CallSummary","properties":{"identifier":"acs:61fd","callStartTime":"2021-07-19T17:54:05.113Z","callDuration":6,"participantId":"null","participantDuration":"5","participantEndReason":"0","endpointType":"VoIP"}}"#,
            Container::Lines,
        );
        let la = record(
            r#"{"TenantId":"t","TimeGenerated":"2021-07-19T18:46:50.188Z","CorrelationId":"aaaa0000-bb11-2222-33cc-444444dddddd","OperationName":"CallSummary","Identifier":"acs:61fd","CallStartTime":"7/19/2021, 5:54:05.113 PM","CallDuration":6,"ParticipantId":"","ParticipantDuration":5,"ParticipantEndReason":"0","EndpointType":"VoIP","Type":"ACSCallSummary","_ResourceId":"/subscriptions/x/resourcegroups/rg"}"#,
            Container::Array,
        );
        assert_eq!(la.category_name(), "CallSummary");
        assert_eq!(f.of(&storage), f.of(&la));
        let other = record(
            r#"{"time":"2021-07-19T18:46:50.188Z","correlationId":"aaaa0000-bb11-2222-33cc-444444dddddd","category":"CallSummary","properties":{"identifier":"acs:61fd","callStartTime":"2021-07-19T17:54:05.113Z","callDuration":6,"participantDuration":"5","participantEndReason":"410","endpointType":"VoIP"}}"#,
            Container::Lines,
        );
        assert_ne!(f.of(&storage), f.of(&other));
    }

    #[test]
    fn event_grid_and_cloud_events_copies_match() {
        let f = Fingerprints::new(Classifier::bundled());
        let eg = record(
            r#"{"id":"e1","topic":"/subscriptions/x","subject":"/phonenumber/15555555555","eventType":"Microsoft.Communication.SMSDeliveryReportReceived","eventTime":"2026-11-20T16:10:05.9Z","data":{"messageId":"Outgoing_1","deliveryStatus":"Delivered"},"dataVersion":"1.0","metadataVersion":"1"}"#,
            Container::Array,
        );
        let ce = record(
            r#"{"id":"e1","source":"/subscriptions/x","subject":"/phonenumber/15555555555","type":"Microsoft.Communication.SMSDeliveryReportReceived","time":"2026-11-20T16:10:05.900Z","data":{"messageId":"Outgoing_1","deliveryStatus":"Delivered"},"specversion":"1.0"}"#,
            Container::Array,
        );
        assert_eq!(f.of(&eg), f.of(&ce));
    }

    #[test]
    fn text_occurrences_differ() {
        let a = xxh3_64(b"a");
        assert_ne!(text_fingerprint(a, 0), text_fingerprint(a, 1));
        assert_eq!(text_fingerprint(a, 1), text_fingerprint(a, 1));
    }
}
