//! Deciding, for each parsed JSON object, which shape it is, which log family and category it
//! belongs to, and when it happened.
//!
//! The mapping from categories, Log Analytics tables, event types, REST paths and SDK loggers to
//! families is data (`rules/categories.toml`), not code.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::FastMap;
use crate::ingest::container::Container;
use crate::record::{Bag, Family, Field, Format, Record, const_name_key};
use crate::time::parse_timestamp;
use crate::value::Value;

/// The bundled classification table.
pub const BUNDLED_CATEGORIES: &str = include_str!("../../rules/categories.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    #[serde(default)]
    category: Vec<CategoryDef>,
    #[serde(default)]
    event: Vec<EventDef>,
    #[serde(default)]
    endpoint: Vec<EndpointDef>,
    #[serde(default)]
    logger: Vec<LoggerDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryDef {
    name: String,
    table: String,
    family: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    hint_fields: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventDef {
    name: Option<String>,
    prefix: Option<String>,
    family: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointDef {
    path_contains: String,
    family: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoggerDef {
    package: String,
    family: String,
}

/// Errors in a classification table.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error("invalid classification table: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("unknown family `{family}` for `{entry}` (known: {known})")]
    UnknownFamily {
        family: String,
        entry: String,
        known: String,
    },
    #[error("event entry needs exactly one of `name` or `prefix`")]
    EventKey,
}

#[derive(Debug)]
struct Category {
    name: String,
    table: String,
    aliases: Vec<String>,
    family: Family,
    hints: Vec<String>,
}

#[derive(Debug)]
enum EventMatch {
    Exact(String),
    Prefix(String),
}

/// Classifies records. Built once from the bundled table (plus user additions).
#[derive(Debug)]
pub struct Classifier {
    categories: Vec<Category>,
    /// Every category's name, table and aliases in ASCII lower case → its position in
    /// `categories` (the first that has it): looked up for every record.
    by_name: FastMap<Box<[u8]>, usize>,
    events: Vec<(EventMatch, Family)>,
    endpoints: Vec<(String, Family)>,
    loggers: Vec<(String, Family)>,
    /// Tells this table apart from every other, and from itself before an extension: what a
    /// thread remembers of a lookup ([`LastCategory`]) holds only for the table it came from.
    generation: u64,
}

/// The last category name a thread looked up, and where it led: the records of one file
/// nearly always name one category, and comparing the name costs less than lower-casing and
/// hashing it again.
struct LastCategory {
    generation: u64,
    name: Vec<u8>,
    at: Option<usize>,
}

impl LastCategory {
    /// Names longer than this are looked up without being remembered.
    const MAX_BYTES: usize = 256;
}

thread_local! {
    static LAST_CATEGORY: std::cell::RefCell<LastCategory> = const {
        std::cell::RefCell::new(LastCategory {
            generation: 0,
            name: Vec::new(),
            at: None,
        })
    };
}

/// A generation no table has had yet (0 is none's, so a fresh thread remembers nothing).
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

const TIME_FIELDS: [&str; 6] = [
    "time",
    "TimeGenerated",
    "eventTime",
    "timestamp",
    "receivedTimestamp",
    "CallClientTimeStamp",
];

/// The shape of an Azure Monitor diagnostic record, by how it was packaged.
fn azure_monitor(container: Container) -> Format {
    match container {
        Container::Lines => Format::StorageExport,
        Container::RecordsWrapper => Format::EventHubs,
        Container::Document => Format::JsonObjects,
        _ => Format::JsonArray,
    }
}

fn parse_family(name: &str, entry: &str) -> Result<Family, ClassifyError> {
    Family::from_name(name).ok_or_else(|| ClassifyError::UnknownFamily {
        family: name.to_owned(),
        entry: entry.to_owned(),
        known: Family::ALL.map(Family::name).join(", "),
    })
}

impl Classifier {
    /// The bundled table. It is validated by a unit test, so failing here is a build defect.
    pub fn bundled() -> &'static Classifier {
        static BUNDLED: OnceLock<Classifier> = OnceLock::new();
        BUNDLED.get_or_init(|| {
            Classifier::from_toml(BUNDLED_CATEGORIES)
                .expect("bundled rules/categories.toml is valid (checked by tests)")
        })
    }

    /// Builds a classifier from table text.
    pub fn from_toml(text: &str) -> Result<Classifier, ClassifyError> {
        let mut c = Classifier {
            categories: vec![],
            by_name: FastMap::default(),
            events: vec![],
            endpoints: vec![],
            loggers: vec![],
            generation: 0,
        };
        c.extend_from_toml(text)?;
        Ok(c)
    }

    /// Adds the entries of another table (a user's) in front of the existing ones.
    pub fn extend_from_toml(&mut self, text: &str) -> Result<(), ClassifyError> {
        let table: Table = toml::from_str(text)?;
        let mut categories = Vec::new();
        for c in table.category {
            categories.push(Category {
                family: parse_family(&c.family, &c.name)?,
                name: c.name,
                table: c.table,
                aliases: c.aliases,
                hints: c.hint_fields,
            });
        }
        let mut events = Vec::new();
        for e in table.event {
            let key = match (e.name, e.prefix) {
                (Some(n), None) => EventMatch::Exact(n),
                (None, Some(p)) => EventMatch::Prefix(p),
                _ => return Err(ClassifyError::EventKey),
            };
            let label = match &key {
                EventMatch::Exact(s) | EventMatch::Prefix(s) => s.clone(),
            };
            events.push((key, parse_family(&e.family, &label)?));
        }
        // Exact names are tried before any prefix, in table order.
        events.sort_by_key(|(m, _)| matches!(m, EventMatch::Prefix(_)));
        let mut endpoints = Vec::new();
        for e in table.endpoint {
            let family = parse_family(&e.family, &e.path_contains)?;
            endpoints.push((e.path_contains.to_ascii_lowercase(), family));
        }
        let mut loggers = Vec::new();
        for l in table.logger {
            let family = parse_family(&l.family, &l.package)?;
            loggers.push((l.package, family));
        }
        categories.append(&mut self.categories);
        self.categories = categories;
        self.by_name.clear();
        for (i, c) in self.categories.iter().enumerate() {
            for name in [&c.name, &c.table].into_iter().chain(&c.aliases) {
                self.by_name
                    .entry(name.to_ascii_lowercase().into_bytes().into())
                    .or_insert(i);
            }
        }
        events.append(&mut self.events);
        self.events = events;
        endpoints.append(&mut self.endpoints);
        self.endpoints = endpoints;
        loggers.append(&mut self.loggers);
        self.loggers = loggers;
        self.generation = next_generation();
        Ok(())
    }

    /// Canonical category name and family for a storage category or Log Analytics table name.
    pub fn category(&self, name: &str) -> Option<(&str, Family)> {
        let name = name.trim();
        let at = LAST_CATEGORY
            .try_with(|last| {
                let Ok(mut last) = last.try_borrow_mut() else {
                    return self.category_at(name);
                };
                if last.generation == self.generation
                    && crate::record::same_bytes(&last.name, name.as_bytes())
                {
                    return last.at;
                }
                let at = self.category_at(name);
                if name.len() <= LastCategory::MAX_BYTES {
                    last.name.clear();
                    last.name.extend_from_slice(name.as_bytes());
                    last.at = at;
                    // Last: an entry is never of this table with another name's place.
                    last.generation = self.generation;
                }
                at
            })
            // The thread is ending and its memory is gone: look it up.
            .unwrap_or_else(|_| self.category_at(name))?;
        let c = &self.categories[at];
        Some((c.name.as_str(), c.family))
    }

    /// Where the category `name` (trimmed) is in `categories`: any case of its name, table or
    /// aliases.
    fn category_at(&self, name: &str) -> Option<usize> {
        crate::with_ascii_lowercase(name, |lower| self.by_name.get(lower).copied())
    }

    /// Family of an Event Grid / CloudEvents event type.
    pub fn event_family(&self, event_type: &str) -> Option<Family> {
        self.events.iter().find_map(|(m, f)| {
            let hit = match m {
                EventMatch::Exact(n) => n.eq_ignore_ascii_case(event_type),
                EventMatch::Prefix(p) => event_type
                    .get(..p.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(p)),
            };
            hit.then_some(*f)
        })
    }

    /// Family of a REST request URI seen in an SDK HTTP log.
    pub fn endpoint_family(&self, uri: &str) -> Option<Family> {
        let lower = uri.to_ascii_lowercase();
        self.endpoints
            .iter()
            .find(|(p, _)| lower.contains(p.as_str()))
            .map(|(_, f)| *f)
    }

    /// Family of a web SDK logger package (`ACS-calling`).
    pub fn logger_family(&self, package: &str) -> Option<Family> {
        self.loggers
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(package))
            .map(|(_, f)| *f)
    }

    /// Every event type the table names, with its family: exact names, and prefixes written
    /// `Prefix*` (for `rules fields`).
    pub fn event_names(&self) -> Vec<(String, Family)> {
        self.events
            .iter()
            .map(|(m, f)| {
                let name = match m {
                    EventMatch::Exact(n) => n.clone(),
                    EventMatch::Prefix(p) => format!("{p}*"),
                };
                (name, *f)
            })
            .collect()
    }

    /// Every known category name with its family (for `rules list`, docs and suggestions).
    pub fn category_names(&self) -> impl Iterator<Item = (&str, &str, Family)> {
        self.categories
            .iter()
            .map(|c| (c.name.as_str(), c.table.as_str(), c.family))
    }

    /// Sets format, category, family and time of a record parsed from JSON or CSV.
    pub fn classify(&self, record: &mut Record<'_>, container: Container) {
        // Keys first: classification compares them. Lookups of names the record lacks return
        // at once from here on.
        record.index_names();
        let fields = record.fields.len();
        self.classify_fields(record, container);
        if record.fields.len() != fields {
            // Classification lifted fields (a logged SDK error's codes).
            record.index_names();
        }
    }

    fn classify_fields<'a>(&self, record: &mut Record<'a>, container: Container) {
        let seen = Seen::scan(record);
        let query_row = seen.query_row;
        let time = seen
            .times
            .iter()
            .flatten()
            .find_map(|v| v.as_str().and_then(parse_timestamp));

        let has = |slot: Slot| seen.get(slot).is_some();
        let text = |slot: Slot| seen.get(slot).and_then(|v| v.as_str());
        let event_type = text(Slot::EventType)
            .or_else(|| text(Slot::Type))
            .map(str::to_owned);

        // Shape.
        let cloud_event =
            has(Slot::SpecVersion) || (has(Slot::Type) && has(Slot::Source) && seen.data_bag);
        let event_grid = has(Slot::EventType) && (seen.data_bag || has(Slot::EventTime));
        let format = if event_grid {
            Format::EventGrid
        } else if cloud_event {
            let source = text(Slot::Source)
                .or_else(|| text(Slot::Subject))
                .unwrap_or("");
            if source.contains("callConnections") {
                Format::CallAutomationCallbacks
            } else {
                Format::CloudEvents
            }
        } else if has(Slot::HttpStatusCode) && has(Slot::To) {
            Format::SmsSendResponse
        } else {
            match container {
                Container::LaTables => Format::LogAnalyticsApi,
                Container::Csv => Format::LogAnalyticsCsv,
                _ if seen.properties_bag => azure_monitor(container),
                Container::RecordsWrapper => Format::EventHubs,
                _ if has(Slot::TimeGenerated) || has(Slot::TableType) => Format::LogAnalyticsJson,
                _ if has(Slot::Category) && has(Slot::OperationName) => azure_monitor(container),
                Container::Lines => Format::StorageExport,
                _ => Format::Json,
            }
        };

        // Category and family: storage `category`, then the Log Analytics `Type` column.
        let mut category: Option<(Cow<'a, str>, Family)> = None;
        // The record's own text when it is the canonical name (storage exports write it so),
        // instead of a copy for every record.
        let borrowed = |slot: Slot, canon: &str| match seen.get(slot) {
            Some(Value::Str(Cow::Borrowed(written)))
                if crate::record::same_bytes(written.as_bytes(), canon.as_bytes()) =>
            {
                Some(*written)
            }
            _ => None,
        };
        for slot in [Slot::Category, Slot::TableType] {
            if let Some(name) = text(slot) {
                let found = match self.category(name) {
                    Some((canon, family)) => match borrowed(slot, canon) {
                        Some(written) => (Cow::Borrowed(written), family),
                        None => (Cow::Owned(canon.to_owned()), family),
                    },
                    None => (Cow::Owned(name.to_owned()), Family::Unknown),
                };
                let known = found.1 != Family::Unknown;
                if category.is_none() || known {
                    category = Some(found);
                }
                if known {
                    break;
                }
            }
        }
        if matches!(
            format,
            Format::EventGrid | Format::CloudEvents | Format::CallAutomationCallbacks
        ) && let Some(et) = event_type
        {
            let family = self.event_family(&et).unwrap_or(Family::Unknown);
            category = Some((Cow::Owned(et), family));
        }
        if category.is_none() && format == Format::SmsSendResponse {
            category = Some((Cow::Borrowed("SmsSendResult"), Family::Sms));
        }
        if category.is_none() {
            category = self
                .categories
                .iter()
                .find(|c| {
                    !c.hints.is_empty() && c.hints.iter().all(|h| record.get_raw(h).is_some())
                })
                .map(|c| (Cow::Owned(c.name.clone()), c.family));
        }
        record.query_row = query_row;
        record.time = time;
        record.format = format;
        if let Some((name, family)) = category {
            record.category = Some(name);
            record.family = family;
        } else {
            lift_sdk_error(record);
        }
    }
}

/// An SDK error object an app logged as JSON: the Calling SDK's `CallingCommunicationError`
/// (`{"_code": 0, "_subCode": 5317, "_resultCategories": [...], "name":
/// "CallingCommunicationError", "message": "ActionNotAllowed"}`, often under `error`) and the
/// chat service's `{"CommunicationError": {"Code": "Forbidden"}}`. Their codes are lifted to
/// the names the analyzers read (`code`, `subCode`, `phrase`, `resultCategories`; `status` for
/// chat), so a logged error is judged like the SDK's own log line.
fn lift_sdk_error(record: &mut Record<'_>) {
    let named_calling = record.fields.iter().find_map(|f| {
        let prefix = f.name.strip_suffix("name")?;
        (f.value.as_str() == Some("CallingCommunicationError")).then(|| prefix.to_owned())
    });
    if let Some(prefix) = named_calling {
        let get = |name: &str| {
            record
                .get_raw(format!("{prefix}{name}"))
                .map(|v| v.clone().into_owned())
        };
        let lifted: Vec<(&str, Option<Value<'static>>)> = vec![
            ("code", get("_code")),
            ("subCode", get("_subCode")),
            ("resultCategories", get("_resultCategories")),
            ("phrase", get("message")),
        ];
        for (name, value) in lifted {
            if let Some(v) = value {
                record.fields.push(Field::new(Bag::Top, name.to_owned(), v));
            }
        }
        record.category = Some(Cow::Borrowed("CallingCommunicationError"));
        record.family = Family::Calling;
        record.format = Format::Json;
        return;
    }
    let chat_code = record
        .get_raw("CommunicationError.Code")
        .and_then(|v| v.as_str().map(str::to_owned));
    if let Some(code) = chat_code {
        // The service's error codes are the HTTP reason phrases of the response.
        let status = match code.to_ascii_lowercase().as_str() {
            "badrequest" => Some(400),
            "unauthorized" => Some(401),
            "forbidden" => Some(403),
            "notfound" => Some(404),
            "conflict" => Some(409),
            "toomanyrequests" => Some(429),
            "internalservererror" => Some(500),
            "serviceunavailable" => Some(503),
            _ => None,
        };
        if let Some(status) = status {
            record.fields.push(Field::new(
                Bag::Top,
                "status".to_owned(),
                Value::Int(status),
            ));
        }
        record.fields.push(Field::new(
            Bag::Top,
            "reason".to_owned(),
            Value::Str(Cow::Owned(code)),
        ));
        record.category = Some(Cow::Borrowed("CommunicationError"));
        record.family = Family::Chat;
        record.format = Format::Json;
    }
}

/// Fields classification looks at, found in one pass over the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Category,
    TableType,
    EventType,
    Type,
    SpecVersion,
    Source,
    Subject,
    EventTime,
    HttpStatusCode,
    To,
    TimeGenerated,
    OperationName,
}

const SLOTS: [(&str, Slot); 12] = [
    ("category", Slot::Category),
    ("Type", Slot::TableType),
    ("eventType", Slot::EventType),
    ("type", Slot::Type),
    ("specversion", Slot::SpecVersion),
    ("source", Slot::Source),
    ("subject", Slot::Subject),
    ("eventTime", Slot::EventTime),
    ("httpStatusCode", Slot::HttpStatusCode),
    ("to", Slot::To),
    ("TimeGenerated", Slot::TimeGenerated),
    ("operationName", Slot::OperationName),
];

/// [`crate::record::name_key`] of each slot's name, computed at compile time.
const SLOT_KEYS: [u32; SLOTS.len()] = {
    let mut keys = [0; SLOTS.len()];
    let mut i = 0;
    while i < SLOTS.len() {
        keys[i] = const_name_key(SLOTS[i].0);
        i += 1;
    }
    keys
};

/// [`crate::record::name_key`] of each of [`TIME_FIELDS`].
const TIME_KEYS: [u32; TIME_FIELDS.len()] = {
    let mut keys = [0; TIME_FIELDS.len()];
    let mut i = 0;
    while i < TIME_FIELDS.len() {
        keys[i] = const_name_key(TIME_FIELDS[i]);
        i += 1;
    }
    keys
};

/// Top-level fields only: classification never looks inside bags except to know they exist.
struct Seen<'r, 'a> {
    slots: [Option<&'r Value<'a>>; SLOTS.len()],
    times: [Option<&'r Value<'a>>; TIME_FIELDS.len()],
    properties_bag: bool,
    data_bag: bool,
    /// A row of our own KQL queries' results: it has the tag column at the top level.
    query_row: bool,
}

impl<'r, 'a> Seen<'r, 'a> {
    fn scan(record: &'r Record<'a>) -> Self {
        let mut seen = Seen {
            slots: [None; SLOTS.len()],
            times: [None; TIME_FIELDS.len()],
            properties_bag: false,
            data_bag: false,
            query_row: false,
        };
        // One pass over the fields for all three.
        for field in &record.fields {
            match field.bag {
                Bag::Properties => seen.properties_bag = true,
                Bag::Data => seen.data_bag = true,
                Bag::Top => seen.query_row |= field.name == crate::kql::TAG_COLUMN,
                Bag::Headers => {}
            }
        }
        // The first non-null field of each name: any bag for times, top level for slots.
        let first = |key: u32, name: &str, top: bool| {
            record
                .fields_named(key, name)
                .find(|f| (!top || f.bag == Bag::Top) && !f.value.is_null())
                .map(|f| &f.value)
        };
        for (i, name) in TIME_FIELDS.iter().enumerate() {
            seen.times[i] = first(TIME_KEYS[i], name, false);
        }
        for (i, (name, _)) in SLOTS.iter().enumerate() {
            // `Type` (Log Analytics table) and `type` (CloudEvents) differ only in case; both
            // count for either, as the old lookups did.
            seen.slots[i] = first(SLOT_KEYS[i], name, true);
        }
        seen
    }

    fn get(&self, slot: Slot) -> Option<&'r Value<'a>> {
        SLOTS
            .iter()
            .position(|(_, s)| *s == slot)
            .and_then(|i| self.slots[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, FileId, Origin};
    use crate::value::Value;

    fn rec(fields: Vec<Field<'static>>) -> Record<'static> {
        Record::new(
            Origin {
                file: FileId(0),
                line: 1,
                index: None,
            },
            Format::Json,
            fields,
        )
    }

    #[test]
    fn bundled_table_is_valid() {
        let c = Classifier::from_toml(BUNDLED_CATEGORIES).unwrap();
        assert_eq!(c.category("ACSCallSummary").unwrap().0, "CallSummary");
        assert_eq!(
            c.category("recordingsummary").unwrap().0,
            "CallRecordingSummary"
        );
        assert_eq!(
            c.event_family("Microsoft.Communication.SMSDeliveryReportReceived"),
            Some(Family::Sms)
        );
        assert_eq!(
            c.event_family("Microsoft.Communication.CallEnded"),
            Some(Family::Calling)
        );
        assert_eq!(
            c.event_family("Microsoft.Communication.RecognizeFailed"),
            Some(Family::CallAutomation)
        );
        assert_eq!(
            c.endpoint_family("https://x.communication.azure.com/chat/threads/19:a/messages"),
            Some(Family::Chat)
        );
    }

    /// A category is found by its name, table or alias in any case and with blanks around it;
    /// a user's table comes first, and a name no table has is unknown.
    #[test]
    fn categories_by_name_table_or_alias() {
        let mut c = Classifier::from_toml(BUNDLED_CATEGORIES).unwrap();
        for name in [
            "CallSummary",
            "callsummary",
            " ACSCALLSUMMARY ",
            "AcsCallSummary",
        ] {
            assert_eq!(
                c.category(name),
                Some(("CallSummary", Family::Calling)),
                "{name}"
            );
        }
        assert_eq!(c.category("CallSummaryX"), None);
        assert_eq!(c.category(""), None);
        let long = "x".repeat(100);
        assert_eq!(c.category(&long), None);
        c.extend_from_toml(&format!(
            "[[category]]\nname='Mine'\ntable='{long}'\naliases=['CallSummary']\nfamily='chat'\n"
        ))
        .unwrap();
        assert_eq!(c.category("callSUMMARY"), Some(("Mine", Family::Chat)));
        assert_eq!(
            c.category(&long.to_uppercase()),
            Some(("Mine", Family::Chat))
        );
        assert_eq!(
            c.category("ACSCallSummary"),
            Some(("CallSummary", Family::Calling))
        );
    }

    /// A name looked up again gives what the table says now: the remembered last lookup holds
    /// only for the table it came from, and not across an extension of it. (The name is one
    /// whose place in the list differs between the tables, so a stale place gives a wrong
    /// answer rather than a lucky one.)
    #[test]
    fn a_remembered_category_holds_for_its_own_table_only() {
        let bundled = Classifier::bundled();
        let mut mine = Classifier::from_toml(BUNDLED_CATEGORIES).unwrap();
        let updates = Some(("CallSummaryUpdates", Family::Calling));
        assert_eq!(mine.category("CallSummaryUpdates"), updates);
        mine.extend_from_toml(
            "[[category]]\nname='Mine'\ntable='T'\naliases=['CallSummaryUpdates']\nfamily='chat'\n",
        )
        .unwrap();
        let chat = Some(("Mine", Family::Chat));
        for _ in 0..2 {
            assert_eq!(mine.category("CallSummaryUpdates"), chat);
            assert_eq!(mine.category("CallSummaryUpdates"), chat);
            assert_eq!(bundled.category("CallSummaryUpdates"), updates);
            assert_eq!(bundled.category("CallSummaryUpdates"), updates);
        }
        // Blanks around a name do not count; a name too long to be remembered is looked up
        // each time.
        let padded = format!("{}CallSummaryUpdates ", " ".repeat(300));
        for name in [
            padded.as_str(),
            padded.as_str(),
            "Nothing",
            "Nothing",
            "mine",
        ] {
            let want = if name == "Nothing" { None } else { chat };
            assert_eq!(mine.category(name), want, "{name}");
        }
        let longer = "y".repeat(300);
        assert_eq!(mine.category(&longer), None);
        assert_eq!(mine.category(&longer), None);
    }

    #[test]
    fn unknown_family_is_an_error() {
        let err = Classifier::from_toml("[[category]]\nname='X'\ntable='Y'\nfamily='phone'\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("unknown family `phone`"), "{err}");
    }

    #[test]
    fn storage_and_log_analytics_records() {
        let c = Classifier::bundled();
        let mut storage = rec(vec![
            Field::new(Bag::Top, "time", Value::text("2021-07-05T06:30:06.402Z")),
            Field::new(Bag::Top, "category", Value::text("CallSummary")),
            Field::new(Bag::Properties, "participantEndReason", Value::text("0")),
        ]);
        c.classify(&mut storage, Container::Lines);
        assert_eq!(storage.format, Format::StorageExport);
        assert_eq!(storage.family, Family::Calling);
        assert!(storage.time.is_some());

        let mut la = rec(vec![
            Field::new(
                Bag::Top,
                "TimeGenerated [UTC]",
                Value::text("5/25/2023, 5:43:25.746 PM"),
            ),
            Field::new(Bag::Top, "CallConnectionId", Value::text("401f")),
            Field::new(Bag::Top, "SdkType", Value::text("unknown")),
        ]);
        c.classify(&mut la, Container::Array);
        assert_eq!(la.format, Format::LogAnalyticsJson);
        assert_eq!(la.category_name(), "CallAutomationOperational");
        assert_eq!(la.family, Family::CallAutomation);
        assert!(la.time.is_some());
    }
}
