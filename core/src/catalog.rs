//! Code catalogs: what each calling, Call Automation, SMS, chat and identity code means, how bad
//! it is, and what to do. The tables are data files in `rules/catalog/` (each row citing its
//! source document), embedded in the binary; users add or override rows with their own CSV files.

use std::collections::HashMap;
use std::fmt;

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
    pub action: String,
    #[serde(default)]
    pub source: String,
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

/// Which table a catalog file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CatalogKind {
    CallingEndReasons,
    CallAutomation,
    SmsDelivery,
    SmsSend,
    Chat,
    IdentityAuth,
}

impl CatalogKind {
    pub const ALL: [CatalogKind; 6] = [
        CatalogKind::CallingEndReasons,
        CatalogKind::CallAutomation,
        CatalogKind::SmsDelivery,
        CatalogKind::SmsSend,
        CatalogKind::Chat,
        CatalogKind::IdentityAuth,
    ];

    /// File name of the table (bundled and user override alike).
    pub fn file_name(self) -> &'static str {
        match self {
            CatalogKind::CallingEndReasons => "calling_end_reasons.csv",
            CatalogKind::CallAutomation => "call_automation_result_codes.csv",
            CatalogKind::SmsDelivery => "sms_delivery_status.csv",
            CatalogKind::SmsSend => "sms_send_status.csv",
            CatalogKind::Chat => "chat_errors.csv",
            CatalogKind::IdentityAuth => "identity_auth_errors.csv",
        }
    }

    pub fn bundled_text(self) -> &'static str {
        match self {
            CatalogKind::CallingEndReasons => {
                include_str!("../../rules/catalog/calling_end_reasons.csv")
            }
            CatalogKind::CallAutomation => {
                include_str!("../../rules/catalog/call_automation_result_codes.csv")
            }
            CatalogKind::SmsDelivery => include_str!("../../rules/catalog/sms_delivery_status.csv"),
            CatalogKind::SmsSend => include_str!("../../rules/catalog/sms_send_status.csv"),
            CatalogKind::Chat => include_str!("../../rules/catalog/chat_errors.csv"),
            CatalogKind::IdentityAuth => {
                include_str!("../../rules/catalog/identity_auth_errors.csv")
            }
        }
    }

    pub fn from_file_name(name: &str) -> Option<CatalogKind> {
        CatalogKind::ALL
            .into_iter()
            .find(|k| k.file_name().eq_ignore_ascii_case(name))
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
        if let Some(sub) = subcode {
            if let Some(entry) = self.lookup(Some(code), Some(sub)) {
                return Some(Decoded {
                    entry,
                    matched: MatchKind::Exact,
                });
            }
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
        self.lookup(None, Some(subcode?)).map(|entry| Decoded {
            entry,
            matched: MatchKind::SubcodeOnly,
        })
    }

    /// Decodes an SMS `deliveryStatusDetails` value: `"4007: ..."`, `"4007"` or a bare phrase
    /// such as `"No error."`.
    pub fn decode_sms_details(&self, details: &str) -> Option<Decoded<'_>> {
        let text = details.trim();
        let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() {
            if let Ok(code) = digits.parse::<i64>() {
                if let Some(d) = self.decode(code, None) {
                    return Some(d);
                }
            }
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
    pub action: String,
    #[serde(default)]
    pub source: String,
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

/// The bundled User Facing Diagnostics table.
pub const BUNDLED_UFD: &str = include_str!("../../rules/catalog/user_facing_diagnostics.csv");

/// All code tables.
#[derive(Debug, Clone)]
pub struct Catalogs {
    pub calling: CodeTable,
    pub call_automation: CodeTable,
    pub sms_delivery: CodeTable,
    pub sms_send: CodeTable,
    pub chat: CodeTable,
    pub identity: CodeTable,
    pub ufd: UfdTable,
}

impl Catalogs {
    /// The bundled tables. They are validated by tests, so an error here is a build defect and
    /// is returned rather than hidden.
    pub fn bundled() -> Result<Catalogs, CatalogError> {
        let load = |k: CatalogKind| CodeTable::parse(k.bundled_text(), k.file_name());
        Ok(Catalogs {
            calling: load(CatalogKind::CallingEndReasons)?,
            call_automation: load(CatalogKind::CallAutomation)?,
            sms_delivery: load(CatalogKind::SmsDelivery)?,
            sms_send: load(CatalogKind::SmsSend)?,
            chat: load(CatalogKind::Chat)?,
            identity: load(CatalogKind::IdentityAuth)?,
            ufd: UfdTable::parse(BUNDLED_UFD, "user_facing_diagnostics.csv")?,
        })
    }

    pub fn table(&self, kind: CatalogKind) -> &CodeTable {
        match kind {
            CatalogKind::CallingEndReasons => &self.calling,
            CatalogKind::CallAutomation => &self.call_automation,
            CatalogKind::SmsDelivery => &self.sms_delivery,
            CatalogKind::SmsSend => &self.sms_send,
            CatalogKind::Chat => &self.chat,
            CatalogKind::IdentityAuth => &self.identity,
        }
    }

    pub fn table_mut(&mut self, kind: CatalogKind) -> &mut CodeTable {
        match kind {
            CatalogKind::CallingEndReasons => &mut self.calling,
            CatalogKind::CallAutomation => &mut self.call_automation,
            CatalogKind::SmsDelivery => &mut self.sms_delivery,
            CatalogKind::SmsSend => &mut self.sms_send,
            CatalogKind::Chat => &mut self.chat,
            CatalogKind::IdentityAuth => &mut self.identity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalogs_load() {
        let c = Catalogs::bundled().unwrap();
        for kind in CatalogKind::ALL {
            assert!(!c.table(kind).entries.is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn normal_endings_are_normal() {
        let c = Catalogs::bundled().unwrap();
        for (code, sub) in [(0, 0), (487, 0), (603, 0), (487, 10003)] {
            let d = c.calling.decode(code, Some(sub)).unwrap();
            assert_eq!(d.matched, MatchKind::Exact);
            assert_eq!(d.entry.severity, Judgement::Normal, "{code}/{sub}");
        }
        let blocked = c.calling.decode(410, Some(3112)).unwrap();
        assert_eq!(blocked.entry.severity, Judgement::Error);
    }

    #[test]
    fn unknown_subcode_falls_back_to_class() {
        let c = Catalogs::bundled().unwrap();
        let d = c.calling.decode(490, Some(999_999)).unwrap();
        assert_eq!(d.matched, MatchKind::CodeOnly);
        assert!(c.calling.decode(299, Some(1)).is_none());
        let ca = c.call_automation.decode(999, Some(8522)).unwrap();
        assert_eq!(ca.matched, MatchKind::SubcodeOnly);
    }

    #[test]
    fn sms_details_in_every_form() {
        let c = Catalogs::bundled().unwrap();
        for text in ["No error.", "2000: No Error", "2000", "no error"] {
            let d = c.sms_delivery.decode_sms_details(text).unwrap();
            assert_eq!(d.entry.code, Some(2000), "{text}");
        }
        let opt_out = c
            .sms_delivery
            .decode_sms_details("4007: The Destination/To number opted out")
            .unwrap();
        assert_eq!(opt_out.entry.code, Some(4007));
        assert!(
            c.sms_delivery
                .decode_sms_details("something else")
                .is_none()
        );
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
}
