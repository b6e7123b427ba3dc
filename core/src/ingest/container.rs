//! How a record was packaged in its file, and the wrappers that package several: the one place
//! that knows them (the document splitter, the record reader and the classifier all ask here).

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
    /// An element of an SDK test recording (`Entries`, `networkCallRecords`, `entries`): an
    /// HTTP exchange or a recorded event.
    Recording,
}

/// The keys of wrapper objects, each holding an array of records: Event Hubs captures
/// (`records`), SMS send responses and REST list results (`value`), the Log Analytics query
/// API (`tables`, each with `columns` and `rows`), the Azure SDKs' recordings of HTTP exchanges
/// (`Entries`, `networkCallRecords`) and of events (`entries`). A wrapper always puts this key
/// first.
pub const WRAPPERS: [(&str, Container); 5] = [
    ("records", Container::RecordsWrapper),
    ("value", Container::ValueWrapper),
    ("tables", Container::LaTables),
    ("entries", Container::Recording),
    ("networkCallRecords", Container::Recording),
];

/// The container of the records in a wrapper whose key is `key` (ASCII case ignored).
pub fn wrapper(key: &[u8]) -> Option<Container> {
    WRAPPERS
        .iter()
        .find(|(k, _)| key.eq_ignore_ascii_case(k.as_bytes()))
        .map(|(_, c)| *c)
}
