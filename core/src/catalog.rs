//! Code catalogs: what each calling, Call Automation, SMS, chat and identity code means, how bad
//! it is, and what to do. The tables are data files in `rules/catalog/` (each row citing its
//! source document), embedded in the binary; users add or override rows with their own CSV files.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

use crate::finding::Severity;

/// How bad a code is, as judged per code (not per the service's `resultCategory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Judgement {
    /// An ordinary outcome: never reported as a problem.
    Normal,
    Info,
    Warning,
    Error,
}

impl Judgement {
    /// The finding severity, or `None` for normal outcomes.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Judgement::Normal => None,
            Judgement::Info => Some(Severity::Info),
            Judgement::Warning => Some(Severity::Warning),
            Judgement::Error => Some(Severity::Error),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Judgement::Normal => "normal",
            Judgement::Info => "info",
            Judgement::Warning => "warning",
            Judgement::Error => "error",
        }
    }
}

impl fmt::Display for Judgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One catalog row. The tables share these columns; each uses the ones it needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CodeEntry {
    #[serde(default, deserialize_with = "opt_int")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    pub subcode: Option<i64>,
    pub severity: Judgement,
    #[serde(default)]
    pub cause: String,
    pub meaning: String,
    pub action: Arc<str>,
    #[serde(default)]
    pub source: Arc<str>,
    #[serde(default)]
    pub result_category: String,
    #[serde(default)]
    pub surface: String,
    /// Call Automation callback events that carry the code (`;`-separated).
    #[serde(default)]
    pub events: String,
    /// SMS: status texts the service emits for the code (`|`-separated).
    #[serde(default)]
    pub phrases: String,
    #[serde(default)]
    pub note: String,
    /// SMS send response: HTTP status of a recipient.
    #[serde(default, deserialize_with = "opt_int")]
    pub http_status: Option<i64>,
    /// SMS send response: repeatability result (`accepted` / `rejected`).
    #[serde(default)]
    pub repeatability: String,
}

fn opt_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<i64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{t}` is not an integer"))),
    }
}

/// A catalog file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: row {row}: {message}")]
pub struct CatalogError {
    pub file: String,
    pub row: u64,
    pub message: String,
}

/// How a code was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// The exact code and subcode.
    Exact,
    /// Only the code matched: the entry describes the whole class.
    CodeOnly,
    /// Only the subcode matched (Call Automation's generic subcodes).
    SubcodeOnly,
}

/// A decoded code.
#[derive(Debug, Clone, Copy)]
pub struct Decoded<'c> {
    pub entry: &'c CodeEntry,
    pub matched: MatchKind,
}

/// One table of codes. User rows are kept in front, so they win.
#[derive(Debug, Clone, Default)]
pub struct CodeTable {
    pub entries: Vec<CodeEntry>,
    /// First entry of each (code, subcode) key: decoding runs once per record on the hot path.
    index: HashMap<(Option<i64>, Option<i64>), usize>,
}

impl CodeTable {
    pub fn parse(text: &str, file: &str) -> Result<CodeTable, CatalogError> {
        Ok(CodeTable::from_entries(read_rows(text, file)?))
    }

    fn from_entries(entries: Vec<CodeEntry>) -> CodeTable {
        let mut index = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            index.entry((e.code, e.subcode)).or_insert(i);
        }
        CodeTable { entries, index }
    }

    /// Puts `other`'s rows in front of this table's.
    pub fn override_with(&mut self, other: CodeTable) {
        let mut entries = other.entries;
        entries.append(&mut self.entries);
        *self = CodeTable::from_entries(entries);
    }

    fn lookup(&self, code: Option<i64>, subcode: Option<i64>) -> Option<&CodeEntry> {
        self.index.get(&(code, subcode)).map(|&i| &self.entries[i])
    }

    /// Decodes a code and optional subcode: exact pair, then the code's class row, then a
    /// subcode-only row.
    pub fn decode(&self, code: i64, subcode: Option<i64>) -> Option<Decoded<'_>> {
        if let Some(sub) = subcode
            && let Some(entry) = self.lookup(Some(code), Some(sub))
        {
            return Some(Decoded {
                entry,
                matched: MatchKind::Exact,
            });
        }
        if let Some(entry) = self.lookup(Some(code), None) {
            return Some(Decoded {
                entry,
                matched: if subcode.is_none() {
                    MatchKind::Exact
                } else {
                    MatchKind::CodeOnly
                },
            });
        }
        // A generic subcode applies whatever the code, except that a normal one (subcode 0,
        // "Success") says nothing about a code that is not a success: `599/0` is unknown, not
        // fine.
        self.lookup(None, Some(subcode?))
            .filter(|entry| entry.severity != Judgement::Normal || code < 300)
            .map(|entry| Decoded {
                entry,
                matched: MatchKind::SubcodeOnly,
            })
    }

    /// Decodes an SMS `deliveryStatusDetails` value: `"4007: ..."`, `"4007"` or a bare phrase
    /// such as `"No error."`.
    pub fn decode_sms_details(&self, details: &str) -> Option<Decoded<'_>> {
        let text = details.trim();
        let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty()
            && let Ok(code) = digits.parse::<i64>()
            && let Some(d) = self.decode(code, None)
        {
            return Some(d);
        }
        let wanted = normalize_phrase(text);
        self.entries
            .iter()
            .find(|e| {
                e.phrases
                    .split('|')
                    .any(|p| !p.trim().is_empty() && normalize_phrase(p) == wanted)
            })
            .map(|e| Decoded {
                entry: e,
                matched: MatchKind::Exact,
            })
    }

    /// The rows that explain `code[/subcode]`, searched as `lookup` says.
    pub fn explain(
        &self,
        lookup: Lookup,
        code: i64,
        subcode: Option<i64>,
    ) -> Vec<(&CodeEntry, MatchKind)> {
        let bare = subcode.is_none();
        match lookup {
            Lookup::Subcodes => {
                let mut hits: Vec<(&CodeEntry, MatchKind)> = self
                    .decode(code, subcode)
                    .map(|d| (d.entry, d.matched))
                    .into_iter()
                    .collect();
                if bare {
                    hits.extend(
                        self.entries
                            .iter()
                            .find(|e| e.code.is_none() && e.subcode == Some(code))
                            .map(|e| (e, MatchKind::SubcodeOnly)),
                    );
                }
                hits
            }
            Lookup::Plain if bare => self
                .decode(code, None)
                .map(|d| (d.entry, d.matched))
                .into_iter()
                .collect(),
            Lookup::HttpStatus if bare => self
                .entries
                .iter()
                .filter(|e| e.http_status == Some(code))
                .map(|e| (e, MatchKind::Exact))
                .collect(),
            Lookup::AllRows => self
                .entries
                .iter()
                .filter(|e| {
                    e.code == Some(code) && (bare || e.subcode == subcode)
                        || (bare && e.code.is_none() && e.subcode == Some(code))
                })
                .map(|e| (e, MatchKind::Exact))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The SMS send-status row for an HTTP status and repeatability result.
    pub fn decode_send(&self, http_status: i64, repeatability: Option<&str>) -> Option<&CodeEntry> {
        let rep = repeatability.unwrap_or("").trim();
        self.entries
            .iter()
            .find(|e| {
                e.http_status == Some(http_status) && e.repeatability.eq_ignore_ascii_case(rep)
            })
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|e| e.http_status == Some(http_status) && e.repeatability.is_empty())
            })
    }
}

fn normalize_phrase(p: &str) -> String {
    p.trim().trim_end_matches('.').trim().to_ascii_lowercase()
}

/// A User Facing Diagnostic of the Calling SDK.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UfdEntry {
    /// The SDK's name (`networkRelaysNotReachable`).
    pub name: String,
    /// `flag` (true/false) or `quality` (Good/Poor/Bad, 1/2/3).
    pub kind: String,
    /// Values that are a problem, `|`-separated.
    pub bad_values: String,
    pub severity: Judgement,
    #[serde(default)]
    pub cause: String,
    pub meaning: String,
    pub action: Arc<str>,
    #[serde(default)]
    pub source: Arc<str>,
}

impl UfdEntry {
    /// True when `value` is one of the bad values (case ignored).
    /// Log Analytics stores every diagnostic as a quality string (`DiagnosticQuality`), flags
    /// included, so `Poor` and `Bad` are bad for every name.
    pub fn is_bad(&self, value: &str) -> bool {
        let v = value.trim();
        self.bad_values
            .split('|')
            .any(|b| b.trim().eq_ignore_ascii_case(v))
            || v.eq_ignore_ascii_case("poor")
            || v.eq_ignore_ascii_case("bad")
    }
}

/// The rows of a catalog CSV file (header row, cells trimmed); an unreadable row names its
/// number.
fn read_rows<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
) -> Result<Vec<T>, CatalogError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    reader
        .deserialize::<T>()
        .enumerate()
        .map(|(i, row)| {
            row.map_err(|e| CatalogError {
                file: file.to_owned(),
                row: i as u64 + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// The User Facing Diagnostics table.
#[derive(Debug, Clone, Default)]
pub struct UfdTable {
    pub entries: Vec<UfdEntry>,
}

impl UfdTable {
    pub fn parse(text: &str, file: &str) -> Result<UfdTable, CatalogError> {
        Ok(UfdTable {
            entries: read_rows(text, file)?,
        })
    }

    /// The entry of a diagnostic name (case ignored).
    pub fn get(&self, name: &str) -> Option<&UfdEntry> {
        self.entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name.trim()))
    }
}

/// The rows of a catalog, whatever their columns: what core needs to load, override and count
/// them.
pub trait CatalogData: std::any::Any + Send + Sync + fmt::Debug {
    /// Puts `other`'s rows (a user's file of the same catalog) in front, so they win.
    fn prepend(&mut self, other: Box<dyn CatalogData>);
    fn rows(&self) -> usize;
    fn as_any(&self) -> &dyn std::any::Any;
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

impl CatalogData for CodeTable {
    fn prepend(&mut self, other: Box<dyn CatalogData>) {
        if let Ok(other) = other.into_any().downcast::<CodeTable>() {
            self.override_with(*other);
        }
    }
    fn rows(&self) -> usize {
        self.entries.len()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

impl CatalogData for UfdTable {
    fn prepend(&mut self, other: Box<dyn CatalogData>) {
        if let Ok(other) = other.into_any().downcast::<UfdTable>() {
            let mut entries = other.entries;
            entries.append(&mut self.entries);
            self.entries = entries;
        }
    }
    fn rows(&self) -> usize {
        self.entries.len()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// How `explain CODE[/SUBCODE]` searches a code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Codes with subcodes: the exact pair, else the code's class row; a bare number may also
    /// be a generic subcode (a row with no code).
    Subcodes,
    /// Codes without subcodes (chat, SMS statuses): only a bare number is looked up.
    Plain,
    /// Rows keyed by the HTTP status of a send: only a bare number is looked up.
    HttpStatus,
    /// Every row with the code (and the subcode, when given), or with the number as subcode.
    AllRows,
    /// Not a code table.
    None,
}

/// A catalog an analyzer crate owns: a CSV file in `rules/catalog/`, each row citing its
/// source. Users put rows in front of it with a file of the same name (`[catalog] paths`).
pub struct Catalog {
    /// The file name (`sms_delivery_status.csv`), which a user's override file repeats.
    pub file: &'static str,
    /// Where `explain` lists it among the others (smaller first).
    pub order: u8,
    /// What one row is, as `explain` labels it (`SMS delivery status`).
    pub label: &'static str,
    pub lookup: Lookup,
    pub bundled: &'static str,
    parse: ParseFn,
}

/// Reads a catalog file's text (named for messages) into its table.
type ParseFn = fn(&str, &str) -> Result<Box<dyn CatalogData>, CatalogError>;

fn parse_as<T: CatalogTable>(text: &str, file: &str) -> Result<Box<dyn CatalogData>, CatalogError> {
    T::parse_table(text, file).map(|t| Box::new(t) as Box<dyn CatalogData>)
}

/// A table type a catalog can be read into.
pub trait CatalogTable: CatalogData + Sized {
    fn parse_table(text: &str, file: &str) -> Result<Self, CatalogError>;
}

impl CatalogTable for CodeTable {
    fn parse_table(text: &str, file: &str) -> Result<Self, CatalogError> {
        CodeTable::parse(text, file)
    }
}

impl CatalogTable for UfdTable {
    fn parse_table(text: &str, file: &str) -> Result<Self, CatalogError> {
        UfdTable::parse(text, file)
    }
}

impl Catalog {
    pub const fn new<T: CatalogTable>(
        file: &'static str,
        order: u8,
        label: &'static str,
        lookup: Lookup,
        bundled: &'static str,
    ) -> Catalog {
        Catalog {
            file,
            order,
            label,
            lookup,
            bundled,
            parse: parse_as::<T>,
        }
    }

    /// Reads a file of this catalog's rows (the bundled one, or a user's).
    pub fn parse(&self, text: &str, file: &str) -> Result<Box<dyn CatalogData>, CatalogError> {
        (self.parse)(text, file)
    }
}

/// One registered catalog.
pub struct CatalogRegistration {
    pub catalog: &'static Catalog,
}

inventory::collect!(CatalogRegistration);

/// Declares a catalog owned by the calling crate: `static NAME: CodeTable =
/// ("file.csv", order, "label of a row", Lookup::...);`, read from `rules/catalog/` at build
/// time.
#[macro_export]
macro_rules! catalog {
    ($(#[$meta:meta])* $vis:vis static $name:ident: $ty:ty = ($file:literal, $order:literal, $label:literal, $lookup:ident);) => {
        $(#[$meta])*
        $vis static $name: $crate::catalog::Catalog = $crate::catalog::Catalog::new::<$ty>(
            $file,
            $order,
            $label,
            $crate::catalog::Lookup::$lookup,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/catalog/", $file)),
        );
        $crate::inventory::submit! {
            $crate::catalog::CatalogRegistration { catalog: &$name }
        }
    };
}

/// Every registered catalog, in `explain` order.
pub fn registered() -> Vec<&'static Catalog> {
    let mut all: Vec<&'static Catalog> = inventory::iter::<CatalogRegistration>
        .into_iter()
        .map(|r| r.catalog)
        .collect();
    all.sort_by_key(|c| (c.order, c.file));
    all
}

/// Every registered catalog, loaded (user rows in front of the bundled ones).
#[derive(Debug, Clone, Default)]
pub struct Catalogs {
    tables: BTreeMap<&'static str, std::sync::Arc<dyn CatalogData>>,
}

impl Catalogs {
    /// The bundled tables of every registered catalog. They are validated by tests, so an
    /// error here is a build defect and is returned rather than hidden.
    pub fn bundled() -> Result<Catalogs, CatalogError> {
        Catalogs::with_overrides(&[])
    }

    /// The bundled tables with the rows of user files in front: (catalog file name, the user
    /// file's text, the user file's path for messages).
    pub fn with_overrides(user: &[(&str, &str, &str)]) -> Result<Catalogs, CatalogError> {
        let mut tables = BTreeMap::new();
        for catalog in registered() {
            let mut data = catalog.parse(catalog.bundled, catalog.file)?;
            for (name, text, path) in user.iter().rev() {
                if name.eq_ignore_ascii_case(catalog.file) {
                    data.prepend(catalog.parse(text, path)?);
                }
            }
            tables.insert(catalog.file, std::sync::Arc::from(data));
        }
        Ok(Catalogs { tables })
    }

    /// The loaded table of a catalog, as the type it was declared with. A catalog that is not
    /// registered, or asked for as another type, is a defect of the program.
    pub fn get<T: 'static>(&self, catalog: &Catalog) -> &T {
        self.tables
            .get(catalog.file)
            .and_then(|t| t.as_any().downcast_ref::<T>())
            .unwrap_or_else(|| {
                panic!(
                    "catalog {} is not registered as {}",
                    catalog.file,
                    std::any::type_name::<T>()
                )
            })
    }

    /// The code tables, with their catalogs (for `explain`).
    pub fn code_tables(&self) -> impl Iterator<Item = (&'static Catalog, &CodeTable)> {
        registered().into_iter().filter_map(move |c| {
            let table = self
                .tables
                .get(c.file)?
                .as_any()
                .downcast_ref::<CodeTable>()?;
            Some((c, table))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLING: &str = include_str!("../../rules/catalog/calling_end_reasons.csv");
    const CALL_AUTOMATION: &str =
        include_str!("../../rules/catalog/call_automation_result_codes.csv");
    const SMS_DELIVERY: &str = include_str!("../../rules/catalog/sms_delivery_status.csv");

    fn table(text: &str) -> CodeTable {
        CodeTable::parse(text, "t.csv").unwrap()
    }

    #[test]
    fn normal_endings_are_normal() {
        let calling = table(CALLING);
        for (code, sub) in [(0, 0), (487, 0), (603, 0), (487, 10003)] {
            let d = calling.decode(code, Some(sub)).unwrap();
            assert_eq!(d.matched, MatchKind::Exact);
            assert_eq!(d.entry.severity, Judgement::Normal, "{code}/{sub}");
        }
        let blocked = calling.decode(410, Some(3112)).unwrap();
        assert_eq!(blocked.entry.severity, Judgement::Error);
    }

    #[test]
    fn unknown_subcode_falls_back_to_class() {
        let calling = table(CALLING);
        let d = calling.decode(490, Some(999_999)).unwrap();
        assert_eq!(d.matched, MatchKind::CodeOnly);
        assert!(calling.decode(299, Some(1)).is_none());
        let automation = table(CALL_AUTOMATION);
        let ca = automation.decode(999, Some(8522)).unwrap();
        assert_eq!(ca.matched, MatchKind::SubcodeOnly);
    }

    #[test]
    fn sms_details_in_every_form() {
        let sms = table(SMS_DELIVERY);
        for text in ["No error.", "2000: No Error", "2000", "no error"] {
            let d = sms.decode_sms_details(text).unwrap();
            assert_eq!(d.entry.code, Some(2000), "{text}");
        }
        let opt_out = sms
            .decode_sms_details("4007: The Destination/To number opted out")
            .unwrap();
        assert_eq!(opt_out.entry.code, Some(4007));
        assert!(sms.decode_sms_details("something else").is_none());
    }

    #[test]
    fn bad_rows_name_file_and_row() {
        let err = CodeTable::parse(
            "code,subcode,severity,meaning,action\n1,2,terrible,m,a\n",
            "mine.csv",
        )
        .unwrap_err();
        assert_eq!(err.file, "mine.csv");
        assert_eq!(err.row, 1);
    }

    #[test]
    fn user_rows_win() {
        let mut t = table(CALLING);
        let mine = table("code,subcode,severity,meaning,action\n410,3112,warning,ours,do this\n");
        CatalogData::prepend(&mut t, Box::new(mine));
        assert_eq!(t.decode(410, Some(3112)).unwrap().entry.meaning, "ours");
    }
}
