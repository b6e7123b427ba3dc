//! Deciding, for each parsed JSON object, which shape it is, which log family and category it
//! belongs to, and when it happened.
//!
//! The mapping from categories, Log Analytics tables, event types, REST paths and SDK loggers to
//! families is data (`rules/categories.toml`), not code.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::record::{Bag, Family, Format, Record};
use crate::time::parse_timestamp;

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

struct Category {
    name: String,
    table: String,
    aliases: Vec<String>,
    family: Family,
    hints: Vec<String>,
}

enum EventMatch {
    Exact(String),
    Prefix(String),
}

/// Classifies records. Built once from the bundled table (plus user additions).
pub struct Classifier {
    categories: Vec<Category>,
    events: Vec<(EventMatch, Family)>,
    endpoints: Vec<(String, Family)>,
    loggers: Vec<(String, Family)>,
}

/// How the record was packaged in its file; decides between shapes that carry the same fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// One object per line.
    Lines,
    /// Inside `{"records": [...]}`.
    RecordsWrapper,
    /// Inside `{"value": [...]}`.
    ValueWrapper,
    /// Inside a JSON array.
    Array,
    /// A whole top-level object of a JSON document (one, or several one after another).
    Document,
    /// A row of a Log Analytics API `tables` response.
    LaTables,
    /// A CSV row.
    Csv,
}

const TIME_FIELDS: &[&str] = &[
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
            events: vec![],
            endpoints: vec![],
            loggers: vec![],
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
        events.append(&mut self.events);
        self.events = events;
        endpoints.append(&mut self.endpoints);
        self.endpoints = endpoints;
        loggers.append(&mut self.loggers);
        self.loggers = loggers;
        Ok(())
    }

    /// Canonical category name and family for a storage category or Log Analytics table name.
    pub fn category(&self, name: &str) -> Option<(&str, Family)> {
        let name = name.trim();
        self.categories
            .iter()
            .find(|c| {
                c.name.eq_ignore_ascii_case(name)
                    || c.table.eq_ignore_ascii_case(name)
                    || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
            })
            .map(|c| (c.name.as_str(), c.family))
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

    /// Every known category name with its family (for `rules list`, docs and suggestions).
    pub fn category_names(&self) -> impl Iterator<Item = (&str, &str, Family)> {
        self.categories
            .iter()
            .map(|c| (c.name.as_str(), c.table.as_str(), c.family))
    }

    /// Sets format, category, family and time of a record parsed from JSON or CSV.
    pub fn classify(&self, record: &mut Record<'_>, container: Container) {
        record.time = TIME_FIELDS.iter().find_map(|f| {
            record
                .get(f)
                .and_then(|v| v.as_str())
                .and_then(parse_timestamp)
        });

        let has = |name: &str| record.get_raw(name).is_some();
        let has_bag = |bag: Bag| record.fields.iter().any(|f| f.bag == bag);
        let event_type = record
            .get("eventType")
            .or_else(|| record.get("type"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);

        // Shape.
        let cloud_event =
            has("specversion") || (has("type") && has("source") && has_bag(Bag::Data));
        let event_grid = has("eventType") && (has_bag(Bag::Data) || has("eventTime"));
        let format = if event_grid {
            Format::EventGrid
        } else if cloud_event {
            let source = record.text_any(&["source", "subject"]).unwrap_or_default();
            if source.contains("callConnections") {
                Format::CallAutomationCallbacks
            } else {
                Format::CloudEvents
            }
        } else if has("httpStatusCode") && has("to") {
            Format::SmsSendResponse
        } else {
            match container {
                Container::LaTables => Format::LogAnalyticsApi,
                Container::Csv => Format::LogAnalyticsCsv,
                _ if has_bag(Bag::Properties) => azure_monitor(container),
                Container::RecordsWrapper => Format::EventHubs,
                _ if has("TimeGenerated") || has("Type") => Format::LogAnalyticsJson,
                _ if has("category") && has("operationName") => azure_monitor(container),
                Container::Lines => Format::StorageExport,
                _ => Format::Json,
            }
        };

        // Category and family.
        let mut category: Option<(Cow<'static, str>, Family)> = None;
        for key in ["category", "Type", "Category"] {
            if let Some(name) = record.get(key).and_then(|v| v.as_str()) {
                category = Some(match self.category(name) {
                    Some((canon, family)) => (Cow::Owned(canon.to_owned()), family),
                    None => (Cow::Owned(name.to_owned()), Family::Unknown),
                });
                if category.as_ref().is_some_and(|c| c.1 != Family::Unknown) {
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
                .find(|c| !c.hints.is_empty() && c.hints.iter().all(|h| has(h)))
                .map(|c| (Cow::Owned(c.name.clone()), c.family));
        }
        record.format = format;
        if let Some((name, family)) = category {
            record.category = Some(name);
            record.family = family;
        }
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
